//! The ledger's block as the consensus engine sees it.

use crate::limits::{MAX_RECENT_FULL_BLOCK_BYTES, MAX_RECENT_FULL_BLOCKS};
use bytes::BufMut;
use commonware_codec::{Buf, EncodeSize, Error as CodecError, Read, Write};
use commonware_consensus::{
    BoundedBlock, CertifiableBlock, Heightable,
    simplex::types::Context,
    types::{Epoch, Height, Round, View},
};
use commonware_cryptography::Digestible;
use dirchain_types::{
    block::Block,
    bounded::List,
    genesis::Genesis,
    ids::{Digest, PublicKey},
    limits::MAX_BLOCK_BYTES,
};
use std::{collections::VecDeque, ops::Deref, sync::Arc};

/// The consensus context a block is proposed in.
pub type ConsensusContext = Context<Digest, PublicKey>;

/// A [Block] with the engine's traits. The digest is the block's own
/// ([Block::digest]), which covers its consensus context, so a vote for it
/// is a vote for that round, leader and parent too.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainBlock(pub Block);

impl ChainBlock {
    /// The block every node starts from: height 0. Its parent and its state root are the
    /// genesis document's digest (the state it founds is defined by that document); blocks
    /// from height 1 carry real state roots.
    pub fn genesis(genesis: &Genesis) -> Self {
        Self(Block {
            parent: genesis.digest(),
            height: 0,
            epoch: 0,
            view: 0,
            parent_view: 0,
            proposer: genesis
                .validators
                .first()
                .cloned()
                .expect("a genesis has at least one validator"),
            timestamp_ms: genesis.timestamp_ms,
            state_root: genesis.digest(),
            txs: List::default(),
        })
    }

    /// The block's consensus context in the engine's terms.
    pub fn consensus_context(&self) -> ConsensusContext {
        Context {
            round: Round::new(Epoch::new(self.0.epoch), View::new(self.0.view)),
            leader: self.0.proposer.clone(),
            parent: (View::new(self.0.parent_view), self.0.parent),
        }
    }
}

/// A finalized block shared as the node holds it (in its cache of recent blocks or as marshal
/// read it), never copied: a full block holds thousands of transactions.
#[derive(Clone, Debug)]
pub struct SharedBlock(Arc<ChainBlock>);

impl SharedBlock {
    pub(crate) fn new(block: Arc<ChainBlock>) -> Self {
        Self(block)
    }
}

impl From<Block> for SharedBlock {
    fn from(block: Block) -> Self {
        Self(Arc::new(ChainBlock(block)))
    }
}

impl std::borrow::Borrow<Block> for SharedBlock {
    fn borrow(&self) -> &Block {
        self
    }
}

impl Deref for SharedBlock {
    type Target = Block;
    fn deref(&self) -> &Block {
        &self.0.0
    }
}

/// The last finalized blocks, kept for the node's own readers (its query index, the API)
/// so that a block just applied is not read back from the archive and decoded again
/// (decoding checks every signer's key, a curve point). Bounded by count and by bytes.
#[derive(Default)]
pub(crate) struct RecentBlocks {
    blocks: VecDeque<(Arc<ChainBlock>, usize)>,
    bytes: usize,
}

impl RecentBlocks {
    /// Adds the next finalized block (heights follow each other), dropping the oldest beyond
    /// the limits.
    pub fn push(&mut self, block: Arc<ChainBlock>) {
        if self
            .blocks
            .back()
            .is_some_and(|(last, _)| last.0.height + 1 != block.0.height)
        {
            self.blocks.clear();
            self.bytes = 0;
        }
        let size = block.0.encode_size();
        self.bytes += size;
        self.blocks.push_back((block, size));
        while self.blocks.len() > MAX_RECENT_FULL_BLOCKS || self.bytes > MAX_RECENT_FULL_BLOCK_BYTES
        {
            let Some((_, size)) = self.blocks.pop_front() else {
                break;
            };
            self.bytes -= size;
        }
    }

    pub fn get(&self, height: u64) -> Option<SharedBlock> {
        let first = self.blocks.front()?.0.0.height;
        let (block, _) = self
            .blocks
            .get(usize::try_from(height.checked_sub(first)?).ok()?)?;
        Some(SharedBlock(block.clone()))
    }
}

impl Write for ChainBlock {
    fn write(&self, buf: &mut impl BufMut) {
        self.0.write(buf)
    }
}

impl EncodeSize for ChainBlock {
    fn encode_size(&self) -> usize {
        self.0.encode_size()
    }
}

impl Read for ChainBlock {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, CodecError> {
        // Blocks come from peers: refuse one larger than any honest proposer builds before
        // decoding its transactions.
        if buf.remaining() > MAX_BLOCK_BYTES {
            return Err(CodecError::Invalid("Block", "larger than MAX_BLOCK_BYTES"));
        }
        Block::read_cfg(buf, &()).map(Self)
    }
}

impl Digestible for ChainBlock {
    type Digest = Digest;
    fn digest(&self) -> Digest {
        self.0.digest()
    }
}

impl Heightable for ChainBlock {
    fn height(&self) -> Height {
        Height::new(self.0.height)
    }
}

impl commonware_consensus::Block for ChainBlock {
    fn parent(&self) -> Digest {
        self.0.parent
    }
}

impl CertifiableBlock for ChainBlock {
    type Context = ConsensusContext;
    fn context(&self) -> ConsensusContext {
        self.consensus_context()
    }
}

impl BoundedBlock for ChainBlock {
    fn max_encode_size(_: &()) -> usize {
        MAX_BLOCK_BYTES
    }
}
