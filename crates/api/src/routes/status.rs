//! `GET /v1/status`: who this node is and how far its chain has come.

use crate::{error::ApiError, node::NodeApi};
use axum::{Json, Router, extract::State, routing::get};
use dirchain_chain::Status;
use serde::Serialize;

pub fn routes<N: NodeApi>() -> Router<N> {
    Router::new().route("/v1/status", get(status::<N>))
}

#[derive(Serialize)]
struct StatusBody {
    chain_id: String,
    genesis: String,
    role: String,
    public_key: String,
    validators: Vec<String>,
    height: u64,
    block: String,
    block_timestamp_ms: u64,
    state_root: String,
    mempool: MempoolBody,
    peers: usize,
}

#[derive(Serialize)]
struct MempoolBody {
    txs: usize,
    bytes: usize,
}

impl From<Status> for StatusBody {
    fn from(s: Status) -> Self {
        Self {
            chain_id: s.chain_id,
            genesis: s.genesis.to_string(),
            role: s.role.to_string(),
            public_key: s.public_key.to_string(),
            validators: s.validators.iter().map(ToString::to_string).collect(),
            height: s.height,
            block: s.block.to_string(),
            block_timestamp_ms: s.block_timestamp_ms,
            state_root: s.state_root.to_string(),
            mempool: MempoolBody {
                txs: s.mempool_txs,
                bytes: s.mempool_bytes,
            },
            peers: s.peers,
        }
    }
}

async fn status<N: NodeApi>(State(node): State<N>) -> Result<Json<StatusBody>, ApiError> {
    Ok(Json(node.status().await?.into()))
}

#[cfg(test)]
mod tests {
    use crate::mock::{MockNode, call, get};
    use axum::http::StatusCode;
    use serde_json::json;

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
