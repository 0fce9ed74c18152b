//! What the API needs from the node.

use dirchain_chain::{Handle, Status, SubmitError, TxStatus};
use dirchain_types::ids::Digest;
use std::future::Future;

/// The node as the handlers see it: the chain's [Handle], or a mock in tests.
pub trait NodeApi: Clone + Send + Sync + 'static {
    /// Checks a codec-encoded `SignedTx` and adds it to the mempool; returns its hash.
    fn submit(&self, tx: Vec<u8>) -> impl Future<Output = Result<Digest, SubmitError>> + Send;

    fn status(&self) -> impl Future<Output = Result<Status, SubmitError>> + Send;

    fn tx_status(&self, hash: Digest)
    -> impl Future<Output = Result<TxStatus, SubmitError>> + Send;
}

impl NodeApi for Handle {
    fn submit(&self, tx: Vec<u8>) -> impl Future<Output = Result<Digest, SubmitError>> + Send {
        Handle::submit(self, tx)
    }

    fn status(&self) -> impl Future<Output = Result<Status, SubmitError>> + Send {
        Handle::status(self)
    }

    fn tx_status(
        &self,
        hash: Digest,
    ) -> impl Future<Output = Result<TxStatus, SubmitError>> + Send {
        Handle::tx_status(self, hash)
    }
}
