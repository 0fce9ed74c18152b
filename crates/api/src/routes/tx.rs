//! Transactions: `POST /v1/tx` submits one, `GET /v1/tx/{hash}` follows it.

use crate::{
    error::ApiError,
    hex::{self, parse_digest},
    node::NodeApi,
};
use axum::{
    Json, Router,
    body::Bytes,
    extract::{DefaultBodyLimit, FromRequest, Path, Request, State, rejection::PathRejection},
    http::{HeaderMap, StatusCode, header},
    response::IntoResponse,
    routing::{get, post},
};
use dirchain_chain::TxStatus;
use dirchain_state::Outcome;
use dirchain_types::{ids::Digest, limits::MAX_TX_BYTES};
use serde::{Deserialize, Serialize};

/// Room for the JSON around the hex of a transaction, whitespace included.
const JSON_OVERHEAD_BYTES: usize = 1024;

/// The largest request body `POST /v1/tx` reads: the largest transaction as
/// hex in JSON. Larger bodies are refused with 413, having buffered no more.
pub const MAX_BODY_BYTES: usize = 2 * MAX_TX_BYTES + JSON_OVERHEAD_BYTES;

const BINARY: &str = "application/octet-stream";
const JSON: &str = "application/json";

pub fn routes<N: NodeApi>() -> Router<N> {
    Router::new()
        .route(
            "/v1/tx",
            post(submit::<N>).layer(DefaultBodyLimit::max(MAX_BODY_BYTES)),
        )
        .route("/v1/tx/{hash}", get(tx_status::<N>))
}

async fn submit<N: NodeApi>(
    State(node): State<N>,
    TxBytes(tx): TxBytes,
) -> Result<impl IntoResponse, ApiError> {
    let hash = node.submit(tx).await?;
    Ok((
        StatusCode::ACCEPTED,
        [(header::LOCATION, format!("/v1/tx/{hash}"))],
        Json(TxStatusBody::new(hash, TxStatus::Pending)),
    ))
}

async fn tx_status<N: NodeApi>(
    State(node): State<N>,
    path: Result<Path<String>, PathRejection>,
) -> Result<(StatusCode, Json<TxStatusBody>), ApiError> {
    let Path(hash) = path?;
    let hash = parse_digest(&hash)?;
    let status = node.tx_status(hash).await?;
    // Unknown is an answer, not a failure: the body still names the hash.
    let code = match status {
        TxStatus::Unknown => StatusCode::NOT_FOUND,
        TxStatus::Pending | TxStatus::Finalized { .. } => StatusCode::OK,
    };
    Ok((code, Json(TxStatusBody::new(hash, status))))
}

/// The encoded `SignedTx` of a submission, from either form of body.
struct TxBytes(Vec<u8>);

enum BodyForm {
    Binary,
    Json,
}

impl BodyForm {
    fn of(headers: &HeaderMap) -> Result<Self, ApiError> {
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
        // Parameters such as `charset` change nothing for either form.
        let essence = content_type
            .as_deref()
            .and_then(|value| value.split(';').next())
            .map(str::trim);
        match essence {
            Some(e) if e.eq_ignore_ascii_case(BINARY) => Ok(Self::Binary),
            Some(e) if e.eq_ignore_ascii_case(JSON) => Ok(Self::Json),
            _ => Err(ApiError::unsupported_media_type(format!(
                "Content-Type {}: send the encoded transaction as {BINARY}, \
                 or {{\"tx\": \"<hex>\"}} as {JSON}",
                content_type.map_or_else(|| "missing".to_string(), |c| format!("{c:?}"))
            ))),
        }
    }
}

impl<S: Send + Sync> FromRequest<S> for TxBytes {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        // The type first: a body we cannot read is not worth buffering.
        let form = BodyForm::of(request.headers())?;
        let body = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::payload_too_large(format!(
                        "the body is larger than {MAX_BODY_BYTES} bytes"
                    ))
                } else {
                    ApiError::bad_body(rejection.body_text())
                }
            })?;
        if body.is_empty() {
            return Err(ApiError::empty_body(
                "the request has no body: send the transaction",
            ));
        }
        let tx = match form {
            BodyForm::Binary => body.into(),
            BodyForm::Json => from_json(&body)?,
        };
        if tx.is_empty() {
            return Err(ApiError::empty_body("the transaction is empty"));
        }
        if tx.len() > MAX_TX_BYTES {
            return Err(ApiError::payload_too_large(format!(
                "the transaction is {} bytes; the limit is {MAX_TX_BYTES}",
                tx.len()
            )));
        }
        Ok(Self(tx))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TxJson {
    tx: String,
}

fn from_json(body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let TxJson { tx } = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_json(format!("the body is not {{\"tx\": \"<hex>\"}}: {e}")))?;
    hex::decode(&tx).ok_or_else(|| {
        ApiError::bad_hex("\"tx\" must be the transaction's bytes as hex: pairs of 0-9, a-f")
    })
}

#[derive(Serialize)]
struct TxStatusBody {
    hash: String,
    #[serde(flatten)]
    state: TxState,
}

#[derive(Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
enum TxState {
    Pending,
    Finalized {
        height: u64,
        index: u32,
        outcome: OutcomeBody,
    },
    Unknown,
}

#[derive(Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
enum OutcomeBody {
    Applied,
    /// Included all the same: the refused attempt is on the record.
    AccessRefused {
        refusal: &'static str,
    },
}

impl TxStatusBody {
    fn new(hash: Digest, status: TxStatus) -> Self {
        let state = match status {
            TxStatus::Pending => TxState::Pending,
            TxStatus::Unknown => TxState::Unknown,
            TxStatus::Finalized {
                height,
                index,
                outcome,
            } => TxState::Finalized {
                height,
                index,
                outcome: match outcome {
                    Outcome::Applied => OutcomeBody::Applied,
                    Outcome::AccessRefused(refusal) => OutcomeBody::AccessRefused {
                        refusal: refusal.label(),
                    },
                },
            },
        };
        Self {
            hash: hash.to_string(),
            state,
        }
    }
}

#[cfg(test)]
mod tests;
