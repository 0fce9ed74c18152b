//! `GET /v1/permissions` and `GET /v1/permissions/{id}`: grants of access,
//! with their status (live, expired, revoked) at the chain's latest block.

use crate::{
    error::ApiError,
    node::NodeApi,
    openapi::documented,
    query::{self, ChannelQuery, check_limit},
};
use axum::{
    Json,
    extract::{
        Path, Query, State,
        rejection::{PathRejection, QueryRejection},
    },
};
use dirchain_schema::{
    chain::ErrorBody,
    records::{Page, PermissionQuery, PermissionView},
};
use utoipa_axum::router::OpenApiRouter;

pub fn routes<N: NodeApi>() -> OpenApiRouter<N> {
    OpenApiRouter::default()
        .routes(documented::<__path_permissions, _, _, _>(permissions::<N>))
        .routes(documented::<__path_permission, _, _, _>(permission::<N>))
}

/// The time a permission's status is judged at: the latest finalized
/// block's. Execution judges a permission by block time, so this is the
/// chain's own notion of now; unlike the wall clock, every node at the same
/// height answers the same, and a status never runs ahead of what the chain
/// has decided.
async fn chain_now<N: NodeApi>(node: &N) -> Result<u64, ApiError> {
    Ok(node.status().await?.block_timestamp_ms)
}

/// List permissions.
///
/// Most recently granted first; filters by consumer, owner, item, channel
/// and status (judged at the latest finalized block's time).
#[utoipa::path(
    get,
    path = "/v1/permissions",
    tag = "permissions",
    params(PermissionQuery),
    responses(
        (status = 200, description = "A page of permissions, most recently granted first", body = Page<PermissionView>),
        (status = 400, description = "`bad_query`: an unknown parameter, a value of the wrong type \
            (`status` other than live, expired, revoked), or `limit` not from 1 to 500; \
            `bad_cursor`: a cursor this list did not return", body = ErrorBody),
        (status = 500, description = "`index`: the query index failed", body = ErrorBody),
        (status = 503, description = "`query_index_off`: this node keeps no query index; `unavailable`: the node is shutting down", body = ErrorBody),
    ),
)]
async fn permissions<N: NodeApi>(
    State(node): State<N>,
    query: Result<Query<PermissionQuery>, QueryRejection>,
) -> Result<Json<Page<PermissionView>>, ApiError> {
    let Query(filter) = query?;
    check_limit(filter.limit)?;
    let now = chain_now(&node).await?;
    Ok(Json(
        query::run(&node, move |q| q.permissions(&filter, now)).await?,
    ))
}

/// A permission.
///
/// Its id is that of the request it answers (the hash of the request
/// transaction). `channel`, when given, must be the permission's.
#[utoipa::path(
    get,
    path = "/v1/permissions/{id}",
    tag = "permissions",
    params(
        ("id" = String, Path, description = "The permission's id: 64 hex characters",
            example = "6ab5b1e2c1f0f0d5a3e0b4e2c66b1e4a3c2d9f1e0b7a6c5d4e3f2a1b0c9d8e7f"),
        ChannelQuery,
    ),
    responses(
        (status = 200, description = "The permission, with its status now", body = PermissionView),
        (status = 400, description = "`bad_id`: not 64 hex characters; `bad_query`: an unknown parameter \
            or a channel that is not an identifier; `bad_path`: not readable", body = ErrorBody),
        (status = 404, description = "`not_found`: no such permission (in that channel) in the index", body = ErrorBody),
        (status = 500, description = "`index`: the query index failed", body = ErrorBody),
        (status = 503, description = "`query_index_off`: this node keeps no query index; `unavailable`: the node is shutting down", body = ErrorBody),
    ),
)]
async fn permission<N: NodeApi>(
    State(node): State<N>,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<ChannelQuery>, QueryRejection>,
) -> Result<Json<PermissionView>, ApiError> {
    let (id, channel) = query::hash_in_channel(path, query)?;
    let now = chain_now(&node).await?;
    query::one_in_channel(
        &node,
        "permission",
        id,
        channel,
        move |q, id| q.permission(id, now),
        |p| &p.channel,
    )
    .await
}

#[cfg(test)]
mod tests {
    use crate::{
        fixture::SCENARIO,
        mock::{MockNode, all_pages, assert_error, call, get, ids, ok},
    };
    use axum::http::StatusCode;
    use dirchain_schema::records::{Page, PermissionStatus, PermissionView};

    async fn listed(node: &MockNode, query: &str) -> Vec<String> {
        ids(&ok(node, &format!("/v1/permissions?{query}")).await)
    }

    #[tokio::test]
    async fn permissions_are_listed_with_their_status_at_the_latest_block() {
        let node = MockNode::indexed().await;
        let made = &SCENARIO.made;
        let (births, stats) = (
            made.births_request.to_string(),
            made.stats_permission.to_string(),
        );
        let body = ok(&node, "/v1/permissions").await;
        let page: Page<PermissionView> = serde_json::from_value(body).unwrap();
        let listed_now: Vec<(&str, PermissionStatus)> = page
            .items
            .iter()
            .map(|p| (p.id.as_str(), p.status))
            .collect();
        assert_eq!(
            listed_now,
            [
                (births.as_str(), PermissionStatus::Live),
                (stats.as_str(), PermissionStatus::Revoked)
            ]
        );
        assert_eq!(listed(&node, "status=live").await, [births.as_str()]);
        assert_eq!(listed(&node, "status=revoked").await, [stats.as_str()]);
        assert!(listed(&node, "status=expired").await.is_empty());
        assert_eq!(
            listed(&node, "consumer=tax&owner=health&item=health/stats").await,
            [stats.as_str()]
        );
        assert!(listed(&node, "channel=research").await.is_empty());
        assert_eq!(
            all_pages(&node, "/v1/permissions?limit=1").await,
            [births.clone(), stats]
        );

        // Once the chain's latest block is past its expiry, it is expired.
        node.set_block_time(made.births_expires_at);
        assert!(listed(&node, "status=live").await.is_empty());
        assert_eq!(listed(&node, "status=expired").await, [births.as_str()]);
        let one = ok(&node, &format!("/v1/permissions/{births}")).await;
        assert_eq!(one["status"], "expired");
    }

    #[tokio::test]
    async fn a_permission_is_found_by_its_id_in_any_or_its_own_channel() {
        let node = MockNode::indexed().await;
        let made = &SCENARIO.made;
        let id = made.births_request;
        let body = ok(&node, &format!("/v1/permissions/{id}")).await;
        let view: PermissionView = serde_json::from_value(body.clone()).unwrap();
        assert_eq!(view.id, id.to_string());
        assert_eq!(view.status, PermissionStatus::Live);
        assert_eq!(view.fields, ["district"]);
        assert_eq!(view.expires_at, made.births_expires_at);
        let upper = id.to_string().to_uppercase();
        assert_eq!(
            ok(&node, &format!("/v1/permissions/{upper}?channel=main")).await,
            body
        );
        for missing in [
            format!("/v1/permissions/{id}?channel=research"),
            // A denied request grants nothing.
            format!("/v1/permissions/{}", made.denied_request),
        ] {
            let answer = call(node.clone(), get(&missing)).await;
            assert_error(&answer, StatusCode::NOT_FOUND, "not_found");
        }
    }

    #[tokio::test]
    async fn bad_permission_queries_are_400() {
        let node = MockNode::indexed().await;
        let id = SCENARIO.made.births_request;
        for (uri, code) in [
            ("/v1/permissions?status=gone".to_string(), "bad_query"),
            ("/v1/permissions?status=Live".to_string(), "bad_query"),
            ("/v1/permissions?limit=501".to_string(), "bad_query"),
            ("/v1/permissions?cursor=abc".to_string(), "bad_cursor"),
            ("/v1/permissions/births".to_string(), "bad_id"),
            (format!("/v1/permissions/{id}?status=live"), "bad_query"),
        ] {
            let answer = call(node.clone(), get(&uri)).await;
            assert_error(&answer, StatusCode::BAD_REQUEST, code);
        }
    }

    /// The status needs the chain's time: a stopping node cannot give it.
    #[tokio::test]
    async fn permissions_of_a_stopping_node_are_503() {
        let node = MockNode::indexed().await;
        node.stop();
        for uri in [
            "/v1/permissions".to_string(),
            format!("/v1/permissions/{}", SCENARIO.made.births_request),
        ] {
            let answer = call(node.clone(), get(&uri)).await;
            assert_error(&answer, StatusCode::SERVICE_UNAVAILABLE, "unavailable");
        }
    }
}
