//! The node's HTTP/JSON interface.
//!
//! Handlers reach the node only through [NodeApi], which [Node] implements
//! (the chain's [Handle](dirchain_chain::Handle) and the query index
//! beside it) and tests replace with a mock. The chain answers what is
//! pending or just final, blocks, proofs (of state values and of access
//! records in the access log) and nonces; the query index
//! (`dirchain-index`, a SQLite copy of the finalized ledger that
//! [follow_chain] keeps in step) answers the lists and the records by id,
//! as of `indexed_height`. Index reads are synchronous and run on blocking
//! threads. A validator that serves no queries may run without the index
//! (`query_index = false` in its config): its index routes answer 503
//! `query_index_off`, and its chain routes are unchanged.
//! Each area of the interface is one module of `routes`, an `OpenApiRouter`
//! of operations declared with `#[utoipa::path]`: the router and the OpenAPI
//! 3.1 document ([openapi], served at `/openapi.json`) come from the same
//! declarations, and a test checks the one against the other. The JSON
//! documents are those of `dirchain_schema::chain`, which the SDK reads.
//!
//! [serve] also serves the web explorer (`dirchain-explorer`) at `/`, beside
//! these routes and outside the OpenAPI document: it is a client of them.
//!
//! Every failure, the framework's own rejections included, leaves as one JSON
//! shape, `{"code": "...", "message": "..."}`: `code` is stable and meant for
//! programs, `message` for people. JSON fields are snake_case, digests, keys
//! and binary values lowercase hex, heights numbers.
//!
//! | route | answer |
//! | --- | --- |
//! | `GET /healthz` | 200 `{"ok": true}`, without asking the node |
//! | `GET /metrics` | 200 Prometheus text (`text/plain; version=0.0.4`): the node's metrics, then `dirchain_api_requests_total` by route, method and status class |
//! | `GET /openapi.json` | 200 the OpenAPI 3.1 document |
//! | `GET /v1/status` | 200 `Status`: chain, identity, latest block, mempool, peers, `query_index` (whether this node keeps one), `indexed_height` |
//! | `POST /v1/tx` | 202 `TxStatus` `{"hash", "status": "pending"}`, `Location: /v1/tx/{hash}` |
//! | `POST /v1/tx?wait=final&timeout_ms=N` | 200 `TxStatus` once final; the refusal's own code and status if it is rejected when a block is built; 504 `wait_timeout` (naming the hash) after N ms (default 10000, at most 60000) |
//! | `POST /v1/txs` | 200 `TxBatchResults` `{"accepted", "refused", "results": [{"hash"} or {"error": {"code", "message"}}, ...]}`, one per transaction in order |
//! | `GET /v1/tx/{hash}` | 200 `{"hash", "status": "pending"}`, `{"hash", "status": "finalized", "height", "index", "outcome"}` or `{"hash", "status": "rejected", "error": {"code", "message"}}`; 404 `{"hash", "status": "unknown"}` |
//! | `GET /v1/accounts/{public_key}` | 200 `Account` `{"public_key", "next_nonce", "next_free_nonce"}` |
//! | `GET /v1/blocks/{height}` or `/v1/blocks/latest` | 200 `BlockInfo` `{"header", "header_hex", "certificate_hex" (null for genesis), "txs"}` |
//! | `GET /v1/network?blocks=` | 200 `Network`: the newest blocks this node applied (interval, finality as seen here) and which validators signed the newest certificates |
//! | `GET /v1/txs` | 200 `Page<TxView>`, newest first (`height`, `kind`, `limit`, `cursor`) |
//! | `GET /v1/proof/{key}` | 200 `Proof` `{"key", "value_hex" (null: absent), "proof_hex", "height", "header", "header_hex", "certificate_hex"}` |
//! | `GET /v1/access-log/{location}` | 200 `AccessProof` `{"location", "value_hex" (the encoded `LoggedAccess`), "record" (as `AccessView`), "proof_hex", "height", "header", "header_hex", "certificate_hex"}`: the access record at that location of the access log, proven against the state root |
//! | `GET /v1/orgs` | 200 `Page<OrgView>` by id (`limit`, `cursor`) |
//! | `GET /v1/orgs/{id}` | 200 `OrgDetail` `{"org", "members", "duties"}` |
//! | `GET /v1/catalog` | 200 `Page<ItemView>` in publication order (`q`, `org`, `share_class`, `duty`, `channel`, `include_retired`, `limit`, `cursor`) |
//! | `GET /v1/catalog/{id}?channel=` | 200 `ItemDetail` `{"item", "versions"}` |
//! | `GET /v1/permissions` | 200 `Page<PermissionView>`, latest grant first (`consumer`, `owner`, `item`, `status` = live/expired/revoked, `channel`, `limit`, `cursor`) |
//! | `GET /v1/permissions/{id}?channel=` | 200 `PermissionView` |
//! | `GET /v1/requests` | 200 `Page<RequestView>`, newest first (`consumer`, `owner`, `item`, `status` = pending/approved/denied, `channel`, `limit`, `cursor`) |
//! | `GET /v1/requests/{id}?channel=` | 200 `RequestView` |
//! | `GET /v1/access` | 200 `Page<AccessView>`, newest first (`consumer`, `provider`, `item`, `permission`, `from_ms`, `to_ms`, `refused` = true/false, `limit`, `cursor`) |
//! | `GET /v1/access/daily` | 200 `AccessDaily`: accepted and refused per day (UTC) and consuming organisation (the filters of `/v1/access` without paging; the last 30 days by default, at most 367) |
//! | `GET /v1/access/export` | 200 `text/csv`: every access the filters of `/v1/access` select, newest first; 400 `export_too_large` beyond 100,000 |
//! | `GET /v1/access/{id}?channel=` | 200 `AccessView` |
//! | `POST /v1/subjects/accesses` | 200 `Page<AccessView>` naming the person of `{"subject": "<raw identifier>", "limit"?, "cursor"?}` |
//! | `GET /v1/notary/{digest}?channel=` | 200 `NotaryView` |
//! | `GET /v1/assets/{id}?channel=` | 200 `AssetDetail` `{"asset", "events"}` |
//! | `GET /v1/proposals` | 200 `Page<ProposalView>`, newest first (`status`, `limit`, `cursor`) |
//! | `GET /v1/proposals/{id}` | 200 `ProposalView` |
//!
//! Index routes: `channel` defaults to `main` for records named by an
//! identifier or digest within a channel (items, assets, notarizations); for
//! records named by a transaction hash (permissions, requests, accesses) it
//! is optional and, when given, must be the record's. Ids that hold `/`
//! (`health/births`) may be sent percent-encoded in one segment or as they
//! are. A permission's `status` is judged at the latest finalized block's
//! time. `GET /v1/tx/{hash}` also finds, in the index, transactions final
//! before the node last restarted; a transaction admitted and then refused
//! when a block was built answers 200 `{"status": "rejected", "error":
//! {"code", "message"}}`, and ends a `wait=final` with that code and the
//! status the tables below give it.
//!
//! `POST /v1/tx` takes the codec-encoded `SignedTx` either as the body with
//! `Content-Type: application/octet-stream`, or hex-encoded as
//! `{"tx": "<hex>"}` with `Content-Type: application/json`. An `outcome` is
//! `{"result": "applied"}` or `{"result": "access_refused", "refusal": "<label>"}`.
//! A query that cannot be honoured is refused before the transaction is
//! submitted.
//!
//! `POST /v1/txs` takes up to `MAX_SUBMIT_BATCH` (1,000) transactions, 4 MiB
//! of them: a varint count then each encoded `SignedTx` behind its varint
//! length (`application/octet-stream`; `dirchain_types::tx::encode_submission`
//! makes it), or `{"txs": ["<hex>", ...]}`. It answers 200 with each
//! transaction's verdict in order, `{"hash"}` or `{"error": {"code",
//! "message"}}` with the codes below, and the count of each.
//!
//! Errors of the request itself:
//!
//! | status | code | when |
//! | --- | --- | --- |
//! | 400 | `empty_body` | no body, or an empty transaction, or a batch of none |
//! | 400 | `bad_json` | the JSON does not parse or is not `{"tx": "<hex>"}` (`{"txs": [...]}` for a batch; wrong types, unknown fields) |
//! | 400 | `bad_hex` | `tx` (or an entry of `txs`) is not hex |
//! | 400 | `bad_hash` | the hash in the path is not 64 hex characters |
//! | 400 | `bad_key` | the public key or state key in the path is not hex of the right length (or not an Ed25519 point) |
//! | 400 | `bad_height` | the height in the path is neither a decimal `u64` nor `latest` |
//! | 400 | `bad_location` | the access log location in the path is not a decimal `u64` |
//! | 400 | `bad_query` | an unknown query parameter, a value of the wrong type, `wait` other than `final`, `timeout_ms` without `wait` or above 60000, `limit` not from 1 to 500, a `channel` that is not an identifier |
//! | 400 | `bad_id` | the id in the path is not one: an organisation, item or asset id that is not an identifier; a request, permission, access or proposal id that is not 64 hex characters |
//! | 400 | `bad_filter` | a filter value the index cannot mean (`share_class`, request or proposal `status`, `permission` not hex) |
//! | 400 | `bad_cursor` | a `cursor` this list did not return |
//! | 400 | `bad_subject` | the subject is empty (or only spaces and dashes) or longer than [MAX_SUBJECT_BYTES] |
//! | 400 | `bad_path`, `bad_body` | the path or body could not be read at all (e.g. not UTF-8); a binary batch that is not a submission |
//! | 404 | `not_found` | no finalized block at that height on this node; no such record in the index (the message says up to which block it has applied the chain) |
//! | 404 | `no_access_record` | nothing is recorded at that location of the access log (past its end, or the commit that closes a block) |
//! | 404 | `unknown_route` | no such route |
//! | 405 | `method_not_allowed` | the route exists; `Allow` lists its methods |
//! | 409 | `no_certificate_yet` | a proof was asked for before the first finalized block |
//! | 413 | `payload_too_large` | body above [MAX_BODY_BYTES] ([MAX_BATCH_BODY_BYTES] for a batch), or transaction above `MAX_TX_BYTES`, or a batch's transactions above 4 MiB; a subject query above [MAX_SUBJECT_BODY_BYTES] |
//! | 413 | `too_many_txs` | a batch of more than 1,000 transactions |
//! | 415 | `unsupported_media_type` | a body that is neither binary nor JSON |
//! | 504 | `wait_timeout` | `wait=final` and the transaction is not final in time (it was accepted) |
//!
//! Errors from the node:
//!
//! | status | code |
//! | --- | --- |
//! | 503 + `Retry-After` | `busy`: the mempool is full, or clients already keep waiting what the node finalizes in a second |
//! | 429 + `Retry-After` | `signer_busy`: the signer has as many transactions pending as one may |
//! | 409 | `nonce_taken`: another pending transaction of the signer has this nonce |
//! | 503 | `unavailable`: the node is shutting down |
//! | 503 | `subject_view_unavailable`: this node holds no subject key, so it cannot name persons |
//! | 503 | `query_index_off`: this node runs without the query index (`query_index = false`), so it answers no list or record route, nor the status of a transaction older than its recent blocks |
//! | 500 | `storage`: the node failed to read its own storage |
//! | 500 | `index`: the query index failed |
//! | 500 | `corrupt_state`: a proof does not verify against the node's own block |
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

mod chain_source;
mod error;
mod hex;
mod metrics;
mod node;
mod openapi;
mod query;
mod routes;
mod server;

#[cfg(test)]
mod fixture;
#[cfg(test)]
mod mock;

pub use chain_source::{HandleSource, follow_chain};
pub use dirchain_index::{FollowError, Index, IndexError, Queries, sqlite_memory_used};
pub use node::{Node, NodeApi};
pub use routes::{
    MAX_BATCH_BODY_BYTES, MAX_BODY_BYTES, MAX_SUBJECT_BODY_BYTES, MAX_SUBJECT_BYTES,
    WAIT_POLL_INTERVAL, openapi, router,
};
pub use server::serve;
