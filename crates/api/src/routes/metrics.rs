//! `GET /metrics`: the node's metrics and the API's request counts, for Prometheus.

use crate::{metrics::RequestMetrics, node::NodeApi, openapi::documented};
use axum::{Extension, extract::State, http::header, response::IntoResponse};
use utoipa_axum::router::OpenApiRouter;

/// The Prometheus text exposition format.
pub const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

pub fn routes<N: NodeApi>() -> OpenApiRouter<N> {
    OpenApiRouter::default().routes(documented::<__path_metrics, _, _, _>(metrics::<N>))
}

/// Metrics for Prometheus.
///
/// The node's metrics (height, block interval, finality latency, mempool,
/// transactions by kind and result, peers, consensus and storage) and the
/// API's requests by route and status class.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "node",
    responses(
        (status = 200, description = "Prometheus text exposition", body = String, content_type = "text/plain; version=0.0.4; charset=utf-8"),
    ),
)]
async fn metrics<N: NodeApi>(
    State(node): State<N>,
    Extension(requests): Extension<RequestMetrics>,
) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, PROMETHEUS_TEXT)],
        requests.append_to(node.metrics()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mock::{MockNode, get};
    use axum::http::StatusCode;
    use tower::ServiceExt;

    #[tokio::test]
    async fn metrics_are_the_nodes_then_the_apis() {
        let app = crate::router(MockNode::new());
        // Counted once answered: the next scrape shows it.
        let _ = app.clone().oneshot(get("/v1/status")).await.unwrap();
        let _ = app
            .clone()
            .oneshot(get("/v1/catalog/health/births"))
            .await
            .unwrap();
        let response = app.oneshot(get("/metrics")).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[header::CONTENT_TYPE], PROMETHEUS_TEXT);
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert!(
            text.starts_with(&MockNode::METRICS.replace("# EOF\n", "")),
            "{text}"
        );
        assert!(
            text.contains(
                r#"dirchain_api_requests_total{route="/v1/status",method="GET",class="2xx"} 1"#
            ),
            "{text}"
        );
        // Labelled as the OpenAPI document names the route.
        assert!(
            text.contains(
                r#"dirchain_api_requests_total{route="/v1/catalog/{id}",method="GET",class="4xx"} 1"#
            ),
            "{text}"
        );
        assert!(text.ends_with("# EOF\n"));
    }
}
