//! The authenticated state store: a key-value map whose Merkle root commits to every current
//! value, with proofs of a key's current value or of its absence.
//!
//! Built on the Commonware `qmdb::current::ordered::variable` database. "Current" means a proof
//! shows a value is the key's *latest* one (not merely one it once had); "ordered" links each key
//! to the next one, which is what lets the store prove that a key is absent.

mod proof;
#[cfg(test)]
mod tests;

pub use proof::{MAX_PROOF_DIGESTS, ProofError, StateProof};

use commonware_codec::RangeCfg;
use commonware_cryptography::Sha256;
use commonware_parallel::Sequential;
use commonware_runtime::{
    BLOB_PAGE_SIZE, Clock, Metrics, Spawner, Storage,
    buffer::paged::{CacheRef, page_size},
};
use commonware_storage::{
    journal::contiguous::variable::Config as LogConfig,
    merkle::{full::Config as MerkleConfig, mmr},
    qmdb::{
        self,
        current::{
            VariableConfig,
            ordered::{
                proof::constant::{ExclusionProof, KeyValueProof},
                variable,
            },
            proof::constant::OperationProof,
        },
        floor::{Decision, Entry, Limits, Policy},
    },
    translator::EightCap,
};
use commonware_utils::{NZU64, NZUsize};
use std::{
    collections::BTreeMap,
    num::{NonZeroU16, NonZeroU64, NonZeroUsize},
    sync::Arc,
};

/// A 32-byte key of the authenticated state (callers derive it as sha256(namespace || id)).
pub type StateKey = commonware_cryptography::sha256::Digest;

/// The Merkle root of the whole state.
pub type StateRoot = commonware_cryptography::sha256::Digest;

/// Writes of one block: `Some(value)` = set, `None` = delete. A `BTreeMap`, so that iteration
/// order (and with it every root) is the same on every machine.
pub type WriteSet = BTreeMap<StateKey, Option<Vec<u8>>>;

/// Largest value the store accepts. Also bounds every value read back from disk or decoded from
/// a proof, so no length read from bytes can make us allocate more than this.
pub const MAX_VALUE_BYTES: usize = 64 * 1024;

/// Bytes per chunk of the activity bitmap grafted onto the operations tree. Equal to the digest
/// size, the smallest the engine allows, which gives the shortest proofs.
pub const BITMAP_CHUNK_BYTES: usize = 32;

/// Operations per blob of the Merkle-node journal (32-byte nodes: 2 MiB blobs). Pruning frees
/// whole blobs, so this is also the pruning granularity.
const MERKLE_ITEMS_PER_BLOB: NonZeroU64 = NZU64!(1 << 16);

/// Operations per section of the operation log; as above, the unit in which pruning frees space.
/// Fixed for the life of the store (the engine cannot change it across restarts).
const LOG_ITEMS_PER_SECTION: NonZeroU64 = NZU64!(1 << 14);

/// Write buffer per journal blob. A 10,000-write block appends a few MiB of operations; a buffer
/// of this size turns that into a handful of large writes.
const WRITE_BUFFER_BYTES: NonZeroUsize = NZUsize!(2 * 1024 * 1024);

/// Read buffer for sequential replay of the journals when opening.
const REPLAY_BUFFER_BYTES: NonZeroUsize = NZUsize!(2 * 1024 * 1024);

/// Logical page size of the shared page cache, aligned to the runtime's blob pages.
const PAGE_SIZE: NonZeroU16 = page_size(BLOB_PAGE_SIZE);

/// Pages in the page cache shared by the log and Merkle journals: 256 MiB, allocated when the
/// store opens. The engine reads around the OS page cache (direct I/O), so this is the only
/// cache: reads, proofs, and the predecessor and floor reads of every commit depend on it. On the
/// ledger benchmark (a state of ~120,000 records), 64 MiB gave 70,000 access records/s in
/// 1,000-transaction blocks and 256 MiB 100,000; with 200,000 keys, 16 MiB gave 4x fewer
/// proofs/s than 64 MiB.
const PAGE_CACHE_PAGES: NonZeroUsize = NZUsize!(65_536);

/// Entries of the location-to-key cache used while rebuilding the index on open.
const INIT_CACHE_ENTRIES: NonZeroUsize = NZUsize!(1 << 16);

/// Read buffer used while rebuilding the index on open.
const INIT_BUFFER_BYTES: NonZeroUsize = NZUsize!(2 * 1024 * 1024);

/// The Merkle family: a Merkle Mountain Range, whose proof format is stable and well known.
pub(crate) type Family = mmr::Family;

/// A position in the engine's operation log.
pub(crate) type Location = mmr::Location;

/// The engine database behind the store.
///
/// `EightCap` indexes keys by their first 8 bytes, preserving order (required for exclusion
/// proofs). Keys are SHA-256 outputs, so prefixes are uniform and collisions (which only cost an
/// extra read) stay rare up to billions of keys. `Sequential` merkleizes on the calling task: it
/// needs no thread pool, and the root does not depend on the strategy anyway. Every batch uses
/// the [Compaction] floor policy, which keeps the live part of the log within about three
/// operations per key, so the rest can be pruned.
type Db<E> =
    variable::Db<Family, E, StateKey, Vec<u8>, Sha256, EightCap, BITMAP_CHUNK_BYTES, Sequential>;

/// A merkleized batch of writes over the committed state or over another such batch.
type Batch = qmdb::current::batch::MerkleizedBatch<
    Family,
    StateRoot,
    qmdb::any::ordered::Update<StateKey, qmdb::any::value::VariableEncoding<Vec<u8>>>,
    BITMAP_CHUNK_BYTES,
    Sequential,
>;

/// The state after a block that is verified but not yet final: its writes merkleized on top of
/// the committed state or of its parent's speculative state, so that blocks can be executed and
/// checked ahead of finalization (consensus votes on a block before its parent is final).
///
/// Reads through it see its writes, then its ancestors', then the committed state. It stays
/// usable while the store is at a state of its chain; once a sibling branch is committed, reading
/// or committing it fails with [StoreError::Engine] (the engine's stale-batch error). Building a
/// child needs every uncommitted ancestor still held by the caller.
#[derive(Clone)]
pub struct Speculative {
    batch: Arc<Batch>,
    height: u64,
}

impl Speculative {
    pub fn root(&self) -> StateRoot {
        self.batch.root()
    }

    /// Height of the block whose writes this holds.
    pub fn height(&self) -> u64 {
        self.height
    }
}

impl std::fmt::Debug for Speculative {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Speculative")
            .field("height", &self.height)
            .field("root", &self.root())
            .finish()
    }
}

/// The block height committed with each state, as the commit's metadata: it tells a reopened
/// node which block its state reflects. Part of the root, so every node writes the same.
fn height_metadata(height: u64) -> Option<Vec<u8>> {
    Some(height.to_be_bytes().to_vec())
}

/// How far each commit advances the inactivity floor, moving the live updates it passes to the
/// tip so that the log below the floor can be pruned.
///
/// The engine's `Proportional` policy moves one live update per operation a batch makes
/// inactive. Its own bound argument (at most `3n + 1` operations past the floor for `n` live
/// keys) needs only `m` moves with `2m >= r + 4d + 1` for a batch superseding `r` updates and
/// deleting `d` keys, since each move lowers the bounded quantity by two. Without deletes (the
/// ledger's rules never delete) `ceil(made_inactive / 2) + 1` moves meet it; with deletes the
/// floor still advances, more slowly. Half the compaction work: commit time per 10,000-write
/// block falls by about a quarter. `compaction_keeps_the_log_within_three_operations_per_live_key`
/// checks the bound. Every node must use the same policy: it shapes the log, hence the root.
#[derive(Clone, Copy, Debug, Default)]
struct Compaction;

impl<F: commonware_storage::merkle::Family, K, V> Policy<F, K, V> for Compaction {
    fn evicts(&self) -> bool {
        false
    }

    fn limits(&self, made_inactive: usize) -> Limits {
        Limits {
            entries: made_inactive.div_ceil(2) + 1,
            skips: u64::MAX,
        }
    }

    fn decide<'a>(&mut self, entry: Entry<'a, F, K, V>) -> Decision<'a, V> {
        entry.keep()
    }
}

/// The engine's error type for this store's Merkle family.
pub type EngineError = qmdb::Error<Family>;

/// Errors of the state store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The storage engine failed (I/O, corruption, ...). A failure while applying a commit or a
    /// prune leaves the store [`StoreError::Unusable`]; the durable state is the last successful
    /// commit.
    #[error("state engine: {0}")]
    Engine(#[from] EngineError),
    /// A write set tried to store a value larger than [`MAX_VALUE_BYTES`]. Nothing was written.
    #[error("value for key {key} is {len} bytes, above the limit of {MAX_VALUE_BYTES}")]
    ValueTooLarge { key: StateKey, len: usize },
    /// The partition prefix is empty or has characters other than ASCII letters, digits, `-`, `_`.
    #[error("invalid partition prefix {0:?}: use ASCII letters, digits, '-' or '_'")]
    InvalidPartitionPrefix(String),
    /// The height stored with the committed state is not 8 bytes.
    #[error("stored block height is {0} bytes, not 8")]
    CorruptMetadata(usize),
    /// The access log does not match the head the committed state records for it (the log is
    /// behind the state, or differs from it at that size): the node's storage is damaged.
    #[error("the access log (size {}, root {}) does not match the state's record of it (size {}, root {})", log.size, log.root, state.size, state.root)]
    AccessLogMismatch {
        state: dirchain_types::records::AccessLogHead,
        log: dirchain_types::records::AccessLogHead,
    },
    /// An access record is larger than [`MAX_VALUE_BYTES`]. Nothing was appended.
    #[error("access record is {len} bytes, above the limit of {MAX_VALUE_BYTES}")]
    RecordTooLarge { len: usize },
    /// An earlier commit or prune failed (or was cancelled) part way; the in-memory state can no
    /// longer be trusted. Reopen the store to recover the last committed state.
    #[error("state store unusable after an interrupted write; reopen it")]
    Unusable,
}

/// The authenticated state store.
///
/// Reads and proofs take `&self`; writes take `&mut self`, so a proof always matches the root
/// of the state it was generated from.
pub struct Store<E: Storage + Clock + Metrics> {
    /// `None` only after a write failed part way: the engine consumes the database on writes and
    /// does not hand it back on error.
    db: Option<Db<E>>,
    /// Root of the last committed state (kept here so `root` needs no database).
    root: StateRoot,
    /// The engine's inactivity floor at the last commit, which proofs are built against.
    floor: Location,
}

impl<E: Storage + Clock + Metrics + Spawner> Store<E> {
    /// Opens (or creates) the store under storage partitions named with `partition_prefix`;
    /// reopening returns the last committed state and root.
    ///
    /// The engine registers metrics under `context`, so give each open store its own label
    /// (e.g. `context.child("state")`).
    pub async fn open(context: E, partition_prefix: &str) -> Result<Self, StoreError> {
        let valid = !partition_prefix.is_empty()
            && partition_prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid {
            return Err(StoreError::InvalidPartitionPrefix(
                partition_prefix.to_string(),
            ));
        }
        let db = Db::init(context, config(partition_prefix), None).await?;
        Ok(Self {
            root: db.root(),
            floor: floor(&db),
            db: Some(db),
        })
    }
}

impl<E: Storage + Clock + Metrics> Store<E> {
    /// The root of the last committed state.
    pub fn root(&self) -> StateRoot {
        self.root
    }

    /// The current value of `key`, if any.
    pub async fn get(&self, key: &StateKey) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.db()?.get(key).await?)
    }

    /// The root that committing `writes` would produce, without changing the store (used to
    /// verify a proposed block).
    pub async fn speculative_root(
        &self,
        height: u64,
        writes: &WriteSet,
    ) -> Result<StateRoot, StoreError> {
        Ok(self.speculate(None, height, writes).await?.root())
    }

    /// Merkleizes the writes of block `height` on top of `parent` (or of the committed state),
    /// without changing the store.
    pub async fn speculate(
        &self,
        parent: Option<&Speculative>,
        height: u64,
        writes: &WriteSet,
    ) -> Result<Speculative, StoreError> {
        check_values(writes)?;
        let db = self.db()?;
        let mut batch = match parent {
            Some(parent) => parent.batch.new_batch::<Sha256>(),
            None => db.new_batch(),
        };
        for (key, value) in writes {
            batch = batch.write(*key, value.clone());
        }
        let merkleized = batch
            .merkleize(db, height_metadata(height), &mut Compaction)
            .await?;
        Ok(Speculative {
            batch: merkleized,
            height,
        })
    }

    /// The value of `key` in a speculative state (or, with `None`, the committed one).
    pub async fn get_at(
        &self,
        at: Option<&Speculative>,
        key: &StateKey,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let db = self.db()?;
        match at {
            Some(spec) => Ok(spec.batch.get(key, db).await?),
            None => Ok(db.get(key).await?),
        }
    }

    /// The height of the block the committed state reflects (0: genesis only, or an empty store).
    pub async fn height(&self) -> Result<u64, StoreError> {
        let Some(bytes) = self.db()?.get_metadata().await? else {
            return Ok(0);
        };
        let bytes: [u8; 8] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| StoreError::CorruptMetadata(bytes.len()))?;
        Ok(u64::from_be_bytes(bytes))
    }

    /// Applies `writes` atomically and durably (survives reopen) and returns the new root. An
    /// empty write set is allowed (it still appends a commit, so the root changes).
    ///
    /// Rejects the whole set, changing nothing, if a value exceeds [`MAX_VALUE_BYTES`]. If the
    /// engine fails, or this future is dropped before it completes, the store becomes
    /// [`StoreError::Unusable`] and must be reopened.
    pub async fn commit(&mut self, height: u64, writes: WriteSet) -> Result<StateRoot, StoreError> {
        check_values(&writes)?;
        let db = self.db()?;
        let mut batch = db.new_batch();
        for (key, value) in writes {
            batch = batch.write(key, value);
        }
        let merkleized = batch
            .merkleize(db, height_metadata(height), &mut Compaction)
            .await?;
        self.apply(merkleized).await
    }

    /// Makes a speculative state durable: it must extend the committed state (its parent was
    /// committed before it). Returns the new root, which is the speculative root.
    pub async fn commit_speculative(
        &mut self,
        spec: &Speculative,
    ) -> Result<StateRoot, StoreError> {
        self.apply(spec.batch.clone()).await
    }

    /// Whether `spec` can be committed now: it extends the committed state. Lets a caller that
    /// commits something else alongside (the access log) check before either is written.
    pub fn check_extends(&self, spec: &Speculative) -> Result<(), StoreError> {
        Ok(self.db()?.validate_batch(&spec.batch)?)
    }

    async fn apply(&mut self, merkleized: Arc<Batch>) -> Result<StateRoot, StoreError> {
        // Checking first keeps the store usable when the batch does not extend the current
        // state (a stale speculative state, say): the engine consumes the database on failure.
        self.db()?.validate_batch(&merkleized)?;

        let db = self.db.take().ok_or(StoreError::Unusable)?;
        let db = db.apply_batch(merkleized).await?;
        let db = db.commit().await?;
        self.root = db.root();
        self.floor = floor(&db);
        self.db = Some(db);
        Ok(self.root)
    }

    /// Proof of the key's current value (inclusion) or of its absence (exclusion), against the
    /// current root.
    pub async fn prove(&self, key: &StateKey) -> Result<StateProof, StoreError> {
        let db = self.db()?;
        // The operation whose span [key, next key) holds `key`: the key's own update if present,
        // its predecessor's (wrapping around) if absent.
        let Some((loc, span)) = db.get_span(key).await? else {
            // No key at all: the engine proves emptiness from the last commit instead.
            return Ok(StateProof::exclusion(db.exclusion_proof(key).await?));
        };
        // What the engine's `key_value_proof` / `exclusion_proof` build, but from the one lookup
        // above: calling them would find and read the operation again.
        let proof = OperationProof::new::<Sha256, _>(
            db.bitmap(),
            &db.grafted_storage(),
            self.floor,
            loc,
            db.ops_root(),
        )
        .await?;
        if span.key == *key {
            let next_key = span.next_key;
            Ok(StateProof::inclusion(
                span.value,
                KeyValueProof { proof, next_key },
            ))
        } else {
            Ok(StateProof::exclusion(ExclusionProof::KeyValue(proof, span)))
        }
    }

    /// Discards history that no current value or proof depends on (operations below the
    /// engine's inactivity floor), bounding disk use and the time to reopen. Changes no root,
    /// value or proof, so nodes may prune at different times and still agree.
    ///
    /// If the engine fails, or this future is dropped before it completes, the store becomes
    /// [`StoreError::Unusable`] and must be reopened (committed state is not lost).
    pub async fn prune(&mut self) -> Result<(), StoreError> {
        let db = self.db.take().ok_or(StoreError::Unusable)?;
        let boundary = db.sync_boundary();
        self.db = Some(db.prune(boundary).await?);
        Ok(())
    }

    fn db(&self) -> Result<&Db<E>, StoreError> {
        self.db.as_ref().ok_or(StoreError::Unusable)
    }
}

/// The engine's inactivity floor (not otherwise exposed): where its current-state view begins.
fn floor<E: Storage + Clock + Metrics>(db: &Db<E>) -> Location {
    db.to_batch().bounds().inactivity_floor
}

/// Rejects a write set holding a value too large to store (or to read back on reopen).
fn check_values(writes: &WriteSet) -> Result<(), StoreError> {
    for (key, value) in writes {
        if let Some(value) = value
            && value.len() > MAX_VALUE_BYTES
        {
            return Err(StoreError::ValueTooLarge {
                key: *key,
                len: value.len(),
            });
        }
    }
    Ok(())
}

/// Codec configuration of a stored value (`Vec<u8>`): its length range.
type ValueCfg = (RangeCfg<usize>, ());

/// Engine configuration; `()` is the (fixed-size) key's codec configuration.
type Config = VariableConfig<EightCap, ((), ValueCfg), Sequential>;

/// Bounded codec configuration of a stored value.
fn value_cfg() -> ValueCfg {
    ((0..=MAX_VALUE_BYTES).into(), ())
}

/// The engine configuration: partition names derive from `prefix`; sizes are the constants above.
fn config(prefix: &str) -> Config {
    let page_cache = CacheRef::new(PAGE_SIZE, PAGE_CACHE_PAGES);
    VariableConfig {
        merkle_config: MerkleConfig {
            journal_partition: format!("{prefix}-merkle"),
            metadata_partition: format!("{prefix}-merkle-meta"),
            items_per_blob: MERKLE_ITEMS_PER_BLOB,
            write_buffer: WRITE_BUFFER_BYTES,
            replay_buffer: REPLAY_BUFFER_BYTES,
            strategy: Sequential,
            page_cache: page_cache.clone(),
        },
        journal_config: LogConfig {
            partition: format!("{prefix}-log"),
            items_per_section: LOG_ITEMS_PER_SECTION,
            compression: None,
            codec_config: ((), value_cfg()),
            page_cache,
            write_buffer: WRITE_BUFFER_BYTES,
            replay_buffer: REPLAY_BUFFER_BYTES,
        },
        grafted_metadata_partition: format!("{prefix}-grafted-meta"),
        translator: EightCap,
        init_cache: Some(INIT_CACHE_ENTRIES),
        init_buffer: INIT_BUFFER_BYTES,
        init_concurrency: (),
    }
}
