//! The access log: every access record, appended in block order to an authenticated,
//! append-only log, and proven by its location.
//!
//! Access records are the one kind of record that grows with use (a national network records
//! billions); they are never updated and never looked up by key during execution. Kept under
//! keys in the state store, each would add an entry to the store's in-memory key index (about
//! 30 bytes) and three operations to its log (the record, its predecessor's next-key link, a
//! floor move). Here each costs one operation and no memory: the log keeps only its Merkle
//! peaks in memory.
//!
//! Built on the Commonware `qmdb::keyless::variable` database. A block that records accesses
//! appends them, then one commit holding the block's height; a block without any appends
//! nothing. The state store holds the log's [AccessLogHead] (size and root) under
//! [keys::access_log_key], so a block's state root commits to the log as well.
//!
//! The log is committed before the state of the same block. A node that stops between the two
//! reopens the log at the size the state records ([AccessLog::open]'s `size`), which discards
//! the extra block; that block is executed again once final, as the state's is.

mod proof;
#[cfg(test)]
mod tests;

pub(crate) use proof::LogProof;
pub use proof::{AccessProof, AccessProofError};

use crate::store::{Family, Location, MAX_VALUE_BYTES, StoreError};
use commonware_codec::RangeCfg;
use commonware_cryptography::{Sha256, sha256::Digest};
use commonware_parallel::Sequential;
use commonware_runtime::{
    BLOB_PAGE_SIZE, Clock, Metrics, Spawner, Storage,
    buffer::paged::{CacheRef, page_size},
};
use commonware_storage::{
    journal::contiguous::variable::Config as JournalConfig,
    merkle::full::Config as MerkleConfig,
    qmdb::{
        any::value::VariableEncoding,
        keyless::{self, variable},
    },
};
use commonware_utils::{NZU64, NZUsize};
use dirchain_types::records::AccessLogHead;
use std::{
    num::{NonZeroU16, NonZeroU64, NonZeroUsize},
    sync::Arc,
};

/// Operations per blob of the Merkle-node journal (32-byte nodes: 2 MiB blobs).
const MERKLE_ITEMS_PER_BLOB: NonZeroU64 = NZU64!(1 << 16);

/// Operations per section of the log. Fixed for the life of the log.
const LOG_ITEMS_PER_SECTION: NonZeroU64 = NZU64!(1 << 14);

/// Write buffer per journal blob: a block's appends become a few large writes.
const WRITE_BUFFER_BYTES: NonZeroUsize = NZUsize!(1024 * 1024);

/// Read buffer for sequential replay of the journals when opening.
const REPLAY_BUFFER_BYTES: NonZeroUsize = NZUsize!(1024 * 1024);

/// Logical page size of the log's page cache, aligned to the runtime's blob pages.
const PAGE_SIZE: NonZeroU16 = page_size(BLOB_PAGE_SIZE);

/// Pages in the log's page cache: 16 MiB. Appends go to the tail and readers (the index, proofs
/// of recent records) mostly read near it.
const PAGE_CACHE_PAGES: NonZeroUsize = NZUsize!(4_096);

/// Most records one [AccessLog::read] returns (and one request may ask for).
pub const MAX_READ_RECORDS: u64 = 10_000;

/// A position in the access log.
pub type LogLocation = u64;

/// One operation of the log, as proofs encode it.
pub(crate) type Operation = variable::Operation<Family, Vec<u8>>;

/// The engine database behind the log.
type Db<E> = variable::Db<Family, E, Vec<u8>, Sha256, Sequential>;

/// A merkleized batch of appends over the committed log or over another such batch.
type Batch = keyless::batch::MerkleizedBatch<Family, Digest, VariableEncoding<Vec<u8>>, Sequential>;

/// The log after a block that is verified but not yet final: the block's appends (if any)
/// merkleized on top of its parent's, as [crate::store::Speculative] does for the state.
#[derive(Clone)]
pub struct Speculative {
    /// The newest batch of the block's ancestry (the block's own if it appended); `None` while
    /// nothing above the committed log appended.
    batch: Option<Arc<Batch>>,
    /// Whether this block appended: only then has committing it anything to apply.
    appended: bool,
    head: AccessLogHead,
}

impl Speculative {
    /// The log's size and root after this block.
    pub fn head(&self) -> AccessLogHead {
        self.head
    }

    /// Whether the block appended to the log (and so must write its head into the state).
    pub fn appended(&self) -> bool {
        self.appended
    }
}

impl std::fmt::Debug for Speculative {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Speculative")
            .field("appended", &self.appended)
            .field("head", &self.head)
            .finish()
    }
}

/// The access log. Reads and proofs take `&self`; appends go through [Speculative] and
/// [AccessLog::commit].
pub struct AccessLog<E: Storage + Clock + Metrics> {
    /// `None` only after a write failed part way (the engine consumes the database on writes).
    db: Option<Db<E>>,
}

impl<E: Storage + Clock + Metrics + Spawner> AccessLog<E> {
    /// Opens (or creates) the log under partitions named with `partition_prefix`, at the
    /// committed state's `head`: an empty log when the state holds none, and a log that got ahead
    /// of the state (a node stopped between committing the two) cut back to it. Fails if the log
    /// is behind the state or its root differs at that size.
    pub async fn open(
        context: E,
        partition_prefix: &str,
        head: Option<AccessLogHead>,
    ) -> Result<Self, StoreError> {
        let size = head.map_or(1, |h| h.size);
        let bound = Location::new(size.max(1));
        let db = Db::init(context, config(partition_prefix), Some(bound)).await?;
        let log = Self { db: Some(db) };
        let found = log.head();
        let expected = head.unwrap_or(AccessLogHead {
            size: 1,
            root: keyless::initial_root::<Family, VariableEncoding<Vec<u8>>, Sha256>(),
        });
        if found != expected {
            return Err(StoreError::AccessLogMismatch {
                state: expected,
                log: found,
            });
        }
        Ok(log)
    }
}

impl<E: Storage + Clock + Metrics> AccessLog<E> {
    /// The committed log's size and root.
    pub fn head(&self) -> AccessLogHead {
        match &self.db {
            Some(db) => AccessLogHead {
                size: *db.bounds().end,
                root: db.root(),
            },
            None => AccessLogHead {
                size: 0,
                root: Digest::from([0; 32]),
            },
        }
    }

    /// Appends a block's records on top of `parent` (or of the committed log), without changing
    /// the log. With no records the result is the parent's log, unchanged.
    pub async fn speculate(
        &self,
        parent: Option<&Speculative>,
        records: Vec<Vec<u8>>,
    ) -> Result<Speculative, StoreError> {
        let db = self.db()?;
        let parent_batch = parent.and_then(|p| p.batch.clone());
        if records.is_empty() {
            return Ok(Speculative {
                batch: parent_batch,
                appended: false,
                head: parent.map_or_else(|| self.head(), |p| p.head),
            });
        }
        if let Some(record) = records.iter().find(|r| r.len() > MAX_VALUE_BYTES) {
            return Err(StoreError::RecordTooLarge { len: record.len() });
        }
        let mut batch = match &parent_batch {
            Some(parent) => parent.new_batch::<Sha256>(),
            None => db.new_batch(),
        };
        for record in records {
            batch = batch.append(record);
        }
        // Nothing in the log ever becomes inactive: the floor stays at the first operation. The
        // commit carries no metadata, so reads tell records (values) from commits (none).
        let merkleized = batch.merkleize(db, None, Location::new(0)).await?;
        let head = AccessLogHead {
            size: *merkleized.size(),
            root: merkleized.root(),
        };
        Ok(Speculative {
            batch: Some(merkleized),
            appended: true,
            head,
        })
    }

    /// Makes a block's appends durable (nothing to do for a block that appended none). Its
    /// parent's must be committed already.
    pub async fn commit(&mut self, spec: &Speculative) -> Result<(), StoreError> {
        let Some(batch) = spec.batch.clone().filter(|_| spec.appended) else {
            return Ok(());
        };
        // Checking first keeps the log usable when the batch does not extend it.
        self.db()?.validate_batch(&batch)?;
        let db = self.db.take().ok_or(StoreError::Unusable)?;
        let db = db.apply_batch(batch).await?.commit().await?;
        self.db = Some(db);
        Ok(())
    }

    /// The records at `from..from + count` of the committed log, in order, each with its
    /// location; the block-closing commits in that range are skipped. At most
    /// [MAX_READ_RECORDS] locations are read; the range is cut at the log's end.
    pub async fn read(
        &self,
        from: LogLocation,
        count: u64,
    ) -> Result<Vec<(LogLocation, Vec<u8>)>, StoreError> {
        let db = self.db()?;
        let end = (*db.bounds().end).min(from.saturating_add(count.min(MAX_READ_RECORDS)));
        if from >= end {
            return Ok(Vec::new());
        }
        let locations: Vec<Location> = (from..end).map(Location::new).collect();
        let values = db.get_many(&locations).await?;
        Ok((from..end)
            .zip(values)
            .filter_map(|(loc, value)| value.map(|v| (loc, v)))
            .collect())
    }

    /// The record at `location` of the committed log with its proof against the log's root,
    /// or `None` if no record is there (past the end, or a block-closing commit).
    pub(crate) async fn prove(
        &self,
        location: LogLocation,
    ) -> Result<Option<(Vec<u8>, LogProof)>, StoreError> {
        let db = self.db()?;
        if location >= *db.bounds().end {
            return Ok(None);
        }
        let (proof, ops) = db.proof(Location::new(location), NZU64!(1)).await?;
        let Some(Operation::Append(value)) = ops.into_iter().next() else {
            return Ok(None);
        };
        Ok(Some((value, proof)))
    }

    fn db(&self) -> Result<&Db<E>, StoreError> {
        self.db.as_ref().ok_or(StoreError::Unusable)
    }
}

/// Bounded codec configuration of a record read back from disk.
type ValueCfg = (RangeCfg<usize>, ());

fn config(prefix: &str) -> variable::Config<ValueCfg, Sequential> {
    let page_cache = CacheRef::new(PAGE_SIZE, PAGE_CACHE_PAGES);
    keyless::Config {
        merkle: MerkleConfig {
            journal_partition: format!("{prefix}-access-merkle"),
            metadata_partition: format!("{prefix}-access-merkle-meta"),
            items_per_blob: MERKLE_ITEMS_PER_BLOB,
            write_buffer: WRITE_BUFFER_BYTES,
            replay_buffer: REPLAY_BUFFER_BYTES,
            strategy: Sequential,
            page_cache: page_cache.clone(),
        },
        log: JournalConfig {
            partition: format!("{prefix}-access-log"),
            items_per_section: LOG_ITEMS_PER_SECTION,
            compression: None,
            codec_config: ((0..=MAX_VALUE_BYTES).into(), ()),
            page_cache,
            write_buffer: WRITE_BUFFER_BYTES,
            replay_buffer: REPLAY_BUFFER_BYTES,
        },
    }
}
