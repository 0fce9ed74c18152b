//! `GET /v1/accounts/{public_key}`: the nonces a signer needs for its next
//! transaction.

use crate::{error::ApiError, hex::parse_public_key, node::NodeApi, openapi::documented};
use axum::{
    Json,
    extract::{Path, State, rejection::PathRejection},
};
use dirchain_schema::chain::{Account, ErrorBody};
use utoipa_axum::router::OpenApiRouter;

pub fn routes<N: NodeApi>() -> OpenApiRouter<N> {
    OpenApiRouter::default().routes(documented::<__path_account, _, _, _>(account::<N>))
}

/// A signer's nonces.
///
/// The next nonce once everything final is applied, and the next one no
/// pending transaction holds (what a new transaction should carry). Any valid
/// key answers, enrolled or not.
#[utoipa::path(
    get,
    path = "/v1/accounts/{public_key}",
    tag = "accounts",
    params(
        ("public_key" = String, Path, description = "The signer's Ed25519 public key: 64 hex characters",
            example = "68c1e5d9a60ac8fb31dedf59cc8600d972207a0c23832a7e529375c7bbf3572e"),
    ),
    responses(
        (status = 200, description = "The signer's nonces", body = Account),
        (status = 400, description = "`bad_key`: not an Ed25519 public key in hex; `bad_path`: not readable", body = ErrorBody),
        (status = 500, description = "`storage`: the node failed to read its state", body = ErrorBody),
        (status = 503, description = "`unavailable`: the node is shutting down", body = ErrorBody),
    ),
)]
async fn account<N: NodeApi>(
    State(node): State<N>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<Account>, ApiError> {
    let Path(key) = path?;
    let key = parse_public_key(&key)?;
    let nonces = node.nonces(key.clone()).await?;
    Ok(Json(Account {
        public_key: key.to_string(),
        next_nonce: nonces.next,
        next_free_nonce: nonces.next_free,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mock::{MockNode, assert_error, call, documented_example, get};
    use axum::http::StatusCode;
    use commonware_cryptography::Signer;
    use dirchain_state::testkit;
    use serde_json::json;

    #[test]
    fn the_documented_example_is_a_real_key() {
        let key = testkit::key_for("health.admin").public_key();
        let example = documented_example("/v1/accounts/{public_key}", "public_key");
        assert_eq!(
            example,
            key.to_string(),
            "the test consortium's health.admin"
        );
    }

    #[tokio::test]
    async fn an_account_shows_both_nonces() {
        let node = MockNode::new();
        let key = testkit::key_for("health.admin").public_key();
        node.set_nonces(key.clone(), 4, 6);
        let (status, _, body) = call(node, get(&format!("/v1/accounts/{key}"))).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            body,
            json!({"public_key": key.to_string(), "next_nonce": 4, "next_free_nonce": 6})
        );
        let _: Account = serde_json::from_value(body).unwrap();
    }

    #[tokio::test]
    async fn a_key_never_seen_starts_at_zero() {
        let key = testkit::key_for("stranger").public_key();
        let upper = key.to_string().to_uppercase();
        let (status, _, body) = call(MockNode::new(), get(&format!("/v1/accounts/{upper}"))).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            body,
            json!({"public_key": key.to_string(), "next_nonce": 0, "next_free_nonce": 0})
        );
    }

    #[tokio::test]
    async fn a_bad_key_is_400() {
        let good = testkit::key_for("stranger").public_key().to_string();
        for bad in [
            "nothex".to_string(),
            good[..62].to_string(),
            format!("{good}00"),
            format!("0x{}", &good[2..]),
            format!("02{}", "00".repeat(31)),
            "a".repeat(10_000),
        ] {
            let answer = call(MockNode::new(), get(&format!("/v1/accounts/{bad}"))).await;
            assert_error(&answer, StatusCode::BAD_REQUEST, "bad_key");
        }
    }

    #[tokio::test]
    async fn accounts_of_a_stopping_node_are_503() {
        let node = MockNode::new();
        node.stop();
        let key = testkit::key_for("stranger").public_key();
        let answer = call(node, get(&format!("/v1/accounts/{key}"))).await;
        assert_error(&answer, StatusCode::SERVICE_UNAVAILABLE, "unavailable");
    }
}
