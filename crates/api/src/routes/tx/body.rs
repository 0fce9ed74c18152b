//! The bodies of `POST /v1/tx` (the encoded `SignedTx`, raw or as hex in
//! JSON) and `POST /v1/txs` (many, framed one by one, or as hex in JSON).

use crate::{error::ApiError, hex};
use axum::{
    body::Bytes,
    extract::{FromRequest, Request},
    http::{HeaderMap, StatusCode, header},
};
use dirchain_schema::chain::{TxBatchSubmit, TxSubmit};
use dirchain_types::{
    limits::{MAX_SUBMIT_BATCH, MAX_SUBMIT_BATCH_BYTES, MAX_TX_BYTES},
    tx::{SubmissionError, decode_submission},
};

/// Room for the JSON around the hex of a transaction, whitespace included.
pub const JSON_OVERHEAD_BYTES: usize = 1024;

/// The largest request body `POST /v1/tx` reads: the largest transaction as
/// hex in JSON. Larger bodies are refused with 413, having buffered no more.
pub const MAX_BODY_BYTES: usize = 2 * MAX_TX_BYTES + JSON_OVERHEAD_BYTES;

/// The largest request body `POST /v1/txs` reads: the largest batch as hex in
/// JSON, with room for the quotes and commas around each transaction.
pub const MAX_BATCH_BODY_BYTES: usize =
    2 * MAX_SUBMIT_BATCH_BYTES + 4 * MAX_SUBMIT_BATCH + JSON_OVERHEAD_BYTES;

pub const BINARY: &str = "application/octet-stream";
pub const JSON: &str = "application/json";

/// The encoded `SignedTx` of a submission, from either form of body.
pub struct TxBytes(pub Vec<u8>);

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
                content_type.map_or_else(|| "missing".to_string(), |c| crate::error::echo(&c))
            ))),
        }
    }
}

/// Reads a body of at most `limit` bytes, in the form its type names.
async fn read<S: Send + Sync>(
    request: Request,
    state: &S,
    limit: usize,
    what: &str,
) -> Result<(BodyForm, Bytes), ApiError> {
    // The type first: a body we cannot read is not worth buffering.
    let form = BodyForm::of(request.headers())?;
    let body = Bytes::from_request(request, state)
        .await
        .map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::payload_too_large(format!("the body is larger than {limit} bytes"))
            } else {
                ApiError::bad_body(rejection.body_text())
            }
        })?;
    if body.is_empty() {
        return Err(ApiError::empty_body(format!(
            "the request has no body: send {what}"
        )));
    }
    Ok((form, body))
}

impl<S: Send + Sync> FromRequest<S> for TxBytes {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let (form, body) = read(request, state, MAX_BODY_BYTES, "the transaction").await?;
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

fn from_json(body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let TxSubmit { tx } = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_json(format!("the body is not {{\"tx\": \"<hex>\"}}: {e}")))?;
    hex::decode(&tx).ok_or_else(|| {
        ApiError::bad_hex("\"tx\" must be the transaction's bytes as hex: pairs of 0-9, a-f")
    })
}

/// The encoded transactions of a batch submission, from either form of body.
pub struct TxBatchBytes(pub Vec<Vec<u8>>);

impl<S: Send + Sync> FromRequest<S> for TxBatchBytes {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let (form, body) = read(request, state, MAX_BATCH_BODY_BYTES, "the transactions").await?;
        let txs = match form {
            BodyForm::Binary => decode_submission(&body)
                .map_err(|e| match e {
                    SubmissionError::TooMany(count) => ApiError::too_many_txs(count),
                    SubmissionError::TooLarge => ApiError::payload_too_large(format!(
                        "the transactions come to more than {MAX_SUBMIT_BATCH_BYTES} bytes"
                    )),
                    SubmissionError::Malformed(_) => {
                        ApiError::bad_body(format!("the body is not a submission: {e}"))
                    }
                })?
                .into_iter()
                .map(Vec::from)
                .collect(),
            BodyForm::Json => batch_from_json(&body)?,
        };
        if txs.is_empty() {
            return Err(ApiError::empty_body("the batch holds no transaction"));
        }
        Ok(Self(txs))
    }
}

fn batch_from_json(body: &[u8]) -> Result<Vec<Vec<u8>>, ApiError> {
    let TxBatchSubmit { txs } = serde_json::from_slice(body).map_err(|e| {
        ApiError::bad_json(format!(
            "the body is not {{\"txs\": [\"<hex>\", ...]}}: {e}"
        ))
    })?;
    if txs.len() > MAX_SUBMIT_BATCH {
        return Err(ApiError::too_many_txs(txs.len()));
    }
    let mut total = 0;
    let mut decoded = Vec::with_capacity(txs.len());
    for (index, tx) in txs.iter().enumerate() {
        let bytes = hex::decode(tx).ok_or_else(|| {
            ApiError::bad_hex(format!(
                "\"txs\"[{index}] must be a transaction's bytes as hex: pairs of 0-9, a-f"
            ))
        })?;
        if bytes.len() > MAX_TX_BYTES {
            return Err(ApiError::payload_too_large(format!(
                "\"txs\"[{index}] is {} bytes; the limit is {MAX_TX_BYTES}",
                bytes.len()
            )));
        }
        total += bytes.len();
        if total > MAX_SUBMIT_BATCH_BYTES {
            return Err(ApiError::payload_too_large(format!(
                "the transactions come to more than {MAX_SUBMIT_BATCH_BYTES} bytes"
            )));
        }
        decoded.push(bytes);
    }
    Ok(decoded)
}
