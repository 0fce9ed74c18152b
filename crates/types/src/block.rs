//! Blocks: an ordered batch of transactions and the state root they produce.

use crate::{
    bounded::List,
    ids::{Digest, PublicKey, Timestamp, sha256},
    keys::StateKey,
    limits::MAX_BLOCK_TXS,
    tx::SignedTx,
    wire_struct,
};
use commonware_codec::Encode;

pub type Txs = List<SignedTx, MAX_BLOCK_TXS>;

/// What consensus agreed on for a block, beyond its transactions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockContext {
    pub height: u64,
    /// Block time; the only clock execution ever reads.
    pub timestamp_ms: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    pub parent: Digest,
    pub height: u64,
    /// The consensus round the block was proposed in (epoch and view), the
    /// view of its parent and its proposer: votes are bound to this context,
    /// so a block cannot be replayed into another round.
    pub epoch: u64,
    pub view: u64,
    pub parent_view: u64,
    pub proposer: PublicKey,
    pub timestamp_ms: Timestamp,
    /// Root of the authenticated state after this block's transactions.
    pub state_root: StateKey,
    pub txs: Txs,
}
wire_struct!(Block {
    parent,
    height,
    epoch,
    view,
    parent_view,
    proposer,
    timestamp_ms,
    state_root,
    txs
});

/// A block without its transactions, which it commits to by digest. A client
/// checks a finalized block, and the state root in it, from its header and
/// certificate alone, however large the block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockHeader {
    pub parent: Digest,
    pub height: u64,
    pub epoch: u64,
    pub view: u64,
    pub parent_view: u64,
    pub proposer: PublicKey,
    pub timestamp_ms: Timestamp,
    pub state_root: StateKey,
    /// SHA-256 of the encoded transaction list.
    pub txs_digest: Digest,
}
wire_struct!(BlockHeader {
    parent,
    height,
    epoch,
    view,
    parent_view,
    proposer,
    timestamp_ms,
    state_root,
    txs_digest
});

impl BlockHeader {
    /// The block's identity, which consensus votes on.
    pub fn digest(&self) -> Digest {
        sha256(&[&self.encode()])
    }
}

impl Block {
    pub fn header(&self) -> BlockHeader {
        BlockHeader {
            parent: self.parent,
            height: self.height,
            epoch: self.epoch,
            view: self.view,
            parent_view: self.parent_view,
            proposer: self.proposer.clone(),
            timestamp_ms: self.timestamp_ms,
            state_root: self.state_root,
            txs_digest: sha256(&[&self.txs.encode()]),
        }
    }

    /// The block's identity: the digest of its header.
    pub fn digest(&self) -> Digest {
        self.header().digest()
    }
}
