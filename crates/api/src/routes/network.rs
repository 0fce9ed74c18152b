//! `GET /v1/network`: the network's recent life as this node saw it — block
//! times, finality and which validators are signing.

use crate::{error::ApiError, node::NodeApi, openapi::documented};
use axum::{
    Json,
    extract::{Query, State, rejection::QueryRejection},
};
use dirchain_schema::chain::{
    BlockSummary, DEFAULT_NETWORK_BLOCKS, ErrorBody, MAX_NETWORK_BLOCKS, NETWORK_CERTIFICATES,
    Network, NetworkQuery, ValidatorActivity,
};
use utoipa_axum::router::OpenApiRouter;

pub fn routes<N: NodeApi>() -> OpenApiRouter<N> {
    OpenApiRouter::default().routes(documented::<__path_network, _, _, _>(network::<N>))
}

/// The network as this node sees it.
///
/// The newest blocks this node applied since it started (newest first), each
/// with its interval since its parent and its finality as seen here (from
/// its timestamp to this node applying it), and every validator with how
/// many of the newest finalization certificates it signed. A certificate
/// needs only a quorum, so a slow validator may be missing from some; a
/// validator missing from all is not voting.
#[utoipa::path(
    get,
    path = "/v1/network",
    tag = "chain",
    params(NetworkQuery),
    responses(
        (status = 200, description = "Recent blocks and validator activity", body = Network),
        (status = 400, description = "`bad_query`: an unknown parameter, or `blocks` not from 1 to 1000", body = ErrorBody),
        (status = 503, description = "`unavailable`: the node is shutting down", body = ErrorBody),
    ),
)]
async fn network<N: NodeApi>(
    State(node): State<N>,
    query: Result<Query<NetworkQuery>, QueryRejection>,
) -> Result<Json<Network>, ApiError> {
    let Query(query) = query?;
    let wanted = query.blocks.unwrap_or(DEFAULT_NETWORK_BLOCKS);
    if !(1..=MAX_NETWORK_BLOCKS).contains(&wanted) {
        return Err(ApiError::bad_query(format!(
            "blocks is {wanted}; it must be from 1 to {MAX_NETWORK_BLOCKS}"
        )));
    }
    let status = node.status().await?;
    // One block more than shown, for the oldest one's interval.
    let recent = node.recent_blocks(wanted as usize + 1).await?;
    let blocks = recent
        .iter()
        .enumerate()
        .take(wanted as usize)
        .map(|(i, block)| BlockSummary {
            height: block.height,
            digest: block.digest.to_string(),
            txs: block.txs,
            timestamp_ms: block.timestamp_ms,
            interval_ms: recent
                .get(i + 1)
                .map(|parent| block.timestamp_ms.saturating_sub(parent.timestamp_ms)),
            finality_ms: block.applied_at_ms.saturating_sub(block.timestamp_ms),
        })
        .collect();

    // The newest block applied: the status may already be one ahead.
    let newest = recent.first().map_or(status.height, |block| block.height);
    let heights = (1..=newest).rev().take(NETWORK_CERTIFICATES as usize);
    let mut certificates = Vec::with_capacity(NETWORK_CERTIFICATES as usize);
    for height in heights {
        if let Some(signers) = node.signers(height).await {
            certificates.push((height, signers));
        }
    }
    // Certificates number the validators in key order.
    let mut validators = status.validators.clone();
    validators.sort();
    let validators = validators
        .iter()
        .enumerate()
        .map(|(index, key)| {
            let signed_at: Vec<u64> = certificates
                .iter()
                .filter(|(_, signers)| signers.iter().any(|s| *s as usize == index))
                .map(|(height, _)| *height)
                .collect();
            ValidatorActivity {
                public_key: key.to_string(),
                this_node: *key == status.public_key,
                signed: signed_at.len() as u32,
                last_signed_height: signed_at.iter().max().copied(),
            }
        })
        .collect();
    Ok(Json(Network {
        chain_id: status.chain_id,
        height: newest,
        validators,
        certificates: certificates.len() as u32,
        blocks,
    }))
}

#[cfg(test)]
mod tests {
    use crate::mock::{MockNode, assert_error, call, get, ok};
    use axum::http::StatusCode;

    #[tokio::test]
    async fn network_lists_recent_blocks_newest_first_with_validator_activity() {
        let node = MockNode::new();
        let chain = node.chain();
        let newest = chain.blocks.len() as u64 - 1;
        let body = ok(&node, "/v1/network").await;
        let blocks = body["blocks"].as_array().unwrap();
        assert_eq!(blocks.len() as u64, newest, "every block but genesis");
        assert_eq!(blocks[0]["height"], newest);
        for (shown, block) in blocks.iter().zip(chain.blocks.iter().skip(1).rev()) {
            assert_eq!(shown["digest"], block.block.digest().to_string());
            assert_eq!(shown["finality_ms"], MockNode::FINALITY_MS);
        }
        assert!(blocks.last().unwrap()["interval_ms"].is_null());
        let validators = body["validators"].as_array().unwrap();
        assert_eq!(validators.len(), 1);
        assert_eq!(validators[0]["this_node"], true);
        let certified = chain
            .blocks
            .iter()
            .filter(|b| b.finalization.is_some())
            .count();
        assert_eq!(body["certificates"], certified);
        assert_eq!(validators[0]["signed"], certified);

        let one = ok(&node, "/v1/network?blocks=1").await;
        assert_eq!(one["blocks"].as_array().unwrap().len(), 1);
    }

    #[tokio::test]
    async fn bad_network_queries_are_400() {
        let node = MockNode::new();
        for uri in [
            "/v1/network?blocks=0",
            "/v1/network?blocks=1001",
            "/v1/network?blocks=many",
            "/v1/network?window=3",
        ] {
            let answer = call(node.clone(), get(uri)).await;
            assert_error(&answer, StatusCode::BAD_REQUEST, "bad_query");
        }
    }
}
