//! The index database and its one writer.

use crate::{
    changes::BlockChanges,
    ddl::{LAYOUT_VERSION, TABLES},
    error::IndexError,
    query::Queries,
    sql::{self, META_ACCESS_CURSOR, META_GENESIS, META_HEIGHT, META_LAYOUT, META_TIP, int, uint},
    write::{DayCounts, STAGING, flush_text, write_block},
};
use dirchain_types::{
    genesis::Genesis,
    ids::{AssetId, ChannelId},
};
use rusqlite::{Connection, TransactionBehavior};
use std::path::{Path, PathBuf};

/// WAL pages written before the writer copies them into the database: far
/// above SQLite's 1,000, since a block of many accesses dirties many pages
/// and each checkpoint costs an fsync.
const WAL_CHECKPOINT_PAGES: i64 = 16_384;
/// Page cache of the writer, in KiB: enough for the indexes that grow at
/// random places (by item, permission, subject, hash) at a million access
/// records, so that writing a block seldom reads a page back.
const WRITER_CACHE_KIB: i64 = 256 * 1024;
/// Rows `PRAGMA optimize` samples per index: bounds its time on a large index.
const ANALYSIS_LIMIT: i64 = 1_000;

/// Bytes SQLite holds for every connection of the process, its page caches above all. SQLite
/// allocates through the C library, not through the program's allocator, so the allocator's
/// own figures leave this out.
pub fn sqlite_memory_used() -> u64 {
    // SAFETY: sqlite3_memory_used takes no arguments and reads a counter SQLite guards with
    // its own mutex; any thread may call it at any time.
    let used = unsafe { rusqlite::ffi::sqlite3_memory_used() };
    u64::try_from(used).unwrap_or(0)
}

/// The index: an SQLite file made for one genesis, written by this handle
/// only (readers use [Queries], on their own connections).
pub struct Index {
    conn: Connection,
    path: PathBuf,
    genesis: Genesis,
}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Index").field("path", &self.path).finish()
    }
}

impl Index {
    /// Opens the index at `path`, creating it for `genesis` if the file is
    /// new or empty. A file made for another genesis, or by another layout
    /// version, is refused with a typed error: delete it to rebuild.
    pub fn open(path: impl AsRef<Path>, genesis: &Genesis) -> Result<Self, IndexError> {
        let path = path.as_ref().to_path_buf();
        let conn = Connection::open(&path)?;
        sql::configure(&conn)?;
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(IndexError::Corrupt(format!(
                "{} cannot be put in WAL mode (it is in {mode} mode)",
                path.display()
            )));
        }
        // With WAL, NORMAL never corrupts the file; a crash may lose the last
        // blocks, which are indexed again from the height that was kept.
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "wal_autocheckpoint", WAL_CHECKPOINT_PAGES)?;
        conn.pragma_update(None, "cache_size", -WRITER_CACHE_KIB)?;
        let expected = genesis.digest();
        let has_tables: bool = conn.query_row(
            "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'meta'",
            [],
            |row| row.get(0),
        )?;
        if has_tables {
            let found: i64 = sql::meta(&conn, META_LAYOUT)?.unwrap_or(0);
            if found != LAYOUT_VERSION {
                return Err(IndexError::LayoutVersion {
                    path: path.display().to_string(),
                    found,
                    expected: LAYOUT_VERSION,
                });
            }
            let stored: Vec<u8> = sql::meta(&conn, META_GENESIS)?.unwrap_or_default();
            if stored != expected.as_ref() {
                return Err(IndexError::GenesisMismatch {
                    path: path.display().to_string(),
                    stored: dirchain_schema::hex::encode(&stored),
                    expected: expected.to_string(),
                });
            }
        } else {
            let tx = conn.unchecked_transaction()?;
            tx.execute_batch(TABLES)?;
            sql::set_meta(&tx, META_LAYOUT, LAYOUT_VERSION)?;
            sql::set_meta(&tx, META_GENESIS, expected.as_ref())?;
            tx.commit()?;
        }
        conn.execute_batch(STAGING)?;
        Ok(Self {
            conn,
            path,
            genesis: genesis.clone(),
        })
    }

    /// [Index::open], except that a file made by another layout version is
    /// deleted (with SQLite's files beside it) and made anew: the index is
    /// derived, and the follower rebuilds it from the chain. Answers whether
    /// it was rebuilt. A file of another genesis is still refused.
    pub fn open_or_rebuild(
        path: impl AsRef<Path>,
        genesis: &Genesis,
    ) -> Result<(Self, bool), IndexError> {
        let path = path.as_ref();
        match Self::open(path, genesis) {
            Err(IndexError::LayoutVersion { .. }) => {
                for suffix in ["", "-wal", "-shm"] {
                    let file = PathBuf::from(format!("{}{suffix}", path.display()));
                    match std::fs::remove_file(&file) {
                        Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                            return Err(IndexError::Corrupt(format!(
                                "cannot delete {} to rebuild it: {error}",
                                file.display()
                            )));
                        }
                        _ => {}
                    }
                }
                Ok((Self::open(path, genesis)?, true))
            }
            opened => Ok((opened?, false)),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The genesis the index was made for.
    pub fn genesis(&self) -> &Genesis {
        &self.genesis
    }

    /// The last block indexed; `None` until genesis itself is indexed.
    pub fn indexed_height(&self) -> Result<Option<u64>, IndexError> {
        Ok(sql::indexed_height(&self.conn)?)
    }

    /// The next location of the access log to read: the log's size as of
    /// the last indexed block (`BlockChanges::access_cursor`). `None` until
    /// genesis is indexed. Written in the same transaction as the indexed
    /// height, so a restart reads on from where the last whole block ended.
    pub fn access_cursor(&self) -> Result<Option<u64>, IndexError> {
        if self.indexed_height()?.is_none() {
            return Ok(None);
        }
        match sql::meta::<i64>(&self.conn, META_ACCESS_CURSOR)? {
            Some(cursor) => Ok(Some(uint(cursor))),
            None => Err(IndexError::Corrupt(
                "the index has blocks but no access log cursor".into(),
            )),
        }
    }

    /// Applies one block's changes, with the new indexed height, in one
    /// transaction: after a crash the index holds whole blocks only. Blocks
    /// must come in height order, genesis (height 0) first, each naming the
    /// previous one as parent.
    pub fn apply(&mut self, block: &BlockChanges) -> Result<(), IndexError> {
        self.apply_all(std::slice::from_ref(block))
    }

    /// Applies consecutive blocks in one transaction, with the height of the
    /// last. Catching up, this writes each page of the indexes that grow at
    /// random places (by item, permission, subject, hash) once for many
    /// blocks instead of once per block.
    pub fn apply_all(&mut self, blocks: &[BlockChanges]) -> Result<(), IndexError> {
        let Some(last) = blocks.last() else {
            return Ok(());
        };
        let mut indexed = self.indexed_height()?;
        let mut tip = sql::meta::<Vec<u8>>(&self.conn, META_TIP)?;
        let mut cursor = self.access_cursor()?.unwrap_or(0);
        for block in blocks {
            if block.height != indexed.map_or(0, |h| h + 1) {
                return Err(IndexError::OutOfOrder {
                    indexed,
                    got: block.height,
                });
            }
            block.check(cursor).map_err(|reason| IndexError::BadBlock {
                height: block.height,
                reason,
            })?;
            cursor = block.access_cursor;
            if let Some(tip) = &tip
                && tip.as_slice() != block.parent.as_ref()
            {
                return Err(IndexError::NotOnChain {
                    height: block.height,
                    parent: block.parent.to_string(),
                    tip: dirchain_schema::hex::encode(tip),
                });
            }
            indexed = Some(block.height);
            tip = (block.height > 0).then(|| block.digest.as_ref().to_vec());
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut days = DayCounts::default();
        for block in blocks {
            write_block(&tx, block, &mut days)?;
        }
        days.write(&tx)?;
        flush_text(&tx)?;
        sql::set_meta(&tx, META_HEIGHT, int(last.height))?;
        sql::set_meta(&tx, META_ACCESS_CURSOR, int(last.access_cursor))?;
        if let Some(tip) = tip {
            sql::set_meta(&tx, META_TIP, tip)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// How many entries of an asset's history the index holds.
    pub(crate) fn asset_events(
        &self,
        channel: &ChannelId,
        asset: &AssetId,
    ) -> Result<u32, IndexError> {
        let count: i64 = self
            .conn
            .prepare_cached("SELECT count(*) FROM asset_events WHERE channel = ?1 AND asset = ?2")?
            .query_row([channel.as_str(), asset.as_str()], |row| row.get(0))?;
        u32::try_from(count).map_err(|_| IndexError::Corrupt("asset history too long".into()))
    }

    /// The digest of the last indexed block.
    #[cfg(test)]
    pub(crate) fn tip(&self) -> Result<Option<dirchain_types::ids::Digest>, IndexError> {
        let Some(bytes) = sql::meta::<Vec<u8>>(&self.conn, META_TIP)? else {
            return Ok(None);
        };
        let array: [u8; 32] = bytes
            .try_into()
            .map_err(|_| IndexError::Corrupt("the stored tip is not a digest".into()))?;
        Ok(Some(dirchain_types::ids::Digest(array)))
    }

    /// Read-only query handles on their own connections. Take them before
    /// handing the index to [follow](crate::follow), which owns the writer.
    pub fn queries(&self) -> Result<Queries, IndexError> {
        Ok(Queries::open(&self.path)?)
    }

    /// Records statistics the query planner uses to pick indexes. Cheap; the
    /// follower runs it after catching up.
    pub fn optimize(&self) -> Result<(), IndexError> {
        self.conn
            .pragma_update(None, "analysis_limit", ANALYSIS_LIMIT)?;
        self.conn.execute_batch("PRAGMA optimize")?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::changes::{Change, position};
    use crate::sql::DAY_MS;
    use dirchain_state::testkit;
    use dirchain_types::{ids::Digest, records::AccessRecord};

    fn sample_access() -> AccessRecord {
        AccessRecord {
            id: Digest([1; 32]),
            permission: Digest([2; 32]),
            recorder: dirchain_types::ids::KeyBytes::new([3; 32]),
            recorder_org: testkit::id("police"),
            requester: None,
            owner_org: None,
            consumer_org: None,
            item: None,
            subject_refs: Default::default(),
            fields: Default::default(),
            query_digest: Digest([4; 32]),
            response_digest: Digest([5; 32]),
            record_count: 0,
            height: 3,
            at: 0,
            refusal: None,
        }
    }

    #[test]
    fn a_file_of_another_genesis_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("index.sqlite");
        let genesis = testkit::genesis();
        drop(Index::open(&path, &genesis).unwrap());
        // Reopening with the same genesis is fine.
        drop(Index::open(&path, &genesis).unwrap());
        let mut other = genesis.clone();
        other.timestamp_ms += 1;
        match Index::open(&path, &other) {
            Err(IndexError::GenesisMismatch {
                stored, expected, ..
            }) => {
                assert_eq!(stored, genesis.digest().to_string());
                assert_eq!(expected, other.digest().to_string());
            }
            other => panic!("expected a genesis mismatch, got {other:?}"),
        }
    }

    #[test]
    fn a_file_of_another_layout_is_rebuilt() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("index.sqlite");
        let genesis = testkit::genesis();
        let index = Index::open(&path, &genesis).unwrap();
        // An older node's file: its layout version, and something of its own.
        index
            .conn
            .execute_batch(&format!(
                "UPDATE meta SET value = {} WHERE key = '{META_LAYOUT}';
                 INSERT INTO meta (key, value) VALUES ('left by an older node', 1);",
                LAYOUT_VERSION - 1
            ))
            .unwrap();
        drop(index);
        assert!(matches!(
            Index::open(&path, &genesis),
            Err(IndexError::LayoutVersion { .. })
        ));
        let (index, rebuilt) = Index::open_or_rebuild(&path, &genesis).unwrap();
        assert!(rebuilt);
        let left: i64 = index
            .conn
            .query_row(
                "SELECT count(*) FROM meta WHERE key = 'left by an older node'",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(left, 0, "made anew");
        assert_eq!(
            index.indexed_height().unwrap(),
            None,
            "to follow from genesis"
        );
        drop(index);
        let (_, rebuilt) = Index::open_or_rebuild(&path, &genesis).unwrap();
        assert!(!rebuilt, "a current file is kept");
        let mut other = genesis.clone();
        other.timestamp_ms += 1;
        assert!(matches!(
            Index::open_or_rebuild(&path, &other),
            Err(IndexError::GenesisMismatch { .. })
        ));
    }

    #[test]
    fn blocks_apply_in_order_and_on_one_chain() {
        let dir = tempfile::tempdir().unwrap();
        let mut index = Index::open(dir.path().join("i.sqlite"), &testkit::genesis()).unwrap();
        let block = |height: u64, digest: u8, parent: u8| BlockChanges {
            height,
            digest: Digest([digest; 32]),
            parent: Digest([parent; 32]),
            timestamp_ms: height,
            access_cursor: 1,
            txs: Vec::new(),
            changes: Vec::new(),
        };
        assert!(matches!(
            index.apply(&block(1, 1, 0)),
            Err(IndexError::OutOfOrder {
                indexed: None,
                got: 1
            })
        ));
        index.apply(&block(0, 0, 0)).unwrap();
        assert_eq!(index.tip().unwrap(), None);
        index.apply(&block(1, 1, 9)).unwrap();
        assert_eq!(index.tip().unwrap(), Some(Digest([1; 32])));
        assert!(matches!(
            index.apply(&block(2, 2, 7)),
            Err(IndexError::NotOnChain { height: 2, .. })
        ));
        let with_access = |position: u64, location: u64, cursor: u64| {
            let mut b = block(2, 2, 1);
            b.access_cursor = cursor;
            b.changes.push(Change::Access {
                channel: testkit::id("main"),
                position,
                location,
                record: sample_access(),
            });
            b
        };
        for bad in [
            // A position beyond the block.
            with_access(position(3, 0), 1, 3),
            // A location before the cursor, or beyond what the block appended.
            with_access(position(2, 0), 0, 3),
            with_access(position(2, 0), 3, 3),
            // The cursor going back.
            with_access(position(2, 0), 1, 0),
        ] {
            assert!(
                matches!(
                    index.apply(&bad),
                    Err(IndexError::BadBlock { height: 2, .. })
                ),
                "{bad:?}"
            );
        }
        assert_eq!(index.access_cursor().unwrap(), Some(1));
        index.apply(&with_access(position(2, 0), 1, 3)).unwrap();
        assert_eq!(index.indexed_height().unwrap(), Some(2));
        assert_eq!(index.access_cursor().unwrap(), Some(3));
        // Several at once: all or nothing.
        let moved = |height: u64, digest: u8, parent: u8, cursor: u64| BlockChanges {
            access_cursor: cursor,
            ..block(height, digest, parent)
        };
        assert!(matches!(
            index.apply_all(&[moved(3, 3, 2, 5), moved(4, 4, 9, 5)]),
            Err(IndexError::NotOnChain { height: 4, .. })
        ));
        assert_eq!(index.indexed_height().unwrap(), Some(2));
        assert_eq!(index.access_cursor().unwrap(), Some(3), "all or nothing");
        index
            .apply_all(&[moved(3, 3, 2, 5), moved(4, 4, 3, 5)])
            .unwrap();
        assert_eq!(index.indexed_height().unwrap(), Some(4));
        assert_eq!(index.tip().unwrap(), Some(Digest([4; 32])));
        assert_eq!(index.access_cursor().unwrap(), Some(5));
    }

    #[test]
    fn accesses_are_counted_per_day_and_key_across_the_blocks_of_a_write() {
        let dir = tempfile::tempdir().unwrap();
        let mut index = Index::open(dir.path().join("i.sqlite"), &testkit::genesis()).unwrap();
        let record = |height: u64, at: u64, consumer: &str, refused: bool| AccessRecord {
            consumer_org: Some(testkit::id(consumer)),
            owner_org: Some(testkit::id("health")),
            item: Some(testkit::id("births")),
            height,
            at,
            refusal: refused.then_some(dirchain_types::records::Refusal::FieldsNotPermitted),
            ..sample_access()
        };
        // Records from location `first` on, then the block's commit.
        let block = |height: u64, first: u64, records: Vec<AccessRecord>| BlockChanges {
            height,
            digest: Digest([height as u8; 32]),
            parent: Digest([height.saturating_sub(1) as u8; 32]),
            timestamp_ms: height,
            access_cursor: first + records.len() as u64 + u64::from(!records.is_empty()),
            txs: Vec::new(),
            changes: records
                .into_iter()
                .enumerate()
                .map(|(i, record)| Change::Access {
                    channel: testkit::id("main"),
                    position: position(height, i as u32),
                    location: first + i as u64,
                    record,
                })
                .collect(),
        };
        let day = DAY_MS;
        index.apply(&block(0, 1, Vec::new())).unwrap();
        // Two blocks in one write, then one more: the counts add up.
        index
            .apply_all(&[
                block(
                    1,
                    1,
                    vec![
                        record(1, day, "police", false),
                        record(1, day + 1, "police", false),
                        record(1, day + 2, "police", true),
                        record(1, day + 3, "tax", false),
                    ],
                ),
                block(2, 6, vec![record(2, day + 4, "police", false)]),
            ])
            .unwrap();
        index
            .apply(&block(
                3,
                8,
                vec![
                    record(3, day + 5, "police", false),
                    record(3, 2 * day, "police", false),
                ],
            ))
            .unwrap();
        let rows: Vec<(i64, String, String, String, bool, i64)> = index
            .conn
            .prepare(
                "SELECT day, consumer_org, owner_org, item, refused, n FROM access_days
                 ORDER BY day, consumer_org, refused",
            )
            .unwrap()
            .query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let row = |day: i64, consumer: &str, refused: bool, n: i64| {
            (
                day,
                consumer.into(),
                "health".into(),
                "births".into(),
                refused,
                n,
            )
        };
        assert_eq!(
            rows,
            [
                row(1, "police", false, 4),
                row(1, "police", true, 1),
                row(1, "tax", false, 1),
                row(2, "police", false, 1),
            ]
        );
        // Each record at its location of the log, the cursor after the last
        // block's commit.
        let locations: Vec<i64> = index
            .conn
            .prepare("SELECT location FROM access ORDER BY seq")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(locations, [1, 2, 3, 4, 6, 8, 9]);
        assert_eq!(index.access_cursor().unwrap(), Some(11));
    }
}
