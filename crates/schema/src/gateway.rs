//! The documents of a data-exchange gateway (`dirchain gateway`): what a
//! consumer's system sends and receives, and the gateway's own status.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Request headers a consumer signs with (see `dirchain_types::request`).
/// The consumer's member key (hex).
pub const HEADER_KEY: &str = "dirchain-key";
/// The permission invoked (hex).
pub const HEADER_PERMISSION: &str = "dirchain-permission";
/// When the request was signed: milliseconds since the Unix epoch.
pub const HEADER_TIMESTAMP: &str = "dirchain-timestamp";
/// A fresh random nonce per request (hex).
pub const HEADER_NONCE: &str = "dirchain-nonce";
/// The Ed25519 signature over the request's claims (hex).
pub const HEADER_SIGNATURE: &str = "dirchain-signature";
/// Answer header: the hash of the transaction recording this exchange.
pub const HEADER_ACCESS: &str = "dirchain-access";

/// The path prefix under which a gateway serves catalog items:
/// `/v1/items/{item}/{upstream path...}`.
pub const ITEMS_PREFIX: &str = "/v1/items/";

/// A served request: the records with only the permitted fields.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Served {
    pub item: String,
    /// The permission invoked (hex).
    pub permission: String,
    /// The fields each record carries: the permission's, as far as the
    /// gateway maps them.
    pub fields: Vec<String>,
    /// Fields the gateway maps but the permission does not cover: stripped.
    pub withheld: Vec<String>,
    pub record_count: u32,
    pub records: Vec<Map<String, Value>>,
    /// The hash of the `record-access` transaction recording this exchange
    /// (also in the `dirchain-access` header); look it up on any node.
    pub access: String,
}

/// A refused request: `code` and `message` as every dirchain error, and the
/// recording transaction when the refusal was recorded on the ledger.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GatewayError {
    pub code: String,
    pub message: String,
    /// The hash of the `record-access` transaction recording the refusal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access: Option<String>,
}

/// `GET /v1/gateway/status`: whether the gateway serves, and how far its
/// recording is behind.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GatewayStatus {
    pub org: String,
    /// The gateway's member key (hex), the recorder of every access.
    pub key: String,
    pub items: Vec<String>,
    /// False while new requests are refused (`reason` says why).
    pub serving: bool,
    pub reason: Option<String>,
    pub outbox: OutboxStatus,
    /// Access records this gateway saw final since it started.
    pub recorded: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxStatus {
    /// Accesses written to the outbox and not yet final on the ledger.
    pub pending: u64,
    /// Age of the oldest pending access, in milliseconds.
    pub oldest_age_ms: u64,
    /// Accesses the ledger refused to record (see the gateway's log).
    pub failed: u64,
    pub max_entries: u64,
    pub max_age_ms: u64,
}
