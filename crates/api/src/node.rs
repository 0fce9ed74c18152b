//! What the API needs from the node, and the node that production serves:
//! the chain's [Handle] with the query index beside it.

use dirchain_chain::{
    FinalizedBlock, Handle, Status, SubmitError, TxStatus,
    handle::{AccessRecordProof, CertifiedBlock, Nonces},
};
use dirchain_index::Queries;
use dirchain_state::store::StateProof;
use dirchain_types::{
    ids::{Digest, PublicKey, SubjectKey, SubjectRef, subject_ref},
    keys::StateKey,
};
use std::future::Future;

/// The node as the handlers see it: [Node] in production, a mock in tests.
///
/// The chain answers what is pending or just final, proofs and nonces; the
/// query index ([NodeApi::index], a derived SQLite copy of the finalized
/// ledger kept in step by a follower) answers the lists and the records by
/// id. The two may differ by the blocks the index has not applied yet.
pub trait NodeApi: Clone + Send + Sync + 'static {
    /// Checks a codec-encoded `SignedTx` and adds it to the mempool; returns its hash.
    fn submit(&self, tx: Vec<u8>) -> impl Future<Output = Result<Digest, SubmitError>> + Send;

    /// [NodeApi::submit] for many at once: one verdict each, in order; Err only
    /// for the batch as a whole (too many, or the node is shutting down).
    fn submit_batch(
        &self,
        txs: Vec<Vec<u8>>,
    ) -> impl Future<Output = Result<Vec<Result<Digest, SubmitError>>, SubmitError>> + Send;

    fn status(&self) -> impl Future<Output = Result<Status, SubmitError>> + Send;

    fn tx_status(&self, hash: Digest)
    -> impl Future<Output = Result<TxStatus, SubmitError>> + Send;

    /// The latest finalized and applied height.
    fn height(&self) -> u64;

    /// Finalized block `height` with its certificate; `None` if this node has
    /// not applied it.
    fn block(
        &self,
        height: u64,
    ) -> impl Future<Output = Result<Option<CertifiedBlock>, SubmitError>> + Send;

    /// The last `limit` finalized blocks this node applied, newest first.
    fn recent_blocks(
        &self,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<FinalizedBlock>, SubmitError>> + Send;

    /// The indices (in the key-ordered validator set) of the validators whose
    /// signatures finalized block `height`; `None` without a certificate of its own.
    fn signers(&self, height: u64) -> impl Future<Output = Option<Vec<u32>>> + Send;

    /// A proof of `key` (its value or its absence) and the height of the state
    /// it was made against.
    fn prove(
        &self,
        key: StateKey,
    ) -> impl Future<Output = Result<(u64, StateProof), SubmitError>> + Send;

    /// The access record at `location` of the access log (`None`: nothing is
    /// recorded there) with its proof, and the height of the state it was
    /// proven against.
    fn prove_access(
        &self,
        location: u64,
    ) -> impl Future<Output = Result<AccessRecordProof, SubmitError>> + Send;

    fn nonces(&self, signer: PublicKey)
    -> impl Future<Output = Result<Nonces, SubmitError>> + Send;

    /// Every metric of the node, in Prometheus text format.
    fn metrics(&self) -> String;

    /// The query index; `None` on a node run without one (`query_index =
    /// false`). Its calls are synchronous SQLite reads: the handlers make them
    /// on blocking threads (`crate::query::run`).
    fn index(&self) -> Option<&Queries>;

    /// The keyed pseudonym of a person's raw identifier, as access records
    /// name persons; `None` when this node holds no subject key. The key
    /// itself never leaves the node.
    fn subject_ref(&self, raw_identifier: &str) -> Option<SubjectRef>;
}

/// The node production serves: the running chain, the query index the
/// follower keeps in step with it (unless the operator runs without one),
/// and the consortium's subject key when the operator gave one (without it,
/// the "who used my data" view is off).
#[derive(Clone)]
pub struct Node {
    handle: Handle,
    queries: Option<Queries>,
    subject_key: Option<SubjectKey>,
}

impl Node {
    pub fn new(handle: Handle, queries: Option<Queries>, subject_key: Option<SubjectKey>) -> Self {
        Self {
            handle,
            queries,
            subject_key,
        }
    }
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node")
            .field("query_index", &self.queries.is_some())
            .field("subject_key", &self.subject_key.as_ref().map(|_| "<held>"))
            .finish_non_exhaustive()
    }
}

impl NodeApi for Node {
    fn submit(&self, tx: Vec<u8>) -> impl Future<Output = Result<Digest, SubmitError>> + Send {
        self.handle.submit(tx)
    }

    fn submit_batch(
        &self,
        txs: Vec<Vec<u8>>,
    ) -> impl Future<Output = Result<Vec<Result<Digest, SubmitError>>, SubmitError>> + Send {
        self.handle.submit_batch(txs)
    }

    fn status(&self) -> impl Future<Output = Result<Status, SubmitError>> + Send {
        self.handle.status()
    }

    fn tx_status(
        &self,
        hash: Digest,
    ) -> impl Future<Output = Result<TxStatus, SubmitError>> + Send {
        self.handle.tx_status(hash)
    }

    fn height(&self) -> u64 {
        self.handle.height()
    }

    fn block(
        &self,
        height: u64,
    ) -> impl Future<Output = Result<Option<CertifiedBlock>, SubmitError>> + Send {
        self.handle.block(height)
    }

    fn recent_blocks(
        &self,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<FinalizedBlock>, SubmitError>> + Send {
        self.handle.recent(limit)
    }

    fn signers(&self, height: u64) -> impl Future<Output = Option<Vec<u32>>> + Send {
        self.handle.signers(height)
    }

    fn prove(
        &self,
        key: StateKey,
    ) -> impl Future<Output = Result<(u64, StateProof), SubmitError>> + Send {
        self.handle.prove(key)
    }

    fn prove_access(
        &self,
        location: u64,
    ) -> impl Future<Output = Result<AccessRecordProof, SubmitError>> + Send {
        self.handle.prove_access(location)
    }

    fn nonces(
        &self,
        signer: PublicKey,
    ) -> impl Future<Output = Result<Nonces, SubmitError>> + Send {
        self.handle.nonces(signer)
    }

    fn metrics(&self) -> String {
        self.handle.metrics()
    }

    fn index(&self) -> Option<&Queries> {
        self.queries.as_ref()
    }

    fn subject_ref(&self, raw_identifier: &str) -> Option<SubjectRef> {
        self.subject_key
            .as_ref()
            .map(|key| subject_ref(key, raw_identifier))
    }
}
