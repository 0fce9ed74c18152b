//! The router: one module per area of the interface, merged here, with JSON
//! answers for requests that match no route or no method.

mod health;
mod status;
mod tx;

use crate::{error::ApiError, node::NodeApi};
use axum::{
    Router,
    http::{Method, Uri},
};

pub use tx::MAX_BODY_BYTES;

/// Every route of the API, answering from `node`.
pub fn router<N: NodeApi>(node: N) -> Router {
    Router::new()
        .merge(health::routes())
        .merge(status::routes())
        .merge(tx::routes())
        .fallback(unknown_route)
        // Must follow the routes: it applies to those registered before it.
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(node)
}

async fn unknown_route(method: Method, uri: Uri) -> ApiError {
    ApiError::unknown_route(format!("no route for {method} {}", uri.path()))
}

async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::method_not_allowed(format!(
        "{} does not accept {method}; the Allow header lists what it accepts",
        uri.path()
    ))
}

#[cfg(test)]
mod tests {
    use crate::mock::{MockNode, call, get};
    use axum::http::{Method, Request, StatusCode, header};

    #[tokio::test]
    async fn unknown_route_is_a_json_404() {
        let (status, _, body) = call(MockNode::new(), get("/v1/nothing")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body["code"], "unknown_route");
        assert_eq!(body["message"], "no route for GET /v1/nothing");
    }

    #[tokio::test]
    async fn wrong_method_is_a_json_405_with_allow() {
        let request = Request::builder()
            .method(Method::DELETE)
            .uri("/v1/status")
            .body(axum::body::Body::empty())
            .unwrap();
        let (status, headers, body) = call(MockNode::new(), request).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(body["code"], "method_not_allowed");
        assert!(body["message"].as_str().unwrap().contains("DELETE"));
        let allow = headers[header::ALLOW].to_str().unwrap();
        assert!(allow.contains("GET"), "{allow}");

        let (status, headers, body) = call(MockNode::new(), get("/v1/tx")).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(body["code"], "method_not_allowed");
        assert_eq!(headers[header::ALLOW], "POST");
    }
}
