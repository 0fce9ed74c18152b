//! The OpenAPI 3.1 document, built from the same declarations as the router:
//! every route is registered by [documented], at the path and methods its
//! `#[utoipa::path]` names, so the document cannot list a route the router
//! lacks, nor the reverse.

use axum::{
    Extension, Json,
    handler::Handler,
    response::{IntoResponse, Response},
    routing::MethodRouter,
};
use dirchain_schema::chain::WaitFor;
use std::{marker::PhantomData, sync::Arc};
use utoipa::{
    __dev::{SchemaReferences, Tags},
    IntoParams, OpenApi,
    openapi::{
        self,
        path::{Parameter, ParameterIn, Paths},
    },
};
use utoipa_axum::{
    PathItemExt,
    router::{OpenApiRouter, UtoipaMethodRouter},
};

/// The document's fixed part; the routes add their paths and schemas.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "dirchain node API",
        description = "The HTTP/JSON interface of a dirchain node. Every error is \
            `{\"code\", \"message\"}` (ErrorBody): `code` is stable, for programs; `message` is for \
            people. Besides the answers each operation lists, any request may get 404 \
            `unknown_route` (no such path) or 405 `method_not_allowed` (the path exists; `Allow` \
            lists its methods). Digests and keys are lowercase hex; heights and times (ms since the \
            Unix epoch) are numbers.",
    ),
    tags(
        (name = "node", description = "The node itself: liveness, metrics, this document"),
        (name = "chain", description = "Status, blocks and proofs of the chain"),
        (name = "transactions", description = "Submitting and following transactions"),
        (name = "accounts", description = "What a signer needs to sign its next transaction"),
        (name = "directory", description = "Organisations, their members and duties, and the data catalog \
            (from the query index)"),
        (name = "permissions", description = "Access requests and the permissions that answer them \
            (from the query index)"),
        (name = "access", description = "Recorded data accesses and refused attempts, and the \
            \"who used my data\" view (from the query index)"),
        (name = "ledger", description = "Notarized documents and registered assets (from the query index)"),
        (name = "governance", description = "Proposals to change the consortium (from the query index)"),
    ),
    // Named by query parameters, which the routes do not collect schemas from.
    components(schemas(WaitFor)),
)]
pub struct ApiDoc;

/// One operation, registered at the path and for the methods its
/// `#[utoipa::path]` declares (`P` is the type that attribute generates,
/// `__path_<handler>`), with the schemas it names.
///
/// This is what `utoipa_axum::routes!` does, as a function: the macro cannot
/// name a generic handler such as `status::<N>`.
pub fn documented<P, H, T, S>(handler: H) -> UtoipaMethodRouter<S>
where
    P: utoipa::Path + SchemaReferences + for<'t> Tags<'t>,
    H: Handler<T, S>,
    T: 'static,
    S: Clone + Send + Sync + 'static,
{
    let mut schemas = Vec::new();
    P::schemas(&mut schemas);
    let mut operation = P::operation();
    let tags = P::tags();
    if !tags.is_empty() {
        operation
            .tags
            .get_or_insert_with(Vec::new)
            .extend(tags.iter().map(ToString::to_string));
    }
    let methods = P::methods();
    let router = methods.iter().fold(MethodRouter::new(), |router, method| {
        router.on(method.to_method_filter(), handler.clone())
    });
    let mut paths = Paths::new();
    paths.add_path_operation(P::path(), methods, operation);
    (schemas, paths, router)
}

/// Like [documented], for an operation whose path ends in an identifier
/// that may hold `/` (`health/births`): the router gives that parameter the
/// rest of the path (`{*id}`), so the id may come percent-encoded in one
/// segment (`health%2Fbirths`, as the SDK sends it) or as it is. The
/// document shows the plain `{id}` of OpenAPI.
pub fn documented_tail<P, H, T, S>(handler: H) -> OpenApiRouter<S>
where
    P: utoipa::Path + SchemaReferences + for<'t> Tags<'t>,
    H: Handler<T, S>,
    T: 'static,
    S: Clone + Send + Sync + 'static,
{
    let (schemas, paths, router) = documented::<P, H, T, S>(handler);
    let path = P::path();
    let route = match path.rsplit_once("/{") {
        Some((head, last)) if last.ends_with('}') => format!("{head}/{{*{last}"),
        _ => panic!("{path}: documented_tail needs a path that ends in a parameter"),
    };
    let mut document = openapi::OpenApi::default();
    document.paths = paths;
    document.components = Some(
        openapi::ComponentsBuilder::new()
            .schemas_from_iter(schemas)
            .build(),
    );
    OpenApiRouter::with_openapi(document).route(&route, router)
}

/// Documents `T`'s fields as query parameters. `#[utoipa::path(params(T))]`
/// alone would place them in the path: without a framework integration the
/// macro cannot tell where `T` is extracted from.
pub struct QueryParams<T>(PhantomData<T>);

impl<T: IntoParams> IntoParams for QueryParams<T> {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        T::into_params(|| Some(ParameterIn::Query))
    }
}

/// This document.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "node",
    responses(
        (status = 200, description = "The OpenAPI 3.1 document of this API", content_type = "application/json"),
    ),
)]
pub async fn document(Extension(document): Extension<Arc<openapi::OpenApi>>) -> Response {
    Json(document.as_ref()).into_response()
}
