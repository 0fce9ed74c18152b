//! `GET /v1/access` and `GET /v1/access/{id}`: recorded data accesses and
//! refused attempts.

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
    records::{AccessQuery, AccessView, Page},
};
use utoipa_axum::router::OpenApiRouter;

pub fn routes<N: NodeApi>() -> OpenApiRouter<N> {
    OpenApiRouter::default()
        .routes(documented::<__path_accesses, _, _, _>(accesses::<N>))
        .routes(documented::<__path_access, _, _, _>(access::<N>))
}

/// List access records.
///
/// Newest first; filters by consumer, provider, item, permission, time
/// range (`from_ms` inclusive, `to_ms` exclusive) and refused attempts only.
#[utoipa::path(
    get,
    path = "/v1/access",
    tag = "access",
    params(AccessQuery),
    responses(
        (status = 200, description = "A page of access records, newest first", body = Page<AccessView>),
        (status = 400, description = "`bad_query`: an unknown parameter, a value of the wrong type, or \
            `limit` not from 1 to 500; `bad_filter`: `permission` is not 64 hex characters; \
            `bad_cursor`: a cursor this list did not return", body = ErrorBody),
        (status = 500, description = "`index`: the query index failed", body = ErrorBody),
        (status = 503, description = "`unavailable`: the node is shutting down", body = ErrorBody),
    ),
)]
async fn accesses<N: NodeApi>(
    State(node): State<N>,
    query: Result<Query<AccessQuery>, QueryRejection>,
) -> Result<Json<Page<AccessView>>, ApiError> {
    let Query(filter) = query?;
    check_limit(filter.limit)?;
    Ok(Json(query::run(&node, move |q| q.accesses(&filter)).await?))
}

/// An access record.
///
/// Its id is the hash of the recording transaction. `channel`, when given,
/// must be the record's.
#[utoipa::path(
    get,
    path = "/v1/access/{id}",
    tag = "access",
    params(
        ("id" = String, Path, description = "The access record's id: 64 hex characters",
            example = "6ab5b1e2c1f0f0d5a3e0b4e2c66b1e4a3c2d9f1e0b7a6c5d4e3f2a1b0c9d8e7f"),
        ChannelQuery,
    ),
    responses(
        (status = 200, description = "The access record", body = AccessView),
        (status = 400, description = "`bad_id`: not 64 hex characters; `bad_query`: an unknown parameter \
            or a channel that is not an identifier; `bad_path`: not readable", body = ErrorBody),
        (status = 404, description = "`not_found`: no such access record (in that channel) in the index", body = ErrorBody),
        (status = 500, description = "`index`: the query index failed", body = ErrorBody),
        (status = 503, description = "`unavailable`: the node is shutting down", body = ErrorBody),
    ),
)]
async fn access<N: NodeApi>(
    State(node): State<N>,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<ChannelQuery>, QueryRejection>,
) -> Result<Json<AccessView>, ApiError> {
    let (id, channel) = query::hash_in_channel(path, query)?;
    query::one_in_channel(
        &node,
        "access record",
        id,
        channel,
        |q, id| q.access(id),
        |a| &a.channel,
    )
    .await
}

#[cfg(test)]
mod tests {
    use crate::{
        fixture::{ANNA, BEN, SCENARIO, pseudonym},
        mock::{MockNode, all_pages, assert_error, call, get, ids, ok},
    };
    use axum::http::StatusCode;
    use dirchain_schema::records::AccessView;

    async fn listed(node: &MockNode, query: &str) -> Vec<String> {
        ids(&ok(node, &format!("/v1/access?{query}")).await)
    }

    #[tokio::test]
    async fn accesses_are_listed_newest_first_and_filtered() {
        let node = MockNode::indexed().await;
        let made = &SCENARIO.made;
        let (allowed, refused) = (
            made.allowed_access.to_string(),
            made.refused_access.to_string(),
        );
        assert_eq!(listed(&node, "").await, [refused.clone(), allowed.clone()]);
        assert_eq!(
            all_pages(&node, "/v1/access?limit=1").await,
            [refused.clone(), allowed.clone()]
        );
        assert_eq!(listed(&node, "refused=true").await, [refused.as_str()]);
        assert_eq!(listed(&node, "refused=false").await.len(), 2);
        assert_eq!(
            listed(&node, "consumer=police&provider=health&item=health/births").await,
            [refused.clone(), allowed.clone()]
        );
        assert!(listed(&node, "consumer=tax").await.is_empty());
        let by_permission = format!("permission={}", made.births_request);
        assert_eq!(listed(&node, &by_permission).await.len(), 2);
        let at = ok(&node, &format!("/v1/access/{allowed}")).await["at"]
            .as_u64()
            .unwrap();
        assert_eq!(
            listed(&node, &format!("from_ms={at}&to_ms={}", at + 1)).await,
            [allowed.as_str()]
        );
        assert_eq!(
            listed(&node, &format!("from_ms={}", at + 1)).await,
            [refused]
        );
    }

    #[tokio::test]
    async fn an_access_names_persons_only_by_pseudonym() {
        let node = MockNode::indexed().await;
        let made = &SCENARIO.made;
        let body = ok(&node, &format!("/v1/access/{}", made.allowed_access)).await;
        let view: AccessView = serde_json::from_value(body.clone()).unwrap();
        assert_eq!(
            view.subject_refs,
            [pseudonym(ANNA).to_string(), pseudonym(BEN).to_string()]
        );
        assert_eq!(view.refusal, None);
        assert_eq!(view.owner_org.as_deref(), Some("health"));
        assert!(!body.to_string().contains(ANNA));
        let refused = ok(&node, &format!("/v1/access/{}", made.refused_access)).await;
        assert_eq!(refused["refusal"], "fields-not-permitted");
        let answer = call(
            node.clone(),
            get(&format!("/v1/access/{}", made.births_request)),
        )
        .await;
        assert_error(&answer, StatusCode::NOT_FOUND, "not_found");
        let answer = call(
            node,
            get(&format!(
                "/v1/access/{}?channel=research",
                made.allowed_access
            )),
        )
        .await;
        assert_error(&answer, StatusCode::NOT_FOUND, "not_found");
    }

    #[tokio::test]
    async fn bad_access_queries_are_400() {
        let node = MockNode::indexed().await;
        for (uri, code) in [
            ("/v1/access?permission=nothex", "bad_filter"),
            ("/v1/access?refused=maybe", "bad_query"),
            ("/v1/access?from_ms=yesterday", "bad_query"),
            ("/v1/access?subject=x", "bad_query"),
            ("/v1/access?cursor=zz", "bad_cursor"),
            ("/v1/access/xyz", "bad_id"),
        ] {
            let answer = call(node.clone(), get(uri)).await;
            assert_error(&answer, StatusCode::BAD_REQUEST, code);
        }
    }
}
