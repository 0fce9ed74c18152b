//! `GET /v1/proposals` and `GET /v1/proposals/{id}`: governance proposals
//! and their votes.

use crate::{
    error::ApiError,
    hex::parse_hash_id,
    node::NodeApi,
    openapi::documented,
    query::{self, check_limit},
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
    records::{Page, ProposalQuery, ProposalView},
};
use utoipa_axum::router::OpenApiRouter;

pub fn routes<N: NodeApi>() -> OpenApiRouter<N> {
    OpenApiRouter::default()
        .routes(documented::<__path_proposals, _, _, _>(proposals::<N>))
        .routes(documented::<__path_proposal, _, _, _>(proposal::<N>))
}

/// List proposals.
///
/// Newest first; filter by status.
#[utoipa::path(
    get,
    path = "/v1/proposals",
    tag = "governance",
    params(ProposalQuery),
    responses(
        (status = 200, description = "A page of proposals, newest first", body = Page<ProposalView>),
        (status = 400, description = "`bad_query`: an unknown parameter, a value of the wrong type, or \
            `limit` not from 1 to 500; `bad_filter`: `status` is not open, applied, rejected or failed; \
            `bad_cursor`: a cursor this list did not return", body = ErrorBody),
        (status = 500, description = "`index`: the query index failed", body = ErrorBody),
        (status = 503, description = "`query_index_off`: this node keeps no query index; `unavailable`: the node is shutting down", body = ErrorBody),
    ),
)]
async fn proposals<N: NodeApi>(
    State(node): State<N>,
    query: Result<Query<ProposalQuery>, QueryRejection>,
) -> Result<Json<Page<ProposalView>>, ApiError> {
    let Query(filter) = query?;
    check_limit(filter.limit)?;
    Ok(Json(
        query::run(&node, move |q| q.proposals(&filter)).await?,
    ))
}

/// A proposal.
///
/// Its id is the hash of the proposing transaction.
#[utoipa::path(
    get,
    path = "/v1/proposals/{id}",
    tag = "governance",
    params(
        ("id" = String, Path, description = "The proposal's id: 64 hex characters",
            example = "6ab5b1e2c1f0f0d5a3e0b4e2c66b1e4a3c2d9f1e0b7a6c5d4e3f2a1b0c9d8e7f"),
    ),
    responses(
        (status = 200, description = "The proposal and its votes", body = ProposalView),
        (status = 400, description = "`bad_id`: not 64 hex characters; `bad_path`: not readable", body = ErrorBody),
        (status = 404, description = "`not_found`: no such proposal in the index", body = ErrorBody),
        (status = 500, description = "`index`: the query index failed", body = ErrorBody),
        (status = 503, description = "`query_index_off`: this node keeps no query index; `unavailable`: the node is shutting down", body = ErrorBody),
    ),
)]
async fn proposal<N: NodeApi>(
    State(node): State<N>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<ProposalView>, ApiError> {
    let Path(id) = path?;
    let id = parse_hash_id(&id)?;
    let view = query::one(&node, || format!("proposal {id}"), move |q| q.proposal(&id)).await?;
    Ok(Json(view))
}

#[cfg(test)]
mod tests {
    use crate::{
        fixture::SCENARIO,
        mock::{MockNode, all_pages, assert_error, call, get, ids, ok},
    };
    use axum::http::StatusCode;
    use dirchain_schema::records::{ActionView, ProposalView};

    #[tokio::test]
    async fn proposals_are_listed_newest_first_and_by_status() {
        let node = MockNode::indexed().await;
        let made = &SCENARIO.made;
        let (open, applied) = (made.open_proposal.to_string(), made.added_org.to_string());
        assert_eq!(
            ids(&ok(&node, "/v1/proposals").await),
            [open.clone(), applied.clone()]
        );
        assert_eq!(
            all_pages(&node, "/v1/proposals?limit=1").await,
            [open.clone(), applied.clone()]
        );
        assert_eq!(ids(&ok(&node, "/v1/proposals?status=open").await), [open]);
        assert_eq!(
            ids(&ok(&node, "/v1/proposals?status=applied").await),
            [applied]
        );
    }

    #[tokio::test]
    async fn a_proposal_shows_its_action_and_votes() {
        let node = MockNode::indexed().await;
        let id = SCENARIO.made.added_org;
        let view: ProposalView =
            serde_json::from_value(ok(&node, &format!("/v1/proposals/{id}")).await).unwrap();
        assert_eq!(view.status, "applied");
        assert_eq!(view.yes, ["health", "police"]);
        assert!(matches!(view.action, ActionView::AddOrg { ref org, .. } if org == "transport"));
        let answer = call(
            node,
            get(&format!("/v1/proposals/{}", SCENARIO.made.births_request)),
        )
        .await;
        assert_error(&answer, StatusCode::NOT_FOUND, "not_found");
    }

    #[tokio::test]
    async fn bad_proposal_queries_are_400() {
        let node = MockNode::indexed().await;
        for (uri, code) in [
            ("/v1/proposals?status=nope", "bad_filter"),
            ("/v1/proposals?kind=add-org", "bad_query"),
            ("/v1/proposals?limit=1.5", "bad_query"),
            ("/v1/proposals?cursor=00", "bad_cursor"),
            ("/v1/proposals/not-a-hash", "bad_id"),
        ] {
            let answer = call(node.clone(), get(uri)).await;
            assert_error(&answer, StatusCode::BAD_REQUEST, code);
        }
    }
}
