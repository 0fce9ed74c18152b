//! Conventions shared by the writer and the readers: connection settings,
//! the metadata rows, integers, and decoding stored records.

use commonware_codec::{Decode, Read};
use dirchain_types::ids::Digest;
use rusqlite::{Connection, OptionalExtension};
use std::time::Duration;

/// How long a statement waits for a lock held by another connection (the
/// writer's checkpoint, a reader's snapshot) before failing.
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Page cache of each connection, in KiB.
const CACHE_KIB: i64 = 32 * 1024;
/// Prepared statements kept per connection: every distinct query shape.
pub(crate) const STATEMENT_CACHE: usize = 128;

/// A UTC day, the unit of the access counts (`access_days`).
pub(crate) const DAY_MS: u64 = 86_400_000;

/// Metadata rows.
pub(crate) const META_LAYOUT: &str = "layout_version";
pub(crate) const META_GENESIS: &str = "genesis";
pub(crate) const META_HEIGHT: &str = "height";
pub(crate) const META_TIP: &str = "tip";
/// The next location of the access log to read (see `BlockChanges::access_cursor`).
pub(crate) const META_ACCESS_CURSOR: &str = "access_cursor";

/// Settings of every connection.
pub(crate) fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.pragma_update(None, "cache_size", -CACHE_KIB)?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    Ok(())
}

/// SQLite integers are signed. Times and heights never come near `i64::MAX`
/// (year 292,278,994); a value beyond it (a key that never expires) is stored
/// as `i64::MAX`, which sorts and compares the same for every filter.
pub(crate) fn int(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// The integer key of a digest: its first 8 bytes. Digests (hashes,
/// pseudonyms) are uniform, so keys rarely collide, and every lookup by key
/// compares the full digest too.
pub(crate) fn key64(digest: &Digest) -> i64 {
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest.as_ref()[..8]);
    i64::from_be_bytes(first)
}

/// The inverse of [int] for values the index wrote.
pub(crate) fn uint(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

pub(crate) fn meta<T: rusqlite::types::FromSql>(
    conn: &Connection,
    key: &str,
) -> rusqlite::Result<Option<T>> {
    conn.prepare_cached("SELECT value FROM meta WHERE key = ?1")?
        .query_row([key], |row| row.get(0))
        .optional()
}

pub(crate) fn set_meta(
    conn: &Connection,
    key: &str,
    value: impl rusqlite::ToSql,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )?
    .execute(rusqlite::params![key, value])?;
    Ok(())
}

/// The height of the last indexed block; `None` until genesis is indexed.
pub(crate) fn indexed_height(conn: &Connection) -> rusqlite::Result<Option<u64>> {
    Ok(meta::<i64>(conn, META_HEIGHT)?.map(uint))
}

/// Decodes a record the index stored, exactly as the state encodes it.
pub(crate) fn decode<T: Read<Cfg = ()>>(bytes: &[u8]) -> Result<T, commonware_codec::Error> {
    T::decode_cfg(commonware_codec::Copying(bytes), &())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_saturate_and_round_trip() {
        assert_eq!(int(0), 0);
        assert_eq!(uint(int(1_700_000_000_000)), 1_700_000_000_000);
        assert_eq!(int(u64::MAX), i64::MAX);
        assert!(int(u64::MAX) > int(1_700_000_000_000));
        assert_eq!(uint(-1), 0);
    }
}
