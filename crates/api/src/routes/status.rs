//! `GET /v1/status`: who this node is and how far its chain has come.

use crate::{error::ApiError, node::NodeApi, openapi::documented, query};
use axum::{Json, extract::State};
use dirchain_chain::Status as NodeStatus;
use dirchain_schema::chain::{ErrorBody, Mempool, Status};
use utoipa_axum::router::OpenApiRouter;

pub fn routes<N: NodeApi>() -> OpenApiRouter<N> {
    OpenApiRouter::default().routes(documented::<__path_status, _, _, _>(status::<N>))
}

/// The node's status.
///
/// The chain this node follows, its latest finalized block, the mempool, the
/// peers, whether this node keeps the query index (`query_index`) and how
/// far it has come (`indexed_height`: the list and record routes answer as
/// of that block; 0 if the index cannot be read or the node keeps none).
#[utoipa::path(
    get,
    path = "/v1/status",
    tag = "chain",
    responses(
        (status = 200, description = "The node's status", body = Status),
        (status = 503, description = "`unavailable`: the node is shutting down", body = ErrorBody),
    ),
)]
async fn status<N: NodeApi>(State(node): State<N>) -> Result<Json<Status>, ApiError> {
    let status = node.status().await?;
    let query_index = node.index().is_some();
    // The status must answer when the index does not: it is where an
    // operator looks first to see that something is wrong.
    let indexed_height = if query_index {
        match query::run(&node, |q| q.indexed_height()).await {
            Ok(height) => height,
            Err(error) => {
                tracing::warn!(%error, "the query index could not say how far it has come");
                0
            }
        }
    } else {
        0
    };
    Ok(Json(document(status, query_index, indexed_height)))
}

fn document(s: NodeStatus, query_index: bool, indexed_height: u64) -> Status {
    Status {
        chain_id: s.chain_id,
        genesis: s.genesis.to_string(),
        role: s.role.to_string(),
        public_key: s.public_key.to_string(),
        validators: s.validators.iter().map(ToString::to_string).collect(),
        height: s.height,
        block: s.block.to_string(),
        block_timestamp_ms: s.block_timestamp_ms,
        state_root: s.state_root.to_string(),
        mempool: Mempool {
            txs: s.mempool_txs,
            bytes: s.mempool_bytes,
        },
        peers: s.peers,
        query_index,
        indexed_height,
    }
}

#[cfg(test)]
mod tests {
    use crate::mock::{MockNode, call, get};
    use axum::http::StatusCode;
    use serde_json::json;

    /// A fresh mock's index has applied nothing.
    #[tokio::test]
    async fn status_has_the_documented_shape() {
        let node = MockNode::new();
        let s = node.snapshot();
        let (status, _, body) = call(node, get("/v1/status")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            body,
            json!({
                "chain_id": s.chain_id,
                "genesis": s.genesis.to_string(),
                "role": "validator",
                "public_key": s.public_key.to_string(),
                "validators": [s.validators[0].to_string()],
                "height": s.height,
                "block": s.block.to_string(),
                "block_timestamp_ms": s.block_timestamp_ms,
                "state_root": s.state_root.to_string(),
                "mempool": {"txs": s.mempool_txs, "bytes": s.mempool_bytes},
                "peers": s.peers,
                "query_index": true,
                "indexed_height": 0,
            })
        );
        // Hex, lowercase, full length.
        let genesis = body["genesis"].as_str().unwrap();
        assert_eq!(genesis.len(), 64);
        assert!(
            genesis
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        );
        // The documents round-trip through the schema the SDK reads them with.
        let _: dirchain_schema::chain::Status = serde_json::from_value(body).unwrap();
    }

    #[tokio::test]
    async fn status_shows_how_far_the_index_has_come() {
        let node = MockNode::indexed().await;
        let (status, _, body) = call(node, get("/v1/status")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["indexed_height"], crate::fixture::SCENARIO.height());
    }

    /// A validator run without the index still answers its status, and
    /// says it keeps none.
    #[tokio::test]
    async fn status_says_when_the_node_keeps_no_index() {
        let (status, _, body) = call(MockNode::without_query_index(), get("/v1/status")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["query_index"], false);
        assert_eq!(body["indexed_height"], 0);
        assert_eq!(body["height"], 42);
    }

    #[tokio::test]
    async fn status_of_a_stopping_node_is_503() {
        let node = MockNode::new();
        node.stop();
        let (status, headers, body) = call(node, get("/v1/status")).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body["code"], "unavailable");
        assert!(headers.get("retry-after").is_none());
    }
}
