//! The consensus application: builds and checks blocks through the executor.
//! Wrapped by marshal's `Deferred`, which checks a block's ancestry and
//! context, disseminates it and hands finalized blocks to the [Finalizer].

use crate::{
    block::{ChainBlock, ConsensusContext},
    executor::{Mailbox, Shared, Verdict},
    limits::{EMPTY_BLOCK_POLL, MAX_ANCESTRY_REPLAY, UNKNOWN_PARENT_RETRY},
};
use commonware_actor::Feedback;
use commonware_consensus::{
    Reporter,
    marshal::{Update, ancestry::Ancestry},
    simplex::scheme::ed25519,
};
use commonware_cryptography::Digested;
use commonware_runtime::Clock;
use commonware_utils::{acknowledgement::Exact, channel::mpsc};
use futures::StreamExt;
use std::{
    sync::{Arc, atomic::Ordering},
    time::{Duration, UNIX_EPOCH},
};

/// The signing scheme of votes: individual Ed25519 signatures of the validators.
pub type Scheme = ed25519::Scheme;

#[derive(Clone)]
pub(crate) struct Application {
    executor: Mailbox,
    shared: Arc<Shared>,
    empty_block_interval: Duration,
}

impl Application {
    pub fn new(executor: Mailbox, shared: Arc<Shared>, empty_block_interval: Duration) -> Self {
        Self {
            executor,
            shared,
            empty_block_interval,
        }
    }

    /// Waits, while the mempool is empty, until the interval since the parent block has
    /// passed.
    async fn await_transactions(&self, runtime: &impl Clock, parent_timestamp_ms: u64) {
        let due =
            UNIX_EPOCH + Duration::from_millis(parent_timestamp_ms) + self.empty_block_interval;
        while self.shared.mempool_txs.load(Ordering::Relaxed) == 0 && runtime.current() < due {
            runtime.sleep(EMPTY_BLOCK_POLL).await;
        }
    }

    /// The blocks from the first one above the committed tip up to the newest in `ancestry`,
    /// oldest first; `None` if that is more than the node replays at once.
    async fn chain(
        &self,
        mut ancestry: impl Ancestry<ChainBlock>,
    ) -> Option<Vec<Digested<ChainBlock>>> {
        let tip = self.shared.height.load(Ordering::Relaxed);
        let mut chain = Vec::new();
        while let Some(block) = ancestry.next().await {
            let height = block.inner().0.height;
            chain.push(block);
            if height <= tip + 1 {
                break;
            }
            if chain.len() > MAX_ANCESTRY_REPLAY {
                return None;
            }
        }
        chain.reverse();
        Some(chain)
    }
}

impl<E: Clock + Send + 'static> commonware_consensus::Application<E> for Application {
    type SigningScheme = Scheme;
    type Context = ConsensusContext;
    type Block = ChainBlock;
    type Input = ();

    async fn propose(
        &mut self,
        (runtime, context): (E, ConsensusContext),
        ancestry: impl Ancestry<ChainBlock>,
        _: (),
    ) -> Option<Digested<ChainBlock>> {
        if !self.empty_block_interval.is_zero()
            && let Some(parent) = ancestry.peek()
        {
            self.await_transactions(&runtime, parent.inner().0.timestamp_ms)
                .await;
        }
        let chain = self.chain(ancestry).await?;
        self.executor.propose(context, chain).await
    }

    async fn verify(
        &mut self,
        (runtime, _): (E, ConsensusContext),
        ancestry: impl Ancestry<ChainBlock>,
    ) -> bool {
        // A verdict only once it is final: while the parent's state is unknown (this node is
        // catching up), keep waiting, as the engine asks, rather than vote against.
        loop {
            if let Some(chain) = self.chain(ancestry.clone()).await {
                match self.executor.verify(chain).await {
                    Some(Verdict::Valid) => return true,
                    Some(Verdict::Invalid) | None => return false,
                    Some(Verdict::Unknown) => {}
                }
            }
            runtime.sleep(UNKNOWN_PARENT_RETRY).await;
        }
    }
}

/// Receives finalized blocks from marshal, in height order, and passes them to the executor,
/// which acknowledges each once its state is durable. Marshal bounds the blocks awaiting
/// acknowledgement, which bounds this channel.
#[derive(Clone)]
pub(crate) struct Finalizer(pub mpsc::UnboundedSender<(Digested<ChainBlock>, Exact)>);

impl Reporter for Finalizer {
    type Activity = Update<ChainBlock>;

    fn report(&mut self, activity: Update<ChainBlock>) -> Feedback {
        match activity {
            Update::Tip(..) => Feedback::Ok,
            Update::Block(block, ack) => match self.0.send((block, ack)) {
                Ok(()) => Feedback::Ok,
                Err(_) => Feedback::Closed,
            },
        }
    }
}
