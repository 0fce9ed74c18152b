//! Writing one block's changes. Mutable records are upserted (their newest
//! value wins); records at immutable keys are inserted once.

use crate::{
    changes::{BlockChanges, Change, TxEntry, position},
    sql::{DAY_MS, int, key64},
};
use commonware_codec::Encode;
use dirchain_types::{
    ids::ChannelId,
    records::{AccessRecord, Item},
};
use rusqlite::{CachedStatement, Connection, params};
use std::collections::BTreeMap;

/// The writer connection's staging table for catalog text (see [write_item]).
pub(crate) const STAGING: &str = "
CREATE TEMP TABLE IF NOT EXISTS fts_pending (
    seq INTEGER PRIMARY KEY,
    replaced INTEGER NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    fields TEXT NOT NULL
);";

const INSERT_ACCESS: &str = "INSERT INTO access (seq, location, channel, permission_key,
         permission, owner_org, consumer_org, item, refused, record)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
     ON CONFLICT DO NOTHING";
const INSERT_ACCESS_SUBJECT: &str =
    "INSERT OR IGNORE INTO access_subjects (subject_key, access) VALUES (?1, ?2)";
const INSERT_TX: &str =
    "INSERT INTO txs (seq, hash_key, hash, height, idx, at, kind, signer, channel, refusal)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
     ON CONFLICT DO NOTHING";

/// Writes `changes` through `conn`, inside the caller's transaction, and
/// adds its access records to `days`, which the caller writes once for all
/// the blocks of the transaction ([DayCounts::write]).
pub(crate) fn write_block<'b>(
    conn: &Connection,
    changes: &'b BlockChanges,
    days: &mut DayCounts<'b>,
) -> rusqlite::Result<()> {
    let mut writer = BlockWriter {
        conn,
        access: conn.prepare_cached(INSERT_ACCESS)?,
        subject: conn.prepare_cached(INSERT_ACCESS_SUBJECT)?,
        days,
    };
    for change in &changes.changes {
        write_change(&mut writer, change)?;
    }
    let mut insert_tx = conn.prepare_cached(INSERT_TX)?;
    for tx in &changes.txs {
        write_tx(&mut insert_tx, changes, tx)?;
    }
    upsert(
        conn,
        "INSERT INTO blocks (height, timestamp_ms) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
        params![int(changes.height), int(changes.timestamp_ms)],
    )
}

/// Moves the catalog text staged by the blocks of a transaction into the
/// full-text index in two statements; call once, before committing. FTS5 writes its pending terms out at every statement that
/// opens a savepoint on it, so a statement per item would write a tiny
/// segment per item and spend the catch-up merging them.
pub(crate) fn flush_text(conn: &Connection) -> rusqlite::Result<()> {
    let pending: i64 = conn
        .prepare_cached("SELECT count(*) FROM fts_pending")?
        .query_row([], |row| row.get(0))?;
    if pending == 0 {
        return Ok(());
    }
    upsert(
        conn,
        "DELETE FROM items_fts WHERE rowid IN (SELECT seq FROM fts_pending WHERE replaced)",
        [],
    )?;
    upsert(
        conn,
        "INSERT INTO items_fts (rowid, title, description, fields)
         SELECT seq, title, description, fields FROM fts_pending",
        [],
    )?;
    upsert(conn, "DELETE FROM fts_pending", [])
}

/// One block's writes: the statements it runs per access record are
/// prepared once per block, not looked up in the statement cache per record.
struct BlockWriter<'c, 'b, 'd> {
    conn: &'c Connection,
    access: CachedStatement<'c>,
    subject: CachedStatement<'c>,
    days: &'d mut DayCounts<'b>,
}

fn write_change<'b>(
    writer: &mut BlockWriter<'_, 'b, '_>,
    change: &'b Change,
) -> rusqlite::Result<()> {
    let conn = writer.conn;
    match change {
        Change::Consortium(c) => upsert(
            conn,
            "INSERT INTO consortium (id, record) VALUES (1, ?1)
             ON CONFLICT (id) DO UPDATE SET record = excluded.record",
            params![c.encode().as_ref()],
        ),
        Change::Org(o) => upsert(
            conn,
            "INSERT INTO orgs (id, record) VALUES (?1, ?2)
             ON CONFLICT (id) DO UPDATE SET record = excluded.record",
            params![o.id.as_str(), o.encode().as_ref()],
        ),
        Change::Member(m) => upsert(
            conn,
            "INSERT INTO members (key, org, enrolled_at, record) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (key) DO UPDATE SET org = excluded.org,
                 enrolled_at = excluded.enrolled_at, record = excluded.record",
            params![
                m.key.as_ref(),
                m.org.as_str(),
                int(m.enrolled_at),
                m.encode().as_ref()
            ],
        ),
        Change::Proposal(p) => upsert(
            conn,
            "INSERT INTO proposals (id, status, created_at, record) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (id) DO UPDATE SET status = excluded.status,
                 created_at = excluded.created_at, record = excluded.record",
            params![
                p.id.as_ref(),
                p.status.label(),
                int(p.created_at),
                p.encode().as_ref()
            ],
        ),
        Change::Duty { channel, duty } => upsert(
            conn,
            "INSERT INTO duties (channel, id, org, record) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (channel, id) DO UPDATE SET org = excluded.org, record = excluded.record",
            params![
                channel.as_str(),
                duty.id.as_str(),
                duty.org.as_str(),
                duty.encode().as_ref()
            ],
        ),
        Change::Item { channel, item } => write_item(conn, channel, item),
        Change::ItemVersion { channel, version } => upsert(
            conn,
            "INSERT INTO item_versions (channel, id, version, record) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT DO NOTHING",
            params![
                channel.as_str(),
                version.id.as_str(),
                version.version,
                version.encode().as_ref()
            ],
        ),
        Change::Request { channel, request: r } => upsert(
            conn,
            "INSERT INTO requests (id, channel, item, owner_org, consumer_org, status, requested_at, record)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (id) DO UPDATE SET status = excluded.status, record = excluded.record",
            params![
                r.id.as_ref(),
                channel.as_str(),
                r.item.as_str(),
                r.owner_org.as_str(),
                r.consumer_org.as_str(),
                r.status.label(),
                int(r.requested_at),
                r.encode().as_ref()
            ],
        ),
        Change::Permission {
            channel,
            permission: p,
        } => upsert(
            conn,
            "INSERT INTO permissions (id, channel, item, owner_org, consumer_org, granted_at, expires_at, revoked, record)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at,
                 revoked = excluded.revoked, record = excluded.record",
            params![
                p.id.as_ref(),
                channel.as_str(),
                p.item.as_str(),
                p.owner_org.as_str(),
                p.consumer_org.as_str(),
                int(p.granted_at),
                int(p.expires_at),
                p.revoked.is_some(),
                p.encode().as_ref()
            ],
        ),
        Change::Access {
            channel,
            position,
            location,
            record,
        } => writer.write_access(channel, *position, *location, record),
        Change::Notary { channel, record } => upsert(
            conn,
            "INSERT INTO notary (channel, digest, record) VALUES (?1, ?2, ?3)
             ON CONFLICT DO NOTHING",
            params![
                channel.as_str(),
                record.digest.as_ref(),
                record.encode().as_ref()
            ],
        ),
        Change::Asset { channel, asset } => upsert(
            conn,
            "INSERT INTO assets (channel, id, record) VALUES (?1, ?2, ?3)
             ON CONFLICT (channel, id) DO UPDATE SET record = excluded.record",
            params![channel.as_str(), asset.id.as_str(), asset.encode().as_ref()],
        ),
        Change::AssetEvent {
            channel,
            asset,
            seq,
            event,
        } => upsert(
            conn,
            "INSERT INTO asset_events (channel, asset, seq, record) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT DO NOTHING",
            params![channel.as_str(), asset.as_str(), seq, event.encode().as_ref()],
        ),
    }
}

impl<'b> BlockWriter<'_, 'b, '_> {
    /// Writes an access record once; counts it in `days` if it was new.
    fn write_access(
        &mut self,
        channel: &ChannelId,
        position: u64,
        location: u64,
        record: &'b AccessRecord,
    ) -> rusqlite::Result<()> {
        let seq = int(position);
        let inserted = self.access.execute(params![
            seq,
            int(location),
            channel.as_str(),
            key64(&record.permission),
            record.permission.as_ref(),
            record.owner_org.as_ref().map(|o| o.as_str()),
            record.consumer_org.as_ref().map(|o| o.as_str()),
            record.item.as_ref().map(|i| i.as_str()),
            record.refusal.is_some(),
            record.encode().as_ref()
        ])?;
        if inserted == 0 {
            return Ok(());
        }
        self.days.add(record);
        for subject in record.subject_refs.iter() {
            self.subject.execute(params![key64(subject), seq])?;
        }
        Ok(())
    }
}

fn upsert(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute(params)?;
    Ok(())
}

/// The item row keeps its `seq` across versions; its text and duties are
/// replaced by the current version's. The text is staged for [flush_text].
fn write_item(conn: &Connection, channel: &ChannelId, item: &Item) -> rusqlite::Result<()> {
    let current = &item.current;
    let existed = conn
        .prepare_cached("SELECT 1 FROM items WHERE channel = ?1 AND id = ?2")?
        .exists([channel.as_str(), current.id.as_str()])?;
    let seq: i64 = conn
        .prepare_cached(
            "INSERT INTO items (channel, id, org, share_class, retired, record)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (channel, id) DO UPDATE SET org = excluded.org,
                 share_class = excluded.share_class, retired = excluded.retired,
                 record = excluded.record
             RETURNING seq",
        )?
        .query_row(
            params![
                channel.as_str(),
                current.id.as_str(),
                current.org.as_str(),
                current.share_class.label(),
                item.retired.is_some(),
                item.encode().as_ref()
            ],
            |row| row.get(0),
        )?;
    let field_names: Vec<&str> = current.fields.iter().map(|f| f.name.as_str()).collect();
    // An item written again in the same transaction (a later block of a
    // catch-up batch) keeps its last text, and `replaced` as first staged:
    // whether the full-text index held the item before the transaction.
    upsert(
        conn,
        "INSERT INTO fts_pending (seq, replaced, title, description, fields)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (seq) DO UPDATE SET title = excluded.title,
             description = excluded.description, fields = excluded.fields",
        params![
            seq,
            existed,
            current.title.as_str(),
            current.description.as_str(),
            field_names.join(" ")
        ],
    )?;
    upsert(conn, "DELETE FROM item_duties WHERE item = ?1", [seq])?;
    for duty in current.duties.iter() {
        upsert(
            conn,
            "INSERT OR IGNORE INTO item_duties (duty, item) VALUES (?1, ?2)",
            params![duty.as_str(), seq],
        )?;
    }
    Ok(())
}

fn write_tx(
    insert: &mut CachedStatement<'_>,
    block: &BlockChanges,
    tx: &TxEntry,
) -> rusqlite::Result<()> {
    insert.execute(params![
        int(position(block.height, tx.index)),
        key64(&tx.hash),
        tx.hash.as_ref(),
        int(block.height),
        tx.index,
        int(block.timestamp_ms),
        tx.kind.label(),
        tx.signer.as_ref(),
        tx.channel.as_str(),
        tx.refusal.map(|r| r.label())
    ])?;
    Ok(())
}

/// Access records counted per day, parties, item and outcome (the key of
/// `access_days`), over the blocks of one index transaction. An exchange
/// audit has few distinct keys per block, so the counts cost one upsert per
/// key rather than one per record.
#[derive(Default)]
pub(crate) struct DayCounts<'b>(BTreeMap<DayKey<'b>, i64>);

/// Day (since the Unix epoch, UTC), consumer, owner, item ('' when absent), refused.
type DayKey<'b> = (i64, &'b str, &'b str, &'b str, bool);

impl<'b> DayCounts<'b> {
    fn add(&mut self, record: &'b AccessRecord) {
        let key = (
            int(record.at / DAY_MS),
            record.consumer_org.as_ref().map_or("", |o| o.as_str()),
            record.owner_org.as_ref().map_or("", |o| o.as_str()),
            record.item.as_ref().map_or("", |i| i.as_str()),
            record.refusal.is_some(),
        );
        *self.0.entry(key).or_default() += 1;
    }

    /// Adds the counts to `access_days`, inside the caller's transaction.
    pub(crate) fn write(self, conn: &Connection) -> rusqlite::Result<()> {
        let mut upsert = conn.prepare_cached(
            "INSERT INTO access_days (day, consumer_org, owner_org, item, refused, n)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT DO UPDATE SET n = n + excluded.n",
        )?;
        for ((day, consumer, owner, item, refused), n) in self.0 {
            upsert.execute(params![day, consumer, owner, item, refused, n])?;
        }
        Ok(())
    }
}
