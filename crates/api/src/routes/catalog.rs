//! `GET /v1/catalog` and `GET /v1/catalog/{id}`: searching the data
//! catalog, and one item with its version history.

use crate::{
    error::{ApiError, echo},
    node::NodeApi,
    openapi::{documented, documented_tail},
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
    records::{CatalogQuery, ItemDetail, ItemView, Page},
};
use utoipa_axum::router::OpenApiRouter;

pub fn routes<N: NodeApi>() -> OpenApiRouter<N> {
    OpenApiRouter::default()
        .routes(documented::<__path_catalog, _, _, _>(catalog::<N>))
        .merge(documented_tail::<__path_item, _, _, _>(item::<N>))
}

/// Search the catalog.
///
/// Free text over titles, descriptions and field names, and filters by
/// owner, share class, duty and channel; in publication order. Retired
/// items only with `include_retired=true`.
#[utoipa::path(
    get,
    path = "/v1/catalog",
    tag = "directory",
    params(CatalogQuery),
    responses(
        (status = 200, description = "A page of items, first published first", body = Page<ItemView>),
        (status = 400, description = "`bad_query`: an unknown parameter, a value of the wrong type, or \
            `limit` not from 1 to 500; `bad_filter`: `share_class` is not a share class; \
            `bad_cursor`: a cursor this list did not return", body = ErrorBody),
        (status = 500, description = "`index`: the query index failed", body = ErrorBody),
        (status = 503, description = "`query_index_off`: this node keeps no query index; `unavailable`: the node is shutting down", body = ErrorBody),
    ),
)]
async fn catalog<N: NodeApi>(
    State(node): State<N>,
    query: Result<Query<CatalogQuery>, QueryRejection>,
) -> Result<Json<Page<ItemView>>, ApiError> {
    let Query(search) = query?;
    check_limit(search.limit)?;
    Ok(Json(query::run(&node, move |q| q.catalog(&search)).await?))
}

/// A catalog item and its versions.
///
/// The item as it stands (current version, owner, retirement) and every
/// version it was published in, oldest first. An id holding `/` may be sent
/// as it is or percent-encoded (`health%2Fbirths`).
#[utoipa::path(
    get,
    path = "/v1/catalog/{id}",
    tag = "directory",
    params(
        ("id" = String, Path, description = "The item's id", example = "health/births"),
        ChannelQuery,
    ),
    responses(
        (status = 200, description = "The item and its versions", body = ItemDetail),
        (status = 400, description = "`bad_id`: not an identifier; `bad_query`: an unknown parameter or \
            a channel that is not an identifier; `bad_path`: not readable", body = ErrorBody),
        (status = 404, description = "`not_found`: no such item in that channel in the index", body = ErrorBody),
        (status = 500, description = "`index`: the query index failed", body = ErrorBody),
        (status = 503, description = "`query_index_off`: this node keeps no query index; `unavailable`: the node is shutting down", body = ErrorBody),
    ),
)]
async fn item<N: NodeApi>(
    State(node): State<N>,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<ChannelQuery>, QueryRejection>,
) -> Result<Json<ItemDetail>, ApiError> {
    let Path(id) = path?;
    let id = query::ident(&id)?;
    let Query(channel) = query?;
    let channel = channel.channel()?;
    let what = || format!("catalog item {} in channel {}", echo(&id), echo(&channel));
    let detail = query::one(&node, what, {
        let (id, channel) = (id.clone(), channel.clone());
        move |q| q.item(&channel, &id)
    })
    .await?;
    Ok(Json(detail))
}

#[cfg(test)]
mod tests {
    use crate::mock::{MockNode, all_pages, assert_error, call, get, ids, ok};
    use axum::http::StatusCode;
    use dirchain_schema::records::{ItemDetail, ItemView, Page};

    async fn search(node: &MockNode, query: &str) -> Vec<String> {
        ids(&ok(node, &format!("/v1/catalog?{query}")).await)
    }

    #[tokio::test]
    async fn the_catalog_is_searched_and_filtered() {
        let node = MockNode::indexed().await;
        let body = ok(&node, "/v1/catalog").await;
        assert_eq!(ids(&body), ["health/births", "health/stats"]);
        let page: Page<ItemView> = serde_json::from_value(body).unwrap();
        assert_eq!(page.items[0].current.version, 2);
        assert_eq!(
            search(&node, "include_retired=true").await,
            ["health/births", "health/stats", "health/secret"]
        );
        assert_eq!(search(&node, "q=month").await, ["health/births"]);
        assert_eq!(search(&node, "q=Birth%20dat").await, ["health/births"]);
        assert_eq!(
            search(&node, "q=%22%29%20OR%20*").await,
            Vec::<String>::new()
        );
        assert_eq!(
            search(&node, "share_class=unconditional").await,
            ["health/stats"]
        );
        assert_eq!(
            search(&node, "duty=health/vaccination&org=health").await,
            ["health/births", "health/stats"]
        );
        assert!(search(&node, "org=police").await.is_empty());
        assert!(search(&node, "channel=research").await.is_empty());
        assert_eq!(
            all_pages(&node, "/v1/catalog?include_retired=true&limit=1").await,
            ["health/births", "health/stats", "health/secret"]
        );
    }

    #[tokio::test]
    async fn bad_searches_are_400() {
        let node = MockNode::indexed().await;
        for (query, code) in [
            ("share_class=sometimes", "bad_filter"),
            ("include_retired=yes", "bad_query"),
            ("limit=100000", "bad_query"),
            ("text=births", "bad_query"),
            ("q=a&q=b", "bad_query"),
            ("cursor=00", "bad_cursor"),
        ] {
            let answer = call(node.clone(), get(&format!("/v1/catalog?{query}"))).await;
            assert_error(&answer, StatusCode::BAD_REQUEST, code);
        }
    }

    #[tokio::test]
    async fn an_item_is_named_with_its_slash_encoded_or_not() {
        let node = MockNode::indexed().await;
        let encoded = ok(&node, "/v1/catalog/health%2Fbirths").await;
        for uri in [
            "/v1/catalog/health/births",
            "/v1/catalog/health%2fbirths?channel=main",
        ] {
            assert_eq!(ok(&node, uri).await, encoded, "{uri}");
        }
        let detail: ItemDetail = serde_json::from_value(encoded).unwrap();
        assert_eq!(detail.item.id, "health/births");
        assert_eq!(detail.item.current.title, "Births by district and month");
        let versions: Vec<u32> = detail.versions.iter().map(|v| v.version).collect();
        assert_eq!(versions, [1, 2]);
        let secret = ok(&node, "/v1/catalog/health/secret").await;
        assert_eq!(secret["item"]["retired"], true);
        assert_eq!(secret["item"]["retirement"]["reason"], "superseded");
    }

    #[tokio::test]
    async fn an_item_elsewhere_or_nowhere_is_404_and_a_bad_one_400() {
        let node = MockNode::indexed().await;
        for uri in [
            "/v1/catalog/health/births?channel=research",
            "/v1/catalog/health/nothing",
            "/v1/catalog/health/births/",
            "/v1/catalog/births",
        ] {
            let answer = call(node.clone(), get(uri)).await;
            assert_error(&answer, StatusCode::NOT_FOUND, "not_found");
        }
        for (uri, code) in [
            ("/v1/catalog/health%20births", "bad_id"),
            (&format!("/v1/catalog/{}", "x".repeat(65)), "bad_id"),
            ("/v1/catalog/health/births?chanel=main", "bad_query"),
            ("/v1/catalog/health/births?channel=a%20b", "bad_query"),
            ("/v1/catalog/health/births?channel=", "bad_query"),
            ("/v1/catalog/%FF", "bad_path"),
        ] {
            let answer = call(node.clone(), get(uri)).await;
            assert_error(&answer, StatusCode::BAD_REQUEST, code);
        }
    }
}
