//! The ledger: the authenticated store plus the rules, block by block.

use crate::{
    error::TxError,
    exec::{BlockExecution, Executor, Receipt, StateRead, VerifiedTx, execute_block},
    genesis::{GenesisError, genesis_writes},
    store::{Speculative, StateProof, StateRoot, Store, StoreError},
};
use commonware_codec::{Copying, DecodeExt};
use commonware_runtime::{Clock, Metrics, Spawner, Storage};
use dirchain_types::{
    block::BlockContext,
    bounded::Ident,
    genesis::Genesis,
    ids::{Digest, PublicKey},
    keys::{self, StateKey},
    records::{Account, Consortium},
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
    #[error("block {got} cannot be committed next; the state is at block {}", expected - 1)]
    OutOfOrder { expected: u64, got: u64 },
    #[error("the node cannot execute: {0}")]
    Internal(TxError),
    #[error(transparent)]
    Storage(#[from] StoreError),
}

/// A block's worth of transactions chosen by a proposer: the ones that apply,
/// in order, the state they lead to, and why the others were left out.
#[derive(Debug)]
pub struct Proposal {
    pub txs: Vec<VerifiedTx>,
    pub receipts: Vec<Receipt>,
    pub state: Speculative,
    pub excluded: Vec<(Digest, TxError)>,
}

/// A block checked against its parent state, ready to commit once final.
#[derive(Debug)]
pub struct Checked {
    pub receipts: Vec<Receipt>,
    pub state: Speculative,
}

/// A view of the state: the committed one, or a verified block's on top of it.
struct At<'a, E: Storage + Clock + Metrics> {
    store: &'a Store<E>,
    spec: Option<&'a Speculative>,
}

impl<'a, E: Storage + Clock + Metrics> At<'a, E> {
    fn new(store: &'a Store<E>, spec: Option<&'a Speculative>) -> Self {
        Self { store, spec }
    }
}

impl<E: Storage + Clock + Metrics> StateRead for At<'_, E> {
    async fn read(&self, key: &StateKey) -> Result<Option<Vec<u8>>, StoreError> {
        self.store.get_at(self.spec, key).await
    }
}

pub struct Ledger<E: Storage + Clock + Metrics> {
    store: Store<E>,
    chain_id: Ident,
}

impl<E: Storage + Clock + Metrics + Spawner> Ledger<E> {
    /// Opens the ledger's storage; a new one is founded from `genesis`.
    pub async fn open(
        context: E,
        partition_prefix: &str,
        genesis: &Genesis,
    ) -> Result<Self, LedgerError> {
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
            }
        }
        Ok(Self {
            store,
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
        parent: Option<&Speculative>,
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
        let writes = executor.finish();
        let state = self.store.speculate(parent, ctx.height, &writes).await?;
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
        parent: Option<&Speculative>,
        ctx: BlockContext,
        txs: &[VerifiedTx],
        claimed_root: StateRoot,
    ) -> Result<Checked, LedgerError> {
        let execution = self.execute(parent, ctx, txs).await?;
        let state = self
            .store
            .speculate(parent, ctx.height, &execution.writes)
            .await?;
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

    /// Executes a block whose transactions must all apply. A fault of this node (storage,
    /// corrupt state) is not the block's fault: it is never reported as an invalid transaction.
    async fn execute(
        &self,
        parent: Option<&Speculative>,
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

    /// Makes a checked (or proposed) block's state durable. Its parent must be the committed
    /// state: blocks are committed in height order.
    pub async fn commit(&mut self, state: &Speculative) -> Result<StateRoot, LedgerError> {
        let expected = self.height().await? + 1;
        if state.height() != expected {
            return Err(LedgerError::OutOfOrder {
                expected,
                got: state.height(),
            });
        }
        Ok(self.store.commit_speculative(state).await?)
    }

    /// Executes and commits a block in one step (replay, tests, tools); returns the new root.
    pub async fn apply(
        &mut self,
        ctx: BlockContext,
        txs: &[VerifiedTx],
    ) -> Result<(StateRoot, Vec<Receipt>), LedgerError> {
        let execution = self.execute(None, ctx, txs).await?;
        let state = self
            .store
            .speculate(None, ctx.height, &execution.writes)
            .await?;
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
        at: Option<&Speculative>,
        signer: &PublicKey,
    ) -> Result<u64, LedgerError> {
        let corrupt = |why: String| LedgerError::Internal(TxError::CorruptState(why));
        match self.store.get_at(at, &keys::account_key(signer)).await? {
            None => Ok(0),
            Some(bytes) => Account::decode(Copying(bytes.as_slice()))
                .map(|account| account.next_nonce)
                .map_err(|e| corrupt(e.to_string())),
        }
    }

    /// The value of `key` at `at` (or in the committed state).
    pub async fn get_at(
        &self,
        at: Option<&Speculative>,
        key: &StateKey,
    ) -> Result<Option<Vec<u8>>, LedgerError> {
        Ok(self.store.get_at(at, key).await?)
    }

    pub async fn get(&self, key: &StateKey) -> Result<Option<Vec<u8>>, LedgerError> {
        Ok(self.store.get(key).await?)
    }

    pub async fn prove(&self, key: &StateKey) -> Result<StateProof, LedgerError> {
        Ok(self.store.prove(key).await?)
    }
}
