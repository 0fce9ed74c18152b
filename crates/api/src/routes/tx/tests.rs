use super::{
    body::{BINARY, JSON, JSON_OVERHEAD_BYTES},
    *,
};
use crate::mock::{MockNode, assert_error, call, encoded, get, post, signed_tx, submission};
use axum::http::HeaderMap;
use dirchain_chain::SubmitError;
use dirchain_state::{Outcome, TxError};
use dirchain_types::{domain::Role, limits::MAX_TX_BYTES, records::Refusal, tx::TxKind};
use serde_json::{Value, json};

const JSON_UTF8: &str = "application/json; charset=utf-8";

fn json_body(tx: &[u8]) -> String {
    json!({"tx": commonware_formatting::hex(tx)}).to_string()
}

async fn submit_binary(node: &MockNode, body: Vec<u8>) -> (StatusCode, HeaderMap, Value) {
    call(node.clone(), post("/v1/tx", Some(BINARY), body)).await
}

async fn submit_json(node: &MockNode, body: impl Into<String>) -> (StatusCode, HeaderMap, Value) {
    call(node.clone(), post("/v1/tx", Some(JSON), body.into())).await
}

#[tokio::test]
async fn submit_binary_is_accepted_as_pending() {
    let node = MockNode::new();
    let tx = signed_tx();
    let hash = tx.hash().to_string();
    let (status, headers, body) = submit_binary(&node, encoded(&tx)).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(body, json!({"hash": hash, "status": "pending"}));
    assert_eq!(headers[header::LOCATION], format!("/v1/tx/{hash}"));
    assert_eq!(node.submitted(), vec![encoded(&tx)]);
}

#[tokio::test]
async fn submit_json_hex_is_accepted_as_pending() {
    let node = MockNode::new();
    let tx = signed_tx();
    let hash = tx.hash().to_string();
    for (content_type, body) in [
        (JSON, json_body(&encoded(&tx))),
        (
            JSON_UTF8,
            json_body(&encoded(&tx))
                .to_uppercase()
                .replace("\"TX\"", "\"tx\""),
        ),
        (
            "Application/JSON",
            format!(" \n{}\n", json_body(&encoded(&tx))),
        ),
    ] {
        let (status, _, answer) =
            call(node.clone(), post("/v1/tx", Some(content_type), body)).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{content_type}: {answer}");
        assert_eq!(answer, json!({"hash": hash, "status": "pending"}));
    }
    assert!(node.submitted().iter().all(|bytes| *bytes == encoded(&tx)));
}

#[tokio::test]
async fn submit_with_bad_hex_is_400() {
    let node = MockNode::new();
    let good = commonware_formatting::hex(&encoded(&signed_tx()));
    for bad in [
        format!("{good}0"),
        format!("0x{good}"),
        format!("{good}zz"),
        good.replacen(&good[..2], "  ", 1),
    ] {
        let answer = submit_json(&node, json!({"tx": bad}).to_string()).await;
        assert_error(&answer, StatusCode::BAD_REQUEST, "bad_hex");
    }
    assert!(node.submitted().is_empty());
}

#[tokio::test]
async fn submit_with_bad_json_is_400() {
    let node = MockNode::new();
    for bad in [
        "{",
        "[]",
        "{}",
        r#"{"tx": 1}"#,
        r#"{"tx": null}"#,
        r#"{"tx": "00", "fee": 1}"#,
        r#"{"transaction": "00"}"#,
        "\u{0}",
    ] {
        let answer = submit_json(&node, bad).await;
        assert_error(&answer, StatusCode::BAD_REQUEST, "bad_json");
    }
    assert!(node.submitted().is_empty());
}

#[tokio::test]
async fn submit_with_another_content_type_is_415() {
    let node = MockNode::new();
    let tx = encoded(&signed_tx());
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("application/jsonx"),
        Some(""),
    ] {
        let answer = call(node.clone(), post("/v1/tx", content_type, tx.clone())).await;
        assert_error(
            &answer,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        );
    }
    assert!(node.submitted().is_empty());
}

#[tokio::test]
async fn submit_with_no_transaction_is_400() {
    let node = MockNode::new();
    assert_error(
        &submit_binary(&node, Vec::new()).await,
        StatusCode::BAD_REQUEST,
        "empty_body",
    );
    assert_error(
        &submit_json(&node, "").await,
        StatusCode::BAD_REQUEST,
        "empty_body",
    );
    assert_error(
        &submit_json(&node, r#"{"tx": ""}"#).await,
        StatusCode::BAD_REQUEST,
        "empty_body",
    );
    assert!(node.submitted().is_empty());
}

#[tokio::test]
async fn submit_above_the_limits_is_413() {
    let node = MockNode::new();
    // Bodies above the limit, in either form.
    assert_error(
        &submit_binary(&node, vec![0; MAX_BODY_BYTES + 1]).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    );
    let hex = "00".repeat(MAX_BODY_BYTES / 2);
    assert_error(
        &submit_json(&node, json!({"tx": hex}).to_string()).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    );
    // Bodies within it whose transaction is above MAX_TX_BYTES.
    let oversized = vec![0; MAX_TX_BYTES + 1];
    assert_error(
        &submit_binary(&node, oversized.clone()).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    );
    assert_error(
        &submit_json(&node, json_body(&oversized)).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    );
    assert!(node.submitted().is_empty());
}

#[tokio::test]
async fn the_largest_transaction_fits_in_either_form() {
    let node = MockNode::new();
    // Not a transaction, so the node refuses it: the size checks passed it on.
    let largest = vec![0xff; MAX_TX_BYTES];
    assert_error(
        &submit_binary(&node, largest.clone()).await,
        StatusCode::BAD_REQUEST,
        "malformed",
    );
    let padded = format!(
        "{}{}",
        " ".repeat(JSON_OVERHEAD_BYTES - 16),
        json_body(&largest)
    );
    assert!(padded.len() <= MAX_BODY_BYTES);
    assert_error(
        &submit_json(&node, padded).await,
        StatusCode::BAD_REQUEST,
        "malformed",
    );
}

#[tokio::test]
async fn submit_of_bytes_that_are_no_transaction_is_400_malformed() {
    let node = MockNode::new();
    let mut truncated = encoded(&signed_tx());
    truncated.pop();
    for bad in [vec![1, 2, 3], truncated] {
        assert_error(
            &submit_binary(&node, bad).await,
            StatusCode::BAD_REQUEST,
            "malformed",
        );
    }
}

#[tokio::test]
async fn submit_with_a_forged_signature_is_400_bad_signature() {
    let node = MockNode::new();
    let mut tx = signed_tx();
    tx.tx.nonce += 1;
    assert_error(
        &submit_binary(&node, encoded(&tx)).await,
        StatusCode::BAD_REQUEST,
        "bad_signature",
    );
}

#[tokio::test]
async fn submit_to_a_full_mempool_is_503_with_retry_after() {
    let node = MockNode::new();
    node.refuse_next(SubmitError::Busy {
        txs: 10,
        bytes: 2_000,
    });
    let answer = submit_binary(&node, encoded(&signed_tx())).await;
    assert_error(&answer, StatusCode::SERVICE_UNAVAILABLE, "busy");
    assert_eq!(
        answer.1[header::RETRY_AFTER],
        crate::error::RETRY_AFTER_SECS.to_string()
    );
    assert!(answer.2["message"].as_str().unwrap().contains("full"));
}

#[tokio::test]
async fn submit_beyond_the_signers_share_is_429_with_retry_after() {
    let node = MockNode::new();
    node.refuse_next(SubmitError::SignerBusy { pending: 64 });
    let answer = submit_binary(&node, encoded(&signed_tx())).await;
    assert_error(&answer, StatusCode::TOO_MANY_REQUESTS, "signer_busy");
    assert_eq!(
        answer.1[header::RETRY_AFTER],
        crate::error::RETRY_AFTER_SECS.to_string()
    );
}

#[tokio::test]
async fn submit_reusing_a_pending_nonce_is_409() {
    let node = MockNode::new();
    node.refuse_next(SubmitError::NonceTaken { nonce: 0 });
    let answer = submit_binary(&node, encoded(&signed_tx())).await;
    assert_error(&answer, StatusCode::CONFLICT, "nonce_taken");
    assert!(answer.1.get(header::RETRY_AFTER).is_none());
}

#[tokio::test]
async fn submit_to_a_stopping_node_is_503_without_retry_after() {
    let node = MockNode::new();
    node.stop();
    let answer = submit_binary(&node, encoded(&signed_tx())).await;
    assert_error(&answer, StatusCode::SERVICE_UNAVAILABLE, "unavailable");
    assert!(answer.1.get(header::RETRY_AFTER).is_none());
}

/// One refusal of each status class, through the router; `error.rs` checks
/// every variant's status.
#[tokio::test]
async fn refused_transactions_answer_with_their_code() {
    let cases = [
        (
            TxError::WrongChain {
                expected: "a".into(),
                got: "b".into(),
            },
            StatusCode::BAD_REQUEST,
        ),
        (
            TxError::WrongRole {
                kind: TxKind::ALL[0],
                role: Role::Steward,
            },
            StatusCode::FORBIDDEN,
        ),
        (TxError::UnknownSigner, StatusCode::FORBIDDEN),
        (
            TxError::StaleNonce {
                expected: 4,
                got: 3,
            },
            StatusCode::CONFLICT,
        ),
        (
            TxError::FutureNonce {
                expected: 4,
                got: 9,
            },
            StatusCode::CONFLICT,
        ),
        (
            TxError::QuotaExceeded {
                channel: "c".into(),
                what: "bytes per block",
            },
            StatusCode::TOO_MANY_REQUESTS,
        ),
        (
            TxError::CorruptState("x".into()),
            StatusCode::INTERNAL_SERVER_ERROR,
        ),
    ];
    for (error, status) in cases {
        let node = MockNode::new();
        let code = error.code();
        let message = error.to_string();
        node.refuse_next(error.into());
        let answer = submit_binary(&node, encoded(&signed_tx())).await;
        assert_error(&answer, status, code);
        assert_eq!(answer.2["message"], message);
    }
}

#[tokio::test]
async fn tx_status_follows_a_transaction() {
    let node = MockNode::new();
    let tx = signed_tx();
    let hash = tx.hash();
    let url = format!("/v1/tx/{hash}");

    let (status, _, body) = call(node.clone(), get(&url)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body, json!({"hash": hash.to_string(), "status": "unknown"}));

    submit_binary(&node, encoded(&tx)).await;
    let (status, _, body) = call(node.clone(), get(&url)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"hash": hash.to_string(), "status": "pending"}));

    node.set_tx(
        hash,
        NodeTxStatus::Finalized {
            height: 7,
            index: 3,
            outcome: Outcome::Applied,
        },
    );
    // Any case of hex names the same transaction; answers are lowercase.
    let (status, _, body) = call(
        node.clone(),
        get(&url.to_uppercase().replace("/V1/TX/", "/v1/tx/")),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({
            "hash": hash.to_string(),
            "status": "finalized",
            "height": 7,
            "index": 3,
            "outcome": {"result": "applied"},
        })
    );
}

#[tokio::test]
async fn tx_status_shows_a_refused_access() {
    let node = MockNode::new();
    let hash = signed_tx().hash();
    node.set_tx(
        hash,
        NodeTxStatus::Finalized {
            height: 9,
            index: 0,
            outcome: Outcome::AccessRefused(Refusal::NotParty),
        },
    );
    let (status, _, body) = call(node, get(&format!("/v1/tx/{hash}"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["outcome"],
        json!({"result": "access_refused", "refusal": "not-party"})
    );
}

#[tokio::test]
async fn tx_status_of_a_malformed_hash_is_400() {
    let node = MockNode::new();
    let hash = signed_tx().hash().to_string();
    for bad in [
        "nothex".to_string(),
        hash[..63].to_string(),
        format!("{hash}00"),
        format!("0x{}", &hash[2..]),
        format!("%20{}", &hash[1..]),
    ] {
        let answer = call(node.clone(), get(&format!("/v1/tx/{bad}"))).await;
        assert_error(&answer, StatusCode::BAD_REQUEST, "bad_hash");
    }
    // Percent-encoded bytes that are not UTF-8 never reach the hex parser.
    let answer = call(node, get("/v1/tx/%FF%FE")).await;
    assert_error(&answer, StatusCode::BAD_REQUEST, "bad_path");
}

#[tokio::test]
async fn tx_status_of_a_stopping_node_is_503() {
    let node = MockNode::new();
    node.stop();
    let answer = call(node, get(&format!("/v1/tx/{}", signed_tx().hash()))).await;
    assert_error(&answer, StatusCode::SERVICE_UNAVAILABLE, "unavailable");
}

fn finalized() -> NodeTxStatus {
    NodeTxStatus::Finalized {
        height: 5,
        index: 1,
        outcome: Outcome::Applied,
    }
}

#[tokio::test]
async fn submit_and_wait_answers_once_final() {
    let node = MockNode::new();
    let tx = signed_tx();
    let hash = tx.hash();
    // Final a few polls after submission.
    let later = node.clone();
    let finalizer = tokio::spawn(async move {
        tokio::time::sleep(WAIT_POLL_INTERVAL * 3).await;
        later.set_tx(hash, finalized());
    });
    let (status, headers, body) = call(
        node.clone(),
        post(
            "/v1/tx?wait=final&timeout_ms=10000",
            Some(BINARY),
            encoded(&tx),
        ),
    )
    .await;
    finalizer.await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(headers.get(header::LOCATION).is_none());
    assert_eq!(
        body,
        json!({
            "hash": hash.to_string(),
            "status": "finalized",
            "height": 5,
            "index": 1,
            "outcome": {"result": "applied"},
        })
    );
    assert_eq!(node.submitted(), vec![encoded(&tx)]);
}

#[tokio::test]
async fn submit_and_wait_for_an_already_final_transaction_answers_at_once() {
    let node = MockNode::new();
    let tx = signed_tx();
    node.set_tx(tx.hash(), finalized());
    // The default timeout is 10 s; a 200 (not a 504) shows it was not spent.
    let (status, _, body) = call(
        node,
        post("/v1/tx?wait=final", Some(JSON), json_body(&encoded(&tx))),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "finalized");
}

#[tokio::test]
async fn submit_and_wait_times_out_with_504_naming_the_hash() {
    let node = MockNode::new();
    let tx = signed_tx();
    let hash = tx.hash().to_string();
    let started = std::time::Instant::now();
    let answer = call(
        node.clone(),
        post(
            "/v1/tx?wait=final&timeout_ms=60",
            Some(BINARY),
            encoded(&tx),
        ),
    )
    .await;
    assert!(started.elapsed() >= std::time::Duration::from_millis(60));
    assert_error(&answer, StatusCode::GATEWAY_TIMEOUT, "wait_timeout");
    assert!(answer.2["message"].as_str().unwrap().contains(&hash));
    // It was taken all the same, and can be followed.
    assert_eq!(node.submitted(), vec![encoded(&tx)]);
    let (status, _, body) = call(node, get(&format!("/v1/tx/{hash}"))).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::OK, Some("pending"))
    );
}

#[tokio::test]
async fn submit_with_a_bad_query_is_400_and_submits_nothing() {
    let node = MockNode::new();
    let tx = encoded(&signed_tx());
    for query in [
        "wait=now",
        "wait=FINAL",
        "wait=",
        "wait=final&timeout_ms=60001",
        "wait=final&timeout_ms=-1",
        "wait=final&timeout_ms=1.5",
        "wait=final&timeout_ms=99999999999999999999999",
        "timeout_ms=100",
        "wait=final&wait=final",
        "wait=final&fee=1",
        "callback=http://x",
    ] {
        let answer = call(
            node.clone(),
            post(&format!("/v1/tx?{query}"), Some(BINARY), tx.clone()),
        )
        .await;
        assert_error(&answer, StatusCode::BAD_REQUEST, "bad_query");
    }
    assert!(node.submitted().is_empty());
}

#[tokio::test]
async fn submit_and_wait_to_a_node_that_stops_is_503() {
    let node = MockNode::new();
    let later = node.clone();
    let stopper = tokio::spawn(async move {
        tokio::time::sleep(WAIT_POLL_INTERVAL * 2).await;
        later.stop();
    });
    let answer = call(
        node,
        post("/v1/tx?wait=final", Some(BINARY), encoded(&signed_tx())),
    )
    .await;
    stopper.await.unwrap();
    assert_error(&answer, StatusCode::SERVICE_UNAVAILABLE, "unavailable");
}

#[test]
fn documents_round_trip_through_the_schema() {
    let hash = signed_tx().hash();
    for status in [
        NodeTxStatus::Pending,
        NodeTxStatus::Unknown,
        finalized(),
        NodeTxStatus::Finalized {
            height: 1,
            index: 0,
            outcome: Outcome::AccessRefused(Refusal::Expired),
        },
        rejected(),
    ] {
        let json = serde_json::to_value(document(hash, status)).unwrap();
        let back: TxStatus = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(serde_json::to_value(back).unwrap(), json);
    }
}

#[tokio::test]
async fn a_transaction_the_chain_forgot_is_found_in_the_index() {
    let node = crate::mock::MockNode::indexed().await;
    let made = &crate::fixture::SCENARIO.made;
    let (status, _, body) = call(
        node.clone(),
        get(&format!("/v1/tx/{}", made.refused_access)),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let expected_height = body["height"].as_u64().unwrap();
    assert!(expected_height > 0);
    assert_eq!(
        body,
        json!({
            "hash": made.refused_access.to_string(),
            "status": "finalized",
            "height": expected_height,
            "index": 0,
            "outcome": {"result": "access_refused", "refusal": "fields-not-permitted"},
        })
    );
    for hash in &made.txs {
        let (status, _, body) = call(node.clone(), get(&format!("/v1/tx/{hash}"))).await;
        assert_eq!(
            (status, body["status"].as_str()),
            (StatusCode::OK, Some("finalized"))
        );
    }
    // The chain's answer comes first.
    node.set_tx(made.refused_access, NodeTxStatus::Pending);
    let (_, _, body) = call(
        node.clone(),
        get(&format!("/v1/tx/{}", made.refused_access)),
    )
    .await;
    assert_eq!(body["status"], "pending");
    // Unknown to both.
    let (status, _, body) = call(node, get(&format!("/v1/tx/{}", signed_tx().hash()))).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::NOT_FOUND, Some("unknown"))
    );
}

fn rejected() -> NodeTxStatus {
    let error = TxError::not_owner("item", &"health/births", &"health");
    NodeTxStatus::Rejected {
        code: error.code(),
        message: error.to_string(),
    }
}

#[tokio::test]
async fn tx_status_of_a_rejected_transaction_says_why() {
    let node = MockNode::new();
    let hash = signed_tx().hash();
    node.set_tx(hash, rejected());
    let (status, _, body) = call(node, get(&format!("/v1/tx/{hash}"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "rejected");
    assert_eq!(body["error"]["code"], "not_owner");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("health/births")
    );
    assert_eq!(
        body.as_object().unwrap().len(),
        3,
        "hash, status, error: {body}"
    );
    let _: TxStatus = serde_json::from_value(body).unwrap();
}

#[tokio::test]
async fn submit_and_wait_ends_at_a_rejection_with_its_code_and_status() {
    let node = MockNode::new();
    let tx = signed_tx();
    let hash = tx.hash();
    let later = node.clone();
    let rejecter = tokio::spawn(async move {
        tokio::time::sleep(WAIT_POLL_INTERVAL * 3).await;
        later.set_tx(hash, rejected());
    });
    let started = std::time::Instant::now();
    let answer = call(
        node,
        post(
            "/v1/tx?wait=final&timeout_ms=10000",
            Some(BINARY),
            encoded(&tx),
        ),
    )
    .await;
    rejecter.await.unwrap();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "it did not wait out the timeout"
    );
    assert_error(&answer, StatusCode::FORBIDDEN, "not_owner");
    let message = answer.2["message"].as_str().unwrap();
    assert!(
        message.contains(&hash.to_string()) && message.contains("health/births"),
        "{message}"
    );
}

#[tokio::test]
async fn a_batch_answers_each_transaction_in_order() {
    let node = MockNode::new();
    let good = signed_tx();
    let mut forged = signed_tx();
    forged.tx.nonce += 1;
    let txs = vec![
        encoded(&good),
        b"not a transaction".to_vec(),
        encoded(&forged),
    ];
    let expected = json!({
        "accepted": 1,
        "refused": 2,
        "results": [
            {"hash": good.hash().to_string()},
            {"error": {"code": "malformed"}},
            {"error": {"code": "bad_signature"}},
        ],
    });
    let hex: Vec<String> = txs
        .iter()
        .map(|tx| commonware_formatting::hex(tx))
        .collect();
    for (content_type, body) in [
        (BINARY, submission(&txs)),
        (JSON, json!({ "txs": hex }).to_string().into_bytes()),
    ] {
        let (status, _, mut answer) =
            call(node.clone(), post("/v1/txs", Some(content_type), body)).await;
        assert_eq!(status, StatusCode::OK, "{content_type}: {answer}");
        // Messages are for people; check they are there, then compare the rest.
        for result in answer["results"].as_array_mut().unwrap() {
            if let Some(error) = result.get_mut("error") {
                assert!(!error["message"].as_str().unwrap().is_empty());
                error.as_object_mut().unwrap().remove("message");
            }
        }
        assert_eq!(answer, expected, "{content_type}");
    }
    assert_eq!(node.submitted(), vec![encoded(&good), encoded(&good)]);
}

#[tokio::test]
async fn a_batch_to_a_stopping_node_is_refused_whole() {
    let node = MockNode::new();
    node.stop();
    let answer = call(
        node.clone(),
        post(
            "/v1/txs",
            Some(BINARY),
            submission(&[encoded(&signed_tx())]),
        ),
    )
    .await;
    assert_error(&answer, StatusCode::SERVICE_UNAVAILABLE, "unavailable");
}
