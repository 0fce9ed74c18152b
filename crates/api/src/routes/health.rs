//! Liveness: answers while the HTTP server runs, without asking the node, so a
//! supervisor can tell a hung server from a busy chain.

use crate::node::NodeApi;
use axum::{Json, Router, routing::get};
use serde::Serialize;

pub fn routes<N: NodeApi>() -> Router<N> {
    Router::new().route("/healthz", get(healthz))
}

#[derive(Serialize)]
struct Health {
    ok: bool,
}

async fn healthz() -> Json<Health> {
    Json(Health { ok: true })
}

#[cfg(test)]
mod tests {
    use crate::mock::{MockNode, call, get};
    use axum::http::StatusCode;

    #[tokio::test]
    async fn healthz_answers_ok_even_when_the_node_is_stopping() {
        let node = MockNode::new();
        node.stop();
        let (status, _, body) = call(node, get("/healthz")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, serde_json::json!({"ok": true}));
    }
}
