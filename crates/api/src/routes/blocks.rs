//! `GET /v1/blocks/{height|latest}`: a finalized block's header, the
//! certificate that finalized it and its transactions' hashes.

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
use commonware_codec::Encode;
use dirchain_chain::handle::CertifiedBlock;
use dirchain_schema::chain::{BlockInfo, ErrorBody, Header};
use utoipa_axum::router::OpenApiRouter;

/// The path segment that names the latest finalized block.
const LATEST: &str = "latest";

/// Most decimal digits of a `u64` (`u64::MAX` has 20).
const MAX_DECIMAL_DIGITS: usize = 20;

pub fn routes<N: NodeApi>() -> OpenApiRouter<N> {
    OpenApiRouter::default().routes(documented::<__path_block, _, _, _>(block::<N>))
}

/// A finalized block and its certificate.
///
/// Its header as JSON and as the encoded bytes whose SHA-256 is the block
/// digest, the finalization certificate (absent for the genesis block), and
/// the hashes of its transactions, in order.
#[utoipa::path(
    get,
    path = "/v1/blocks/{height}",
    tag = "chain",
    params(
        ("height" = String, Path, description = "A block height, or `latest`", example = "latest"),
    ),
    responses(
        (status = 200, description = "The block and its certificate", body = BlockInfo),
        (status = 400, description = "`bad_height`: neither a height nor `latest`; `bad_path`: not readable", body = ErrorBody),
        (status = 404, description = "`not_found`: this node has no finalized block at that height (yet)", body = ErrorBody),
        (status = 500, description = "`storage`: the node failed to read its blocks", body = ErrorBody),
        (status = 503, description = "`unavailable`: the node is shutting down", body = ErrorBody),
    ),
)]
async fn block<N: NodeApi>(
    State(node): State<N>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<BlockInfo>, ApiError> {
    let Path(height) = path?;
    let height = match height.as_str() {
        LATEST => node.height(),
        text => parse_height(text)?,
    };
    let block = node.block(height).await?.ok_or_else(|| {
        ApiError::not_found(format!(
            "no finalized block at height {height} here; the latest is {}",
            node.height()
        ))
    })?;
    Ok(Json(document(&block)))
}

/// A decimal `u64` in a path: digits only, no sign, no spaces, nothing
/// `u64::from_str` forgives.
pub(super) fn parse_decimal(text: &str) -> Option<u64> {
    let digits = !text.is_empty()
        && text.len() <= MAX_DECIMAL_DIGITS
        && text.bytes().all(|b| b.is_ascii_digit());
    digits.then(|| text.parse().ok()).flatten()
}

fn parse_height(text: &str) -> Result<u64, ApiError> {
    parse_decimal(text).ok_or_else(|| {
        ApiError::bad_height(format!(
            "{} is not a block height: expected a decimal number up to {} or `{LATEST}`",
            echo(text),
            u64::MAX
        ))
    })
}

fn document(certified: &CertifiedBlock) -> BlockInfo {
    let header = certified.block.header();
    BlockInfo {
        header: Header::from(&header),
        header_hex: hex::encode(&header.encode()),
        certificate_hex: certified.finalization.as_deref().map(hex::encode),
        txs: certified
            .block
            .txs
            .iter()
            .map(|tx| tx.hash().to_string())
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mock::{MockNode, assert_error, call, get};
    use axum::http::StatusCode;
    use commonware_codec::DecodeExt;
    use dirchain_types::block::BlockHeader;

    #[test]
    fn heights_are_plain_decimals() {
        assert_eq!(parse_height("0").unwrap(), 0);
        assert_eq!(parse_height("0042").unwrap(), 42);
        assert_eq!(parse_height(&u64::MAX.to_string()).unwrap(), u64::MAX);
        for bad in [
            "",
            "-1",
            "+1",
            " 1",
            "1.0",
            "0x10",
            "1e3",
            "18446744073709551616",
            "99999999999999999999",
            "123456789012345678901",
            "Latest",
            "١",
        ] {
            assert_eq!(
                parse_height(bad).unwrap_err().code(),
                "bad_height",
                "{bad:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_block_carries_its_header_certificate_and_transactions() {
        let node = MockNode::new();
        let certified = node.chain().block(1);
        let (status, _, body) = call(node.clone(), get("/v1/blocks/1")).await;
        assert_eq!(status, StatusCode::OK);
        let info: BlockInfo = serde_json::from_value(body).unwrap();
        let header = certified.block.header();
        assert_eq!(info.header, Header::from(&header));
        assert_eq!(info.header.digest, certified.block.digest().to_string());
        // The bytes decode to the same header, and hash to the digest.
        let bytes = hex::decode(&info.header_hex).unwrap();
        assert_eq!(
            BlockHeader::decode(commonware_codec::Copying(bytes.as_slice())).unwrap(),
            header
        );
        assert_eq!(
            dirchain_types::ids::sha256(&[&bytes]).to_string(),
            info.header.digest
        );
        assert_eq!(
            info.certificate_hex.as_deref(),
            Some(hex::encode(certified.finalization.as_deref().unwrap()).as_str())
        );
        let hashes: Vec<String> = certified
            .block
            .txs
            .iter()
            .map(|tx| tx.hash().to_string())
            .collect();
        assert!(!hashes.is_empty());
        assert_eq!(info.txs, hashes);

        let (status, _, latest) = call(node, get("/v1/blocks/latest")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(serde_json::from_value::<BlockInfo>(latest).unwrap(), info);
    }

    #[tokio::test]
    async fn the_genesis_block_has_no_certificate() {
        let (status, _, body) = call(MockNode::new(), get("/v1/blocks/0")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["certificate_hex"], serde_json::Value::Null);
        assert_eq!(body["header"]["height"], 0);
        assert_eq!(body["txs"], serde_json::json!([]));
    }

    #[tokio::test]
    async fn a_block_finalized_by_its_successor_is_served_without_a_certificate() {
        let node = MockNode::new();
        node.uncertify(1);
        let (status, _, body) = call(node, get("/v1/blocks/1")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["certificate_hex"], serde_json::Value::Null);
        assert_eq!(body["header"]["height"], 1);
    }

    #[tokio::test]
    async fn a_block_not_yet_final_is_404() {
        for height in ["2", "18446744073709551615"] {
            let answer = call(MockNode::new(), get(&format!("/v1/blocks/{height}"))).await;
            assert_error(&answer, StatusCode::NOT_FOUND, "not_found");
        }
    }

    #[tokio::test]
    async fn a_bad_height_is_400() {
        for bad in ["-1", "one", "1.5", "LATEST", "%20", "18446744073709551616"] {
            let answer = call(MockNode::new(), get(&format!("/v1/blocks/{bad}"))).await;
            assert_error(&answer, StatusCode::BAD_REQUEST, "bad_height");
        }
        let answer = call(MockNode::new(), get("/v1/blocks/%FF")).await;
        assert_error(&answer, StatusCode::BAD_REQUEST, "bad_path");
    }

    #[tokio::test]
    async fn blocks_of_a_failing_node_are_5xx() {
        let node = MockNode::new();
        node.fail_storage();
        let answer = call(node.clone(), get("/v1/blocks/1")).await;
        assert_error(&answer, StatusCode::INTERNAL_SERVER_ERROR, "storage");
        node.stop();
        let answer = call(node, get("/v1/blocks/latest")).await;
        assert_error(&answer, StatusCode::SERVICE_UNAVAILABLE, "unavailable");
    }
}
