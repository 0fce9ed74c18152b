//! What one block changes in the index: the decoded records its
//! transactions touched, and the transactions themselves. The follower
//! builds one from the chain; benchmarks and tools may build one directly.

use dirchain_types::{
    ids::{AssetId, ChannelId, Digest, KeyBytes},
    limits::MAX_BLOCK_TXS,
    records::{
        AccessRecord, Asset, AssetEvent, Consortium, Duty, Item, ItemVersion, Member, NotaryRecord,
        Org, Permission, Proposal, Refusal, Request,
    },
    tx::TxKind,
};

/// Transactions in a block are fewer than this (`MAX_BLOCK_TXS` is 10,000),
/// so `height * TXS_PER_HEIGHT + index` orders transactions by chain position.
const TXS_PER_HEIGHT: u64 = 1 << 16;
const _: () = assert!(MAX_BLOCK_TXS as u64 <= TXS_PER_HEIGHT);

/// The position of transaction `index` of block `height` in the chain: an
/// integer that orders transactions as the chain does, the same on every
/// rebuild. Access records are keyed by it.
pub fn position(height: u64, index: u32) -> u64 {
    height * TXS_PER_HEIGHT + u64::from(index)
}

/// A record as the state holds it, decoded, with the channel it lives in.
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    Consortium(Consortium),
    Org(Org),
    Member(Member),
    Proposal(Proposal),
    Duty {
        channel: ChannelId,
        duty: Duty,
    },
    Item {
        channel: ChannelId,
        item: Item,
    },
    ItemVersion {
        channel: ChannelId,
        version: ItemVersion,
    },
    Request {
        channel: ChannelId,
        request: Request,
    },
    Permission {
        channel: ChannelId,
        permission: Permission,
    },
    /// `position` is that of the recording transaction ([position]).
    Access {
        channel: ChannelId,
        position: u64,
        record: AccessRecord,
    },
    Notary {
        channel: ChannelId,
        record: NotaryRecord,
    },
    Asset {
        channel: ChannelId,
        asset: Asset,
    },
    AssetEvent {
        channel: ChannelId,
        asset: AssetId,
        seq: u32,
        event: AssetEvent,
    },
}

/// One transaction of a finalized block.
#[derive(Clone, Debug, PartialEq)]
pub struct TxEntry {
    pub hash: Digest,
    pub index: u32,
    pub kind: TxKind,
    pub signer: KeyBytes,
    pub channel: ChannelId,
    /// Set when the transaction is an access attempt that was refused.
    pub refusal: Option<Refusal>,
}

impl BlockChanges {
    /// Why the changes cannot be those of block `height`, if they cannot:
    /// transaction positions must lie within the block.
    pub(crate) fn check(&self) -> Result<(), String> {
        if self.txs.len() > MAX_BLOCK_TXS {
            return Err(format!(
                "{} transactions, a block holds at most {MAX_BLOCK_TXS}",
                self.txs.len()
            ));
        }
        let block = position(self.height, 0)..position(self.height, MAX_BLOCK_TXS as u32);
        if let Some(tx) = self.txs.iter().find(|t| t.index as usize >= MAX_BLOCK_TXS) {
            return Err(format!("transaction index {} is beyond a block", tx.index));
        }
        for change in &self.changes {
            if let Change::Access { position, .. } = change
                && !block.contains(position)
            {
                return Err(format!("access position {position} is not in the block"));
            }
        }
        Ok(())
    }
}

/// Everything one block changes in the index, applied in one SQLite
/// transaction. Height 0 is genesis: its records, no transactions.
#[derive(Clone, Debug, PartialEq)]
pub struct BlockChanges {
    pub height: u64,
    /// The block's digest; the next block must name it as its parent.
    /// Ignored at height 0.
    pub digest: Digest,
    /// Checked against the previous block's digest from height 2 on (block
    /// 1's parent is the engine's genesis block, which the index does not see).
    pub parent: Digest,
    pub timestamp_ms: u64,
    pub txs: Vec<TxEntry>,
    pub changes: Vec<Change>,
}
