//! The executor actor: owns the ledger, the mempool and the state of verified
//! blocks that are not final yet. Consensus asks it to build and check blocks;
//! marshal hands it finalized blocks to apply; admission hands it submitted
//! and gossiped transactions whose signatures it has checked. One actor, so
//! that every read and write of the state is serialized.

use crate::{
    admission::{Checked, Origin, Refused, backlog_limit, finalized_rate},
    block::{ChainBlock, ConsensusContext, RecentBlocks},
    config::NodeRole,
    handle::{Status, SubmitError, TxStatus},
    limits::{
        MAX_CLOCK_SKEW_MS, MAX_PENDING_BLOCKS, MAX_RECENT_BLOCKS, MAX_RECENT_RECEIPTS,
        MAX_RECENT_REJECTIONS, MAX_REMEMBERED_REFUSALS,
    },
    mempool::{Inserted, Limits, Mempool, MempoolError},
    metrics::{ACCEPTED, Metrics as ExecutorMetrics},
    recent::RecentMap,
};
use commonware_codec::EncodeSize;
use commonware_cryptography::{Digested, Digestible};
use commonware_macros::select;
use commonware_parallel::Rayon;
use commonware_runtime::{Clock, Metrics, Spawner, Storage};
use commonware_utils::{
    Acknowledgement,
    acknowledgement::Exact,
    channel::{mpsc, oneshot},
};
use dirchain_state::{
    Ledger, LedgerError, Outcome, TxError, VerifiedTx,
    access_log::{AccessProof, LogLocation},
    ledger::BlockState,
    store::StateProof,
    verify_txs_with,
};
use dirchain_types::{
    block::{Block, BlockContext},
    bounded::List,
    ids::{Digest, PublicKey},
    keys::StateKey,
    limits::{MAX_BLOCK_BYTES, MAX_BLOCK_TXS},
    tx::SignedTx,
};
use std::{
    collections::{BTreeMap, HashMap, VecDeque},
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, AtomicUsize, Ordering},
    },
    time::UNIX_EPOCH,
};
use tracing::{debug, info, warn};

/// Bytes of a block besides its transactions (header fields, length prefix), kept free when
/// filling a block up to [MAX_BLOCK_BYTES].
const BLOCK_HEADER_ALLOWANCE: usize = 1024;

pub(crate) enum Message {
    /// Build a block on `chain`'s last block; `chain` holds the unverified ancestors needed
    /// to reach a known state, oldest first.
    Propose {
        /// Boxed: a context holds a decoded public key, much larger than the other messages.
        context: Box<ConsensusContext>,
        chain: Vec<Digested<ChainBlock>>,
        reply: oneshot::Sender<Option<Digested<ChainBlock>>>,
    },
    /// Check `chain`'s last block against its parent (the one before it).
    Verify {
        chain: Vec<Digested<ChainBlock>>,
        reply: oneshot::Sender<Verdict>,
    },
    /// Transactions whose signatures admission has checked: check them against the state
    /// and take them into the mempool.
    Admit {
        requests: Vec<Checked>,
    },
    Status {
        reply: oneshot::Sender<Status>,
    },
    TxStatus {
        hash: Digest,
        reply: oneshot::Sender<TxStatus>,
    },
    /// The last `limit` finalized blocks this node applied, newest first.
    Recent {
        limit: usize,
        reply: oneshot::Sender<Vec<FinalizedBlock>>,
    },
    /// Committed values of `keys`, and the height they were read at.
    Records {
        keys: Vec<StateKey>,
        reply: oneshot::Sender<Result<Records, SubmitError>>,
    },
    /// A proof of `key` against the committed state, and its height.
    Prove {
        key: StateKey,
        reply: oneshot::Sender<Result<(u64, StateProof), SubmitError>>,
    },
    Nonces {
        signer: PublicKey,
        reply: oneshot::Sender<Result<Nonces, SubmitError>>,
    },
    /// Committed access records from a location of the access log on.
    AccessRecords {
        from: LogLocation,
        count: u64,
        reply: oneshot::Sender<Result<AccessRecords, SubmitError>>,
    },
    /// The access record at a location with its proof against the committed state.
    ProveAccess {
        location: LogLocation,
        reply: oneshot::Sender<Result<AccessRecordProof, SubmitError>>,
    },
}

/// Committed access records, each with its location in the access log, and the height of the
/// state they were read at with the log's size then (reading on from that size reads what blocks
/// after that height appended).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessRecords {
    pub height: u64,
    pub log_size: u64,
    pub records: Vec<(LogLocation, Vec<u8>)>,
}

/// The access record at a location (`None` if no record is there), with its proof against the
/// state at `height`.
pub type AccessRecordProof = (u64, Option<(Vec<u8>, AccessProof)>);

/// Committed values, in the order of the keys asked for, and the height they were read at.
pub type Records = (u64, Vec<Option<Vec<u8>>>);

/// A signer's nonces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Nonces {
    /// The next nonce in the committed state.
    pub next: u64,
    /// The first nonce from `next` that no pending transaction holds.
    pub next_free: u64,
}

/// A recently finalized block, as this node applied it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FinalizedBlock {
    pub height: u64,
    pub digest: Digest,
    pub state_root: Digest,
    pub txs: usize,
    /// The time its proposer gave it.
    pub timestamp_ms: u64,
    /// When this node applied it, by this node's clock: finality as seen here.
    pub applied_at_ms: u64,
}

/// The committed tip, shared with the application so it knows how far back to walk, and
/// the last finalized blocks, shared with the handle.
#[derive(Default)]
pub(crate) struct Shared {
    pub height: AtomicU64,
    pub mempool_txs: AtomicUsize,
    pub mempool_bytes: AtomicUsize,
    /// Transactions finalized per second of late ([finalized_rate]), which bounds how many
    /// clients may keep waiting ([crate::admission::backlog_limit]).
    pub finalized_rate: AtomicUsize,
    pub peers: AtomicUsize,
    pub blocks: Mutex<RecentBlocks>,
    /// Blocks this node voted against that the network finalized (see [Executor::finalize]).
    pub refused_finalized: AtomicU64,
}

#[derive(Clone)]
pub(crate) struct Mailbox(mpsc::Sender<Message>);

impl Mailbox {
    pub async fn propose(
        &self,
        context: ConsensusContext,
        chain: Vec<Digested<ChainBlock>>,
    ) -> Option<Digested<ChainBlock>> {
        let (reply, rx) = oneshot::channel();
        self.0
            .send(Message::Propose {
                context: Box::new(context),
                chain,
                reply,
            })
            .await
            .ok()?;
        rx.await.ok().flatten()
    }

    /// `None` when the executor has stopped.
    pub async fn verify(&self, chain: Vec<Digested<ChainBlock>>) -> Option<Verdict> {
        let (reply, rx) = oneshot::channel();
        self.0.send(Message::Verify { chain, reply }).await.ok()?;
        rx.await.ok()
    }

    /// Err when the executor has stopped.
    pub async fn admit(&self, requests: Vec<Checked>) -> Result<(), SubmitError> {
        self.0
            .send(Message::Admit { requests })
            .await
            .map_err(|_| SubmitError::Unavailable)
    }

    pub async fn status(&self) -> Result<Status, SubmitError> {
        let (reply, rx) = oneshot::channel();
        self.0
            .send(Message::Status { reply })
            .await
            .map_err(|_| SubmitError::Unavailable)?;
        rx.await.map_err(|_| SubmitError::Unavailable)
    }

    pub async fn recent(&self, limit: usize) -> Result<Vec<FinalizedBlock>, SubmitError> {
        let (reply, rx) = oneshot::channel();
        self.0
            .send(Message::Recent { limit, reply })
            .await
            .map_err(|_| SubmitError::Unavailable)?;
        rx.await.map_err(|_| SubmitError::Unavailable)
    }

    pub async fn tx_status(&self, hash: Digest) -> Result<TxStatus, SubmitError> {
        let (reply, rx) = oneshot::channel();
        self.0
            .send(Message::TxStatus { hash, reply })
            .await
            .map_err(|_| SubmitError::Unavailable)?;
        rx.await.map_err(|_| SubmitError::Unavailable)
    }

    pub async fn records(&self, keys: Vec<StateKey>) -> Result<Records, SubmitError> {
        let (reply, rx) = oneshot::channel();
        self.0
            .send(Message::Records { keys, reply })
            .await
            .map_err(|_| SubmitError::Unavailable)?;
        rx.await.map_err(|_| SubmitError::Unavailable)?
    }

    pub async fn prove(&self, key: StateKey) -> Result<(u64, StateProof), SubmitError> {
        let (reply, rx) = oneshot::channel();
        self.0
            .send(Message::Prove { key, reply })
            .await
            .map_err(|_| SubmitError::Unavailable)?;
        rx.await.map_err(|_| SubmitError::Unavailable)?
    }

    pub async fn nonces(&self, signer: PublicKey) -> Result<Nonces, SubmitError> {
        let (reply, rx) = oneshot::channel();
        self.0
            .send(Message::Nonces { signer, reply })
            .await
            .map_err(|_| SubmitError::Unavailable)?;
        rx.await.map_err(|_| SubmitError::Unavailable)?
    }

    pub async fn access_records(
        &self,
        from: LogLocation,
        count: u64,
    ) -> Result<AccessRecords, SubmitError> {
        let (reply, rx) = oneshot::channel();
        self.0
            .send(Message::AccessRecords { from, count, reply })
            .await
            .map_err(|_| SubmitError::Unavailable)?;
        rx.await.map_err(|_| SubmitError::Unavailable)?
    }

    pub async fn prove_access(
        &self,
        location: LogLocation,
    ) -> Result<AccessRecordProof, SubmitError> {
        let (reply, rx) = oneshot::channel();
        self.0
            .send(Message::ProveAccess { location, reply })
            .await
            .map_err(|_| SubmitError::Unavailable)?;
        rx.await.map_err(|_| SubmitError::Unavailable)?
    }
}

/// What a validator makes of a proposed block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    Valid,
    /// It can never become valid: vote against it.
    Invalid,
    /// Its parent's state is not known yet (the node is catching up): ask again later.
    Unknown,
}

/// A verified block that is not final yet, with the state it leads to.
struct Pending {
    height: u64,
    state: BlockState,
    receipts: Vec<dirchain_state::Receipt>,
}

/// The finalized tip.
struct Tip {
    height: u64,
    digest: Digest,
    timestamp_ms: u64,
}

pub(crate) struct Executor<E: Storage + Clock + Metrics + Spawner> {
    context: E,
    /// Checks the signatures of a block's transactions that the mempool does not hold.
    strategy: Rayon,
    ledger: Ledger<E>,
    mempool: Mempool,
    pending: HashMap<Digest, Pending>,
    /// Pending blocks by height, to drop the oldest first.
    pending_order: BTreeMap<u64, Vec<Digest>>,
    tip: Tip,
    receipts: RecentMap<Digest, (u64, u32, Outcome)>,
    /// Dropped transactions: the code and message of why.
    rejections: RecentMap<Digest, (&'static str, String)>,
    /// Blocks this node voted against, so that it notices if the network finalizes one.
    refused: RecentMap<Digest, ()>,
    /// The last [MAX_RECENT_BLOCKS] finalized blocks, oldest first.
    recent_blocks: VecDeque<FinalizedBlock>,
    shared: Arc<Shared>,
    role: NodeRole,
    public_key: PublicKey,
    validators: Vec<PublicKey>,
    genesis: Digest,
    gossip: mpsc::Sender<SignedTx>,
    mailbox: mpsc::Receiver<Message>,
    finalized: mpsc::UnboundedReceiver<(Digested<ChainBlock>, Exact)>,
    metrics: ExecutorMetrics,
}

/// Why the executor stopped.
#[derive(Debug, thiserror::Error)]
pub enum ExecutorError {
    #[error("finalized block {height} does not execute to the state it claims: {source}")]
    Diverged { height: u64, source: LedgerError },
    #[error("the state store failed: {0}")]
    Ledger(#[from] LedgerError),
}

pub(crate) struct ExecutorConfig {
    pub role: NodeRole,
    pub public_key: PublicKey,
    pub validators: Vec<PublicKey>,
    pub genesis: Digest,
    /// The block the stored state reflects (the genesis block when new).
    pub tip: (u64, Digest, u64),
}

impl<E: Storage + Clock + Metrics + Spawner + rand_core::CryptoRng> Executor<E> {
    pub fn new(
        context: E,
        strategy: Rayon,
        ledger: Ledger<E>,
        config: ExecutorConfig,
        gossip: mpsc::Sender<SignedTx>,
        finalized: mpsc::UnboundedReceiver<(Digested<ChainBlock>, Exact)>,
        shared: Arc<Shared>,
    ) -> (Self, Mailbox) {
        let (sender, mailbox) = mpsc::channel(crate::limits::MAILBOX_SIZE);
        shared.height.store(config.tip.0, Ordering::Relaxed);
        let metrics = ExecutorMetrics::init(&context);
        metrics.height.set(config.tip.0 as i64);
        metrics.backlog_limit.set(backlog_limit(0) as i64);
        let executor = Self {
            context,
            strategy,
            ledger,
            mempool: Mempool::new(Limits::default()),
            pending: HashMap::new(),
            pending_order: BTreeMap::new(),
            tip: Tip {
                height: config.tip.0,
                digest: config.tip.1,
                timestamp_ms: config.tip.2,
            },
            receipts: RecentMap::new(MAX_RECENT_RECEIPTS / 2),
            rejections: RecentMap::new(MAX_RECENT_REJECTIONS / 2),
            refused: RecentMap::new(MAX_REMEMBERED_REFUSALS / 2),
            recent_blocks: VecDeque::new(),
            shared,
            role: config.role,
            public_key: config.public_key,
            validators: config.validators,
            genesis: config.genesis,
            gossip,
            mailbox,
            finalized,
            metrics,
        };
        (executor, Mailbox(sender))
    }

    pub async fn run(mut self) -> Result<(), ExecutorError> {
        loop {
            // Finalized blocks first: they free the mempool and move the tip.
            let message = select! {
                finalized = self.finalized.recv() => {
                    let Some((block, ack)) = finalized else {
                        return Ok(());
                    };
                    self.finalize(block).await?;
                    ack.acknowledge();
                    continue;
                },
                message = self.mailbox.recv() => {
                    let Some(message) = message else {
                        return Ok(());
                    };
                    message
                },
            };
            match message {
                Message::Propose {
                    context,
                    chain,
                    reply,
                } => {
                    let block = self.propose(*context, chain).await?;
                    let _ = reply.send(block);
                }
                Message::Verify { chain, reply } => {
                    let block = chain.last().map(Digestible::digest);
                    let verdict = self.verify(chain).await?;
                    if let (Verdict::Invalid, Some(block)) = (verdict, block) {
                        self.refused.insert(block, ());
                    }
                    let _ = reply.send(verdict);
                }
                Message::Admit { requests } => {
                    for request in requests {
                        self.admit_request(request).await?;
                    }
                }
                Message::Status { reply } => {
                    let status = self.status();
                    let _ = reply.send(status);
                }
                Message::Recent { limit, reply } => {
                    let blocks = self.recent_blocks.iter().rev().take(limit).copied();
                    let _ = reply.send(blocks.collect());
                }
                Message::TxStatus { hash, reply } => {
                    let status = self.tx_status(&hash);
                    let _ = reply.send(status);
                }
                Message::Records { keys, reply } => {
                    let _ = reply.send(self.records(keys).await);
                }
                Message::Prove { key, reply } => {
                    let proof = self.ledger.prove(&key).await.map_err(storage_error);
                    let _ = reply.send(proof.map(|proof| (self.tip.height, proof)));
                }
                Message::Nonces { signer, reply } => {
                    let _ = reply.send(self.nonces(&signer).await);
                }
                Message::AccessRecords { from, count, reply } => {
                    let records = self.ledger.access_records(from, count).await;
                    let _ =
                        reply.send(records.map_err(storage_error).map(|records| AccessRecords {
                            height: self.tip.height,
                            log_size: self.ledger.access_log_head().size,
                            records,
                        }));
                }
                Message::ProveAccess { location, reply } => {
                    let proof = self.ledger.prove_access(location).await;
                    let _ = reply.send(proof.map_err(storage_error).map(|p| (self.tip.height, p)));
                }
            }
        }
    }

    fn now_ms(&self) -> u64 {
        self.context
            .current()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0)
    }

    /// The state a block with this parent executes on: `Ok(None)` for the committed state,
    /// `Ok(Some)` for a pending block's, `Err(())` when the parent's state is unknown.
    fn parent_state(&self, parent: &Digest) -> Result<Option<&BlockState>, ()> {
        if *parent == self.tip.digest {
            return Ok(None);
        }
        self.pending.get(parent).map(|p| Some(&p.state)).ok_or(())
    }

    /// The part of `chain` (consecutive blocks, oldest first) above the committed tip; `None`
    /// if the chain is on another branch than the committed one (its block at the tip's
    /// height is not the tip, or its block right above does not extend it), or ends below
    /// the tip. A chain that starts further up is kept whole: its first block's parent may
    /// be a verified block, or not known here yet.
    ///
    /// The application walks a block's ancestry back to the tip it read, and the blocks
    /// finalized since (which this actor serves first) may have moved the tip into that
    /// chain. Those blocks are committed, not to be executed again: executing one would find
    /// no state for its parent, and call a valid block invalid on this node alone, which
    /// can leave a certified view without the votes to leave it.
    fn above_tip<'c>(
        &self,
        chain: &'c [Digested<ChainBlock>],
    ) -> Option<&'c [Digested<ChainBlock>]> {
        let first = &chain.first()?.inner().0;
        if first.height > self.tip.height + 1 {
            return Some(chain);
        }
        if first.height == self.tip.height + 1 {
            return (first.parent == self.tip.digest).then_some(chain);
        }
        let at_tip = usize::try_from(self.tip.height - first.height).ok()?;
        (chain.get(at_tip)?.digest() == self.tip.digest).then(|| &chain[at_tip + 1..])
    }

    /// Whether `digest` is the committed block at `height` (the tip or one of the last
    /// [MAX_RECENT_BLOCKS] finalized).
    fn is_committed(&self, height: u64, digest: &Digest) -> bool {
        (height == self.tip.height && *digest == self.tip.digest)
            || self
                .recent_blocks
                .iter()
                .any(|b| b.height == height && b.digest == *digest)
    }

    /// Checks and executes the blocks of `blocks` (above the tip, oldest first) this node has
    /// not, so that the state after the last is known: `Valid` then, `Invalid` if one does
    /// not check out, `Unknown` if the first one's parent state is not known here (yet).
    /// Proposing replays up to the parent, verifying up to the block itself.
    async fn replay(&mut self, blocks: &[Digested<ChainBlock>]) -> Result<Verdict, ExecutorError> {
        for block in blocks {
            if self.pending.contains_key(&block.digest()) {
                continue;
            }
            if self.parent_state(&block.inner().0.parent).is_err() {
                return Ok(Verdict::Unknown);
            }
            if !self.check_and_keep(block).await? {
                return Ok(Verdict::Invalid);
            }
        }
        Ok(Verdict::Valid)
    }

    async fn propose(
        &mut self,
        context: ConsensusContext,
        chain: Vec<Digested<ChainBlock>>,
    ) -> Result<Option<Digested<ChainBlock>>, ExecutorError> {
        let Some(parent) = chain.last().cloned() else {
            return Ok(None);
        };
        // The parent itself is executed too when this node has not: it is certified.
        let Some(above) = self.above_tip(&chain) else {
            return Ok(None);
        };
        if self.replay(above).await? != Verdict::Valid {
            return Ok(None);
        }
        let parent_state = match self.parent_state(&parent.digest()) {
            Ok(state) => state.cloned(),
            Err(()) => {
                // Replayed, then dropped: more blocks are pending than the executor keeps.
                debug!(parent = %parent.digest(), "parent state unknown; not proposing");
                return Ok(None);
            }
        };
        let height = parent.inner().0.height + 1;
        let timestamp_ms = self.now_ms().max(parent.inner().0.timestamp_ms);
        let ctx = BlockContext {
            height,
            timestamp_ms,
        };

        // Each signer's next nonce at the parent, so the block takes the next run of each.
        let mut nonces = BTreeMap::new();
        let signers: Vec<PublicKey> = self.mempool.signers().cloned().collect();
        for signer in signers {
            let nonce = self
                .ledger
                .next_nonce(parent_state.as_ref(), &signer)
                .await?;
            nonces.insert(signer, nonce);
        }
        let candidates = self.mempool.candidates(
            MAX_BLOCK_TXS,
            MAX_BLOCK_BYTES - BLOCK_HEADER_ALLOWANCE,
            |signer| nonces.get(signer).copied(),
        );
        let proposal = self
            .ledger
            .propose(parent_state.as_ref(), ctx, candidates)
            .await?;
        for (hash, error) in &proposal.excluded {
            // A transaction the state refuses for a reason other than its turn never will
            // apply: drop it. (Nonce errors mean an earlier one is still on its way.)
            if !matches!(
                error,
                TxError::StaleNonce { .. } | TxError::FutureNonce { .. }
            ) {
                debug!(tx = %hash, %error, "dropping transaction refused at proposal");
                self.mempool.remove(hash);
                self.reject(*hash, error);
            }
        }
        let block = Block {
            parent: parent.digest(),
            height,
            epoch: context.round.epoch().get(),
            view: context.round.view().get(),
            parent_view: context.parent.0.get(),
            proposer: context.leader.clone(),
            timestamp_ms,
            state_root: proposal.state.root(),
            txs: List::new(
                proposal
                    .txs
                    .into_iter()
                    .map(VerifiedTx::into_inner)
                    .collect(),
            )
            .expect("candidates are capped at MAX_BLOCK_TXS"),
        };
        let digest = block.digest();
        self.keep(
            digest,
            Pending {
                height,
                state: proposal.state,
                receipts: proposal.receipts,
            },
        );
        Ok(Some(Digested::precomputed(ChainBlock(block), digest)))
    }

    async fn verify(&mut self, chain: Vec<Digested<ChainBlock>>) -> Result<Verdict, ExecutorError> {
        let Some(block) = chain.last() else {
            return Ok(Verdict::Invalid);
        };
        if self.pending.contains_key(&block.digest()) {
            return Ok(Verdict::Valid);
        }
        if block.inner().0.height <= self.tip.height {
            // Final already (its finalization can arrive before this node's own check of
            // it), or on a dead branch.
            return Ok(
                if self.is_committed(block.inner().0.height, &block.digest()) {
                    Verdict::Valid
                } else {
                    Verdict::Invalid
                },
            );
        }
        if block.inner().0.timestamp_ms > self.now_ms() + MAX_CLOCK_SKEW_MS {
            warn!(
                height = block.inner().0.height,
                "block claims a time too far ahead; not voting for it"
            );
            return Ok(Verdict::Invalid);
        }
        // The block is the last of the blocks above the tip, checked as its ancestors are.
        match self.above_tip(&chain) {
            Some(above) => self.replay(above).await,
            None => Ok(Verdict::Invalid),
        }
    }

    /// Checks a block against its parent's state (time, size, signatures, every transaction,
    /// the state root) and keeps the state it leads to.
    async fn check_and_keep(
        &mut self,
        block: &Digested<ChainBlock>,
    ) -> Result<bool, ExecutorError> {
        let parent_state = match self.parent_state(&block.inner().0.parent) {
            Ok(state) => state.cloned(),
            Err(()) => return Ok(false),
        };
        let parent_timestamp = if block.inner().0.parent == self.tip.digest {
            Some(self.tip.timestamp_ms)
        } else {
            None
        };
        if parent_timestamp.is_some_and(|t| block.inner().0.timestamp_ms < t) {
            return Ok(false);
        }
        if block.inner().0.encode_size() > MAX_BLOCK_BYTES {
            return Ok(false);
        }
        match self.execute(&block.inner().0, parent_state.as_ref()).await {
            Ok(checked) => {
                self.keep(
                    block.digest(),
                    Pending {
                        height: block.inner().0.height,
                        state: checked.state,
                        receipts: checked.receipts,
                    },
                );
                Ok(true)
            }
            Err(error @ (LedgerError::InvalidTx { .. } | LedgerError::RootMismatch { .. })) => {
                warn!(height = block.inner().0.height, %error, "refusing an invalid block");
                Ok(false)
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Checks a block's signatures and executes it on `parent` (or the committed state),
    /// checking the root it claims.
    async fn execute(
        &mut self,
        block: &Block,
        parent: Option<&BlockState>,
    ) -> Result<dirchain_state::ledger::Checked, LedgerError> {
        // A transaction the mempool holds had its signature checked on admission, and its
        // hash covers the signature: only the others are checked here, in one batch.
        let mut txs: Vec<Option<VerifiedTx>> = Vec::with_capacity(block.txs.len());
        let mut unchecked = Vec::new();
        for tx in block.txs.iter() {
            let known = self.mempool.get(&tx.hash()).cloned();
            if known.is_none() {
                unchecked.push(tx.clone());
            }
            txs.push(known);
        }
        let mut verdicts =
            verify_txs_with(unchecked, &mut self.context, &self.strategy).into_iter();
        let txs = txs
            .into_iter()
            .enumerate()
            .map(|(index, known)| match known {
                Some(tx) => Ok(tx),
                None => verdicts
                    .next()
                    .expect("one verdict per unchecked transaction")
                    .map_err(|error| LedgerError::InvalidTx { index, error }),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let ctx = BlockContext {
            height: block.height,
            timestamp_ms: block.timestamp_ms,
        };
        self.ledger.check(parent, ctx, &txs, block.state_root).await
    }

    fn keep(&mut self, digest: Digest, pending: Pending) {
        self.pending_order
            .entry(pending.height)
            .or_default()
            .push(digest);
        self.pending.insert(digest, pending);
        while self.pending.len() > MAX_PENDING_BLOCKS {
            let Some((_, oldest)) = self.pending_order.pop_first() else {
                break;
            };
            for digest in oldest {
                self.pending.remove(&digest);
            }
        }
    }

    async fn finalize(&mut self, block: Digested<ChainBlock>) -> Result<(), ExecutorError> {
        let height = block.inner().0.height;
        if height <= self.tip.height {
            // Marshal redelivers after a restart; the state already holds it.
            return Ok(());
        }
        let receipts = match self.pending.remove(&block.digest()) {
            Some(pending) if block.inner().0.parent == self.tip.digest => {
                self.ledger.commit(&pending.state).await?;
                pending.receipts
            }
            _ => {
                // Catching up: this node never verified the block. A finalized block carries
                // a quorum's word, but it is still executed and its root checked.
                let checked = self
                    .execute(&block.inner().0, None)
                    .await
                    .map_err(|source| match source {
                        LedgerError::InvalidTx { .. } | LedgerError::RootMismatch { .. } => {
                            ExecutorError::Diverged { height, source }
                        }
                        other => ExecutorError::Ledger(other),
                    })?;
                self.ledger.commit(&checked.state).await?;
                checked.receipts
            }
        };
        if self.refused.remove(&block.digest()).is_some() {
            // A quorum judged otherwise. Nothing to undo (the block was executed and its root
            // checked above), but a verdict must not depend on the node: two validators that
            // refuse the same view's block leave it without the votes to move on.
            self.shared
                .refused_finalized
                .fetch_add(1, Ordering::Relaxed);
            self.metrics.refused_finalized.inc();
            warn!(
                height,
                block = %block.digest(),
                "the network finalized a block this node voted against: its verdict differed \
                 from the quorum's (a fault of this node's software or clock; please report it)"
            );
        }
        let now = self.now_ms();
        let previous_timestamp_ms = self.tip.timestamp_ms;
        self.tip = Tip {
            height,
            digest: block.digest(),
            timestamp_ms: block.inner().0.timestamp_ms,
        };
        // The block first, then the height: a reader that sees the height finds the block.
        self.shared
            .blocks
            .lock()
            .expect("never held across a panic")
            .push(block.inner_shared());
        self.shared.height.store(height, Ordering::Relaxed);
        self.metrics.height.set(height as i64);
        self.metrics
            .finality
            .observe(now.saturating_sub(block.inner().0.timestamp_ms) as f64 / 1000.0);
        self.metrics.block_interval.observe(
            block
                .inner()
                .0
                .timestamp_ms
                .saturating_sub(previous_timestamp_ms) as f64
                / 1000.0,
        );
        for tx in block.inner().0.txs.iter() {
            self.mempool.advance(&tx.tx.signer, tx.tx.nonce + 1);
            self.metrics.finalized(tx.tx.payload.kind());
        }
        self.mempool_changed();
        for receipt in receipts {
            self.remember(receipt.tx, height, receipt.index, receipt.outcome);
        }
        self.recent_blocks.push_back(FinalizedBlock {
            height,
            digest: block.digest(),
            state_root: self.ledger.root(),
            txs: block.inner().0.txs.len(),
            timestamp_ms: block.inner().0.timestamp_ms,
            applied_at_ms: now,
        });
        if self.recent_blocks.len() > MAX_RECENT_BLOCKS {
            self.recent_blocks.pop_front();
        }
        let rate = finalized_rate(&self.recent_blocks, now);
        self.shared.finalized_rate.store(rate, Ordering::Relaxed);
        self.metrics.backlog_limit.set(backlog_limit(rate) as i64);
        // States of blocks at or below the tip are on the committed branch or a dead one.
        let retained = self.pending_order.split_off(&(height + 1));
        for digest in std::mem::replace(&mut self.pending_order, retained)
            .into_values()
            .flatten()
        {
            self.pending.remove(&digest);
        }
        info!(
            height,
            txs = block.inner().0.txs.len(),
            finality_ms = now.saturating_sub(block.inner().0.timestamp_ms),
            "finalized"
        );
        Ok(())
    }

    fn reject(&mut self, hash: Digest, error: &TxError) {
        self.rejections
            .insert(hash, (error.code(), error.to_string()));
    }

    fn remember(&mut self, hash: Digest, height: u64, index: u32, outcome: Outcome) {
        self.receipts.insert(hash, (height, index, outcome));
    }

    fn mempool_changed(&self) {
        self.shared
            .mempool_txs
            .store(self.mempool.len(), Ordering::Relaxed);
        self.shared
            .mempool_bytes
            .store(self.mempool.bytes(), Ordering::Relaxed);
        self.metrics.mempool_txs.set(self.mempool.len() as i64);
        self.metrics.mempool_bytes.set(self.mempool.bytes() as i64);
    }

    /// Admits a request's transactions in order, counts them by kind and result, answers
    /// the client and gossips what a client submitted.
    async fn admit_request(&mut self, request: Checked) -> Result<(), ExecutorError> {
        let from_peer = matches!(request.origin, Origin::Peer);
        let mut verdicts = Vec::with_capacity(request.txs.len());
        for tx in request.txs {
            let (kind, verdict) = match tx {
                Ok(tx) => (
                    Some(tx.tx().tx.payload.kind()),
                    self.admit(tx, from_peer).await?,
                ),
                Err(Refused { kind, error }) => (kind, Err(error)),
            };
            self.metrics.submitted(
                kind,
                match &verdict {
                    Ok(_) => ACCEPTED,
                    Err(error) => error.code(),
                },
            );
            verdicts.push(verdict);
        }
        self.mempool_changed();
        if let Origin::Client(reply) = request.origin {
            let _ = reply.send(verdicts);
        }
        Ok(())
    }

    /// Checks a verified transaction against the committed state and takes it into the
    /// mempool.
    async fn admit(
        &mut self,
        tx: VerifiedTx,
        from_peer: bool,
    ) -> Result<Result<Digest, SubmitError>, ExecutorError> {
        let hash = tx.hash();
        if self.mempool.contains(&hash) {
            return Ok(Ok(hash));
        }
        if self.receipts.contains_key(&hash) {
            // Already final: answering with its hash makes resubmission harmless.
            return Ok(Ok(hash));
        }
        let next_nonce = match self.ledger.precheck(&tx, self.now_ms()).await {
            Ok(nonce) => nonce,
            Err(e) if e.is_internal() => return Err(LedgerError::Internal(e).into()),
            Err(e) => return Ok(Err(e.into())),
        };
        let signed = (!from_peer).then(|| tx.tx().clone());
        Ok(match self.mempool.insert(tx, next_nonce) {
            Ok(Inserted::Added) => {
                // Admitted again: whatever refused it before no longer does.
                self.rejections.remove(&hash);
                if let Some(signed) = signed {
                    let _ = self.gossip.try_send(signed);
                }
                Ok(hash)
            }
            Ok(Inserted::AlreadyPending) => Ok(hash),
            Err(MempoolError::Busy { txs, bytes }) => Err(SubmitError::Busy { txs, bytes }),
            Err(MempoolError::Rejected(e)) => Err(e.into()),
            Err(MempoolError::NonceTaken { nonce }) => Err(SubmitError::NonceTaken { nonce }),
            Err(MempoolError::SignerFull { pending }) => Err(SubmitError::SignerBusy { pending }),
        })
    }

    async fn records(&self, keys: Vec<StateKey>) -> Result<Records, SubmitError> {
        let mut values = Vec::with_capacity(keys.len());
        for key in &keys {
            values.push(self.ledger.get(key).await.map_err(storage_error)?);
        }
        Ok((self.tip.height, values))
    }

    async fn nonces(&self, signer: &PublicKey) -> Result<Nonces, SubmitError> {
        let next = self
            .ledger
            .next_nonce(None, signer)
            .await
            .map_err(storage_error)?;
        Ok(Nonces {
            next,
            next_free: self.mempool.next_free_nonce(signer, next),
        })
    }

    fn status(&self) -> Status {
        Status {
            chain_id: self.ledger.chain_id().to_string(),
            genesis: self.genesis,
            role: self.role,
            public_key: self.public_key.clone(),
            validators: self.validators.clone(),
            height: self.tip.height,
            block: self.tip.digest,
            block_timestamp_ms: self.tip.timestamp_ms,
            state_root: self.ledger.root(),
            mempool_txs: self.mempool.len(),
            mempool_bytes: self.mempool.bytes(),
            peers: self.shared.peers.load(Ordering::Relaxed),
        }
    }

    fn tx_status(&self, hash: &Digest) -> TxStatus {
        if let Some((height, index, outcome)) = self.receipts.get(hash) {
            return TxStatus::Finalized {
                height: *height,
                index: *index,
                outcome: outcome.clone(),
            };
        }
        if self.mempool.contains(hash) {
            return TxStatus::Pending;
        }
        if let Some((code, message)) = self.rejections.get(hash) {
            return TxStatus::Rejected {
                code,
                message: message.clone(),
            };
        }
        TxStatus::Unknown
    }
}

/// A read of the node's own store failed: the node's fault, not the caller's.
fn storage_error(error: LedgerError) -> SubmitError {
    SubmitError::Storage(error.to_string())
}

#[cfg(test)]
#[path = "executor/tests.rs"]
mod tests;
