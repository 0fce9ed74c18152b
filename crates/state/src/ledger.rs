//! The ledger: the authenticated store plus the rules, block by block.

use crate::{
    error::TxError,
    exec::{BlockExecution, Executor, Receipt, VerifiedTx, execute_block},
    genesis::{GenesisError, genesis_writes},
    store::{StateProof, StateRoot, Store, StoreError, WriteSet},
};
use commonware_codec::{Copying, DecodeExt};
use commonware_runtime::{Clock, Metrics, Spawner, Storage};
use dirchain_types::{
    block::BlockContext,
    bounded::Ident,
    genesis::Genesis,
    ids::Digest,
    keys::{self, StateKey},
    records::Consortium,
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
    #[error("the node cannot execute: {0}")]
    Internal(TxError),
    #[error(transparent)]
    Storage(#[from] StoreError),
}

/// A block's worth of transactions chosen by a proposer: the ones that apply,
/// in order, and why the others were left out.
#[derive(Debug)]
pub struct Proposal {
    pub txs: Vec<VerifiedTx>,
    pub receipts: Vec<Receipt>,
    pub writes: WriteSet,
    pub state_root: StateRoot,
    pub excluded: Vec<(Digest, TxError)>,
}

/// A block checked against the current state, ready to commit.
#[derive(Debug)]
pub struct Checked {
    pub execution: BlockExecution,
    pub state_root: StateRoot,
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
                store.commit(genesis_writes(genesis)?).await?;
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

    /// Picks from `candidates`, in order, the transactions that apply on top
    /// of the current state, and the state root they lead to.
    pub async fn propose(
        &self,
        ctx: BlockContext,
        candidates: Vec<VerifiedTx>,
    ) -> Result<Proposal, LedgerError> {
        let mut executor = Executor::new(&self.store, self.chain_id.clone(), ctx);
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
        let state_root = self.store.speculative_root(&writes).await?;
        Ok(Proposal {
            txs,
            receipts,
            writes,
            state_root,
            excluded,
        })
    }

    /// Executes a proposed block on the current state and checks the root it
    /// claims. Changes nothing.
    pub async fn check(
        &self,
        ctx: BlockContext,
        txs: &[VerifiedTx],
        claimed_root: StateRoot,
    ) -> Result<Checked, LedgerError> {
        let execution = self.execute(ctx, txs).await?;
        let state_root = self.store.speculative_root(&execution.writes).await?;
        if state_root != claimed_root {
            return Err(LedgerError::RootMismatch {
                claimed: claimed_root,
                computed: state_root,
            });
        }
        Ok(Checked {
            execution,
            state_root,
        })
    }

    /// Executes a block whose transactions must all apply. A fault of this
    /// node (storage, corrupt state) is not the block's fault: it is never
    /// reported as an invalid transaction.
    async fn execute(
        &self,
        ctx: BlockContext,
        txs: &[VerifiedTx],
    ) -> Result<BlockExecution, LedgerError> {
        execute_block(&self.store, self.chain_id.clone(), ctx, txs)
            .await
            .map_err(|(index, error)| {
                if error.is_internal() {
                    LedgerError::Internal(error)
                } else {
                    LedgerError::InvalidTx { index, error }
                }
            })
    }

    /// Makes a block's writes durable; returns the new root.
    pub async fn commit(&mut self, writes: WriteSet) -> Result<StateRoot, LedgerError> {
        Ok(self.store.commit(writes).await?)
    }

    /// Executes and commits a block in one step (replay, tests, tools).
    pub async fn apply(
        &mut self,
        ctx: BlockContext,
        txs: &[VerifiedTx],
    ) -> Result<(StateRoot, Vec<Receipt>), LedgerError> {
        let execution = self.execute(ctx, txs).await?;
        let root = self.store.commit(execution.writes).await?;
        Ok((root, execution.receipts))
    }

    pub async fn get(&self, key: &StateKey) -> Result<Option<Vec<u8>>, LedgerError> {
        Ok(self.store.get(key).await?)
    }

    pub async fn prove(&self, key: &StateKey) -> Result<StateProof, LedgerError> {
        Ok(self.store.prove(key).await?)
    }
}
