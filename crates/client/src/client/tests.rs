//! The client against a scripted HTTP server: what it sends, and how it reads
//! every kind of answer.

use super::*;
use axum::{
    Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, Method as HttpMethod, StatusCode as HttpStatus, Uri},
    response::{IntoResponse, Response},
};
use commonware_cryptography::Signer as _;
use dirchain_schema::chain::OutcomeResult;
use dirchain_types::{ids::PrivateKey, samples};
use serde_json::{Value, json};
use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
};

/// A request as the server saw it.
#[derive(Clone, Debug)]
struct Seen {
    method: String,
    /// Path and query, still percent-encoded.
    uri: String,
    content_type: Option<String>,
    body: Vec<u8>,
}

#[derive(Clone, Default)]
struct Script {
    answers: Arc<Mutex<VecDeque<(u16, String)>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

async fn answer(
    State(script): State<Script>,
    method: HttpMethod,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    script.seen.lock().unwrap().push(Seen {
        method: method.to_string(),
        uri: uri.to_string(),
        content_type: headers
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string()),
        body: body.to_vec(),
    });
    let (status, body) = script
        .answers
        .lock()
        .unwrap()
        .pop_front()
        .expect("an answer is scripted for every request");
    (HttpStatus::from_u16(status).unwrap(), body).into_response()
}

/// A server answering `answers` in order; returns its client and what it saw.
async fn serve(answers: Vec<(u16, Value)>) -> (Client, Script) {
    let script = Script::default();
    script.answers.lock().unwrap().extend(
        answers
            .into_iter()
            .map(|(status, body)| (status, body.to_string())),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let app = Router::new().fallback(answer).with_state(script.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (Client::new(&format!("http://{address}")).unwrap(), script)
}

fn seen(script: &Script) -> Vec<Seen> {
    script.seen.lock().unwrap().clone()
}

fn account(next_free_nonce: u64) -> Value {
    json!({"public_key": "00", "next_nonce": 0, "next_free_nonce": next_free_nonce})
}

fn pending(hash: &Digest) -> Value {
    json!({"hash": hash.to_string(), "status": "pending"})
}

fn error(code: &str) -> Value {
    json!({"code": code, "message": format!("because {code}")})
}

fn signer() -> Signer {
    Signer::new(PrivateKey::from_seed(3), "dirchain-test").unwrap()
}

fn payload() -> Payload {
    samples::payloads().remove(0)
}

#[tokio::test]
async fn status_and_accounts_are_read() {
    let status = json!({
        "chain_id": "dirchain-test", "genesis": "aa", "role": "validator", "public_key": "bb",
        "validators": ["bb"], "height": 7, "block": "cc", "block_timestamp_ms": 1000,
        "state_root": "dd", "mempool": {"txs": 1, "bytes": 200}, "peers": 3, "indexed_height": 7
    });
    let (client, script) = serve(vec![(200, status), (200, account(4))]).await;
    let status = client.status().await.unwrap();
    assert_eq!(status.height, 7);
    // A node older than `query_index` does not say; it kept an index.
    assert!(status.query_index);
    let key = signer().public_key().clone();
    assert_eq!(client.account(&key).await.unwrap().next_free_nonce, 4);
    let seen = seen(&script);
    assert_eq!(seen[0].uri, "/v1/status");
    assert_eq!(seen[1].uri, format!("/v1/accounts/{key}"));
}

#[tokio::test]
async fn access_proofs_are_asked_by_location() {
    let record = json!({
        "channel": "main", "id": "01", "location": 7, "permission": "02", "recorder": "03",
        "recorder_org": "police", "requester": null, "owner_org": null, "consumer_org": null,
        "item": null, "subject_refs": [], "fields": ["district"], "query_digest": "04",
        "response_digest": "05", "record_count": 1, "height": 3, "at": 1000,
        "refusal": "unknown-permission"
    });
    let header = json!({
        "digest": "aa", "parent": "bb", "height": 4, "epoch": 0, "view": 5, "parent_view": 4,
        "proposer": "cc", "timestamp_ms": 1000, "state_root": "dd", "txs_digest": "ee"
    });
    let doc = json!({
        "location": 7, "value_hex": "00", "record": record, "proof_hex": "11", "height": 4,
        "header": header, "header_hex": "22", "certificate_hex": "33"
    });
    let (client, script) = serve(vec![(200, doc), (404, error(codes::NO_ACCESS_RECORD))]).await;
    let answer = client.access_proof(7).await.unwrap();
    assert_eq!((answer.location, answer.record.location), (7, 7));
    assert_eq!(answer.record.refusal.as_deref(), Some("unknown-permission"));
    let error = client.access_proof(u64::MAX).await.unwrap_err();
    assert_eq!(error.code(), Some(codes::NO_ACCESS_RECORD));
    let seen = seen(&script);
    assert_eq!(seen[0].uri, "/v1/access-log/7");
    assert_eq!(seen[1].uri, format!("/v1/access-log/{}", u64::MAX));
}

#[tokio::test]
async fn submit_sends_the_encoded_transaction() {
    let tx = signer().sign(payload(), 0);
    let (client, script) = serve(vec![(202, pending(&tx.hash()))]).await;
    let answer = client.submit(&tx).await.unwrap();
    assert_eq!(answer.status, TxState::Pending);
    assert_eq!(answer.hash, tx.hash().to_string());
    let seen = seen(&script);
    assert_eq!(seen[0].method, "POST");
    assert_eq!(seen[0].uri, "/v1/tx");
    assert_eq!(
        seen[0].content_type.as_deref(),
        Some("application/octet-stream")
    );
    assert_eq!(SignedTx::decode_untrusted(&seen[0].body).unwrap(), tx);
}

#[tokio::test]
async fn submit_batch_frames_each_transaction_and_reads_each_verdict() {
    let txs: Vec<SignedTx> = (0..3).map(|n| signer().sign(payload(), n)).collect();
    let (client, script) = serve(vec![(
        200,
        json!({
            "accepted": 2,
            "refused": 1,
            "results": [
                {"hash": txs[0].hash().to_string()},
                {"error": error("busy")},
                {"hash": txs[2].hash().to_string()},
            ],
        }),
    )])
    .await;
    let answer = client.submit_batch(&txs).await.unwrap();
    assert_eq!((answer.accepted, answer.refused), (2, 1));
    assert_eq!(answer.results[1].error.as_ref().unwrap().code, "busy");
    let seen = seen(&script);
    assert_eq!(
        (seen[0].method.as_str(), seen[0].uri.as_str()),
        ("POST", "/v1/txs")
    );
    let framed = dirchain_types::tx::decode_submission(&seen[0].body).unwrap();
    let sent: Vec<SignedTx> = framed
        .iter()
        .map(|tx| SignedTx::decode_untrusted(tx).unwrap())
        .collect();
    assert_eq!(sent, txs);
}

#[tokio::test]
async fn submit_and_wait_asks_for_finality_with_a_bounded_timeout() {
    let tx = signer().sign(payload(), 0);
    let finalized = json!({
        "hash": tx.hash().to_string(), "status": "finalized", "height": 9, "index": 0,
        "outcome": {"result": "applied"}
    });
    let (client, script) = serve(vec![(200, finalized.clone()), (200, finalized)]).await;
    let answer = client
        .submit_and_wait(&tx, Duration::from_millis(2_500))
        .await
        .unwrap();
    assert_eq!(answer.status, TxState::Finalized);
    assert_eq!(answer.height, Some(9));
    assert_eq!(answer.outcome.unwrap().result, OutcomeResult::Applied);
    client
        .submit_and_wait(&tx, Duration::from_secs(3600))
        .await
        .unwrap();
    let seen = seen(&script);
    assert_eq!(seen[0].uri, "/v1/tx?timeout_ms=2500&wait=final");
    assert_eq!(
        seen[1].uri,
        format!("/v1/tx?timeout_ms={MAX_WAIT_MS}&wait=final")
    );
}

#[tokio::test]
async fn refusals_are_typed_with_status_code_and_message() {
    let tx = signer().sign(payload(), 0);
    let (client, _) = serve(vec![
        (409, error("stale_nonce")),
        (502, json!("not an error document")),
        (200, json!({"unexpected": true})),
    ])
    .await;
    match client.submit(&tx).await.unwrap_err() {
        ClientError::Api {
            status,
            code,
            message,
        } => {
            assert_eq!((status, code.as_str()), (409, "stale_nonce"));
            assert_eq!(message, "because stale_nonce");
        }
        other => panic!("{other}"),
    }
    assert!(matches!(
        client.submit(&tx).await.unwrap_err(),
        ClientError::Unexpected { status: 502, .. }
    ));
    assert!(matches!(
        client.status().await.unwrap_err(),
        ClientError::Unexpected { status: 200, .. }
    ));
}

#[tokio::test]
async fn an_unreachable_node_is_a_network_error_naming_the_url() {
    // Bind, then drop: nothing listens on the port.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let client = Client::new(&format!("http://{address}")).unwrap();
    match client.status().await.unwrap_err() {
        ClientError::Network { url, .. } => {
            assert_eq!(url, format!("http://{address}/v1/status"))
        }
        other => panic!("{other}"),
    }
}

#[test]
fn bad_base_urls_are_refused() {
    for bad in [
        "",
        "not a url",
        "ftp://host",
        "mailto:a@b",
        "http://h/?q=1",
        "https://h",
    ] {
        assert!(
            matches!(Client::new(bad), Err(ClientError::BadUrl { .. })),
            "{bad}"
        );
    }
    // A path prefix is kept.
    let client = Client::new("http://127.0.0.1:1/node/").unwrap();
    assert_eq!(
        client.url(&["v1", "status"], &()).unwrap().as_str(),
        "http://127.0.0.1:1/node/v1/status"
    );
}

#[tokio::test]
async fn unknown_transactions_are_a_status_not_an_error() {
    let hash = dirchain_types::ids::sha256(&[b"t"]);
    let (client, _) = serve(vec![
        (404, json!({"hash": hash.to_string(), "status": "unknown"})),
        (400, error("bad_hash")),
    ])
    .await;
    assert_eq!(
        client.tx_status(&hash).await.unwrap().status,
        TxState::Unknown
    );
    assert_eq!(
        client.tx_status(&hash).await.unwrap_err().code(),
        Some("bad_hash")
    );
}

#[tokio::test]
async fn send_uses_the_next_free_nonce_and_retries_once_when_it_is_taken() {
    let (client, script) = serve(vec![
        (200, account(5)),
        (409, error(codes::NONCE_TAKEN)),
        (200, account(6)),
        (202, json!({"hash": "ignored", "status": "pending"})),
    ])
    .await;
    let sent = client
        .send(&signer(), payload(), Wait::Accepted)
        .await
        .unwrap();
    assert_eq!(sent.tx.tx.nonce, 6);
    assert_eq!(sent.hash, sent.tx.hash());
    assert!(sent.tx.verify_signature());
    let seen = seen(&script);
    let first = SignedTx::decode_untrusted(&seen[1].body).unwrap();
    assert_eq!(first.tx.nonce, 5);
    assert_eq!(SignedTx::decode_untrusted(&seen[3].body).unwrap(), sent.tx);
}

#[tokio::test]
async fn send_gives_up_after_one_retry_and_never_retries_other_refusals() {
    let (client, script) = serve(vec![
        (200, account(5)),
        (409, error(codes::STALE_NONCE)),
        (200, account(5)),
        (409, error(codes::STALE_NONCE)),
        (200, account(0)),
        (403, error("wrong_role")),
    ])
    .await;
    let error = client
        .send(&signer(), payload(), Wait::Accepted)
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some(codes::STALE_NONCE));
    let error = client
        .send(&signer(), payload(), Wait::Accepted)
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("wrong_role"));
    assert_eq!(seen(&script).len(), 6);
}

#[tokio::test]
async fn send_reports_a_wait_that_ran_out_as_pending() {
    let (client, script) = serve(vec![(200, account(0)), (504, error(codes::WAIT_TIMEOUT))]).await;
    let sent = client
        .send(&signer(), payload(), Wait::Final(Duration::from_secs(1)))
        .await
        .unwrap();
    assert_eq!(sent.status.status, TxState::Pending);
    assert_eq!(sent.status.hash, sent.hash.to_string());
    assert_eq!(seen(&script)[1].uri, "/v1/tx?timeout_ms=1000&wait=final");
}

#[tokio::test]
async fn ids_stay_one_path_segment_and_filters_become_the_query() {
    let page = json!({"items": [], "next_cursor": null, "indexed_height": 3});
    let (client, script) = serve(vec![(200, page.clone()), (404, error("not_found"))]).await;
    let answer = client
        .catalog(&CatalogQuery {
            q: Some("births & deaths".into()),
            share_class: Some("conditional".into()),
            include_retired: Some(true),
            limit: Some(10),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(answer.indexed_height, 3);
    let error = client
        .catalog_item("health/births", Some("research"))
        .await
        .unwrap_err();
    assert!(error.is_not_found());
    let seen = seen(&script);
    let query: Vec<(String, String)> = Url::parse(&format!("http://x{}", seen[0].uri))
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    assert!(query.contains(&("q".into(), "births & deaths".into())));
    assert!(query.contains(&("share_class".into(), "conditional".into())));
    assert!(query.contains(&("include_retired".into(), "true".into())));
    assert!(query.contains(&("limit".into(), "10".into())));
    assert_eq!(query.len(), 4, "absent filters are left out: {query:?}");
    assert_eq!(seen[1].uri, "/v1/catalog/health%2Fbirths?channel=research");
}

#[tokio::test]
async fn the_subject_travels_in_the_body_only() {
    let page = json!({"items": [], "next_cursor": null, "indexed_height": 3});
    let (client, script) = serve(vec![(200, page)]).await;
    client
        .subject_accesses(
            "110101199003072345",
            &PageQuery {
                limit: Some(5),
                cursor: None,
            },
        )
        .await
        .unwrap();
    let seen = &seen(&script)[0];
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.uri, "/v1/subjects/accesses");
    assert!(!seen.uri.contains("110101199003072345"));
    let body: Value = serde_json::from_slice(&seen.body).unwrap();
    assert_eq!(body["subject"], "110101199003072345");
    assert_eq!(body["limit"], 5);
}

#[tokio::test]
async fn oversized_answers_are_refused_unbuffered() {
    let huge = "x".repeat(MAX_RESPONSE_BYTES + 1);
    let (client, _) = serve(vec![(200, Value::String(huge))]).await;
    assert!(matches!(
        client.status().await.unwrap_err(),
        ClientError::Unexpected { status: 200, .. }
    ));
}

#[test]
fn query_pairs_refuse_nested_values() {
    assert!(query_pairs(&json!({"a": [1]})).is_err());
    assert!(query_pairs(&json!(3)).is_err());
    assert_eq!(query_pairs(&()).unwrap(), Vec::new());
}
