//! Why a transaction was refused. Each variant has a stable machine code (for
//! the API and metrics) and a message a person can act on.

use crate::store::StoreError;
use dirchain_types::{
    domain::Role,
    ids::{Digest, Timestamp},
    tx::TxKind,
};

#[derive(Debug, thiserror::Error)]
pub enum TxError {
    #[error("the transaction does not decode: {0}")]
    Malformed(String),
    #[error("the signature does not match the transaction and its signer")]
    BadSignature,
    #[error("the transaction is for chain {got:?}, this is chain {expected:?}")]
    WrongChain { expected: String, got: String },
    #[error("nonce {got} was already used; the signer's next nonce is {expected}")]
    StaleNonce { expected: u64, got: u64 },
    #[error("nonce {got} is ahead of the signer's next nonce {expected}")]
    FutureNonce { expected: u64, got: u64 },
    #[error("the signer's key is not enrolled in any organisation")]
    UnknownSigner,
    #[error("the signer's key was revoked")]
    KeyRevoked,
    #[error("the signer's key expired at {expires_at}")]
    KeyExpired { expires_at: Timestamp },
    #[error("the signer's organisation {0:?} is no longer a member of the consortium")]
    OrgInactive(String),
    #[error("role {role} may not submit {kind} transactions")]
    WrongRole { kind: TxKind, role: Role },
    #[error("channel {0:?} does not exist")]
    UnknownChannel(String),
    #[error("{kind} transactions belong to the system channel \"main\"")]
    WrongChannel { kind: TxKind },
    #[error("organisation {org:?} is not a member of channel {channel:?}")]
    NotChannelMember { org: String, channel: String },
    #[error("channel {channel:?} quota exceeded: {what}")]
    QuotaExceeded { channel: String, what: &'static str },
    #[error("{0}")]
    InvalidField(String),
    #[error("{what} {id:?} does not exist")]
    NotFound { what: &'static str, id: String },
    #[error("{what} {id:?} already exists")]
    AlreadyExists { what: &'static str, id: String },
    #[error("{what} {id:?} belongs to organisation {owner:?}")]
    NotOwner {
        what: &'static str,
        id: String,
        owner: String,
    },
    #[error("proposal {0} is no longer open")]
    ProposalClosed(Digest),
    #[error("proposal {id} expired at {expires_at}")]
    ProposalExpired { id: Digest, expires_at: Timestamp },
    #[error("organisation {0:?} already voted on this proposal")]
    AlreadyVoted(String),
    #[error("the action cannot be applied: {0}")]
    InvalidAction(String),
    #[error("catalog item {0:?} is retired")]
    ItemRetired(String),
    #[error("version {got} of item {id:?} is not newer than the current version {current}")]
    StaleVersion { id: String, current: u32, got: u32 },
    #[error("item {0:?} is not shared with other organisations (share class \"none\")")]
    NotShareable(String),
    #[error("personal field {0:?} cannot be in an item shared unconditionally")]
    PersonalDataUnconditional(String),
    #[error("request {0} was already decided")]
    AlreadyDecided(Digest),
    #[error("{what} {id} was already revoked")]
    AlreadyRevoked { what: &'static str, id: String },
    #[error("digest {digest} was already notarized at height {height}")]
    AlreadyNotarized { digest: Digest, height: u64 },
    #[error("state storage failed: {0}")]
    Storage(#[from] StoreError),
    #[error("a stored record does not decode: {0}")]
    CorruptState(String),
}

impl TxError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            TxError::Malformed(_) => "malformed",
            TxError::BadSignature => "bad_signature",
            TxError::WrongChain { .. } => "wrong_chain",
            TxError::StaleNonce { .. } => "stale_nonce",
            TxError::FutureNonce { .. } => "future_nonce",
            TxError::UnknownSigner => "unknown_signer",
            TxError::KeyRevoked => "key_revoked",
            TxError::KeyExpired { .. } => "key_expired",
            TxError::OrgInactive(_) => "org_inactive",
            TxError::WrongRole { .. } => "wrong_role",
            TxError::UnknownChannel(_) => "unknown_channel",
            TxError::WrongChannel { .. } => "wrong_channel",
            TxError::NotChannelMember { .. } => "not_channel_member",
            TxError::QuotaExceeded { .. } => "quota_exceeded",
            TxError::InvalidField(_) => "invalid_field",
            TxError::NotFound { .. } => "not_found",
            TxError::AlreadyExists { .. } => "already_exists",
            TxError::NotOwner { .. } => "not_owner",
            TxError::ProposalClosed(_) => "proposal_closed",
            TxError::ProposalExpired { .. } => "proposal_expired",
            TxError::AlreadyVoted(_) => "already_voted",
            TxError::InvalidAction(_) => "invalid_action",
            TxError::ItemRetired(_) => "item_retired",
            TxError::StaleVersion { .. } => "stale_version",
            TxError::NotShareable(_) => "not_shareable",
            TxError::PersonalDataUnconditional(_) => "personal_data_unconditional",
            TxError::AlreadyDecided(_) => "already_decided",
            TxError::AlreadyRevoked { .. } => "already_revoked",
            TxError::AlreadyNotarized { .. } => "already_notarized",
            TxError::Storage(_) => "storage",
            TxError::CorruptState(_) => "corrupt_state",
        }
    }

    pub fn not_owner(
        what: &'static str,
        id: &impl std::fmt::Display,
        owner: &impl std::fmt::Display,
    ) -> Self {
        TxError::NotOwner {
            what,
            id: id.to_string(),
            owner: owner.to_string(),
        }
    }

    /// True when the fault is the node's, not the transaction's: such an
    /// error must stop block processing instead of excluding the transaction.
    pub fn is_internal(&self) -> bool {
        matches!(self, TxError::Storage(_) | TxError::CorruptState(_))
    }
}

pub fn invalid(message: impl Into<String>) -> TxError {
    TxError::InvalidField(message.into())
}
