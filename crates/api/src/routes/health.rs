//! Liveness: answers while the HTTP server runs, without asking the node, so a
//! supervisor can tell a hung server from a busy chain.

use crate::{node::NodeApi, openapi::documented};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;

pub fn routes<N: NodeApi>() -> OpenApiRouter<N> {
    OpenApiRouter::default().routes(documented::<__path_healthz, _, _, _>(healthz))
}

#[derive(Serialize, ToSchema)]
struct Health {
    /// Always true: an answer at all is the news.
    ok: bool,
}

/// Whether the HTTP server is up.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "node",
    responses((status = 200, description = "The server is up", body = Health)),
)]
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
