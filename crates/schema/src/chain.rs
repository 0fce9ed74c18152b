//! Documents about the chain itself: status, transactions, accounts, blocks,
//! proofs and errors.

use crate::records::AccessView;
use dirchain_types::block::BlockHeader;
use serde::{Deserialize, Serialize};

/// How long `POST /v1/tx?wait=final` waits by default, and at most.
pub const DEFAULT_WAIT_MS: u64 = 10_000;
pub const MAX_WAIT_MS: u64 = 60_000;

/// Every error the node answers: `code` is stable and meant for programs,
/// `message` for people.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
}

/// `GET /v1/status`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Status {
    pub chain_id: String,
    /// Digest of the genesis document: the network's identity.
    pub genesis: String,
    /// `validator` or `full`.
    pub role: String,
    pub public_key: String,
    pub validators: Vec<String>,
    /// Latest finalized and applied block.
    pub height: u64,
    pub block: String,
    pub block_timestamp_ms: u64,
    pub state_root: String,
    pub mempool: Mempool,
    /// Peers this node is connected to.
    pub peers: usize,
    /// Whether this node keeps the query index, which answers the list and
    /// record routes. A validator that serves no queries may run without it
    /// (`query_index = false` in its config); those routes then answer 503
    /// `query_index_off`. Absent from nodes older than the setting, which all
    /// kept one.
    #[serde(default = "kept")]
    pub query_index: bool,
    /// The block up to which the query routes answer (0 without an index).
    pub indexed_height: u64,
}

fn kept() -> bool {
    true
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Mempool {
    pub txs: usize,
    pub bytes: usize,
}

/// The JSON form of `POST /v1/tx`: the codec-encoded `SignedTx` as hex.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TxSubmit {
    pub tx: String,
}

/// The JSON form of `POST /v1/txs`: each codec-encoded `SignedTx` as hex.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TxBatchSubmit {
    pub txs: Vec<String>,
}

/// What `POST /v1/txs` made of each transaction, in the order sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TxBatchResults {
    /// Transactions taken into the mempool (or already pending or final).
    pub accepted: usize,
    /// Transactions refused; `results` says why.
    pub refused: usize,
    pub results: Vec<TxSubmitted>,
}

/// One transaction of a batch: its hash when it was taken, or why not (the
/// same codes as `POST /v1/tx`; `busy` and `signer_busy` may be retried).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TxSubmitted {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
}

/// Query of `POST /v1/tx`: `wait=final` answers once the transaction is
/// final, or `wait_timeout` after `timeout_ms`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct TxWait {
    pub wait: Option<WaitFor>,
    pub timeout_ms: Option<u64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum WaitFor {
    Final,
}

/// Where a transaction is: `POST /v1/tx` and `GET /v1/tx/{hash}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TxStatus {
    pub hash: String,
    pub status: TxState,
    /// The block it is final in (finalized only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u64>,
    /// Its position in that block (finalized only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    /// Why it will never apply (rejected only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TxState {
    Pending,
    Finalized,
    /// Admitted, then refused when a block was built (the state changed
    /// under it): it will never apply; `error` says why.
    Rejected,
    Unknown,
}

/// What a final transaction did. A refused access is included all the same:
/// the attempt is on the record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Outcome {
    pub result: OutcomeResult,
    /// The refusal's label (`access_refused` only), e.g. `expired`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OutcomeResult {
    Applied,
    AccessRefused,
}

/// `GET /v1/accounts/{public_key}`: the nonces a signer needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Account {
    pub public_key: String,
    /// The nonce the next transaction must carry once everything final is applied.
    pub next_nonce: u64,
    /// The next nonce not taken by a final or pending transaction: what a new
    /// transaction should carry.
    pub next_free_nonce: u64,
}

/// A block header as JSON. The authoritative form is `header_hex` of
/// [BlockInfo], [Proof] and [AccessProof]: a verifier hashes those bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Header {
    pub digest: String,
    pub parent: String,
    pub height: u64,
    pub epoch: u64,
    pub view: u64,
    pub parent_view: u64,
    pub proposer: String,
    pub timestamp_ms: u64,
    pub state_root: String,
    pub txs_digest: String,
}

impl From<&BlockHeader> for Header {
    fn from(h: &BlockHeader) -> Self {
        Self {
            digest: h.digest().to_string(),
            parent: h.parent.to_string(),
            height: h.height,
            epoch: h.epoch,
            view: h.view,
            parent_view: h.parent_view,
            proposer: h.proposer.to_string(),
            timestamp_ms: h.timestamp_ms,
            state_root: h.state_root.to_string(),
            txs_digest: h.txs_digest.to_string(),
        }
    }
}

/// `GET /v1/blocks/{height|latest}`: a finalized block and the certificate
/// that finalized it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BlockInfo {
    pub header: Header,
    /// The codec-encoded `BlockHeader`; its SHA-256 is the block digest.
    pub header_hex: String,
    /// The codec-encoded finalization certificate. Null for the genesis
    /// block, and for a block finalized through a descendant's certificate
    /// (consensus formed none of its own): check that descendant instead.
    pub certificate_hex: Option<String>,
    /// Hashes of the block's transactions, in order.
    pub txs: Vec<String>,
}

/// `GET /v1/proof/{key}`: a state value (or its absence) with everything a
/// client needs to check it knowing only the validator set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Proof {
    pub key: String,
    /// The codec-encoded record, or null if the key holds nothing.
    pub value_hex: Option<String>,
    /// The codec-encoded `StateProof` against `header.state_root`.
    pub proof_hex: String,
    pub height: u64,
    pub header: Header,
    pub header_hex: String,
    pub certificate_hex: String,
}

/// `GET /v1/access-log/{location}`: the access record at a location of the
/// access log, with everything a client needs to check it knowing only the
/// validator set. Access records are not kept under state keys: each is
/// appended to the access log, an append-only authenticated log whose head
/// (size and root) the state holds, and is named by its location there.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccessProof {
    /// The record's position in the access log.
    pub location: u64,
    /// The codec-encoded `LoggedAccess` (the record and its channel): the
    /// bytes the proof proves at `location`.
    pub value_hex: String,
    /// `value_hex` decoded, as `GET /v1/access/{id}` shows it (less what
    /// only the index knows). A verifier decodes `value_hex` itself.
    pub record: AccessView,
    /// The codec-encoded `AccessProof` against `header.state_root`: the
    /// access log's head under the state root, then the record at
    /// `location` under the head's log root.
    pub proof_hex: String,
    pub height: u64,
    pub header: Header,
    pub header_hex: String,
    pub certificate_hex: String,
}

/// How many of the newest blocks `GET /v1/network` describes by default, and
/// at most.
pub const DEFAULT_NETWORK_BLOCKS: u32 = 120;
pub const MAX_NETWORK_BLOCKS: u32 = 1_000;
/// How many of the newest finalization certificates `GET /v1/network` reads
/// to tell which validators are signing.
pub const NETWORK_CERTIFICATES: u32 = 20;

/// Query of `GET /v1/network`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(default, deny_unknown_fields)]
pub struct NetworkQuery {
    /// Blocks to describe, newest first: 1 to 1000; 120 when absent.
    pub blocks: Option<u32>,
}

/// `GET /v1/network`: the network's recent life as this node saw it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Network {
    pub chain_id: String,
    pub height: u64,
    /// Every validator, in the order certificates number them (by key).
    pub validators: Vec<ValidatorActivity>,
    /// The finalization certificates the validators' activity was read from.
    pub certificates: u32,
    /// The newest blocks this node applied since it started, newest first.
    pub blocks: Vec<BlockSummary>,
}

/// A validator's signatures in the newest finalization certificates. A
/// certificate needs only a quorum, so a slow but live validator may be
/// missing from some; one missing from all of them is not voting.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ValidatorActivity {
    pub public_key: String,
    /// Whether this node is this validator.
    pub this_node: bool,
    /// Certificates, of [Network::certificates], it signed.
    pub signed: u32,
    /// The newest of those blocks it signed the certificate of.
    pub last_signed_height: Option<u64>,
}

/// A finalized block as this node applied it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BlockSummary {
    pub height: u64,
    pub digest: String,
    pub txs: usize,
    /// The time its proposer gave it.
    pub timestamp_ms: u64,
    /// Since its parent's timestamp; null for the oldest block listed.
    pub interval_ms: Option<u64>,
    /// From its timestamp to this node applying it: finality as seen here.
    pub finality_ms: u64,
}
