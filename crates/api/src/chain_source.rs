//! The chain as the query index reads it: [HandleSource] is the index's
//! [ChainSource] over the node's [Handle], and [follow_chain] keeps an index
//! in step with the chain until shutdown.

use dirchain_chain::{Handle, SubmitError, block::SharedBlock};
use dirchain_index::{ACCESS_LOG_READ, AccessLogRead, ChainSource, FollowError, Index};
use dirchain_state::access_log::MAX_READ_RECORDS;
use dirchain_types::keys::StateKey;
use std::future::Future;

// The follower asks for no more locations at once than the node serves: it
// takes a location left out as a block-closing commit.
const _: () = assert!(ACCESS_LOG_READ <= MAX_READ_RECORDS);

/// The finalized chain and committed state of a running node.
///
/// Every failure of the node (`Unavailable` while it stops, `Storage`) is a
/// source error to the follower, which it retries with a growing delay: a
/// node that is stopping also stops the follower through its shutdown
/// future, and one whose disk hiccups is read again.
#[derive(Clone)]
pub struct HandleSource {
    handle: Handle,
}

impl HandleSource {
    pub fn new(handle: Handle) -> Self {
        Self { handle }
    }
}

impl ChainSource for HandleSource {
    type Error = SubmitError;
    type Block = SharedBlock;

    fn height(&self) -> u64 {
        self.handle.height()
    }

    async fn block(&self, height: u64) -> Result<Option<SharedBlock>, SubmitError> {
        Ok(self
            .handle
            .block(height)
            .await?
            .map(|certified| certified.block))
    }

    /// The values as last committed: possibly newer than the block being
    /// indexed, which the index allows for (its mutable records are current).
    async fn records(&self, keys: Vec<StateKey>) -> Result<Vec<Option<Vec<u8>>>, SubmitError> {
        let (_height, values) = self.handle.records(keys).await?;
        Ok(values)
    }

    /// The committed access log: possibly ahead of the block being indexed
    /// (the follower reads from its own cursor, and only as far as it needs).
    async fn access_records(&self, from: u64, count: u64) -> Result<AccessLogRead, SubmitError> {
        let read = self.handle.access_records(from, count).await?;
        Ok(AccessLogRead {
            log_size: read.log_size,
            records: read.records,
        })
    }
}

/// Indexes every block `handle` finalizes until `shutdown` completes; see
/// [dirchain_index::follow]. An error is one retrying cannot mend (a record
/// that does not decode, a failing index database): the index then stays
/// where it is, and `indexed_height` shows it falling behind.
pub async fn follow_chain(
    index: Index,
    handle: Handle,
    shutdown: impl Future<Output = ()>,
) -> Result<(), FollowError> {
    dirchain_index::follow(index, HandleSource::new(handle), shutdown).await
}
