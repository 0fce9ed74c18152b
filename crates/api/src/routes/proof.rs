//! `GET /v1/proof/{key}`: any state value, or its absence, and
//! `GET /v1/access-log/{location}`: the access record at a location of the
//! access log; each with everything needed to check it knowing only the
//! validator set: the proof against a block's state root, that block's
//! header and its finalization certificate.

use super::blocks::parse_decimal;
use crate::{
    error::{ApiError, echo},
    hex,
    node::NodeApi,
    openapi::documented,
};
use axum::{
    Json,
    extract::{Path, State, rejection::PathRejection},
};
use commonware_codec::{Copying, DecodeExt, Encode};
use dirchain_chain::{SubmitError, block::SharedBlock};
use dirchain_schema::{
    chain::{AccessProof, ErrorBody, Header, Proof},
    records::AccessView,
};
use dirchain_types::records::LoggedAccess;
use std::{future::Future, time::Duration};
use utoipa_axum::router::OpenApiRouter;

/// How long a proof waits for the latest block to be one with a certificate
/// of its own (see [certified]), and how often it looks.
pub const CERTIFICATE_WAIT: Duration = Duration::from_secs(1);
const CERTIFICATE_POLL: Duration = Duration::from_millis(20);

pub fn routes<N: NodeApi>() -> OpenApiRouter<N> {
    OpenApiRouter::default()
        .routes(documented::<__path_proof, _, _, _>(proof::<N>))
        .routes(documented::<__path_access_proof, _, _, _>(
            access_proof::<N>,
        ))
}

/// A state value, or its absence, with its proof.
///
/// The current value of a state key, proven against the state root of the
/// latest finalized block, with that block's header and certificate: enough
/// to check it knowing only the validator set. Clients derive keys as the
/// chain does (`dirchain_types::keys`).
#[utoipa::path(
    get,
    path = "/v1/proof/{key}",
    tag = "chain",
    params(
        ("key" = String, Path, description = "The state key: 64 hex characters",
            example = "6499dab14bab62f6cb8556b0fdbe6616c4fa1d6231a739606e88781acd2049a6"),
    ),
    responses(
        (status = 200, description = "The value or its absence, with its proof", body = Proof),
        (status = 400, description = "`bad_key`: not 64 hex characters; `bad_path`: not readable", body = ErrorBody),
        (status = 409, description = "`no_certificate_yet`: the chain has no finalized block yet", body = ErrorBody),
        (status = 500, description = "`storage`, `corrupt_state`: the node failed to read, or to agree with, its own state", body = ErrorBody),
        (status = 503, description = "`unavailable`: the node is shutting down; `no_certificate_yet` \
            (with `Retry-After`): the latest block was finalized through its successor's certificate, \
            which is not applied yet", body = ErrorBody),
    ),
)]
async fn proof<N: NodeApi>(
    State(node): State<N>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<Proof>, ApiError> {
    let Path(key) = path?;
    let key = hex::parse_state_key(&key)?;
    let node = &node;
    let at = certified(node, move || async move { Ok(node.prove(key).await?) }).await?;
    let header = at.block.header();
    // Checking our own proof costs a few hashes, gives the value, and keeps a
    // node whose state disagrees with its blocks from serving the mismatch.
    let value = at.proof.verify(&header.state_root, &key).map_err(|error| {
        ApiError::corrupt_state(format!(
            "the proof of {key} does not verify against block {}: {error}",
            at.height
        ))
    })?;
    Ok(Json(Proof {
        key: key.to_string(),
        value_hex: value.as_deref().map(hex::encode),
        proof_hex: hex::encode(&at.proof.encode()),
        height: at.height,
        header: Header::from(&header),
        header_hex: hex::encode(&header.encode()),
        certificate_hex: hex::encode(&at.certificate),
    }))
}

/// An access record, with its proof.
///
/// The access record at a location of the access log, the append-only
/// authenticated log every `record-access` transaction appends to (the
/// index's access views give each record's `location`). Proven against the
/// state root of the latest finalized block, which commits to the log's head,
/// with that block's header and certificate: enough to check it knowing only
/// the validator set.
#[utoipa::path(
    get,
    path = "/v1/access-log/{location}",
    tag = "chain",
    params(
        ("location" = String, Path, description = "A location of the access log: a decimal number",
            example = "1"),
    ),
    responses(
        (status = 200, description = "The record at that location, with its proof", body = AccessProof),
        (status = 400, description = "`bad_location`: not a decimal number up to 18446744073709551615; \
            `bad_path`: not readable", body = ErrorBody),
        (status = 404, description = "`no_access_record`: nothing is recorded at that location (past the \
            log's end, or the commit that closes a block)", body = ErrorBody),
        (status = 409, description = "`no_certificate_yet`: the chain has no finalized block yet", body = ErrorBody),
        (status = 500, description = "`storage`, `corrupt_state`: the node failed to read, or to agree with, its own state", body = ErrorBody),
        (status = 503, description = "`unavailable`: the node is shutting down; `no_certificate_yet` \
            (with `Retry-After`): the latest block was finalized through its successor's certificate, \
            which is not applied yet", body = ErrorBody),
    ),
)]
async fn access_proof<N: NodeApi>(
    State(node): State<N>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<AccessProof>, ApiError> {
    let Path(location) = path?;
    let location = parse_decimal(&location).ok_or_else(|| {
        ApiError::bad_location(format!(
            "{} is not a location of the access log: expected a decimal number up to {}",
            echo(&location),
            u64::MAX
        ))
    })?;
    let node = &node;
    let at = certified(node, move || async move {
        let (height, record) = node.prove_access(location).await?;
        // Nothing there is final: no certificate makes it any less absent.
        let record = record.ok_or_else(|| ApiError::no_access_record(location))?;
        Ok((height, record))
    })
    .await?;
    let (value, proof) = &at.proof;
    let header = at.block.header();
    let corrupt = |why: String| {
        ApiError::corrupt_state(format!(
            "the access record at location {location} {why} (block {})",
            at.height
        ))
    };
    // As for state values: a node whose log disagrees with its blocks serves nothing.
    proof
        .verify(&header.state_root, location, value)
        .map_err(|error| corrupt(format!("does not verify against its block: {error}")))?;
    let logged = LoggedAccess::decode(Copying(value.as_slice()))
        .map_err(|error| corrupt(format!("does not decode: {error}")))?;
    Ok(Json(AccessProof {
        location,
        value_hex: hex::encode(value),
        record: AccessView::from_record(&logged.channel, &logged.record, location),
        proof_hex: hex::encode(&proof.encode()),
        height: at.height,
        header: Header::from(&header),
        header_hex: hex::encode(&header.encode()),
        certificate_hex: hex::encode(&at.certificate),
    }))
}

/// A proof made at a block that has a certificate of its own, with that
/// block and certificate.
struct Certified<T> {
    height: u64,
    proof: T,
    block: SharedBlock,
    certificate: Vec<u8>,
}

/// Runs `prove` (which proves against the committed state and says at which
/// height) until the state it proved at is a block with a certificate of its
/// own. The latest block may have been finalized through its successor's
/// certificate, which the node applies next: then prove again, for a while.
async fn certified<N, T, F, Fut>(node: &N, mut prove: F) -> Result<Certified<T>, ApiError>
where
    N: NodeApi,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(u64, T), ApiError>>,
{
    let deadline = tokio::time::Instant::now() + CERTIFICATE_WAIT;
    loop {
        let (height, proof) = prove().await?;
        // The genesis block carries no state root to check against, nor a certificate.
        if height == 0 {
            return Err(ApiError::no_certificate_yet());
        }
        let block = node.block(height).await?.ok_or_else(|| {
            ApiError::from(SubmitError::Storage(format!(
                "the state was proven at height {height}, but its block is not stored"
            )))
        })?;
        if let Some(certificate) = block.finalization {
            return Ok(Certified {
                height,
                proof,
                block: block.block,
                certificate,
            });
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(ApiError::certificate_pending(height));
        }
        tokio::time::sleep(CERTIFICATE_POLL).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mock::{MockNode, assert_error, call, documented_example, get};
    use axum::http::StatusCode;
    use commonware_codec::DecodeExt;
    use dirchain_state::{access_log, store::StateProof};
    use dirchain_types::{block::BlockHeader, ids::sha256, keys};

    #[test]
    fn the_documented_example_is_a_real_key() {
        let example = documented_example("/v1/proof/{key}", "key");
        assert_eq!(
            example,
            keys::consortium_key().to_string(),
            "the consortium record"
        );
    }

    /// What a client does with the answer, short of the certificate.
    fn check(proof: &Proof) -> Option<Vec<u8>> {
        let header_bytes = hex::decode(&proof.header_hex).unwrap();
        let header =
            BlockHeader::decode(commonware_codec::Copying(header_bytes.as_slice())).unwrap();
        assert_eq!(Header::from(&header), proof.header);
        assert_eq!(header.height, proof.height);
        let key = hex::parse_state_key(&proof.key).unwrap();
        let state_proof = StateProof::decode(commonware_codec::Copying(
            hex::decode(&proof.proof_hex).unwrap().as_slice(),
        ))
        .unwrap();
        let value = state_proof.verify(&header.state_root, &key).unwrap();
        assert_eq!(value.as_deref().map(hex::encode), proof.value_hex);
        value
    }

    #[tokio::test]
    async fn a_present_value_is_proven_with_its_block_and_certificate() {
        let node = MockNode::new();
        let key = keys::consortium_key();
        let (status, _, body) = call(node.clone(), get(&format!("/v1/proof/{key}"))).await;
        assert_eq!(status, StatusCode::OK);
        let proof: Proof = serde_json::from_value(body).unwrap();
        assert_eq!(check(&proof), Some(node.chain().value(&key)));
        let block = node.chain().block(proof.height);
        assert_eq!(
            proof.certificate_hex,
            hex::encode(block.finalization.as_deref().unwrap())
        );
    }

    #[tokio::test]
    async fn an_absent_value_is_proven_absent() {
        let key = sha256(&[b"nothing here"]);
        let upper = key.to_string().to_uppercase();
        let (status, _, body) = call(MockNode::new(), get(&format!("/v1/proof/{upper}"))).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["value_hex"], serde_json::Value::Null);
        let proof: Proof = serde_json::from_value(body).unwrap();
        assert_eq!(proof.key, key.to_string());
        assert_eq!(check(&proof), None);
    }

    #[tokio::test]
    async fn before_the_first_block_there_is_nothing_to_prove_against() {
        let node = MockNode::new();
        node.rewind_to_genesis();
        let answer = call(node, get(&format!("/v1/proof/{}", keys::consortium_key()))).await;
        assert_error(&answer, StatusCode::CONFLICT, "no_certificate_yet");
        assert!(
            answer.2["message"]
                .as_str()
                .unwrap()
                .contains("no finalized block yet")
        );
    }

    #[tokio::test]
    async fn a_latest_block_without_its_own_certificate_is_retried_then_503() {
        let node = MockNode::new();
        node.uncertify(1);
        let answer = call(node, get(&format!("/v1/proof/{}", keys::consortium_key()))).await;
        assert_error(
            &answer,
            StatusCode::SERVICE_UNAVAILABLE,
            "no_certificate_yet",
        );
        assert!(answer.1.get("retry-after").is_some());
    }

    #[tokio::test]
    async fn a_bad_key_is_400() {
        let good = keys::consortium_key().to_string();
        for bad in [
            "nothex".to_string(),
            good[..63].to_string(),
            format!("{good}0"),
            format!("0x{}", &good[2..]),
        ] {
            let answer = call(MockNode::new(), get(&format!("/v1/proof/{bad}"))).await;
            assert_error(&answer, StatusCode::BAD_REQUEST, "bad_key");
        }
    }

    #[tokio::test]
    async fn a_proof_that_does_not_match_its_block_is_refused() {
        let node = MockNode::new();
        node.corrupt_state_root();
        let answer = call(node, get(&format!("/v1/proof/{}", keys::consortium_key()))).await;
        assert_error(&answer, StatusCode::INTERNAL_SERVER_ERROR, "corrupt_state");
    }

    #[tokio::test]
    async fn proofs_of_a_failing_node_are_5xx() {
        let node = MockNode::new();
        node.fail_storage();
        let answer = call(
            node.clone(),
            get(&format!("/v1/proof/{}", keys::consortium_key())),
        )
        .await;
        assert_error(&answer, StatusCode::INTERNAL_SERVER_ERROR, "storage");
        node.stop();
        let answer = call(node, get(&format!("/v1/proof/{}", keys::consortium_key()))).await;
        assert_error(&answer, StatusCode::SERVICE_UNAVAILABLE, "unavailable");
    }

    fn access_uri(location: impl std::fmt::Display) -> String {
        format!("/v1/access-log/{location}")
    }

    #[test]
    fn the_documented_example_is_a_real_location() {
        let example = documented_example("/v1/access-log/{location}", "location");
        let first = MockNode::new().chain().access_locations()[0];
        assert_eq!(example, first.to_string(), "the first access record");
    }

    /// What a client does with an access record's answer, short of the
    /// certificate: the record it proves.
    fn check_access(doc: &AccessProof, location: u64) -> LoggedAccess {
        assert_eq!(doc.location, location);
        let header_bytes = hex::decode(&doc.header_hex).unwrap();
        let header = BlockHeader::decode(Copying(header_bytes.as_slice())).unwrap();
        assert_eq!(Header::from(&header), doc.header);
        assert_eq!(header.height, doc.height);
        let proof = access_log::AccessProof::decode(Copying(
            hex::decode(&doc.proof_hex).unwrap().as_slice(),
        ))
        .unwrap();
        let value = hex::decode(&doc.value_hex).unwrap();
        proof.verify(&header.state_root, location, &value).unwrap();
        // The proof is bound to its location.
        assert!(
            proof
                .verify(&header.state_root, location + 1, &value)
                .is_err()
        );
        let logged = LoggedAccess::decode(Copying(value.as_slice())).unwrap();
        assert_eq!(
            doc.record,
            AccessView::from_record(&logged.channel, &logged.record, location)
        );
        logged
    }

    #[tokio::test]
    async fn an_access_record_is_proven_with_its_block_and_certificate() {
        let node = MockNode::new();
        let locations = node.chain().access_locations();
        assert_eq!(locations.len(), 2, "the mock records two accesses");
        let mut ids = Vec::new();
        for location in locations {
            let (status, _, body) = call(node.clone(), get(&access_uri(location))).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            let doc: AccessProof = serde_json::from_value(body.clone()).unwrap();
            let logged = check_access(&doc, location);
            assert_eq!(
                hex::decode(&doc.value_hex),
                node.chain().access_record(location)
            );
            assert_eq!(body["record"]["id"], logged.record.id.to_string());
            assert_eq!(body["record"]["refusal"], "unknown-permission");
            let block = node.chain().block(doc.height);
            assert_eq!(
                doc.certificate_hex,
                hex::encode(block.finalization.as_deref().unwrap())
            );
            ids.push(logged.record.id);
        }
        assert_ne!(ids[0], ids[1], "each location holds its own record");
    }

    #[tokio::test]
    async fn a_location_that_holds_no_record_is_404() {
        let node = MockNode::new();
        let records = node.chain().access_locations();
        // The log opens with a commit, and every block that records closes
        // with one: the mock's records are in blocks of their own.
        let commits: Vec<u64> = (0..records[1]).filter(|l| !records.contains(l)).collect();
        assert_eq!(commits, [0, records[0] + 1]);
        let past_end = records[1] + 2;
        for location in commits.into_iter().chain([past_end, u64::MAX]) {
            let answer = call(node.clone(), get(&access_uri(location))).await;
            assert_error(&answer, StatusCode::NOT_FOUND, "no_access_record");
            assert!(
                answer.2["message"]
                    .as_str()
                    .unwrap()
                    .contains(&format!("location {location}")),
                "{}",
                answer.2
            );
        }
    }

    #[tokio::test]
    async fn a_bad_location_is_400() {
        let long = "1".repeat(4_000);
        for bad in [
            "x",
            "-1",
            "+1",
            "1.0",
            "0x1",
            "%201",
            "18446744073709551616",
            long.as_str(),
        ] {
            let answer = call(MockNode::new(), get(&access_uri(bad))).await;
            assert_error(&answer, StatusCode::BAD_REQUEST, "bad_location");
            assert!(answer.2["message"].as_str().unwrap().len() < 300);
        }
        let answer = call(MockNode::new(), get("/v1/access-log/%FF")).await;
        assert_error(&answer, StatusCode::BAD_REQUEST, "bad_path");
    }

    #[tokio::test]
    async fn an_access_proof_that_does_not_match_its_block_is_refused() {
        let node = MockNode::new();
        node.corrupt_state_root();
        let location = node.chain().access_locations()[0];
        let answer = call(node, get(&access_uri(location))).await;
        assert_error(&answer, StatusCode::INTERNAL_SERVER_ERROR, "corrupt_state");
    }

    #[tokio::test]
    async fn access_proofs_wait_for_a_certificate_as_state_proofs_do() {
        let location = MockNode::new().chain().access_locations()[0];
        let node = MockNode::new();
        node.uncertify(1);
        let answer = call(node, get(&access_uri(location))).await;
        assert_error(
            &answer,
            StatusCode::SERVICE_UNAVAILABLE,
            "no_certificate_yet",
        );
        assert!(answer.1.get("retry-after").is_some());

        let node = MockNode::new();
        node.rewind_to_genesis();
        let answer = call(node, get(&access_uri(location))).await;
        assert_error(&answer, StatusCode::CONFLICT, "no_certificate_yet");
    }

    #[tokio::test]
    async fn access_proofs_of_a_failing_node_are_5xx() {
        let node = MockNode::new();
        let location = node.chain().access_locations()[0];
        node.fail_storage();
        let answer = call(node.clone(), get(&access_uri(location))).await;
        assert_error(&answer, StatusCode::INTERNAL_SERVER_ERROR, "storage");
        node.stop();
        let answer = call(node, get(&access_uri(location))).await;
        assert_error(&answer, StatusCode::SERVICE_UNAVAILABLE, "unavailable");
    }
}
