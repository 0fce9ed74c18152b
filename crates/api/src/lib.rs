//! The node's HTTP/JSON interface.
//!
//! Handlers reach the node only through [NodeApi], which the chain's
//! [Handle](dirchain_chain::Handle) implements and tests replace with a mock.
//! Each area of the interface is one module of `routes`; every failure, the
//! framework's own rejections included, leaves as one JSON shape,
//! `{"code": "...", "message": "..."}`: `code` is stable and meant for
//! programs, `message` for people.
//!
//! JSON fields are snake_case, digests and keys lowercase hex, heights numbers.
//!
//! | route | answer |
//! | --- | --- |
//! | `GET /healthz` | 200 `{"ok": true}` |
//! | `GET /v1/status` | 200: chain, identity, latest block, mempool, peers |
//! | `POST /v1/tx` | 202 `{"hash", "status": "pending"}`, `Location: /v1/tx/{hash}` |
//! | `GET /v1/tx/{hash}` | 200 `{"hash", "status": "pending"}` or `{"hash", "status": "finalized", "height", "index", "outcome"}`; 404 `{"hash", "status": "unknown"}` |
//!
//! `POST /v1/tx` takes the codec-encoded `SignedTx` either as the body with
//! `Content-Type: application/octet-stream`, or hex-encoded as
//! `{"tx": "<hex>"}` with `Content-Type: application/json`. An `outcome` is
//! `{"result": "applied"}` or `{"result": "access_refused", "refusal": "<label>"}`.
//!
//! Errors of the request itself:
//!
//! | status | code | when |
//! | --- | --- | --- |
//! | 400 | `empty_body` | no body, or an empty transaction |
//! | 400 | `bad_json` | the JSON does not parse or is not `{"tx": "<hex>"}` |
//! | 400 | `bad_hex` | `tx` is not hex |
//! | 400 | `bad_hash` | the hash in the path is not 64 hex characters |
//! | 400 | `bad_path`, `bad_body` | the path or body could not be read at all |
//! | 404 | `unknown_route` | no such route |
//! | 405 | `method_not_allowed` | the route exists; `Allow` lists its methods |
//! | 413 | `payload_too_large` | body above [MAX_BODY_BYTES], or transaction above `MAX_TX_BYTES` |
//! | 415 | `unsupported_media_type` | a body that is neither binary nor JSON |
//!
//! Errors from the node:
//!
//! | status | code |
//! | --- | --- |
//! | 503 + `Retry-After` | `busy`: the mempool is full |
//! | 429 + `Retry-After` | `signer_busy`: the signer has as many transactions pending as one may |
//! | 409 | `nonce_taken`: another pending transaction of the signer has this nonce |
//! | 503 | `unavailable`: the node is shutting down |
//!
//! A refused transaction answers with the `TxError` code, and a status by
//! what the sender has to change:
//!
//! | status | meaning | codes |
//! | --- | --- | --- |
//! | 400 | the transaction is wrong in itself | `malformed`, `bad_signature`, `wrong_chain`, `wrong_channel`, `invalid_field`, `personal_data_unconditional` |
//! | 403 | the signer may not do this | `unknown_signer`, `key_revoked`, `key_expired`, `org_inactive`, `wrong_role`, `not_channel_member`, `not_owner` |
//! | 409 | it conflicts with the current state | `stale_nonce`, `future_nonce`, `unknown_channel`, `not_found`, `already_exists`, `proposal_closed`, `proposal_expired`, `already_voted`, `invalid_action`, `item_retired`, `stale_version`, `not_shareable`, `already_decided`, `already_revoked`, `already_notarized` |
//! | 429 | a channel quota is spent | `quota_exceeded` |
//! | 500 | the node failed, not the transaction | `storage`, `corrupt_state` |

mod error;
mod hex;
mod node;
mod routes;
mod server;

#[cfg(test)]
mod mock;

pub use node::NodeApi;
pub use routes::{MAX_BODY_BYTES, router};
pub use server::serve;
