//! `GET /v1/proof/{key}`: any state value, or its absence, with everything
//! needed to check it knowing only the validator set: the proof against a
//! block's state root, that block's header and its finalization certificate.

use crate::{error::ApiError, hex, node::NodeApi, openapi::documented};
use axum::{
    Json,
    extract::{Path, State, rejection::PathRejection},
};
use commonware_codec::Encode;
use dirchain_chain::{SubmitError, block::SharedBlock};
use dirchain_schema::chain::{ErrorBody, Header, Proof};
use dirchain_state::store::StateProof;
use dirchain_types::keys::StateKey;
use std::time::Duration;
use utoipa_axum::router::OpenApiRouter;

/// How long a proof waits for the latest block to be one with a certificate
/// of its own (see [certified_proof]), and how often it looks.
pub const CERTIFICATE_WAIT: Duration = Duration::from_secs(1);
const CERTIFICATE_POLL: Duration = Duration::from_millis(20);

pub fn routes<N: NodeApi>() -> OpenApiRouter<N> {
    OpenApiRouter::default().routes(documented::<__path_proof, _, _, _>(proof::<N>))
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
    let (height, proof, block, certificate) = certified_proof(&node, key).await?;
    let header = block.header();
    // Checking our own proof costs a few hashes, gives the value, and keeps a
    // node whose state disagrees with its blocks from serving the mismatch.
    let value = proof.verify(&header.state_root, &key).map_err(|error| {
        ApiError::corrupt_state(format!(
            "the proof of {key} does not verify against block {height}: {error}"
        ))
    })?;
    Ok(Json(Proof {
        key: key.to_string(),
        value_hex: value.as_deref().map(hex::encode),
        proof_hex: hex::encode(&proof.encode()),
        height,
        header: Header::from(&header),
        header_hex: hex::encode(&header.encode()),
        certificate_hex: hex::encode(&certificate),
    }))
}

/// A proof of `key` at a block that has a certificate of its own. The
/// latest block may have been finalized through its successor's
/// certificate, which the node applies next: then prove again, for a while.
async fn certified_proof<N: NodeApi>(
    node: &N,
    key: StateKey,
) -> Result<(u64, StateProof, SharedBlock, Vec<u8>), ApiError> {
    let deadline = tokio::time::Instant::now() + CERTIFICATE_WAIT;
    loop {
        let (height, proof) = node.prove(key).await?;
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
            return Ok((height, proof, block.block, certificate));
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
    use dirchain_state::store::StateProof;
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
}
