//! Counts of the API's own requests, by route, method and status class,
//! served at `/metrics` after the node's metrics.

use axum::{
    extract::{MatchedPath, Request, State},
    http::{Method, StatusCode},
    middleware::Next,
    response::Response,
};
use prometheus_client::{
    encoding::{EncodeLabelSet, text},
    metrics::{counter::Counter, family::Family},
    registry::Registry,
};
use std::sync::Arc;

/// Prefix of the API's metric names.
const PREFIX: &str = "dirchain_api";

/// The `route` label of a request that matched no route. Labels name route
/// templates, never the path itself, so clients cannot grow the series.
const UNMATCHED: &str = "unmatched";

/// The `method` label of a method outside the standard ones, for the same reason.
const OTHER_METHOD: &str = "other";

/// The end of a Prometheus text exposition (OpenMetrics): written once, after
/// every family, so the node's own must be dropped before ours follow.
const EOF: &str = "# EOF\n";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: &'static str,
    class: &'static str,
}

/// The API's request counters; cheap to clone.
#[derive(Clone)]
pub struct RequestMetrics {
    registry: Arc<Registry>,
    requests: Family<RequestLabels, Counter>,
}

impl Default for RequestMetrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix(PREFIX);
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "requests",
            "HTTP requests answered, by route template, method and status class",
            requests.clone(),
        );
        Self {
            registry: Arc::new(registry),
            requests,
        }
    }
}

impl RequestMetrics {
    fn count(&self, route: String, method: &Method, status: StatusCode) {
        self.requests
            .get_or_create(&RequestLabels {
                route,
                method: method_label(method),
                class: status_class(status),
            })
            .inc();
    }

    /// `node` (the node's own exposition) followed by the API's counters, as
    /// one exposition.
    pub fn append_to(&self, node: String) -> String {
        let mut out = match node.strip_suffix(EOF) {
            Some(families) => families.to_string(),
            None => node,
        };
        if let Err(error) = text::encode(&mut out, &self.registry) {
            // Writing to a String cannot fail; were it to, the node's metrics still serve.
            tracing::warn!(%error, "could not encode the API's metrics");
        }
        out
    }
}

/// Middleware: counts every answer, the fallbacks' included.
pub async fn count(
    State(metrics): State<RequestMetrics>,
    request: Request,
    next: Next,
) -> Response {
    // As the OpenAPI document names the route: an id that takes the rest
    // of the path (`{*id}`) is `{id}` there.
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED, MatchedPath::as_str)
        .replace("{*", "{");
    let method = request.method().clone();
    let response = next.run(request).await;
    metrics.count(route, &method, response.status());
    response
}

fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        Method::TRACE => "TRACE",
        Method::CONNECT => "CONNECT",
        _ => OTHER_METHOD,
    }
}

fn status_class(status: StatusCode) -> &'static str {
    match status.as_u16() {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_exposition_with_one_eof() {
        let metrics = RequestMetrics::default();
        metrics.count("/v1/status".into(), &Method::GET, StatusCode::OK);
        metrics.count(
            UNMATCHED.into(),
            &Method::from_bytes(b"BREW").unwrap(),
            StatusCode::NOT_FOUND,
        );
        let node = "# TYPE chain_height gauge\nchain_height 7\n# EOF\n".to_string();
        let text = metrics.append_to(node);
        assert!(
            text.starts_with("# TYPE chain_height gauge\nchain_height 7\n"),
            "{text}"
        );
        assert_eq!(text.matches("# EOF").count(), 1, "{text}");
        assert!(text.ends_with(EOF), "{text}");
        assert!(
            text.contains(
                r#"dirchain_api_requests_total{route="/v1/status",method="GET",class="2xx"} 1"#
            ),
            "{text}"
        );
        assert!(
            text.contains(
                r#"dirchain_api_requests_total{route="unmatched",method="other",class="4xx"} 1"#
            ),
            "{text}"
        );
    }

    #[test]
    fn a_node_exposition_without_eof_is_kept_whole() {
        let text = RequestMetrics::default().append_to("chain_height 7\n".into());
        assert!(text.starts_with("chain_height 7\n"));
        assert!(text.ends_with(EOF));
    }
}
