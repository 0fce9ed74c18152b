//! Read-only answers over the index, as the views of
//! [dirchain_schema::records]. Every method is synchronous and may wait on
//! SQLite: call it from a blocking context (the API uses
//! `tokio::task::spawn_blocking`).
//!
//! Each answer reads one snapshot: its rows and its `indexed_height` come
//! from the same committed block, whatever the follower writes meanwhile.

mod access;
mod cursor;
mod directory;
mod filter;
mod fts;
mod ledger;
mod permissions;

use crate::{error::QueryError, sql};
use commonware_codec::Read;
use dirchain_schema::records::{Page, page_limit};
use dirchain_types::ids::ChannelId;
use rusqlite::{Connection, OpenFlags};
use std::{
    path::Path,
    sync::{Arc, Condvar, Mutex, MutexGuard},
};

/// Read connections per [Queries] handle: queries beyond this many at once
/// wait for a connection to come back.
pub const POOL_SIZE: usize = 4;
/// Most entries of an embedded list (an organisation's members and duties,
/// an item's versions, an asset's history); the most recent are kept.
pub const MAX_EMBEDDED: u32 = 1_000;

/// Query handle: cheap to clone, shareable between threads.
#[derive(Clone)]
pub struct Queries {
    pool: Arc<Pool>,
}

impl std::fmt::Debug for Queries {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Queries").finish_non_exhaustive()
    }
}

struct Pool {
    idle: Mutex<Vec<Connection>>,
    returned: Condvar,
}

impl Pool {
    /// The connection list holds no invariant a panicking holder could break.
    fn idle(&self) -> MutexGuard<'_, Vec<Connection>> {
        self.idle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn get(&self) -> Pooled<'_> {
        let mut idle = self.idle();
        loop {
            if let Some(conn) = idle.pop() {
                return Pooled {
                    pool: self,
                    conn: Some(conn),
                };
            }
            idle = self
                .returned
                .wait(idle)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
    }
}

struct Pooled<'a> {
    pool: &'a Pool,
    conn: Option<Connection>,
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.pool.idle().push(conn);
            self.pool.returned.notify_one();
        }
    }
}

impl Queries {
    /// Opens [POOL_SIZE] read connections to the index at `path`.
    pub(crate) fn open(path: &Path) -> rusqlite::Result<Self> {
        let mut conns = Vec::with_capacity(POOL_SIZE);
        for _ in 0..POOL_SIZE {
            // Read-write flags with `query_only`: a read-only connection
            // could not create the WAL's shared-memory file after the
            // writer closed.
            let conn = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            sql::configure(&conn)?;
            conn.pragma_update(None, "query_only", true)?;
            conns.push(conn);
        }
        Ok(Self {
            pool: Arc::new(Pool {
                idle: Mutex::new(conns),
                returned: Condvar::new(),
            }),
        })
    }

    /// Runs `f` on one snapshot of the index, with its indexed height.
    fn read<T>(
        &self,
        f: impl FnOnce(&Connection, u64) -> Result<T, QueryError>,
    ) -> Result<T, QueryError> {
        let pooled = self.pool.get();
        let conn = pooled.conn.as_ref().expect("held until dropped");
        let snapshot = conn.unchecked_transaction()?;
        let height = sql::indexed_height(&snapshot)?.unwrap_or(0);
        f(&snapshot, height)
    }

    /// The last block the index reflects (0 before any).
    pub fn indexed_height(&self) -> Result<u64, QueryError> {
        self.read(|_, height| Ok(height))
    }
}

/// Decodes a stored record.
fn record<T: Read<Cfg = ()>>(bytes: &[u8]) -> Result<T, QueryError> {
    sql::decode(bytes).map_err(|e| QueryError::Corrupt(e.to_string()))
}

/// Column `i` of `row`, a stored record.
fn blob<'a>(row: &'a rusqlite::Row<'_>, i: usize) -> Result<&'a [u8], QueryError> {
    row.get_ref(i)?
        .as_blob()
        .map_err(|e| QueryError::Corrupt(e.to_string()))
}

/// A stored channel identifier.
fn channel(text: String) -> Result<ChannelId, QueryError> {
    ChannelId::new(text).map_err(|e| QueryError::Corrupt(e.to_string()))
}

/// Collects up to `limit` entries from `rows` (which yields one more when
/// there is a next page) into a page; `key` makes the cursor of an entry.
fn page<T, K>(
    rows: Vec<(T, K)>,
    limit: u32,
    indexed_height: u64,
    cursor: impl Fn(&K) -> String,
) -> Page<T> {
    let limit = limit as usize;
    let more = rows.len() > limit;
    let mut items = Vec::with_capacity(rows.len().min(limit));
    let mut last = None;
    for (item, key) in rows.into_iter().take(limit) {
        items.push(item);
        last = Some(key);
    }
    Page {
        items,
        next_cursor: more.then(|| last.as_ref().map(&cursor)).flatten(),
        indexed_height,
    }
}

/// The limit of a page and the number of rows to read for it.
fn limits(limit: Option<u32>) -> (u32, u32) {
    let limit = page_limit(limit);
    (limit, limit + 1)
}

/// Checks a filter value against the labels of an enum; returns the label
/// as stored.
fn label<T: Copy>(
    field: &'static str,
    value: &str,
    all: &[T],
    label: fn(T) -> &'static str,
) -> Result<&'static str, QueryError> {
    all.iter()
        .map(|v| label(*v))
        .find(|l| *l == value)
        .ok_or_else(|| QueryError::BadFilter {
            field,
            reason: format!(
                "{value:?} is not one of {}",
                all.iter().map(|v| label(*v)).collect::<Vec<_>>().join(", ")
            ),
        })
}
