//! `GET /v1/requests` and `GET /v1/requests/{id}`: requests for access and
//! how they were decided.

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
    records::{Page, RequestQuery, RequestView},
};
use utoipa_axum::router::OpenApiRouter;

pub fn routes<N: NodeApi>() -> OpenApiRouter<N> {
    OpenApiRouter::default()
        .routes(documented::<__path_requests, _, _, _>(requests::<N>))
        .routes(documented::<__path_request, _, _, _>(request::<N>))
}

/// List access requests.
///
/// Most recent first; filters by consumer, owner, item, channel and status.
#[utoipa::path(
    get,
    path = "/v1/requests",
    tag = "permissions",
    params(RequestQuery),
    responses(
        (status = 200, description = "A page of requests, most recent first", body = Page<RequestView>),
        (status = 400, description = "`bad_query`: an unknown parameter, a value of the wrong type, or \
            `limit` not from 1 to 500; `bad_filter`: `status` is not pending, approved or denied; \
            `bad_cursor`: a cursor this list did not return", body = ErrorBody),
        (status = 500, description = "`index`: the query index failed", body = ErrorBody),
        (status = 503, description = "`query_index_off`: this node keeps no query index; `unavailable`: the node is shutting down", body = ErrorBody),
    ),
)]
async fn requests<N: NodeApi>(
    State(node): State<N>,
    query: Result<Query<RequestQuery>, QueryRejection>,
) -> Result<Json<Page<RequestView>>, ApiError> {
    let Query(filter) = query?;
    check_limit(filter.limit)?;
    Ok(Json(query::run(&node, move |q| q.requests(&filter)).await?))
}

/// An access request.
///
/// Its id is the hash of the request transaction. `channel`, when given,
/// must be the request's.
#[utoipa::path(
    get,
    path = "/v1/requests/{id}",
    tag = "permissions",
    params(
        ("id" = String, Path, description = "The request's id: 64 hex characters",
            example = "6ab5b1e2c1f0f0d5a3e0b4e2c66b1e4a3c2d9f1e0b7a6c5d4e3f2a1b0c9d8e7f"),
        ChannelQuery,
    ),
    responses(
        (status = 200, description = "The request and its decision", body = RequestView),
        (status = 400, description = "`bad_id`: not 64 hex characters; `bad_query`: an unknown parameter \
            or a channel that is not an identifier; `bad_path`: not readable", body = ErrorBody),
        (status = 404, description = "`not_found`: no such request (in that channel) in the index", body = ErrorBody),
        (status = 500, description = "`index`: the query index failed", body = ErrorBody),
        (status = 503, description = "`query_index_off`: this node keeps no query index; `unavailable`: the node is shutting down", body = ErrorBody),
    ),
)]
async fn request<N: NodeApi>(
    State(node): State<N>,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<ChannelQuery>, QueryRejection>,
) -> Result<Json<RequestView>, ApiError> {
    let (id, channel) = query::hash_in_channel(path, query)?;
    query::one_in_channel(
        &node,
        "request",
        id,
        channel,
        |q, id| q.request(id),
        |r| &r.channel,
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
    use dirchain_schema::records::RequestView;

    async fn listed(node: &MockNode, query: &str) -> Vec<String> {
        ids(&ok(node, &format!("/v1/requests?{query}")).await)
    }

    #[tokio::test]
    async fn requests_are_listed_newest_first_and_filtered() {
        let node = MockNode::indexed().await;
        let made = &SCENARIO.made;
        let every = listed(&node, "").await;
        assert_eq!(every.len(), 4);
        assert_eq!(every[0], made.pending_request.to_string(), "newest first");
        assert_eq!(all_pages(&node, "/v1/requests?limit=1").await, every);
        assert_eq!(
            listed(&node, "status=pending").await,
            [made.pending_request.to_string()]
        );
        assert_eq!(
            listed(&node, "status=denied").await,
            [made.denied_request.to_string()]
        );
        assert_eq!(
            listed(&node, "consumer=police").await,
            [made.births_request.to_string()]
        );
        assert_eq!(
            listed(&node, "item=health/stats&status=approved").await,
            [made.stats_permission.to_string()]
        );
    }

    #[tokio::test]
    async fn a_request_shows_its_decision() {
        let node = MockNode::indexed().await;
        let id = SCENARIO.made.denied_request;
        let body = ok(&node, &format!("/v1/requests/{id}?channel=main")).await;
        let view: RequestView = serde_json::from_value(body).unwrap();
        assert_eq!(view.status, "denied");
        assert_eq!(view.reason, "no legal basis for birth dates");
        assert_eq!(view.consumer_org, "tax");
        assert!(view.decided_by.is_some());
        for missing in [
            format!("/v1/requests/{id}?channel=research"),
            format!("/v1/requests/{}", SCENARIO.made.notarized),
        ] {
            let answer = call(node.clone(), get(&missing)).await;
            assert_error(&answer, StatusCode::NOT_FOUND, "not_found");
        }
    }

    #[tokio::test]
    async fn bad_request_queries_are_400() {
        let node = MockNode::indexed().await;
        for (uri, code) in [
            ("/v1/requests?status=maybe", "bad_filter"),
            ("/v1/requests?requester=x", "bad_query"),
            ("/v1/requests?limit=0", "bad_query"),
            ("/v1/requests?cursor=7c", "bad_cursor"),
            ("/v1/requests/00", "bad_id"),
        ] {
            let answer = call(node.clone(), get(uri)).await;
            assert_error(&answer, StatusCode::BAD_REQUEST, code);
        }
    }
}
