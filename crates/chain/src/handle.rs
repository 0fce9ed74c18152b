//! How the rest of the node (API, tools) talks to the running chain.

use crate::{
    config::NodeRole,
    executor::{FinalizedBlock, Mailbox, Shared},
};
use dirchain_state::{Outcome, TxError};
use dirchain_types::ids::{Digest, PublicKey};
use std::sync::{Arc, atomic::Ordering};

/// Why a submitted transaction was not taken into the mempool.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// The mempool is at its limit; try again later.
    #[error("the mempool is full ({txs} transactions, {bytes} bytes); try again later")]
    Busy { txs: usize, bytes: usize },
    /// The transaction would never apply (same typed errors as execution).
    #[error(transparent)]
    Rejected(#[from] TxError),
    /// Another transaction of the same signer with the same nonce is pending.
    #[error("another transaction with nonce {nonce} of this signer is pending")]
    NonceTaken { nonce: u64 },
    /// The signer has as many transactions pending as one signer may.
    #[error(
        "the signer has {pending} transactions pending, the most one signer may; try again later"
    )]
    SignerBusy { pending: usize },
    /// The node is shutting down.
    #[error("the node is shutting down")]
    Unavailable,
}

/// A snapshot of the node.
#[derive(Clone, Debug)]
pub struct Status {
    pub chain_id: String,
    pub genesis: Digest,
    pub role: NodeRole,
    pub public_key: PublicKey,
    pub validators: Vec<PublicKey>,
    /// Latest finalized and applied block.
    pub height: u64,
    pub block: Digest,
    pub block_timestamp_ms: u64,
    pub state_root: Digest,
    pub mempool_txs: usize,
    pub mempool_bytes: usize,
    pub peers: usize,
}

/// Where a transaction is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TxStatus {
    Pending,
    Finalized {
        height: u64,
        index: u32,
        outcome: Outcome,
    },
    Unknown,
}

/// A cheap, cloneable handle to a running node.
#[derive(Clone)]
pub struct Handle {
    executor: Mailbox,
    shared: Arc<Shared>,
}

impl Handle {
    pub(crate) fn new(executor: Mailbox, shared: Arc<Shared>) -> Self {
        Self { executor, shared }
    }

    /// Checks a transaction (decoding, signature, signer, nonce) and adds it to the
    /// mempool, from where it is gossiped to the other nodes. Returns its hash;
    /// submitting a transaction that is already pending or final returns its hash again.
    pub async fn submit(&self, tx: Vec<u8>) -> Result<Digest, SubmitError> {
        self.executor.submit(tx).await
    }

    pub async fn status(&self) -> Result<Status, SubmitError> {
        self.executor.status().await
    }

    /// A recently finalized block (the last [MAX_RECENT_BLOCKS](crate::limits::MAX_RECENT_BLOCKS)).
    pub async fn finalized(&self, height: u64) -> Result<Option<FinalizedBlock>, SubmitError> {
        self.executor.finalized(height).await
    }

    pub async fn tx_status(&self, hash: Digest) -> Result<TxStatus, SubmitError> {
        self.executor.tx_status(hash).await
    }

    /// The latest finalized height, without asking the executor.
    pub fn height(&self) -> u64 {
        self.shared.height.load(Ordering::Relaxed)
    }
}
