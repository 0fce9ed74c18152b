//! The router as a whole: its fallbacks, its agreement with the OpenAPI
//! document, and every class of bad input.

use crate::{
    MAX_BATCH_BODY_BYTES, MAX_BODY_BYTES,
    mock::{MockNode, assert_error, call, encoded, get, post, signed_tx, submission},
    router,
};
use axum::{
    Router,
    body::{Body, Bytes},
    http::{HeaderMap, Method, Request, StatusCode, header},
};
use dirchain_types::limits::{MAX_SUBMIT_BATCH, MAX_TX_BYTES};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use tower::ServiceExt;

#[tokio::test]
async fn unknown_route_is_a_json_404() {
    let answer = call(MockNode::new(), get("/v1/nothing")).await;
    assert_error(&answer, StatusCode::NOT_FOUND, "unknown_route");
    assert_eq!(answer.2["message"], "no route for GET \"/v1/nothing\"");
}

#[tokio::test]
async fn wrong_method_is_a_json_405_with_allow() {
    let request = Request::builder()
        .method(Method::DELETE)
        .uri("/v1/status")
        .body(axum::body::Body::empty())
        .unwrap();
    let (status, headers, body) = call(MockNode::new(), request).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(body["code"], "method_not_allowed");
    assert!(body["message"].as_str().unwrap().contains("DELETE"));
    let allow = headers[header::ALLOW].to_str().unwrap();
    assert!(allow.contains("GET"), "{allow}");

    let (status, headers, body) = call(MockNode::new(), get("/v1/tx")).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(body["code"], "method_not_allowed");
    assert_eq!(headers[header::ALLOW], "POST");
}

/// Methods probed on every documented path. HEAD is left out: axum answers
/// it wherever GET is served, as HTTP says it should.
const PROBED_METHODS: [Method; 7] = [
    Method::GET,
    Method::POST,
    Method::PUT,
    Method::DELETE,
    Method::PATCH,
    Method::OPTIONS,
    Method::TRACE,
];

/// Any answer of a router over a fresh mock node.
async fn send(request: Request<Body>) -> (StatusCode, HeaderMap, Bytes) {
    let response = router(MockNode::new()).oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    (parts.status, parts.headers, bytes)
}

fn request(method: &Method, uri: &str) -> Request<Body> {
    Request::builder()
        .method(method.clone())
        .uri(uri)
        .body(Body::empty())
        .unwrap()
}

/// The paths the router serves, as the document writes them. Axum has no
/// API to list them, but its `Debug` of the router shows its path table as
/// `RouteId(n): "/path"`. An id that may hold `/` takes the rest of the
/// path (`{*id}`); the document names it `{id}`.
fn served_paths(router: &Router) -> BTreeSet<String> {
    let debug = format!("{router:?}");
    // The fallback router's own paths come after this point.
    let (routes, _) = debug
        .split_once("fallback_router")
        .expect("axum's Debug of Router names its fallback_router");
    let paths: BTreeSet<String> = routes
        .split("): \"")
        .skip(1)
        .filter_map(|rest| {
            rest.split_once('"')
                .map(|(path, _)| path.replace("{*", "{"))
        })
        .collect();
    assert!(
        !paths.is_empty() && paths.iter().all(|path| path.starts_with('/')),
        "axum's Debug of Router changed; update served_paths: {paths:?}"
    );
    paths
}

/// The operations of a path item, by method.
fn operations(item: &Value) -> Vec<(Method, &Value)> {
    item.as_object()
        .unwrap()
        .iter()
        .filter_map(|(method, operation)| {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).ok()?;
            Some((method, operation))
        })
        .collect()
}

/// `path` with each `{parameter}` replaced by its documented example.
fn example_uri(path: &str, item: &Value) -> String {
    let mut uri = path.to_string();
    for (_, operation) in operations(item) {
        for parameter in operation["parameters"].as_array().into_iter().flatten() {
            if parameter["in"] == "path" {
                let name = parameter["name"].as_str().unwrap();
                let example = parameter["example"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{path}: path parameter {name} has no example"));
                uri = uri.replace(&format!("{{{name}}}"), example);
            }
        }
    }
    assert!(!uri.contains('{'), "{path}: undocumented path parameter");
    uri
}

/// Every `$ref` in `value` that is not among the document's schemas.
fn dangling_refs(value: &Value, schemas: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("$ref", Value::String(target)) => {
                        let name = target.strip_prefix("#/components/schemas/");
                        if name.is_none_or(|name| schemas.get(name).is_none()) {
                            out.push(target.clone());
                        }
                    }
                    _ => dangling_refs(value, schemas, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| dangling_refs(v, schemas, out)),
        _ => {}
    }
}

/// The document is what `/openapi.json` serves, is OpenAPI 3.1 as utoipa
/// reads it, and holds together: every reference resolves.
#[tokio::test]
async fn the_document_is_served_and_is_openapi() {
    let (status, headers, body) = send(get("/openapi.json")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    let served: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(served, serde_json::to_value(crate::openapi()).unwrap());
    assert_eq!(served["openapi"], "3.1.0");
    let parsed: utoipa::openapi::OpenApi =
        serde_json::from_slice(&body).expect("an OpenAPI document");
    assert_eq!(
        serde_json::to_value(&parsed).unwrap(),
        served,
        "read back whole"
    );
    let mut dangling = Vec::new();
    dangling_refs(&served, &served["components"]["schemas"], &mut dangling);
    assert!(dangling.is_empty(), "dangling references: {dangling:?}");
}

/// Every route the router serves is documented, every documented operation
/// is served, and what it answers is among the answers it documents.
#[tokio::test]
async fn the_document_and_the_router_agree() {
    let document = serde_json::to_value(crate::openapi()).unwrap();
    let paths = document["paths"].as_object().unwrap();
    let documented: BTreeSet<String> = paths.keys().cloned().collect();
    assert_eq!(served_paths(&router(MockNode::new())), documented);

    for (path, item) in paths {
        let uri = example_uri(path, item);
        let documented = operations(item);
        for method in &PROBED_METHODS {
            let (status, _, body) = send(request(method, &uri)).await;
            let code = serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|body| body["code"].as_str().map(str::to_string));
            match documented.iter().find(|(m, _)| m == method) {
                Some((_, operation)) => {
                    assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {uri}");
                    assert_ne!(code.as_deref(), Some("unknown_route"), "{method} {uri}");
                    assert!(
                        operation["responses"].get(status.as_str()).is_some(),
                        "{method} {uri} answered {status}, which it does not document"
                    );
                }
                None => {
                    assert_eq!(
                        status,
                        StatusCode::METHOD_NOT_ALLOWED,
                        "{method} {uri}: undocumented method"
                    );
                    assert_eq!(code.as_deref(), Some("method_not_allowed"));
                }
            }
        }
    }
}

/// What a reader of the document needs of every operation: a summary, a
/// tag, its path parameters, a body for every answer, and the error shape
/// for every error but a transaction's own 404 (which names the hash).
#[test]
fn every_operation_is_fully_documented() {
    let document = serde_json::to_value(crate::openapi()).unwrap();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in operations(item) {
            let at = format!("{method} {path}");
            assert!(operation["summary"].is_string(), "{at}: no summary");
            assert!(operation["tags"][0].is_string(), "{at}: no tag");
            let responses = operation["responses"].as_object().unwrap();
            assert!(!responses.is_empty(), "{at}: no responses");
            for (status, response) in responses {
                let content = response["content"].as_object();
                assert!(
                    content.is_some_and(|c| !c.is_empty()),
                    "{at} {status}: no body"
                );
                if status.starts_with('4') || status.starts_with('5') {
                    let schema = &response["content"]["application/json"]["schema"]["$ref"];
                    let expected = if (path.as_str(), status.as_str()) == ("/v1/tx/{hash}", "404") {
                        "#/components/schemas/TxStatus"
                    } else {
                        "#/components/schemas/ErrorBody"
                    };
                    assert_eq!(schema, expected, "{at} {status}");
                }
            }
            // A node-backed operation says what a stopping node answers.
            if path.starts_with("/v1/") {
                assert!(responses.contains_key("503"), "{at}: no 503");
            }
        }
    }
}

/// The statuses `method` on `path` documents.
fn documented_statuses(method: &Method, path: &str) -> Vec<String> {
    let document = serde_json::to_value(crate::openapi()).unwrap();
    let operation = &document["paths"][path][method.as_str().to_lowercase()];
    operation["responses"]
        .as_object()
        .unwrap_or_else(|| panic!("{method} {path} is not documented"))
        .keys()
        .cloned()
        .collect()
}

/// One bad request: what it is, the route it reaches (`None`: none), and the
/// answer it must get.
struct Bad {
    request: Request<Body>,
    route: Option<&'static str>,
    status: StatusCode,
    code: &'static str,
}

fn bad(
    request: Request<Body>,
    route: Option<&'static str>,
    status: StatusCode,
    code: &'static str,
) -> Bad {
    Bad {
        request,
        route,
        status,
        code,
    }
}

fn with_method(method: Method, uri: &str) -> Request<Body> {
    request(&method, uri)
}

fn bad_inputs() -> Vec<Bad> {
    use StatusCode as S;
    let tx = encoded(&signed_tx());
    let hash = signed_tx().hash().to_string();
    let binary = Some("application/octet-stream");
    let json = Some("application/json");
    let submit = Some("/v1/tx");
    let batch = Some("/v1/txs");
    let long = "a".repeat(8 * 1024);
    let mut forged = signed_tx();
    forged.tx.nonce += 1;
    let subjects_uri = "/v1/subjects/accesses";
    let (orgs, org) = (Some("/v1/orgs"), Some("/v1/orgs/{id}"));
    let (catalog, item) = (Some("/v1/catalog"), Some("/v1/catalog/{id}"));
    let (permissions, permission) = (Some("/v1/permissions"), Some("/v1/permissions/{id}"));
    let (requests, request) = (Some("/v1/requests"), Some("/v1/requests/{id}"));
    let (accesses, access) = (Some("/v1/access"), Some("/v1/access/{id}"));
    let (proposals, proposal) = (Some("/v1/proposals"), Some("/v1/proposals/{id}"));
    let notary = Some("/v1/notary/{digest}");
    let asset = Some("/v1/assets/{id}");
    let subjects = Some("/v1/subjects/accesses");
    vec![
        // Bad JSON, wrong types, unknown fields, bad hex.
        bad(
            post("/v1/tx", json, "{"),
            submit,
            S::BAD_REQUEST,
            "bad_json",
        ),
        bad(
            post("/v1/tx", json, "null"),
            submit,
            S::BAD_REQUEST,
            "bad_json",
        ),
        bad(
            post("/v1/tx", json, r#"{"tx": 7}"#),
            submit,
            S::BAD_REQUEST,
            "bad_json",
        ),
        bad(
            post("/v1/tx", json, r#"{"tx": ["00"]}"#),
            submit,
            S::BAD_REQUEST,
            "bad_json",
        ),
        bad(
            post("/v1/tx", json, r#"{"tx": "00", "extra": 1}"#),
            submit,
            S::BAD_REQUEST,
            "bad_json",
        ),
        bad(
            post("/v1/tx", json, r#"{"tx": "00"} trailing"#),
            submit,
            S::BAD_REQUEST,
            "bad_json",
        ),
        bad(
            post("/v1/tx", json, vec![0xff, 0xfe]),
            submit,
            S::BAD_REQUEST,
            "bad_json",
        ),
        bad(
            post("/v1/tx", json, r#"{"tx": "zz"}"#),
            submit,
            S::BAD_REQUEST,
            "bad_hex",
        ),
        bad(
            post("/v1/tx", json, r#"{"tx": "0x00"}"#),
            submit,
            S::BAD_REQUEST,
            "bad_hex",
        ),
        // Bodies: none, empty, not a transaction, forged, too large, wrong type.
        bad(
            post("/v1/tx", binary, Vec::new()),
            submit,
            S::BAD_REQUEST,
            "empty_body",
        ),
        bad(
            post("/v1/tx", json, r#"{"tx": ""}"#),
            submit,
            S::BAD_REQUEST,
            "empty_body",
        ),
        bad(
            post("/v1/tx", binary, vec![7; 100]),
            submit,
            S::BAD_REQUEST,
            "malformed",
        ),
        bad(
            post("/v1/tx", binary, encoded(&forged)),
            submit,
            S::BAD_REQUEST,
            "bad_signature",
        ),
        bad(
            post("/v1/tx", binary, vec![0; MAX_BODY_BYTES + 1]),
            submit,
            S::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
        bad(
            post("/v1/tx", None, tx.clone()),
            submit,
            S::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        bad(
            post("/v1/tx", Some("text/plain"), tx.clone()),
            submit,
            S::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        bad(
            post(
                "/v1/tx",
                Some("multipart/form-data; boundary=x"),
                tx.clone(),
            ),
            submit,
            S::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        // Batches: the request as a whole.
        bad(
            post("/v1/txs", binary, Vec::new()),
            batch,
            S::BAD_REQUEST,
            "empty_body",
        ),
        bad(
            post("/v1/txs", binary, vec![0]),
            batch,
            S::BAD_REQUEST,
            "empty_body",
        ),
        bad(
            post("/v1/txs", json, r#"{"txs": []}"#),
            batch,
            S::BAD_REQUEST,
            "empty_body",
        ),
        bad(
            post("/v1/txs", binary, vec![2, 7, 1]),
            batch,
            S::BAD_REQUEST,
            "bad_body",
        ),
        bad(
            post("/v1/txs", binary, [vec![1], tx.clone(), vec![0]].concat()),
            batch,
            S::BAD_REQUEST,
            "bad_body",
        ),
        bad(
            post("/v1/txs", json, r#"{"txs": "00"}"#),
            batch,
            S::BAD_REQUEST,
            "bad_json",
        ),
        bad(
            post("/v1/txs", json, r#"{"txs": ["00", "zz"]}"#),
            batch,
            S::BAD_REQUEST,
            "bad_hex",
        ),
        bad(
            post(
                "/v1/txs",
                binary,
                submission(&vec![tx.clone(); MAX_SUBMIT_BATCH + 1]),
            ),
            batch,
            S::PAYLOAD_TOO_LARGE,
            "too_many_txs",
        ),
        bad(
            post(
                "/v1/txs",
                json,
                json!({"txs": vec!["00"; MAX_SUBMIT_BATCH + 1]}).to_string(),
            ),
            batch,
            S::PAYLOAD_TOO_LARGE,
            "too_many_txs",
        ),
        bad(
            post(
                "/v1/txs",
                json,
                json!({"txs": ["ab".repeat(MAX_TX_BYTES + 1)]}).to_string(),
            ),
            batch,
            S::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
        bad(
            post("/v1/txs", binary, vec![0; MAX_BATCH_BODY_BYTES + 1]),
            batch,
            S::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
        bad(
            post("/v1/txs", Some("text/plain"), tx.clone()),
            batch,
            S::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        // Bad queries.
        bad(
            post("/v1/tx?wait=soon", binary, tx.clone()),
            submit,
            S::BAD_REQUEST,
            "bad_query",
        ),
        bad(
            post("/v1/tx?wait=final&timeout_ms=600000", binary, tx.clone()),
            submit,
            S::BAD_REQUEST,
            "bad_query",
        ),
        bad(
            post("/v1/tx?timeout_ms=5", binary, tx.clone()),
            submit,
            S::BAD_REQUEST,
            "bad_query",
        ),
        bad(
            post("/v1/tx?wait=final&timeout_ms=%FF", binary, tx),
            submit,
            S::BAD_REQUEST,
            "bad_query",
        ),
        // Bad hashes, keys and heights.
        bad(
            get("/v1/tx/xyz"),
            Some("/v1/tx/{hash}"),
            S::BAD_REQUEST,
            "bad_hash",
        ),
        bad(
            get(&format!("/v1/tx/{}", &hash[1..])),
            Some("/v1/tx/{hash}"),
            S::BAD_REQUEST,
            "bad_hash",
        ),
        bad(
            get("/v1/tx/%2F%2F"),
            Some("/v1/tx/{hash}"),
            S::BAD_REQUEST,
            "bad_hash",
        ),
        bad(
            get(&format!("/v1/tx/{long}")),
            Some("/v1/tx/{hash}"),
            S::BAD_REQUEST,
            "bad_hash",
        ),
        bad(
            get("/v1/tx/%FF%FE"),
            Some("/v1/tx/{hash}"),
            S::BAD_REQUEST,
            "bad_path",
        ),
        bad(
            get("/v1/accounts/xyz"),
            Some("/v1/accounts/{public_key}"),
            S::BAD_REQUEST,
            "bad_key",
        ),
        bad(
            get(&format!("/v1/accounts/{hash}0")),
            Some("/v1/accounts/{public_key}"),
            S::BAD_REQUEST,
            "bad_key",
        ),
        bad(
            get(&format!("/v1/accounts/{long}")),
            Some("/v1/accounts/{public_key}"),
            S::BAD_REQUEST,
            "bad_key",
        ),
        bad(
            get("/v1/accounts/%C3%28"),
            Some("/v1/accounts/{public_key}"),
            S::BAD_REQUEST,
            "bad_path",
        ),
        bad(
            get("/v1/proof/xyz"),
            Some("/v1/proof/{key}"),
            S::BAD_REQUEST,
            "bad_key",
        ),
        bad(
            get(&format!("/v1/proof/{long}")),
            Some("/v1/proof/{key}"),
            S::BAD_REQUEST,
            "bad_key",
        ),
        bad(
            get("/v1/access-log/first"),
            Some("/v1/access-log/{location}"),
            S::BAD_REQUEST,
            "bad_location",
        ),
        bad(
            get("/v1/access-log/-1"),
            Some("/v1/access-log/{location}"),
            S::BAD_REQUEST,
            "bad_location",
        ),
        bad(
            get(&format!("/v1/access-log/{long}")),
            Some("/v1/access-log/{location}"),
            S::BAD_REQUEST,
            "bad_location",
        ),
        bad(
            get("/v1/access-log/%C3%28"),
            Some("/v1/access-log/{location}"),
            S::BAD_REQUEST,
            "bad_path",
        ),
        bad(
            get("/v1/blocks/tip"),
            Some("/v1/blocks/{height}"),
            S::BAD_REQUEST,
            "bad_height",
        ),
        bad(
            get("/v1/blocks/-3"),
            Some("/v1/blocks/{height}"),
            S::BAD_REQUEST,
            "bad_height",
        ),
        bad(
            get(&format!("/v1/blocks/{long}")),
            Some("/v1/blocks/{height}"),
            S::BAD_REQUEST,
            "bad_height",
        ),
        // Unknown ids.
        bad(
            get("/v1/blocks/1000"),
            Some("/v1/blocks/{height}"),
            S::NOT_FOUND,
            "not_found",
        ),
        // The index routes: bad pages, filters, cursors and ids.
        bad(get("/v1/orgs?limit=0"), orgs, S::BAD_REQUEST, "bad_query"),
        bad(get("/v1/orgs?limit=501"), orgs, S::BAD_REQUEST, "bad_query"),
        bad(get("/v1/orgs?limit=x"), orgs, S::BAD_REQUEST, "bad_query"),
        bad(get("/v1/orgs?offset=5"), orgs, S::BAD_REQUEST, "bad_query"),
        bad(
            get("/v1/orgs?cursor=garbage"),
            orgs,
            S::BAD_REQUEST,
            "bad_cursor",
        ),
        bad(
            get(&format!("/v1/orgs?cursor={long}")),
            orgs,
            S::BAD_REQUEST,
            "bad_cursor",
        ),
        bad(get("/v1/orgs/a%20b"), org, S::BAD_REQUEST, "bad_id"),
        bad(
            get(&format!("/v1/orgs/{long}")),
            org,
            S::BAD_REQUEST,
            "bad_id",
        ),
        bad(get("/v1/orgs/%FF"), org, S::BAD_REQUEST, "bad_path"),
        bad(
            get("/v1/catalog?share_class=sometimes"),
            catalog,
            S::BAD_REQUEST,
            "bad_filter",
        ),
        bad(
            get(&format!("/v1/catalog?share_class={long}")),
            catalog,
            S::BAD_REQUEST,
            "bad_filter",
        ),
        bad(
            get("/v1/catalog?include_retired=1"),
            catalog,
            S::BAD_REQUEST,
            "bad_query",
        ),
        bad(
            get("/v1/catalog?limit=99999999999"),
            catalog,
            S::BAD_REQUEST,
            "bad_query",
        ),
        bad(
            get("/v1/catalog?q=a&q=b"),
            catalog,
            S::BAD_REQUEST,
            "bad_query",
        ),
        bad(
            get("/v1/catalog/health/births?channel=%20"),
            item,
            S::BAD_REQUEST,
            "bad_query",
        ),
        bad(
            get("/v1/catalog/health/births?version=1"),
            item,
            S::BAD_REQUEST,
            "bad_query",
        ),
        bad(
            get(&format!("/v1/catalog/{long}")),
            item,
            S::BAD_REQUEST,
            "bad_id",
        ),
        bad(get("/v1/catalog/%FF"), item, S::BAD_REQUEST, "bad_path"),
        bad(
            get("/v1/permissions?status=gone"),
            permissions,
            S::BAD_REQUEST,
            "bad_query",
        ),
        bad(
            get("/v1/permissions?limit=-1"),
            permissions,
            S::BAD_REQUEST,
            "bad_query",
        ),
        bad(
            get("/v1/permissions/xyz"),
            permission,
            S::BAD_REQUEST,
            "bad_id",
        ),
        bad(
            get(&format!("/v1/permissions/{hash}?channel=%00")),
            permission,
            S::BAD_REQUEST,
            "bad_query",
        ),
        bad(
            get("/v1/requests?status=maybe"),
            requests,
            S::BAD_REQUEST,
            "bad_filter",
        ),
        bad(
            get("/v1/requests?cursor=00"),
            requests,
            S::BAD_REQUEST,
            "bad_cursor",
        ),
        bad(
            get(&format!("/v1/requests/{long}")),
            request,
            S::BAD_REQUEST,
            "bad_id",
        ),
        bad(
            get("/v1/access?permission=zz"),
            accesses,
            S::BAD_REQUEST,
            "bad_filter",
        ),
        bad(
            get("/v1/access?to_ms=-1"),
            accesses,
            S::BAD_REQUEST,
            "bad_query",
        ),
        bad(
            get("/v1/access?refused=1"),
            accesses,
            S::BAD_REQUEST,
            "bad_query",
        ),
        bad(get("/v1/access/%2F%2F"), access, S::BAD_REQUEST, "bad_id"),
        bad(get("/v1/notary/xyz"), notary, S::BAD_REQUEST, "bad_hash"),
        bad(
            get(&format!("/v1/notary/{hash}?channel={long}")),
            notary,
            S::BAD_REQUEST,
            "bad_query",
        ),
        bad(get("/v1/assets/a%20b"), asset, S::BAD_REQUEST, "bad_id"),
        bad(get("/v1/assets/x?y=z"), asset, S::BAD_REQUEST, "bad_query"),
        bad(
            get("/v1/proposals?status=nope"),
            proposals,
            S::BAD_REQUEST,
            "bad_filter",
        ),
        bad(
            get("/v1/proposals?limit=0"),
            proposals,
            S::BAD_REQUEST,
            "bad_query",
        ),
        bad(
            get("/v1/proposals/0x00"),
            proposal,
            S::BAD_REQUEST,
            "bad_id",
        ),
        // The subject view: bad bodies, never echoed.
        bad(
            post(subjects_uri, json, ""),
            subjects,
            S::BAD_REQUEST,
            "empty_body",
        ),
        bad(
            post(subjects_uri, json, "{"),
            subjects,
            S::BAD_REQUEST,
            "bad_json",
        ),
        bad(
            post(subjects_uri, json, "{}"),
            subjects,
            S::BAD_REQUEST,
            "bad_json",
        ),
        bad(
            post(subjects_uri, json, r#"{"subject": 1}"#),
            subjects,
            S::BAD_REQUEST,
            "bad_json",
        ),
        bad(
            post(subjects_uri, json, r#"{"subject": "a", "x": 1}"#),
            subjects,
            S::BAD_REQUEST,
            "bad_json",
        ),
        bad(
            post(subjects_uri, json, vec![0xff, 0xfe]),
            subjects,
            S::BAD_REQUEST,
            "bad_json",
        ),
        bad(
            post(subjects_uri, json, r#"{"subject": ""}"#),
            subjects,
            S::BAD_REQUEST,
            "bad_subject",
        ),
        bad(
            post(subjects_uri, json, r#"{"subject": "a", "limit": 501}"#),
            subjects,
            S::BAD_REQUEST,
            "bad_query",
        ),
        bad(
            post(subjects_uri, json, r#"{"subject": "a", "cursor": "zz"}"#),
            subjects,
            S::BAD_REQUEST,
            "bad_cursor",
        ),
        bad(
            post(subjects_uri, None, r#"{"subject": "a"}"#),
            subjects,
            S::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        bad(
            post(subjects_uri, binary, r#"{"subject": "a"}"#),
            subjects,
            S::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        bad(
            post(subjects_uri, json, format!(r#"{{"subject": "{long}"}}"#)),
            subjects,
            S::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
        // Unknown ids.
        bad(get("/v1/orgs/nobody"), org, S::NOT_FOUND, "not_found"),
        bad(
            get("/v1/catalog/health/births"),
            item,
            S::NOT_FOUND,
            "not_found",
        ),
        bad(
            get("/v1/catalog/health%2Fbirths"),
            item,
            S::NOT_FOUND,
            "not_found",
        ),
        bad(
            get(&format!("/v1/permissions/{hash}")),
            permission,
            S::NOT_FOUND,
            "not_found",
        ),
        bad(
            get(&format!("/v1/requests/{hash}")),
            request,
            S::NOT_FOUND,
            "not_found",
        ),
        bad(
            get(&format!("/v1/access/{hash}")),
            access,
            S::NOT_FOUND,
            "not_found",
        ),
        bad(
            get(&format!("/v1/notary/{hash}")),
            notary,
            S::NOT_FOUND,
            "not_found",
        ),
        bad(
            get("/v1/assets/asset/births"),
            asset,
            S::NOT_FOUND,
            "not_found",
        ),
        bad(
            get(&format!("/v1/proposals/{hash}")),
            proposal,
            S::NOT_FOUND,
            "not_found",
        ),
        // Unknown routes and wrong methods.
        bad(get("/"), None, S::NOT_FOUND, "unknown_route"),
        bad(get("/v1/org"), None, S::NOT_FOUND, "unknown_route"),
        bad(get("/v1/catalog/"), None, S::NOT_FOUND, "unknown_route"),
        bad(get("/v1/subjects"), None, S::NOT_FOUND, "unknown_route"),
        bad(
            get(&format!("/v1/permissions/{hash}/accesses")),
            None,
            S::NOT_FOUND,
            "unknown_route",
        ),
        bad(get("/v1"), None, S::NOT_FOUND, "unknown_route"),
        bad(get("/v1/status/"), None, S::NOT_FOUND, "unknown_route"),
        bad(get("/V1/STATUS"), None, S::NOT_FOUND, "unknown_route"),
        bad(get("/v1/blocks"), None, S::NOT_FOUND, "unknown_route"),
        bad(
            get(&format!("/v1/tx/{hash}/receipt")),
            None,
            S::NOT_FOUND,
            "unknown_route",
        ),
        bad(
            get(&format!("/{long}")),
            None,
            S::NOT_FOUND,
            "unknown_route",
        ),
        bad(get("/%FF"), None, S::NOT_FOUND, "unknown_route"),
        bad(
            with_method(Method::PUT, "/v1/tx"),
            None,
            S::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
        bad(
            with_method(Method::DELETE, "/v1/blocks/1"),
            None,
            S::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
        bad(
            with_method(Method::POST, "/healthz"),
            None,
            S::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
        bad(
            with_method(Method::POST, "/metrics"),
            None,
            S::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
        bad(
            with_method(Method::POST, "/openapi.json"),
            None,
            S::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
        bad(
            with_method(Method::PUT, "/v1/orgs"),
            None,
            S::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
        bad(
            with_method(Method::DELETE, "/v1/catalog/health/births"),
            None,
            S::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
        bad(
            get(subjects_uri),
            None,
            S::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
        bad(
            with_method(Method::from_bytes(b"BREW").unwrap(), "/v1/status"),
            None,
            S::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
    ]
}

/// Every class of bad input gets its documented 4xx, in the one error shape,
/// with a message of bounded size; none is a 5xx, none a panic.
#[tokio::test]
async fn every_bad_input_gets_its_documented_4xx() {
    for Bad {
        request,
        route,
        status,
        code,
    } in bad_inputs()
    {
        let method = request.method().clone();
        let what = format!("{method} {}", request.uri());
        let answer = call(MockNode::new(), request).await;
        assert!(answer.0.is_client_error(), "{what}: {:?}", answer.2);
        assert_error(&answer, status, code);
        let message = answer.2["message"].as_str().unwrap();
        assert!(
            message.len() < 1024,
            "{what}: a {} byte message",
            message.len()
        );
        if let Some(route) = route {
            assert!(
                documented_statuses(&method, route).contains(&status.as_str().to_string()),
                "{what}: {status} is not documented for {method} {route}"
            );
        }
    }
}

/// A refused request leaves the node as it was.
#[tokio::test]
async fn bad_inputs_submit_nothing() {
    let node = MockNode::new();
    for Bad { request, .. } in bad_inputs() {
        let _ = call(node.clone(), request).await;
    }
    assert!(node.submitted().is_empty());
    let (status, _, body) = call(node, get("/v1/status")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["mempool"], json!({"txs": 3, "bytes": 1234}));
}

/// The route table of the crate documentation lists exactly the documented
/// operations.
#[test]
fn the_crate_documentation_lists_every_route() {
    let listed: BTreeSet<String> = include_str!("../lib.rs")
        .lines()
        .filter_map(|line| line.strip_prefix("//! | `"))
        .filter_map(|row| row.split_once('`').map(|(route, _)| route))
        .filter(|route| route.starts_with(|c: char| c.is_ascii_uppercase()))
        .map(|route| route.split('?').next().unwrap().to_string())
        .collect();
    let document = serde_json::to_value(crate::openapi()).unwrap();
    let documented: BTreeSet<String> = document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            operations(item)
                .into_iter()
                .map(move |(method, _)| format!("{method} {path}"))
        })
        .collect();
    assert_eq!(listed, documented);
}

/// A validator run without the query index answers exactly the operations
/// that document `query_index_off` with it, and every other one as before:
/// its status, blocks, proofs and submissions are the chain's own.
#[tokio::test]
async fn a_node_without_the_index_refuses_exactly_the_index_routes() {
    let document = serde_json::to_value(crate::openapi()).unwrap();
    let mut refusing = 0;
    // The node's own routes; `/metrics` and the document are not the node's.
    let node_routes = document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(path, _)| path.starts_with("/v1/"));
    for (path, item) in node_routes {
        let uri = example_uri(path, item);
        for (method, operation) in operations(item) {
            let needs_index = operation["responses"]["503"]["description"]
                .as_str()
                .is_some_and(|d| d.contains("`query_index_off`"));
            let request = match (&method, path.as_str()) {
                (&Method::GET, _) => get(&uri),
                (&Method::POST, "/v1/subjects/accesses") => post(
                    &uri,
                    Some("application/json"),
                    json!({"subject": "19900307-2346"}).to_string(),
                ),
                // Submissions: the chain's, and refused before any node call
                // without a body.
                _ => continue,
            };
            let answer = call(MockNode::without_query_index(), request).await;
            let what = format!("{method} {uri}");
            if needs_index {
                assert_error(&answer, StatusCode::SERVICE_UNAVAILABLE, "query_index_off");
                refusing += 1;
            } else {
                assert_ne!(answer.2["code"], "query_index_off", "{what}");
                assert!(!answer.0.is_server_error(), "{what}: {:?}", answer.2);
            }
        }
    }
    // Every list and record route, and the status of a transaction the
    // chain no longer remembers.
    assert_eq!(refusing, 19);
}
