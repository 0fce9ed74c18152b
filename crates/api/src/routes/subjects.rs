//! `POST /v1/subjects/accesses`: the "who used my data" view. The body
//! carries a person's raw identifier; the node turns it into the person's
//! pseudonym with its subject key and answers every access record that
//! names it. The identifier is never logged, never repeated in an answer or
//! an error, and never in a URL (hence POST).

use crate::{
    error::ApiError,
    node::NodeApi,
    openapi::documented,
    query::{self, check_limit},
};
use axum::{
    Json,
    body::Bytes,
    extract::{DefaultBodyLimit, State, rejection::BytesRejection},
    http::{HeaderMap, StatusCode, header},
};
use dirchain_schema::{
    chain::ErrorBody,
    records::{AccessView, Page, PageQuery, SubjectAccessQuery},
};
use serde_json::error::Category;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};

/// Largest body read: an identifier, a limit and a cursor, with room to spare.
pub const MAX_SUBJECT_BODY_BYTES: usize = 4 * 1024;
/// Longest raw identifier, in bytes: identity numbers, passport numbers and
/// the like are far shorter.
pub const MAX_SUBJECT_BYTES: usize = 256;

const JSON: &str = "application/json";

pub fn routes<N: NodeApi>() -> OpenApiRouter<N> {
    OpenApiRouter::default().routes(
        documented::<__path_subject_accesses, _, _, _>(subject_accesses::<N>)
            .layer(DefaultBodyLimit::max(MAX_SUBJECT_BODY_BYTES)),
    )
}

/// Who used a person's data.
///
/// Every access record, allowed or refused, that names the person with
/// this raw identifier, newest first. The node computes the person's
/// pseudonym with the consortium's subject key; the identifier itself is
/// neither stored nor logged, and no answer repeats it. Spaces and dashes
/// in the identifier are ignored, and letters match in any case.
#[utoipa::path(
    post,
    path = "/v1/subjects/accesses",
    tag = "access",
    request_body(content = SubjectAccessQuery, content_type = "application/json",
        description = "The person's raw identifier, and optionally `limit` and `cursor`"),
    responses(
        (status = 200, description = "A page of the access records that name the person, newest first", body = Page<AccessView>),
        (status = 400, description = "`empty_body`: no body; `bad_json`: not the documented object (a missing \
            `subject`, an unknown field, a value of the wrong type); `bad_subject`: the identifier is empty \
            or longer than 256 bytes; `bad_query`: `limit` not from 1 to 500; `bad_cursor`: a cursor this \
            list did not return; `bad_body`: not readable", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: the body is above 4096 bytes", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: the body is not `application/json`", body = ErrorBody),
        (status = 500, description = "`index`: the query index failed", body = ErrorBody),
        (status = 503, description = "`subject_view_unavailable`: this node holds no subject key; \
            `query_index_off`: this node keeps no query index; `unavailable`: the node is shutting \
            down", body = ErrorBody),
    ),
)]
async fn subject_accesses<N: NodeApi>(
    State(node): State<N>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Page<AccessView>>, ApiError> {
    let query = parse(&headers, body)?;
    check_limit(query.limit)?;
    let subject = node
        .subject_ref(&query.subject)
        .ok_or_else(ApiError::subject_view_unavailable)?;
    let page = PageQuery {
        limit: query.limit,
        cursor: query.cursor,
    };
    Ok(Json(
        query::run(&node, move |q| q.subject_accesses(&subject, &page)).await?,
    ))
}

/// The query in the body. No error repeats any part of the body: it may
/// hold the identifier anywhere, even as a field name.
fn parse(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<SubjectAccessQuery, ApiError> {
    let essence = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(str::trim);
    if !essence.is_some_and(|e| e.eq_ignore_ascii_case(JSON)) {
        return Err(ApiError::unsupported_media_type(format!(
            "send {{\"subject\": \"<identifier>\"}} as {JSON}"
        )));
    }
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::payload_too_large(format!(
                "the body is larger than {MAX_SUBJECT_BODY_BYTES} bytes"
            ))
        } else {
            ApiError::bad_body("the body could not be read")
        }
    })?;
    if body.is_empty() {
        return Err(ApiError::empty_body(
            "the request has no body: send {\"subject\": \"<identifier>\"}",
        ));
    }
    let query: SubjectAccessQuery = serde_json::from_slice(&body).map_err(|e| {
        let what = match e.classify() {
            Category::Data => {
                "a missing \"subject\", an unknown field or a value of the wrong type"
            }
            Category::Syntax | Category::Eof | Category::Io => "not valid JSON",
        };
        ApiError::bad_json(format!(
            "the body is not {{\"subject\": \"<identifier>\", \"limit\"?: <1 to 500>, \
             \"cursor\"?: \"<cursor>\"}}: {what} (line {}, column {})",
            e.line(),
            e.column()
        ))
    })?;
    if query.subject.len() > MAX_SUBJECT_BYTES {
        return Err(ApiError::bad_subject(format!(
            "the subject is {} bytes; the most is {MAX_SUBJECT_BYTES}",
            query.subject.len()
        )));
    }
    // Spaces and dashes are dropped before the pseudonym is made: an
    // identifier of nothing else would name everyone who has none.
    if query.subject.chars().all(|c| c.is_whitespace() || c == '-') {
        return Err(ApiError::bad_subject(
            "the subject is empty: send the person's identifier",
        ));
    }
    Ok(query)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        fixture::{ANNA, BEN, SCENARIO},
        mock::{MockNode, assert_error, call, ids, post},
    };
    use axum::http::Method;
    use serde_json::{Value, json};
    use std::sync::{Arc, LazyLock, Mutex};

    const URI: &str = "/v1/subjects/accesses";

    async fn ask(node: &MockNode, body: impl Into<String>) -> (StatusCode, HeaderMap, Value) {
        call(node.clone(), post(URI, Some(JSON), body.into())).await
    }

    /// What a person is told: the page, which must not repeat the identifier.
    async fn accesses_of(node: &MockNode, body: Value) -> Value {
        let (status, _, answer) = ask(node, body.to_string()).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert!(!answer.to_string().contains(ANNA));
        answer
    }

    #[tokio::test]
    async fn a_person_sees_every_access_to_their_data() {
        let node = MockNode::indexed().await;
        let made = &SCENARIO.made;
        let (allowed, refused) = (
            made.allowed_access.to_string(),
            made.refused_access.to_string(),
        );
        let anna = accesses_of(&node, json!({"subject": ANNA})).await;
        assert_eq!(ids(&anna), [refused.clone(), allowed.clone()]);
        assert_eq!(anna["indexed_height"], SCENARIO.height());
        assert_eq!(anna["items"][0]["refusal"], "fields-not-permitted");
        // Spaces, dashes and case do not change who is meant.
        for same in ["1990 0307 2345", " 199003072345 ", "1990-0307-2345"] {
            let again = accesses_of(&node, json!({"subject": same})).await;
            assert_eq!(again, anna, "{same:?}");
        }
        let ben = accesses_of(&node, json!({"subject": BEN})).await;
        assert_eq!(ids(&ben), [allowed.as_str()]);
        // Page by page.
        let first = accesses_of(&node, json!({"subject": ANNA, "limit": 1})).await;
        assert_eq!(ids(&first), [refused]);
        let cursor = first["next_cursor"].as_str().unwrap();
        let second = accesses_of(
            &node,
            json!({"subject": ANNA, "limit": 1, "cursor": cursor}),
        )
        .await;
        assert_eq!(ids(&second), [allowed]);
        assert_eq!(second["next_cursor"], Value::Null);
    }

    #[tokio::test]
    async fn a_person_nobody_accessed_gets_an_empty_page() {
        let node = MockNode::indexed().await;
        for stranger in ["19900307-2346", "anna"] {
            let page = accesses_of(&node, json!({"subject": stranger})).await;
            assert_eq!(page["items"], json!([]));
            assert_eq!(page["next_cursor"], Value::Null);
        }
    }

    #[tokio::test]
    async fn a_node_without_the_subject_key_says_so() {
        let node = MockNode::indexed().await;
        node.forget_subject_key();
        let answer = ask(&node, json!({"subject": ANNA}).to_string()).await;
        assert_error(
            &answer,
            StatusCode::SERVICE_UNAVAILABLE,
            "subject_view_unavailable",
        );
        let message = answer.2["message"].as_str().unwrap();
        assert!(message.contains("subject key"), "{message}");
        assert!(!message.contains(ANNA));
    }

    /// Bodies that must be refused, and the code of each refusal.
    fn bad_bodies() -> Vec<(String, StatusCode, &'static str)> {
        use StatusCode as S;
        let body = |v: Value| v.to_string();
        vec![
            (String::new(), S::BAD_REQUEST, "empty_body"),
            ("{".into(), S::BAD_REQUEST, "bad_json"),
            (
                format!("{{\"subject\": \"{ANNA}"),
                S::BAD_REQUEST,
                "bad_json",
            ),
            (body(json!({})), S::BAD_REQUEST, "bad_json"),
            (body(json!({"limit": 3})), S::BAD_REQUEST, "bad_json"),
            (
                body(json!({"subject": 19900307})),
                S::BAD_REQUEST,
                "bad_json",
            ),
            (body(json!({"subject": [ANNA]})), S::BAD_REQUEST, "bad_json"),
            (
                body(json!({"subject": ANNA, "limit": ANNA})),
                S::BAD_REQUEST,
                "bad_json",
            ),
            (
                body(json!({"subject": ANNA, "cursor": 5})),
                S::BAD_REQUEST,
                "bad_json",
            ),
            (
                body(json!({"subject": "x", ANNA: 1})),
                S::BAD_REQUEST,
                "bad_json",
            ),
            (body(json!({"subjects": ANNA})), S::BAD_REQUEST, "bad_json"),
            (
                format!("{{\"subject\": \"{ANNA}\", \"subject\": \"x\"}}"),
                S::BAD_REQUEST,
                "bad_json",
            ),
            (
                format!("{} {ANNA}", body(json!({"subject": ANNA}))),
                S::BAD_REQUEST,
                "bad_json",
            ),
            (body(json!({"subject": ""})), S::BAD_REQUEST, "bad_subject"),
            (
                body(json!({"subject": " - \t"})),
                S::BAD_REQUEST,
                "bad_subject",
            ),
            (
                body(json!({"subject": ANNA.repeat(MAX_SUBJECT_BYTES / ANNA.len() + 1)})),
                S::BAD_REQUEST,
                "bad_subject",
            ),
            (
                body(json!({"subject": ANNA, "limit": 0})),
                S::BAD_REQUEST,
                "bad_query",
            ),
            (
                body(json!({"subject": ANNA, "limit": 501})),
                S::BAD_REQUEST,
                "bad_query",
            ),
            (
                body(json!({"subject": ANNA, "cursor": ANNA})),
                S::BAD_REQUEST,
                "bad_cursor",
            ),
            (
                body(json!({"subject": ANNA.repeat(MAX_SUBJECT_BODY_BYTES / ANNA.len())})),
                S::PAYLOAD_TOO_LARGE,
                "payload_too_large",
            ),
        ]
    }

    /// Every event any test of this binary logs. A subscriber for this
    /// thread alone would miss events: tracing caches, per call site and
    /// process-wide, whether anyone listens.
    static LOGS: LazyLock<Arc<Mutex<Vec<u8>>>> = LazyLock::new(|| {
        let text = Arc::new(Mutex::new(Vec::new()));
        let sink = text.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || Writer(sink.clone()))
            .finish();
        tracing::subscriber::set_global_default(subscriber)
            .expect("no other test sets a global subscriber");
        text
    });

    fn logged() -> String {
        String::from_utf8_lossy(&LOGS.lock().unwrap()).into_owned()
    }

    struct Writer(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Writer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// Every refusal is a 4xx in the one error shape that repeats nothing of
    /// the body, and nothing of the identifier reaches the log.
    #[tokio::test]
    async fn bad_bodies_are_refused_without_repeating_the_identifier() {
        LazyLock::force(&LOGS);
        let node = MockNode::indexed().await;
        for (body, status, code) in bad_bodies() {
            let answer = ask(&node, body.clone()).await;
            assert_error(&answer, status, code);
            let message = answer.2["message"].as_str().unwrap();
            assert!(!message.contains(ANNA), "{body}: {message}");
            assert!(!message.contains("199003072345"), "{body}: {message}");
        }
        node.forget_subject_key();
        let answer = ask(&node, json!({"subject": ANNA}).to_string()).await;
        assert_eq!(answer.0, StatusCode::SERVICE_UNAVAILABLE);
        let logged = logged();
        assert!(
            logged.contains("bad_subject"),
            "the capture works: {logged}"
        );
        assert!(!logged.contains(ANNA) && !logged.contains("199003072345"));
    }

    #[tokio::test]
    async fn only_json_is_read() {
        let node = MockNode::indexed().await;
        let body = json!({"subject": ANNA}).to_string();
        for content_type in [
            None,
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
        ] {
            let answer = call(node.clone(), post(URI, content_type, body.clone())).await;
            assert_error(
                &answer,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
            );
        }
        let answer = call(
            node.clone(),
            post(URI, Some("application/json; charset=utf-8"), body),
        )
        .await;
        assert_eq!(answer.0, StatusCode::OK);
        // Never in a URL: there is no GET.
        let request = axum::http::Request::builder()
            .method(Method::GET)
            .uri(format!("{URI}?subject={ANNA}"))
            .body(axum::body::Body::empty())
            .unwrap();
        let (status, _, _) = call(node, request).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    }
}
