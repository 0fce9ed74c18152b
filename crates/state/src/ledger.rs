//! The ledger: the authenticated store and the access log plus the rules, block by block.

use crate::{
    access_log::{self, AccessLog, AccessProof, LogLocation},
    error::TxError,
    exec::{BlockExecution, BlockWrites, Executor, Receipt, StateRead, VerifiedTx, execute_block},
    genesis::{GenesisError, STATE_LAYOUT, genesis_writes},
    store::{self, StateProof, StateRoot, Store, StoreError},
};
use commonware_codec::{Copying, DecodeExt, Encode};
use commonware_runtime::{Clock, Metrics, Spawner, Storage};
use dirchain_types::{
    block::BlockContext,
    bounded::Ident,
    genesis::Genesis,
    ids::{Digest, PublicKey},
    keys::{self, StateKey},
    records::{AccessLogHead, Account, Consortium},
};

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("transaction {index} of the block is invalid: {error}")]
    InvalidTx { index: usize, error: TxError },
    #[error("the block claims state root {claimed}, executing it gives {computed}")]
    RootMismatch {
        claimed: StateRoot,
        computed: StateRoot,
    },
    #[error("genesis is invalid: {0}")]
    Genesis(#[from] GenesisError),
    #[error("the stored state was founded from genesis {stored}, not from the given one ({given})")]
    GenesisMismatch { stored: Digest, given: Digest },
    #[error(
        "the stored state was written by another version of dirchain (state layout {found}; \
         this one reads layout {expected}), whose blocks this one cannot replay: start the \
         network again from its genesis (a devnet: delete its directory)"
    )]
    OtherLayout { found: u32, expected: u32 },
    #[error("block {got} cannot be committed next; the state is at block {}", expected - 1)]
    OutOfOrder { expected: u64, got: u64 },
    #[error("the node cannot execute: {0}")]
    Internal(TxError),
    #[error(transparent)]
    Storage(#[from] StoreError),
}

/// The ledger after a block that is verified but not yet final: its state and its access log,
/// built on its parent's (or on the committed ones), so that blocks can be executed and checked
/// ahead of finalization.
#[derive(Clone, Debug)]
pub struct BlockState {
    state: store::Speculative,
    log: access_log::Speculative,
}

impl BlockState {
    /// The block's state root, which commits to its access log as well.
    pub fn root(&self) -> StateRoot {
        self.state.root()
    }

    /// Height of the block.
    pub fn height(&self) -> u64 {
        self.state.height()
    }
}

/// A block's worth of transactions chosen by a proposer: the ones that apply,
/// in order, the state they lead to, and why the others were left out.
#[derive(Debug)]
pub struct Proposal {
    pub txs: Vec<VerifiedTx>,
    pub receipts: Vec<Receipt>,
    pub state: BlockState,
    pub excluded: Vec<(Digest, TxError)>,
}

/// The value of [keys::access_log_key], decoded.
fn decode_head(bytes: &[u8]) -> Result<AccessLogHead, LedgerError> {
    AccessLogHead::decode(Copying(bytes))
        .map_err(|e| LedgerError::Internal(TxError::CorruptState(e.to_string())))
}

/// A block checked against its parent state, ready to commit once final.
#[derive(Debug)]
pub struct Checked {
    pub receipts: Vec<Receipt>,
    pub state: BlockState,
}

/// A view of the state: the committed one, or a verified block's on top of it.
struct At<'a, E: Storage + Clock + Metrics> {
    store: &'a Store<E>,
    spec: Option<&'a store::Speculative>,
}

impl<'a, E: Storage + Clock + Metrics> At<'a, E> {
    fn new(store: &'a Store<E>, block: Option<&'a BlockState>) -> Self {
        Self {
            store,
            spec: block.map(|b| &b.state),
        }
    }
}

impl<E: Storage + Clock + Metrics> StateRead for At<'_, E> {
    async fn read(&self, key: &StateKey) -> Result<Option<Vec<u8>>, StoreError> {
        self.store.get_at(self.spec, key).await
    }
}

pub struct Ledger<E: Storage + Clock + Metrics> {
    store: Store<E>,
    log: AccessLog<E>,
    chain_id: Ident,
}

impl<E: Storage + Clock + Metrics + Spawner> Ledger<E> {
    /// Opens the ledger's storage; a new one is founded from `genesis`.
    pub async fn open(
        context: E,
        partition_prefix: &str,
        genesis: &Genesis,
    ) -> Result<Self, LedgerError> {
        let log_context = context.child("access_log");
        let mut store = Store::open(context, partition_prefix).await?;
        match store.get(&keys::genesis_key()).await? {
            None => {
                store.commit(0, genesis_writes(genesis)?).await?;
            }
            Some(stored) => {
                let stored = Digest::decode(Copying(stored.as_slice()))
                    .map_err(|e| LedgerError::Internal(TxError::CorruptState(e.to_string())))?;
                if stored != genesis.digest() {
                    return Err(LedgerError::GenesisMismatch {
                        stored,
                        given: genesis.digest(),
                    });
                }
                // A state founded before the layout was recorded is layout 1.
                let found = match store.get(&keys::layout_key()).await? {
                    None => 1,
                    Some(bytes) => u32::decode(Copying(bytes.as_slice()))
                        .map_err(|e| LedgerError::Internal(TxError::CorruptState(e.to_string())))?,
                };
                if found != STATE_LAYOUT {
                    return Err(LedgerError::OtherLayout {
                        found,
                        expected: STATE_LAYOUT,
                    });
                }
            }
        }
        // The log opens at the size the committed state records, cut back if it got ahead.
        let head = match store.get(&keys::access_log_key()).await? {
            Some(bytes) => Some(decode_head(&bytes)?),
            None => None,
        };
        let log = AccessLog::open(log_context, partition_prefix, head).await?;
        Ok(Self {
            store,
            log,
            chain_id: genesis.chain_id.clone(),
        })
    }

    pub fn chain_id(&self) -> &Ident {
        &self.chain_id
    }

    pub fn root(&self) -> StateRoot {
        self.store.root()
    }

    pub fn store(&self) -> &Store<E> {
        &self.store
    }

    /// The consortium as the state holds it now: validators, threshold, parameters.
    pub async fn consortium(&self) -> Result<Consortium, LedgerError> {
        let corrupt = |why: String| LedgerError::Internal(TxError::CorruptState(why));
        let bytes = self
            .store
            .get(&keys::consortium_key())
            .await?
            .ok_or_else(|| corrupt("no consortium record".into()))?;
        Consortium::decode(Copying(bytes.as_slice())).map_err(|e| corrupt(e.to_string()))
    }

    /// The height of the last block applied to the committed state (0 at genesis).
    pub async fn height(&self) -> Result<u64, LedgerError> {
        Ok(self.store.height().await?)
    }

    /// Picks from `candidates`, in order, the transactions that apply on top of `parent` (a
    /// verified block not yet committed) or of the committed state, and the state they lead to.
    pub async fn propose(
        &self,
        parent: Option<&BlockState>,
        ctx: BlockContext,
        candidates: Vec<VerifiedTx>,
    ) -> Result<Proposal, LedgerError> {
        let view = At::new(&self.store, parent);
        let mut executor = Executor::new(&view, self.chain_id.clone(), ctx);
        let mut txs = Vec::with_capacity(candidates.len());
        let mut receipts = Vec::with_capacity(candidates.len());
        let mut excluded = Vec::new();
        for tx in candidates {
            match executor.apply(&tx).await {
                Ok(receipt) => {
                    receipts.push(receipt);
                    txs.push(tx);
                }
                Err(e) if e.is_internal() => return Err(LedgerError::Internal(e)),
                Err(e) => excluded.push((tx.hash(), e)),
            }
        }
        let state = self
            .speculate(parent, ctx.height, executor.finish())
            .await?;
        Ok(Proposal {
            txs,
            receipts,
            state,
            excluded,
        })
    }

    /// Executes a proposed block on top of `parent` (or of the committed state) and checks the
    /// root it claims. Changes nothing; the result can be committed once the block is final.
    pub async fn check(
        &self,
        parent: Option<&BlockState>,
        ctx: BlockContext,
        txs: &[VerifiedTx],
        claimed_root: StateRoot,
    ) -> Result<Checked, LedgerError> {
        let execution = self.execute(parent, ctx, txs).await?;
        let state = self.speculate(parent, ctx.height, execution.writes).await?;
        if state.root() != claimed_root {
            return Err(LedgerError::RootMismatch {
                claimed: claimed_root,
                computed: state.root(),
            });
        }
        Ok(Checked {
            receipts: execution.receipts,
            state,
        })
    }

    /// Appends a block's access records to its parent's log and merkleizes its writes, with the
    /// log's new head when it appended, on its parent's state.
    async fn speculate(
        &self,
        parent: Option<&BlockState>,
        height: u64,
        block: BlockWrites,
    ) -> Result<BlockState, LedgerError> {
        let BlockWrites {
            mut writes,
            appends,
        } = block;
        let log = self.log.speculate(parent.map(|p| &p.log), appends).await?;
        if log.appended() {
            writes.insert(keys::access_log_key(), Some(log.head().encode().to_vec()));
        }
        let state = self
            .store
            .speculate(parent.map(|p| &p.state), height, &writes)
            .await?;
        Ok(BlockState { state, log })
    }

    /// Executes a block whose transactions must all apply. A fault of this node (storage,
    /// corrupt state) is not the block's fault: it is never reported as an invalid transaction.
    async fn execute(
        &self,
        parent: Option<&BlockState>,
        ctx: BlockContext,
        txs: &[VerifiedTx],
    ) -> Result<BlockExecution, LedgerError> {
        let view = At::new(&self.store, parent);
        execute_block(&view, self.chain_id.clone(), ctx, txs)
            .await
            .map_err(|(index, error)| {
                if error.is_internal() {
                    LedgerError::Internal(error)
                } else {
                    LedgerError::InvalidTx { index, error }
                }
            })
    }

    /// Makes a checked (or proposed) block's state and access records durable. Its parent must
    /// be the committed state: blocks are committed in height order. The log is committed first:
    /// a node stopped between the two reopens its log at the size the state records.
    pub async fn commit(&mut self, block: &BlockState) -> Result<StateRoot, LedgerError> {
        let expected = self.height().await? + 1;
        if block.height() != expected {
            return Err(LedgerError::OutOfOrder {
                expected,
                got: block.height(),
            });
        }
        self.store.check_extends(&block.state)?;
        self.log.commit(&block.log).await?;
        Ok(self.store.commit_speculative(&block.state).await?)
    }

    /// Executes and commits a block in one step (replay, tests, tools); returns the new root.
    pub async fn apply(
        &mut self,
        ctx: BlockContext,
        txs: &[VerifiedTx],
    ) -> Result<(StateRoot, Vec<Receipt>), LedgerError> {
        let execution = self.execute(None, ctx, txs).await?;
        let state = self.speculate(None, ctx.height, execution.writes).await?;
        let root = self.commit(&state).await?;
        Ok((root, execution.receipts))
    }

    /// Writes records straight into the committed state, bypassing the rules: for tests and
    /// benchmarks that start from a prepared state.
    #[cfg(feature = "testkit")]
    pub async fn commit_writes(
        &mut self,
        height: u64,
        writes: crate::store::WriteSet,
    ) -> Result<StateRoot, LedgerError> {
        Ok(self.store.commit(height, writes).await?)
    }

    /// Commits a block's writes and access records executed outside the ledger (by an
    /// [Executor] over [Ledger::store]): for benchmarks that time execution apart.
    #[cfg(feature = "testkit")]
    pub async fn commit_block(
        &mut self,
        height: u64,
        block: BlockWrites,
    ) -> Result<StateRoot, LedgerError> {
        let state = self.speculate(None, height, block).await?;
        self.commit(&state).await
    }

    /// Checks a transaction against the committed state as far as it can be checked before it
    /// is in a block: the signer is enrolled, active and allowed this kind, and its nonce is
    /// not used yet. Returns the signer's next nonce. Same typed errors as execution.
    pub async fn precheck(&self, tx: &VerifiedTx, now_ms: u64) -> Result<u64, TxError> {
        let ctx = BlockContext {
            height: 0,
            timestamp_ms: now_ms,
        };
        let view = At::new(&self.store, None);
        Executor::new(&view, self.chain_id.clone(), ctx)
            .precheck(tx)
            .await
    }

    /// The signer's next nonce at `at` (or in the committed state).
    pub async fn next_nonce(
        &self,
        at: Option<&BlockState>,
        signer: &PublicKey,
    ) -> Result<u64, LedgerError> {
        let corrupt = |why: String| LedgerError::Internal(TxError::CorruptState(why));
        match self.get_at(at, &keys::account_key(signer)).await? {
            None => Ok(0),
            Some(bytes) => Account::decode(Copying(bytes.as_slice()))
                .map(|account| account.next_nonce)
                .map_err(|e| corrupt(e.to_string())),
        }
    }

    /// The value of `key` at `at` (or in the committed state).
    pub async fn get_at(
        &self,
        at: Option<&BlockState>,
        key: &StateKey,
    ) -> Result<Option<Vec<u8>>, LedgerError> {
        Ok(self.store.get_at(at.map(|b| &b.state), key).await?)
    }

    pub async fn get(&self, key: &StateKey) -> Result<Option<Vec<u8>>, LedgerError> {
        Ok(self.store.get(key).await?)
    }

    pub async fn prove(&self, key: &StateKey) -> Result<StateProof, LedgerError> {
        Ok(self.store.prove(key).await?)
    }

    /// The committed access log's size and root (the state holds the same, once anything was
    /// recorded).
    pub fn access_log_head(&self) -> AccessLogHead {
        self.log.head()
    }

    /// The access records at locations `from..from + count` of the committed log, each with its
    /// location (at most [access_log::MAX_READ_RECORDS]; block-closing commits are skipped).
    pub async fn access_records(
        &self,
        from: LogLocation,
        count: u64,
    ) -> Result<Vec<(LogLocation, Vec<u8>)>, LedgerError> {
        Ok(self.log.read(from, count).await?)
    }

    /// The access record at `location` with its proof against the committed state root, or
    /// `None` if no record is there.
    pub async fn prove_access(
        &self,
        location: LogLocation,
    ) -> Result<Option<(Vec<u8>, AccessProof)>, LedgerError> {
        let Some((record, log_proof)) = self.log.prove(location).await? else {
            return Ok(None);
        };
        let head = self.store.prove(&keys::access_log_key()).await?;
        Ok(Some((record, AccessProof::new(head, log_proof))))
    }
}
