//! `GET /v1/assets/{id}`: a registered data asset and its history.

use crate::{
    error::{ApiError, echo},
    node::NodeApi,
    openapi::documented_tail,
    query::{self, ChannelQuery},
};
use axum::{
    Json,
    extract::{
        Path, Query, State,
        rejection::{PathRejection, QueryRejection},
    },
};
use dirchain_schema::{chain::ErrorBody, records::AssetDetail};
use utoipa_axum::router::OpenApiRouter;

pub fn routes<N: NodeApi>() -> OpenApiRouter<N> {
    OpenApiRouter::default().merge(documented_tail::<__path_asset, _, _, _>(asset::<N>))
}

/// An asset and its history.
///
/// The asset as it stands (owner, latest appraisal) and every entry of its
/// history, oldest first: registration, appraisals, transfers, licences.
/// An id holding `/` may be sent as it is or percent-encoded.
#[utoipa::path(
    get,
    path = "/v1/assets/{id}",
    tag = "ledger",
    params(
        ("id" = String, Path, description = "The asset's id", example = "asset/births"),
        ChannelQuery,
    ),
    responses(
        (status = 200, description = "The asset and its history", body = AssetDetail),
        (status = 400, description = "`bad_id`: not an identifier; `bad_query`: an unknown parameter or \
            a channel that is not an identifier; `bad_path`: not readable", body = ErrorBody),
        (status = 404, description = "`not_found`: no such asset in that channel in the index", body = ErrorBody),
        (status = 500, description = "`index`: the query index failed", body = ErrorBody),
        (status = 503, description = "`query_index_off`: this node keeps no query index; `unavailable`: the node is shutting down", body = ErrorBody),
    ),
)]
async fn asset<N: NodeApi>(
    State(node): State<N>,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<ChannelQuery>, QueryRejection>,
) -> Result<Json<AssetDetail>, ApiError> {
    let Path(id) = path?;
    let id = query::ident(&id)?;
    let Query(channel) = query?;
    let channel = channel.channel()?;
    let what = || format!("asset {} in channel {}", echo(&id), echo(&channel));
    let detail = query::one(&node, what, {
        let (id, channel) = (id.clone(), channel.clone());
        move |q| q.asset(&channel, &id)
    })
    .await?;
    Ok(Json(detail))
}

#[cfg(test)]
mod tests {
    use crate::mock::{MockNode, assert_error, call, get, ok};
    use axum::http::StatusCode;
    use dirchain_schema::records::AssetDetail;

    #[tokio::test]
    async fn an_asset_comes_with_its_history() {
        let node = MockNode::indexed().await;
        let body = ok(&node, "/v1/assets/asset%2Fbirths").await;
        assert_eq!(
            ok(&node, "/v1/assets/asset/births?channel=main").await,
            body
        );
        let detail: AssetDetail = serde_json::from_value(body).unwrap();
        assert_eq!(detail.asset.owner_org, "police");
        assert_eq!(detail.asset.item.as_deref(), Some("health/births"));
        assert_eq!(detail.asset.appraisal.as_ref().unwrap().value, 125_000);
        let kinds: Vec<&str> = detail.events.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["registered", "appraised", "transferred"]);
        assert_eq!(detail.events[2].from.as_deref(), Some("health"));
    }

    #[tokio::test]
    async fn an_unknown_asset_is_404_and_a_bad_id_400() {
        let node = MockNode::indexed().await;
        for uri in [
            "/v1/assets/asset/deaths",
            "/v1/assets/asset/births?channel=x",
        ] {
            let answer = call(node.clone(), get(uri)).await;
            assert_error(&answer, StatusCode::NOT_FOUND, "not_found");
        }
        for (uri, code) in [
            ("/v1/assets/asset%3Fbirths", "bad_id"),
            ("/v1/assets/asset/births?owner=police", "bad_query"),
        ] {
            let answer = call(node.clone(), get(uri)).await;
            assert_error(&answer, StatusCode::BAD_REQUEST, code);
        }
    }
}
