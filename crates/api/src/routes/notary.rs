//! `GET /v1/notary/{digest}`: when, by whom and as what a document digest
//! was notarized.

use crate::{
    error::{ApiError, echo},
    hex::parse_digest,
    node::NodeApi,
    openapi::documented,
    query::{self, ChannelQuery},
};
use axum::{
    Json,
    extract::{
        Path, Query, State,
        rejection::{PathRejection, QueryRejection},
    },
};
use dirchain_schema::{chain::ErrorBody, records::NotaryView};
use utoipa_axum::router::OpenApiRouter;

pub fn routes<N: NodeApi>() -> OpenApiRouter<N> {
    OpenApiRouter::default().routes(documented::<__path_notary, _, _, _>(notary::<N>))
}

/// A notarized document.
///
/// The notary record of a document's SHA-256 digest. To check it without
/// trusting this node, fetch its proof at `/v1/proof/{key}`.
#[utoipa::path(
    get,
    path = "/v1/notary/{digest}",
    tag = "ledger",
    params(
        ("digest" = String, Path, description = "The document's SHA-256: 64 hex characters",
            example = "6ab5b1e2c1f0f0d5a3e0b4e2c66b1e4a3c2d9f1e0b7a6c5d4e3f2a1b0c9d8e7f"),
        ChannelQuery,
    ),
    responses(
        (status = 200, description = "The notary record", body = NotaryView),
        (status = 400, description = "`bad_hash`: not 64 hex characters; `bad_query`: an unknown parameter \
            or a channel that is not an identifier; `bad_path`: not readable", body = ErrorBody),
        (status = 404, description = "`not_found`: the digest is not notarized in that channel (as far as \
            the index has come)", body = ErrorBody),
        (status = 500, description = "`index`: the query index failed", body = ErrorBody),
        (status = 503, description = "`query_index_off`: this node keeps no query index; `unavailable`: the node is shutting down", body = ErrorBody),
    ),
)]
async fn notary<N: NodeApi>(
    State(node): State<N>,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<ChannelQuery>, QueryRejection>,
) -> Result<Json<NotaryView>, ApiError> {
    let Path(digest) = path?;
    let digest = parse_digest(&digest)?;
    let Query(channel) = query?;
    let channel = channel.channel()?;
    let what = || format!("a notarization of {digest} in channel {}", echo(&channel));
    let view = query::one(&node, what, {
        let channel = channel.clone();
        move |q| q.notary(&channel, &digest)
    })
    .await?;
    Ok(Json(view))
}

#[cfg(test)]
mod tests {
    use crate::{
        fixture::SCENARIO,
        mock::{MockNode, assert_error, call, get, ok},
    };
    use axum::http::StatusCode;
    use dirchain_schema::records::NotaryView;
    use dirchain_types::ids::sha256;

    #[tokio::test]
    async fn a_notarized_digest_shows_who_notarized_it() {
        let node = MockNode::indexed().await;
        let digest = SCENARIO.made.notarized;
        let body = ok(&node, &format!("/v1/notary/{digest}")).await;
        assert_eq!(
            ok(&node, &format!("/v1/notary/{digest}?channel=main")).await,
            body
        );
        let view: NotaryView = serde_json::from_value(body).unwrap();
        assert_eq!(view.digest, digest.to_string());
        assert_eq!((view.org.as_str(), view.kind.as_str()), ("tax", "contract"));
        assert_eq!(view.meta, "lease of the town hall");
    }

    #[tokio::test]
    async fn a_digest_not_notarized_is_404_and_a_bad_one_400() {
        let node = MockNode::indexed().await;
        let digest = SCENARIO.made.notarized;
        for uri in [
            format!("/v1/notary/{}", sha256(&[b"another document"])),
            format!("/v1/notary/{digest}?channel=research"),
        ] {
            let answer = call(node.clone(), get(&uri)).await;
            assert_error(&answer, StatusCode::NOT_FOUND, "not_found");
        }
        for (uri, code) in [
            ("/v1/notary/lease.pdf".to_string(), "bad_hash"),
            (format!("/v1/notary/{digest}?kind=contract"), "bad_query"),
        ] {
            let answer = call(node.clone(), get(&uri)).await;
            assert_error(&answer, StatusCode::BAD_REQUEST, code);
        }
    }
}
