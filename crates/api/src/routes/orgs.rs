//! `GET /v1/orgs` and `GET /v1/orgs/{id}`: the member organisations, and
//! one with its member keys and duties.

use crate::{
    error::{ApiError, echo},
    node::NodeApi,
    openapi::{documented, documented_tail},
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
    records::{OrgDetail, OrgView, Page, PageQuery},
};
use utoipa_axum::router::OpenApiRouter;

pub fn routes<N: NodeApi>() -> OpenApiRouter<N> {
    OpenApiRouter::default()
        .routes(documented::<__path_orgs, _, _, _>(orgs::<N>))
        .merge(documented_tail::<__path_org, _, _, _>(org::<N>))
}

/// List the organisations.
///
/// Every member organisation, active or removed, by id.
#[utoipa::path(
    get,
    path = "/v1/orgs",
    tag = "directory",
    params(PageQuery),
    responses(
        (status = 200, description = "A page of organisations, by id", body = Page<OrgView>),
        (status = 400, description = "`bad_query`: an unknown parameter, or `limit` not a number from 1 \
            to 500; `bad_cursor`: a cursor this list did not return", body = ErrorBody),
        (status = 500, description = "`index`: the query index failed", body = ErrorBody),
        (status = 503, description = "`query_index_off`: this node keeps no query index; `unavailable`: the node is shutting down", body = ErrorBody),
    ),
)]
async fn orgs<N: NodeApi>(
    State(node): State<N>,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Json<Page<OrgView>>, ApiError> {
    let Query(page) = query?;
    check_limit(page.limit)?;
    Ok(Json(query::run(&node, move |q| q.orgs(&page)).await?))
}

/// An organisation.
///
/// With its member keys (oldest enrolment first, revoked ones included) and
/// the duties it declared.
#[utoipa::path(
    get,
    path = "/v1/orgs/{id}",
    tag = "directory",
    params(
        ("id" = String, Path, description = "The organisation's id", example = "health"),
    ),
    responses(
        (status = 200, description = "The organisation, its members and duties", body = OrgDetail),
        (status = 400, description = "`bad_id`: not an identifier; `bad_path`: not readable", body = ErrorBody),
        (status = 404, description = "`not_found`: no such organisation in the index", body = ErrorBody),
        (status = 500, description = "`index`: the query index failed", body = ErrorBody),
        (status = 503, description = "`query_index_off`: this node keeps no query index; `unavailable`: the node is shutting down", body = ErrorBody),
    ),
)]
async fn org<N: NodeApi>(
    State(node): State<N>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<OrgDetail>, ApiError> {
    let Path(id) = path?;
    let id = query::ident(&id)?;
    let what = || format!("organisation {}", echo(&id));
    let detail = query::one(&node, what, {
        let id = id.clone();
        move |q| q.org(&id)
    })
    .await?;
    Ok(Json(detail))
}

#[cfg(test)]
mod tests {
    use crate::{
        fixture::SCENARIO,
        mock::{MockNode, all_pages, assert_error, call, get, ids, ok},
    };
    use axum::http::StatusCode;
    use commonware_cryptography::Signer as _;
    use dirchain_schema::records::{OrgDetail, OrgView, Page};
    use dirchain_state::testkit::key_for;

    #[tokio::test]
    async fn organisations_are_listed_by_id_page_by_page() {
        let node = MockNode::indexed().await;
        let body = ok(&node, "/v1/orgs").await;
        assert_eq!(ids(&body), ["health", "police", "tax", "transport"]);
        assert_eq!(body["next_cursor"], serde_json::Value::Null);
        assert_eq!(body["indexed_height"], SCENARIO.height());
        assert_eq!(body["items"][0]["active"], true);
        let _: Page<OrgView> = serde_json::from_value(body).unwrap();
        for limit in [1, 3] {
            assert_eq!(
                all_pages(&node, &format!("/v1/orgs?limit={limit}")).await,
                ["health", "police", "tax", "transport"]
            );
        }
    }

    #[tokio::test]
    async fn an_organisation_comes_with_its_members_and_duties() {
        let node = MockNode::indexed().await;
        let body = ok(&node, "/v1/orgs/health").await;
        let detail: OrgDetail = serde_json::from_value(body).unwrap();
        assert_eq!(detail.org.id, "health");
        let roles: Vec<&str> = detail.members.iter().map(|m| m.role.as_str()).collect();
        assert_eq!(
            roles,
            ["admin", "publisher", "steward", "consumer", "notary"]
        );
        assert_eq!(
            detail.members[1].key,
            key_for("health.publisher").public_key().to_string()
        );
        let duties: Vec<&str> = detail.duties.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(duties, ["health/vaccination"]);
        // Added by governance.
        let transport = ok(&node, "/v1/orgs/transport").await;
        assert_eq!(transport["org"]["name"], "Transport agency");
    }

    #[tokio::test]
    async fn an_unknown_organisation_is_404_naming_the_indexed_height() {
        let node = MockNode::indexed().await;
        let answer = call(node, get("/v1/orgs/nobody")).await;
        assert_error(&answer, StatusCode::NOT_FOUND, "not_found");
        let message = answer.2["message"].as_str().unwrap();
        assert!(message.contains("\"nobody\""), "{message}");
        assert!(
            message.contains(&format!("block {}", SCENARIO.height())),
            "{message}"
        );
    }

    #[tokio::test]
    async fn bad_pages_and_ids_are_400() {
        let node = MockNode::indexed().await;
        for (uri, code) in [
            ("/v1/orgs?limit=0", "bad_query"),
            ("/v1/orgs?limit=501", "bad_query"),
            ("/v1/orgs?limit=ten", "bad_query"),
            ("/v1/orgs?limit=-1", "bad_query"),
            ("/v1/orgs?page=2", "bad_query"),
            ("/v1/orgs?cursor=zz", "bad_cursor"),
            ("/v1/orgs?cursor=", "bad_cursor"),
            ("/v1/orgs/a%20b", "bad_id"),
            ("/v1/orgs/%C3%A9", "bad_id"),
        ] {
            let answer = call(node.clone(), get(uri)).await;
            assert_error(&answer, StatusCode::BAD_REQUEST, code);
        }
        // A cursor of another list.
        let catalog = ok(&node, "/v1/catalog?limit=1").await;
        let cursor = catalog["next_cursor"].as_str().unwrap();
        let answer = call(node, get(&format!("/v1/orgs?cursor={cursor}"))).await;
        assert_error(&answer, StatusCode::BAD_REQUEST, "bad_cursor");
    }
}
