//! What one block changes in the index: the decoded records its
//! transactions touched (access records from the access log, the others from
//! the state), and the transactions themselves. The follower builds one from
//! the chain; benchmarks and tools may build one directly.

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
    /// `position` is that of the recording transaction ([position]);
    /// `location` is where the record is in the chain's access log.
    Access {
        channel: ChannelId,
        position: u64,
        location: u64,
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
    /// transaction positions must lie within the block, and access log
    /// locations within what the block appended to the log (from `cursor`,
    /// the previous block's [BlockChanges::access_cursor], up to its own).
    pub(crate) fn check(&self, cursor: u64) -> Result<(), String> {
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
        if self.access_cursor < cursor {
            return Err(format!(
                "access log cursor {} is before the previous block's ({cursor})",
                self.access_cursor
            ));
        }
        let appended = cursor..self.access_cursor;
        for change in &self.changes {
            if let Change::Access {
                position, location, ..
            } = change
            {
                if !block.contains(position) {
                    return Err(format!("access position {position} is not in the block"));
                }
                if !appended.contains(location) {
                    return Err(format!(
                        "access log location {location} is not in what the block appended ({appended:?})"
                    ));
                }
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
    /// The access log's size once this block is applied (operations, its
    /// block-closing commits included): the location where the next block's
    /// access records start. 1 at genesis (the log's initial commit is at 0);
    /// a block with `k > 0` access records moves it on by `k + 1`, one with
    /// none leaves it. Written with the indexed height.
    pub access_cursor: u64,
    pub txs: Vec<TxEntry>,
    pub changes: Vec<Change>,
}
