//! The router: one module per area of the interface, each an
//! [OpenApiRouter] of documented operations, merged here with JSON answers
//! for requests that match no route or no method.

mod access;
mod accounts;
mod assets;
mod blocks;
mod catalog;
mod health;
mod metrics;
mod network;
mod notary;
mod orgs;
mod permissions;
mod proof;
mod proposals;
mod requests;
mod status;
mod subjects;
mod tx;
mod txs;

#[cfg(test)]
mod tests;

use crate::{
    error::{ApiError, echo},
    metrics::{self as request_metrics, RequestMetrics},
    node::NodeApi,
    openapi::{self, ApiDoc, documented},
};
use axum::{
    Extension, Router,
    http::{Method, Uri},
    middleware,
};
use std::sync::Arc;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

pub use subjects::{MAX_SUBJECT_BODY_BYTES, MAX_SUBJECT_BYTES};
pub use tx::{MAX_BATCH_BODY_BYTES, MAX_BODY_BYTES, WAIT_POLL_INTERVAL};

/// Every route of the API, answering from `node`.
pub fn router<N: NodeApi>(node: N) -> Router {
    let (routes, document) = operations::<N>().split_for_parts();
    let requests = RequestMetrics::default();
    routes
        .fallback(unknown_route)
        // Must follow the routes: it applies to those registered before it.
        .method_not_allowed_fallback(method_not_allowed)
        .layer(Extension(Arc::new(document)))
        .layer(Extension(requests.clone()))
        .layer(middleware::from_fn_with_state(
            requests,
            request_metrics::count,
        ))
        .with_state(node)
}

/// The API's OpenAPI document, as `GET /openapi.json` serves it.
pub fn openapi() -> utoipa::openapi::OpenApi {
    // The document does not depend on the node type; any will do.
    operations::<crate::Node>().into_openapi()
}

/// Every documented operation. A new area of the interface is one module,
/// `routes/<area>.rs`, whose `routes::<N>()` is merged here: its operations
/// join the router and the document together.
fn operations<N: NodeApi>() -> OpenApiRouter<N> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(documented::<openapi::__path_document, _, _, _>(
            openapi::document,
        ))
        .merge(health::routes())
        .merge(metrics::routes())
        .merge(status::routes())
        .merge(tx::routes())
        .merge(txs::routes())
        .merge(network::routes())
        .merge(accounts::routes())
        .merge(blocks::routes())
        .merge(proof::routes())
        .merge(orgs::routes())
        .merge(catalog::routes())
        .merge(permissions::routes())
        .merge(requests::routes())
        .merge(access::routes())
        .merge(subjects::routes())
        .merge(notary::routes())
        .merge(assets::routes())
        .merge(proposals::routes())
}

async fn unknown_route(method: Method, uri: Uri) -> ApiError {
    ApiError::unknown_route(format!("no route for {method} {}", echo(uri.path())))
}

async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::method_not_allowed(format!(
        "{} does not accept {method}; the Allow header lists what it accepts",
        echo(uri.path())
    ))
}
