//! `GET /v1/txs`: finalized transactions, newest first.

use crate::{
    error::ApiError,
    node::NodeApi,
    openapi::documented,
    query::{self, check_limit},
};
use axum::{
    Json,
    extract::{Query, State, rejection::QueryRejection},
};
use dirchain_schema::{
    chain::ErrorBody,
    records::{Page, TxQuery, TxView},
};
use utoipa_axum::router::OpenApiRouter;

pub fn routes<N: NodeApi>() -> OpenApiRouter<N> {
    OpenApiRouter::default().routes(documented::<__path_txs, _, _, _>(txs::<N>))
}

/// List finalized transactions.
///
/// Newest first (chain order); filters by block and by kind.
#[utoipa::path(
    get,
    path = "/v1/txs",
    tag = "chain",
    params(TxQuery),
    responses(
        (status = 200, description = "A page of finalized transactions, newest first", body = Page<TxView>),
        (status = 400, description = "`bad_query`: an unknown parameter, a value of the wrong type, or \
            `limit` not from 1 to 500; `bad_filter`: `kind` is not a transaction kind; \
            `bad_cursor`: a cursor this list did not return", body = ErrorBody),
        (status = 500, description = "`index`: the query index failed", body = ErrorBody),
        (status = 503, description = "`query_index_off`: this node keeps no query index; `unavailable`: the node is shutting down", body = ErrorBody),
    ),
)]
async fn txs<N: NodeApi>(
    State(node): State<N>,
    query: Result<Query<TxQuery>, QueryRejection>,
) -> Result<Json<Page<TxView>>, ApiError> {
    let Query(filter) = query?;
    check_limit(filter.limit)?;
    Ok(Json(query::run(&node, move |q| q.txs(&filter)).await?))
}

#[cfg(test)]
mod tests {
    use crate::{
        fixture::SCENARIO,
        mock::{MockNode, assert_error, call, get, ok},
    };
    use axum::http::StatusCode;

    /// Every hash of the list at `uri` (which has a query), page by page.
    async fn all_pages(node: &MockNode, uri: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut next = uri.to_string();
        loop {
            let body = ok(node, &next).await;
            for tx in body["items"].as_array().unwrap() {
                out.push(tx["hash"].as_str().unwrap().to_string());
            }
            match body["next_cursor"].as_str() {
                Some(cursor) => next = format!("{uri}&cursor={cursor}"),
                None => return out,
            }
        }
    }

    #[tokio::test]
    async fn every_transaction_is_listed_once_newest_first() {
        let node = MockNode::indexed().await;
        let newest_first: Vec<String> = SCENARIO
            .made
            .txs
            .iter()
            .rev()
            .map(ToString::to_string)
            .collect();
        assert_eq!(all_pages(&node, "/v1/txs?limit=3").await, newest_first);
        assert_eq!(
            all_pages(&node, "/v1/txs?kind=record-access").await,
            [
                SCENARIO.made.refused_access.to_string(),
                SCENARIO.made.allowed_access.to_string()
            ]
        );
    }

    #[tokio::test]
    async fn a_block_lists_exactly_its_transactions() {
        let node = MockNode::indexed().await;
        let first = ok(&node, "/v1/txs?limit=1").await;
        let height = first["items"][0]["height"].as_u64().unwrap();
        let in_block = ok(&node, &format!("/v1/txs?height={height}&limit=500")).await;
        let items = in_block["items"].as_array().unwrap();
        assert!(!items.is_empty());
        assert!(items.iter().all(|t| t["height"] == height));
        let indices: Vec<u64> = items.iter().map(|t| t["index"].as_u64().unwrap()).collect();
        let expected: Vec<u64> = (0..items.len() as u64).rev().collect();
        assert_eq!(
            indices, expected,
            "every transaction of the block, last first"
        );
        let beyond = ok(&node, &format!("/v1/txs?height={}", height + 1)).await;
        assert!(beyond["items"].as_array().unwrap().is_empty());
    }

    #[tokio::test]
    async fn bad_tx_queries_are_400() {
        let node = MockNode::indexed().await;
        for (uri, code) in [
            ("/v1/txs?kind=transfer-money", "bad_filter"),
            ("/v1/txs?height=-1", "bad_query"),
            ("/v1/txs?limit=501", "bad_query"),
            ("/v1/txs?cursor=zz", "bad_cursor"),
            ("/v1/txs?signer=x", "bad_query"),
        ] {
            let answer = call(node.clone(), get(uri)).await;
            assert_error(&answer, StatusCode::BAD_REQUEST, code);
        }
    }
}
