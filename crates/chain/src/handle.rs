//! How the rest of the node (API, tools) talks to the running chain.

pub use crate::executor::{AccessRecordProof, AccessRecords, Nonces, Records};
use crate::{
    admission::Mailbox as AdmissionMailbox,
    application::Scheme,
    block::{ChainBlock, SharedBlock},
    config::NodeRole,
    executor::{FinalizedBlock, Mailbox, Shared},
};
use commonware_codec::Encode;
use commonware_consensus::{
    marshal::{core::Mailbox as MarshalMailbox, standard::Standard},
    types::Height,
};
use dirchain_state::{Outcome, TxError, access_log::LogLocation, decode_tx, store::StateProof};
use dirchain_types::{
    block::Block,
    ids::{Digest, PublicKey},
    keys::StateKey,
    limits::MAX_SUBMIT_BATCH,
};
use std::sync::{Arc, atomic::Ordering};

/// Marshal's mailbox: finalized blocks and their certificates.
pub(crate) type Marshal = MarshalMailbox<Scheme, Standard<ChainBlock>>;

/// The Prometheus text of every metric the node's runtime holds.
pub(crate) type MetricsEncoder = Arc<dyn Fn() -> String + Send + Sync>;

/// A finalized block and the certificate that finalized it.
#[derive(Clone, Debug)]
pub struct CertifiedBlock {
    pub block: SharedBlock,
    /// The codec-encoded finalization certificate. `None` for the genesis
    /// block, which the genesis document itself founds, and for a block that
    /// was finalized through a descendant's certificate: consensus forms no
    /// certificate of its own for a block whose view only notarized it.
    pub finalization: Option<Vec<u8>>,
}

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
    /// Clients already keep as many transactions waiting as the chain finalizes in
    /// [crate::limits::MAX_BACKLOG]; try again later.
    #[error(
        "{txs} transactions are waiting, at least the {limit} this node finalizes in {:?} at \
         its recent rate; try again later",
        crate::limits::MAX_BACKLOG
    )]
    Backlogged { txs: usize, limit: usize },
    /// More transactions in one batch than a batch may hold.
    #[error("{txs} transactions in one batch; at most {limit} may be submitted at once")]
    TooMany { txs: usize, limit: usize },
    /// The node is shutting down.
    #[error("the node is shutting down")]
    Unavailable,
    /// The node failed to read its own storage.
    #[error("the node's storage failed: {0}")]
    Storage(String),
}

impl SubmitError {
    /// A stable code for programs (and metrics labels).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Busy { .. } | Self::Backlogged { .. } => "busy",
            Self::Rejected(error) => error.code(),
            Self::NonceTaken { .. } => "nonce_taken",
            Self::SignerBusy { .. } => "signer_busy",
            Self::TooMany { .. } => "too_many_txs",
            Self::Unavailable => "unavailable",
            Self::Storage(_) => "storage",
        }
    }
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
    /// Admitted, then refused when a block was built (the state changed
    /// under it, e.g. its permission was revoked): it will never apply.
    Rejected {
        code: &'static str,
        message: String,
    },
    Unknown,
}

/// A cheap, cloneable handle to a running node.
#[derive(Clone)]
pub struct Handle {
    executor: Mailbox,
    admission: AdmissionMailbox,
    marshal: Marshal,
    genesis: SharedBlock,
    shared: Arc<Shared>,
    metrics: MetricsEncoder,
}

impl Handle {
    pub(crate) fn new(
        executor: Mailbox,
        admission: AdmissionMailbox,
        marshal: Marshal,
        genesis: Block,
        shared: Arc<Shared>,
        metrics: MetricsEncoder,
    ) -> Self {
        Self {
            executor,
            admission,
            marshal,
            genesis: genesis.into(),
            shared,
            metrics,
        }
    }

    /// Checks a transaction (decoding, signature, signer, nonce) and adds it to the
    /// mempool, from where it is gossiped to the other nodes. Returns its hash;
    /// submitting a transaction that is already pending or final returns its hash again.
    pub async fn submit(&self, tx: Vec<u8>) -> Result<Digest, SubmitError> {
        self.submit_batch(vec![tx])
            .await?
            .pop()
            .unwrap_or(Err(SubmitError::Unavailable))
    }

    /// [Self::submit] for up to [MAX_SUBMIT_BATCH] transactions at once: one verdict per
    /// transaction, in order. They are admitted in that order, so one signer's
    /// transactions may follow each other in a batch. Err only when the node is
    /// shutting down.
    pub async fn submit_batch(
        &self,
        txs: Vec<Vec<u8>>,
    ) -> Result<Vec<Result<Digest, SubmitError>>, SubmitError> {
        if txs.len() > MAX_SUBMIT_BATCH {
            return Err(SubmitError::TooMany {
                txs: txs.len(),
                limit: MAX_SUBMIT_BATCH,
            });
        }
        let decoded = txs
            .iter()
            .map(|bytes| decode_tx(bytes).map_err(SubmitError::from))
            .collect();
        self.admission.submit(decoded).await
    }

    pub async fn status(&self) -> Result<Status, SubmitError> {
        self.executor.status().await
    }

    /// A recently finalized block (the last [MAX_RECENT_BLOCKS](crate::limits::MAX_RECENT_BLOCKS)).
    pub async fn finalized(&self, height: u64) -> Result<Option<FinalizedBlock>, SubmitError> {
        let recent = self.recent(crate::limits::MAX_RECENT_BLOCKS).await?;
        Ok(recent.into_iter().find(|block| block.height == height))
    }

    /// The last `limit` finalized blocks (at most
    /// [MAX_RECENT_BLOCKS](crate::limits::MAX_RECENT_BLOCKS)) this node applied since it
    /// started, newest first.
    pub async fn recent(&self, limit: usize) -> Result<Vec<FinalizedBlock>, SubmitError> {
        self.executor.recent(limit).await
    }

    /// The validators (their indices in the ordered validator set) whose signatures
    /// finalized block `height`; `None` when this node holds no certificate of its own
    /// for it (genesis, a block finalized through a descendant, or not yet applied).
    pub async fn signers(&self, height: u64) -> Option<Vec<u32>> {
        if height == 0 || height > self.height() {
            return None;
        }
        let finalization = self.marshal.get_finalization(Height::new(height)).await?;
        Some(
            finalization
                .certificate
                .signers
                .iter()
                .map(|signer| signer.get())
                .collect(),
        )
    }

    pub async fn tx_status(&self, hash: Digest) -> Result<TxStatus, SubmitError> {
        self.executor.tx_status(hash).await
    }

    /// The latest finalized height, without asking the executor.
    pub fn height(&self) -> u64 {
        self.shared.height.load(Ordering::Relaxed)
    }

    /// How many blocks this node voted against that the network finalized since it started:
    /// 0 on a sound node (also `chain_node_executor_refused_finalized_blocks_total` on
    /// `/metrics`).
    pub fn refused_finalized(&self) -> u64 {
        self.shared.refused_finalized.load(Ordering::Relaxed)
    }

    /// Finalized block `height` with its certificate, if this node has applied it.
    pub async fn block(&self, height: u64) -> Result<Option<CertifiedBlock>, SubmitError> {
        if height == 0 {
            return Ok(Some(CertifiedBlock {
                block: self.genesis.clone(),
                finalization: None,
            }));
        }
        if height > self.height() {
            return Ok(None);
        }
        let cached = self
            .shared
            .blocks
            .lock()
            .expect("never held across a panic")
            .get(height);
        let block = match cached {
            Some(block) => block,
            None => match self.marshal.get_block(Height::new(height)).await {
                Some(block) => SharedBlock::new(block.inner_shared()),
                None => return Ok(None),
            },
        };
        let finalization = self
            .marshal
            .get_finalization(Height::new(height))
            .await
            .map(|finalization| finalization.encode().to_vec());
        Ok(Some(CertifiedBlock {
            block,
            finalization,
        }))
    }

    /// The committed values of `keys` and the height they were read at.
    pub async fn records(&self, keys: Vec<StateKey>) -> Result<Records, SubmitError> {
        self.executor.records(keys).await
    }

    /// A proof of `key` (inclusion or absence) against the state at the returned height.
    pub async fn prove(&self, key: StateKey) -> Result<(u64, StateProof), SubmitError> {
        self.executor.prove(key).await
    }

    pub async fn nonces(&self, signer: PublicKey) -> Result<Nonces, SubmitError> {
        self.executor.nonces(signer).await
    }

    /// The committed access records at locations `from..from + count` of the access log (at
    /// most `MAX_READ_RECORDS`), with the height and log size they were read at.
    pub async fn access_records(
        &self,
        from: LogLocation,
        count: u64,
    ) -> Result<AccessRecords, SubmitError> {
        self.executor.access_records(from, count).await
    }

    /// The access record at `location` of the access log, with its proof against the state at
    /// the returned height (`None`: no record is there).
    pub async fn prove_access(
        &self,
        location: LogLocation,
    ) -> Result<AccessRecordProof, SubmitError> {
        self.executor.prove_access(location).await
    }

    /// Every metric of the node (consensus, p2p, storage, executor) in
    /// Prometheus text format.
    pub fn metrics(&self) -> String {
        (self.metrics)()
    }

    /// Records how many peers are connected (the p2p layer reports it).
    pub(crate) fn set_peers(&self, peers: usize) {
        self.shared.peers.store(peers, Ordering::Relaxed);
    }
}
