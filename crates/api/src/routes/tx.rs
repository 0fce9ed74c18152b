//! Transactions: `POST /v1/tx` submits one (and may wait for it to be
//! final), `POST /v1/txs` many at once, `GET /v1/tx/{hash}` follows one.

mod body;
mod wait;

use crate::{error::ApiError, hex::parse_digest, node::NodeApi, openapi::documented, query};
use axum::{
    Json,
    extract::{
        DefaultBodyLimit, Path, Query, State,
        rejection::{PathRejection, QueryRejection},
    },
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use dirchain_chain::TxStatus as NodeTxStatus;
use dirchain_schema::{
    chain::{
        ErrorBody, Outcome, OutcomeResult, TxBatchResults, TxBatchSubmit, TxState, TxStatus,
        TxSubmit, TxSubmitted, TxWait,
    },
    records::{TxOutcome, TxView},
};
use dirchain_state::Outcome as NodeOutcome;
use dirchain_types::ids::Digest;
use utoipa_axum::{router::OpenApiRouter, router::UtoipaMethodRouterExt};

pub use body::{MAX_BATCH_BODY_BYTES, MAX_BODY_BYTES};
use body::{TxBatchBytes, TxBytes};
pub use wait::WAIT_POLL_INTERVAL;

pub fn routes<N: NodeApi>() -> OpenApiRouter<N> {
    OpenApiRouter::default()
        .routes(
            documented::<__path_submit, _, _, _>(submit::<N>)
                .layer(DefaultBodyLimit::max(MAX_BODY_BYTES)),
        )
        .routes(
            documented::<__path_submit_batch, _, _, _>(submit_batch::<N>)
                .layer(DefaultBodyLimit::max(MAX_BATCH_BODY_BYTES)),
        )
        .routes(documented::<__path_tx_status, _, _, _>(tx_status::<N>))
}

/// Submit a signed transaction.
///
/// The codec-encoded `SignedTx` is the body (`application/octet-stream`), or
/// hex in `{"tx": "<hex>"}` (`application/json`). Answers once the node has
/// checked it and taken it into its mempool; with `wait=final`, once it is
/// final, or `wait_timeout` after `timeout_ms` (default 10000, at most 60000).
/// A transaction admitted and then refused when a block was built (the state
/// changed under it) ends the wait with its refusal's code and status, as
/// if it had been refused on admission.
#[utoipa::path(
    post,
    path = "/v1/tx",
    tag = "transactions",
    params(crate::openapi::QueryParams<TxWait>),
    request_body(
        description = "The codec-encoded SignedTx, raw or as hex in JSON",
        content(
            ("application/octet-stream"),
            (TxSubmit = "application/json"),
        ),
    ),
    responses(
        (status = 200, description = "With `wait=final`: the transaction is final", body = TxStatus),
        (status = 202, description = "Taken into the mempool; `Location` is where to follow it", body = TxStatus,
            headers(("Location" = String, description = "/v1/tx/{hash}"))),
        (status = 400, description = "The request or the transaction is wrong in itself: `empty_body`, \
            `bad_json`, `bad_hex`, `bad_body`, `bad_query`, `malformed`, `bad_signature`, `wrong_chain`, \
            `wrong_channel`, `invalid_field`, `personal_data_unconditional`", body = ErrorBody),
        (status = 403, description = "The signer may not do this: `unknown_signer`, `key_revoked`, \
            `key_expired`, `org_inactive`, `wrong_role`, `not_channel_member`, `not_owner`", body = ErrorBody),
        (status = 409, description = "It conflicts with the current state: `nonce_taken`, `stale_nonce`, \
            `future_nonce`, `unknown_channel`, `not_found`, `already_exists`, `proposal_closed`, \
            `proposal_expired`, `already_voted`, `invalid_action`, `item_retired`, `stale_version`, \
            `not_shareable`, `already_decided`, `already_revoked`, `already_notarized`", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: the body or the transaction is above its limit", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: neither of the two body forms", body = ErrorBody),
        (status = 429, description = "`signer_busy` (with `Retry-After`): the signer has as many \
            transactions pending as one may; `quota_exceeded`: a channel quota is spent", body = ErrorBody),
        (status = 500, description = "The node failed, not the transaction: `storage`, `corrupt_state`", body = ErrorBody),
        (status = 503, description = "`busy` (with `Retry-After`): the mempool is full, or \
            clients already keep waiting what the node finalizes in a second; `unavailable`: the \
            node is shutting down", body = ErrorBody),
        (status = 504, description = "`wait_timeout`: with `wait=final`, the transaction was taken but \
            is not final yet; follow it at `/v1/tx/{hash}` (the message names the hash)", body = ErrorBody),
    ),
)]
async fn submit<N: NodeApi>(
    State(node): State<N>,
    query: Result<Query<TxWait>, QueryRejection>,
    TxBytes(tx): TxBytes,
) -> Result<Response, ApiError> {
    // Checked before submitting: a bad query must not leave a transaction behind.
    let timeout = wait::timeout(query?.0)?;
    let hash = node.submit(tx).await?;
    let Some(timeout) = timeout else {
        return Ok((
            StatusCode::ACCEPTED,
            [(header::LOCATION, format!("/v1/tx/{hash}"))],
            Json(document(hash, NodeTxStatus::Pending)),
        )
            .into_response());
    };
    let status = wait::until_final(&node, hash, timeout).await?;
    Ok((StatusCode::OK, Json(document(hash, status))).into_response())
}

/// Submit many signed transactions at once.
///
/// For agencies' systems that record in volume (a gateway's outbox, an
/// import): one request, one batch signature check, instead of one each.
/// The body is a varint count, then each codec-encoded `SignedTx` behind its
/// varint length (`application/octet-stream`), or `{"txs": ["<hex>", ...]}`
/// (`application/json`): at most 1,000 transactions and 4 MiB of them.
/// They are admitted in order, so one signer's consecutive nonces may follow
/// each other. Each gets its own verdict, in order: its hash when taken into
/// the mempool (or already pending or final), or the error `POST /v1/tx`
/// would have answered for it alone. Follow them at `/v1/tx/{hash}`.
#[utoipa::path(
    post,
    path = "/v1/txs",
    tag = "transactions",
    request_body(
        description = "The transactions, framed one by one, or as hex in JSON",
        content(
            ("application/octet-stream"),
            (TxBatchSubmit = "application/json"),
        ),
    ),
    responses(
        (status = 200, description = "Every transaction's verdict, in order; some may be refused",
            body = TxBatchResults),
        (status = 400, description = "The request as a whole: `empty_body` (no body, or no \
            transaction), `bad_json`, `bad_hex`, `bad_body` (not a submission)", body = ErrorBody),
        (status = 413, description = "`too_many_txs`: more than 1,000 transactions; \
            `payload_too_large`: the body, a transaction or their total is above its limit", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: neither of the two body forms", body = ErrorBody),
        (status = 503, description = "`unavailable`: the node is shutting down", body = ErrorBody),
    ),
)]
async fn submit_batch<N: NodeApi>(
    State(node): State<N>,
    TxBatchBytes(txs): TxBatchBytes,
) -> Result<Json<TxBatchResults>, ApiError> {
    let verdicts = node.submit_batch(txs).await?;
    let accepted = verdicts.iter().filter(|v| v.is_ok()).count();
    let results: Vec<TxSubmitted> = verdicts
        .into_iter()
        .map(|verdict| match verdict {
            Ok(hash) => TxSubmitted {
                hash: Some(hash.to_string()),
                error: None,
            },
            Err(error) => TxSubmitted {
                hash: None,
                error: Some(ErrorBody {
                    code: error.code().to_string(),
                    message: error.to_string(),
                }),
            },
        })
        .collect();
    Ok(Json(TxBatchResults {
        accepted,
        refused: results.len() - accepted,
        results,
    }))
}

/// Follow a transaction.
///
/// Pending in the mempool, final (in which block, at which position, with
/// which outcome), rejected, or unknown to this node. A transaction final
/// before the node last restarted is found in the query index.
#[utoipa::path(
    get,
    path = "/v1/tx/{hash}",
    tag = "transactions",
    params(
        ("hash" = String, Path, description = "The transaction's hash: 64 hex characters",
            example = "6ab5b1e2c1f0f0d5a3e0b4e2c66b1e4a3c2d9f1e0b7a6c5d4e3f2a1b0c9d8e7f"),
    ),
    responses(
        (status = 200, description = "Pending, final, or rejected (admitted, then refused when a block \
            was built: `error` says why)", body = TxStatus),
        (status = 400, description = "`bad_hash`: not 64 hex characters; `bad_path`: not readable", body = ErrorBody),
        (status = 404, description = "Unknown to this node: the body still names the hash, with status `unknown`", body = TxStatus),
        (status = 500, description = "`storage`: the node failed to read its records; `index`: the \
            query index failed", body = ErrorBody),
        (status = 503, description = "`query_index_off`: the transaction is not among this node's \
            recent ones, and it keeps no query index to look further; `unavailable`: the node is \
            shutting down", body = ErrorBody),
    ),
)]
async fn tx_status<N: NodeApi>(
    State(node): State<N>,
    path: Result<Path<String>, PathRejection>,
) -> Result<(StatusCode, Json<TxStatus>), ApiError> {
    let Path(hash) = path?;
    let hash = parse_digest(&hash)?;
    let status = match node.tx_status(hash).await? {
        // The chain remembers the transactions of its recent blocks; the
        // index, every final one.
        NodeTxStatus::Unknown => match query::run(&node, move |q| q.tx(&hash)).await? {
            Some(view) => indexed_document(view),
            None => document(hash, NodeTxStatus::Unknown),
        },
        status => document(hash, status),
    };
    // Unknown is an answer, not a failure: the body still names the hash.
    let code = match status.status {
        TxState::Unknown => StatusCode::NOT_FOUND,
        TxState::Pending | TxState::Finalized | TxState::Rejected => StatusCode::OK,
    };
    Ok((code, Json(status)))
}

fn document(hash: Digest, status: NodeTxStatus) -> TxStatus {
    let bare = |status| TxStatus {
        hash: hash.to_string(),
        status,
        height: None,
        index: None,
        outcome: None,
        error: None,
    };
    match status {
        NodeTxStatus::Pending => bare(TxState::Pending),
        NodeTxStatus::Unknown => bare(TxState::Unknown),
        NodeTxStatus::Finalized {
            height,
            index,
            outcome,
        } => TxStatus {
            height: Some(height),
            index: Some(index),
            outcome: Some(outcome_document(outcome)),
            ..bare(TxState::Finalized)
        },
        NodeTxStatus::Rejected { code, message } => TxStatus {
            error: Some(ErrorBody {
                code: code.to_string(),
                message,
            }),
            ..bare(TxState::Rejected)
        },
    }
}

/// A final transaction as the index holds it.
fn indexed_document(view: TxView) -> TxStatus {
    let result = match view.outcome {
        TxOutcome::Applied => OutcomeResult::Applied,
        TxOutcome::AccessRefused => OutcomeResult::AccessRefused,
    };
    TxStatus {
        hash: view.hash,
        status: TxState::Finalized,
        height: Some(view.height),
        index: Some(view.index),
        outcome: Some(Outcome {
            result,
            refusal: view.refusal,
        }),
        error: None,
    }
}

fn outcome_document(outcome: NodeOutcome) -> Outcome {
    match outcome {
        NodeOutcome::Applied => Outcome {
            result: OutcomeResult::Applied,
            refusal: None,
        },
        // Included all the same: the refused attempt is on the record.
        NodeOutcome::AccessRefused(refusal) => Outcome {
            result: OutcomeResult::AccessRefused,
            refusal: Some(refusal.label().to_string()),
        },
    }
}

#[cfg(test)]
mod tests;
