//! The exchange audit: access records, and every access to one person's data.

use super::{Queries, blob, channel, cursor, filter::Filter, limits, page, record};
use crate::{
    changes::position,
    error::QueryError,
    sql::{DAY_MS, int, key64, uint},
};
use dirchain_schema::{
    hex,
    records::{
        AccessDaily, AccessDay, AccessFilter, AccessQuery, AccessView, MAX_DAILY_DAYS, Page,
        PageQuery,
    },
};
use dirchain_types::{
    ids::{Digest, SubjectRef},
    records::AccessRecord,
};
use rusqlite::{Connection, OptionalExtension, params};

impl Queries {
    /// Access records, newest first (chain order). See [AccessQuery].
    pub fn accesses(&self, q: &AccessQuery) -> Result<Page<AccessView>, QueryError> {
        let (limit, rows) = limits(q.limit);
        let filter = q.filter();
        let before = match &q.cursor {
            Some(c) => Some(cursor::parse_seq(cursor::ACCESS, c)?),
            None => None,
        };
        let permission = permission_filter(&q.permission)?;
        self.read(|conn, height| {
            let mut f = Filter::default();
            if let Some(seq) = before {
                let p = f.bind(seq);
                f.and(format!("seq < {p}"));
            }
            narrow(conn, &mut f, &filter, permission.as_ref())?;
            let sql = format!(
                "SELECT seq, channel, record, location FROM access{} ORDER BY seq DESC LIMIT {rows}",
                f.sql()
            );
            let mut stmt = conn.prepare_cached(&sql)?;
            let mut result = stmt.query(f.params())?;
            let mut found = Vec::new();
            while let Some(row) = result.next()? {
                let seq: i64 = row.get(0)?;
                let ch = channel(row.get(1)?)?;
                let a: AccessRecord = record(blob(row, 2)?)?;
                let location = uint(row.get(3)?);
                found.push((AccessView::from_record(&ch, &a, location), seq));
            }
            Ok(page(found, limit, height, |seq| {
                cursor::seq(cursor::ACCESS, *seq)
            }))
        })
    }

    /// Access records counted per day (UTC) and consuming organisation over
    /// the whole days that cover `from_ms..to_ms`. See [AccessFilter];
    /// `now_ms` ends the range when the query does not.
    ///
    /// Counts come from `access_days`, kept as records are indexed, so a
    /// month costs the same whatever the number of records; only a filter
    /// by permission (a short list by its own index) counts records.
    pub fn access_daily(&self, q: &AccessFilter, now_ms: u64) -> Result<AccessDaily, QueryError> {
        let to_ms = q.to_ms.unwrap_or(now_ms);
        let from_ms = q
            .from_ms
            .unwrap_or_else(|| to_ms.saturating_sub(DEFAULT_DAILY_DAYS * DAY_MS));
        if from_ms >= to_ms {
            return Err(QueryError::BadFilter {
                field: "from_ms",
                reason: format!("{from_ms} is not before to_ms ({to_ms})"),
            });
        }
        let (first_day, end_day) = (from_ms / DAY_MS, to_ms.div_ceil(DAY_MS));
        if end_day - first_day > MAX_DAILY_DAYS {
            return Err(QueryError::BadFilter {
                field: "to_ms",
                reason: format!("the range may span at most {MAX_DAILY_DAYS} days"),
            });
        }
        let (from_ms, to_ms) = (first_day * DAY_MS, end_day.saturating_mul(DAY_MS));
        let permission = permission_filter(&q.permission)?;
        self.read(|conn, height| {
            let days = match &permission {
                None => daily_counts(conn, q, first_day, end_day)?,
                Some(id) => {
                    let range = AccessFilter {
                        from_ms: Some(from_ms),
                        to_ms: Some(to_ms),
                        ..q.clone()
                    };
                    daily_records(conn, &range, id)?
                }
            };
            Ok(AccessDaily {
                from_ms,
                to_ms,
                days,
                indexed_height: height,
            })
        })
    }

    /// How many access records match `q` (over all time when it names no range).
    pub fn access_count(&self, filter: &AccessFilter) -> Result<u64, QueryError> {
        let permission = permission_filter(&filter.permission)?;
        self.read(|conn, _| {
            let mut f = Filter::default();
            narrow(conn, &mut f, filter, permission.as_ref())?;
            let sql = format!("SELECT count(*) FROM access{}", f.sql());
            let count: i64 = conn
                .prepare_cached(&sql)?
                .query_row(f.params(), |row| row.get(0))?;
            Ok(uint(count))
        })
    }

    /// An access record by id (the hash of its transaction).
    pub fn access(&self, id: &Digest) -> Result<Option<AccessView>, QueryError> {
        self.read(|conn, _| {
            let found: Option<(String, Vec<u8>, i64)> = conn
                .prepare_cached(
                    "SELECT a.channel, a.record, a.location FROM txs t JOIN access a ON a.seq = t.seq
                     WHERE t.hash_key = ?1 AND t.hash = ?2",
                )?
                .query_row(params![key64(id), id.as_ref()], |row| {
                    Ok((row.get(0)?, row.get(1)?, row.get(2)?))
                })
                .optional()?;
            found
                .map(|(ch, bytes, location)| {
                    Ok(AccessView::from_record(
                        &channel(ch)?,
                        &record(&bytes)?,
                        uint(location),
                    ))
                })
                .transpose()
        })
    }

    /// Every access whose subjects include `subject` (a pseudonym the node
    /// computed from the raw identifier), newest first.
    pub fn subject_accesses(
        &self,
        subject: &SubjectRef,
        q: &PageQuery,
    ) -> Result<Page<AccessView>, QueryError> {
        let (limit, rows) = limits(q.limit);
        let mut f = Filter::default();
        f.eq("s.subject_key", key64(subject));
        if let Some(c) = &q.cursor {
            let p = f.bind(cursor::parse_seq(cursor::SUBJECT, c)?);
            f.and(format!("s.access < {p}"));
        }
        let sql = format!(
            "SELECT s.access, a.channel, a.record, a.location
             FROM access_subjects s JOIN access a ON a.seq = s.access{}
             ORDER BY s.access DESC LIMIT {rows}",
            f.sql()
        );
        self.read(|conn, height| {
            let mut stmt = conn.prepare_cached(&sql)?;
            let mut result = stmt.query(f.params())?;
            let mut found = Vec::new();
            while let Some(row) = result.next()? {
                let seq: i64 = row.get(0)?;
                let ch = channel(row.get(1)?)?;
                let a: AccessRecord = record(blob(row, 2)?)?;
                let location = uint(row.get(3)?);
                // Another pseudonym with the same first 8 bytes is no match;
                // its row still moves the cursor on.
                let view = a
                    .subject_refs
                    .contains(subject)
                    .then(|| AccessView::from_record(&ch, &a, location));
                found.push((view, seq));
            }
            let page = page(found, limit, height, |seq| {
                cursor::seq(cursor::SUBJECT, *seq)
            });
            Ok(Page {
                items: page.items.into_iter().flatten().collect(),
                next_cursor: page.next_cursor,
                indexed_height: page.indexed_height,
            })
        })
    }
}

/// Days of `GET /v1/access/daily` when the query gives no start.
const DEFAULT_DAILY_DAYS: u64 = 30;

/// The rows of `sql` under `f`, each `day, consumer_org, accepted, refused`.
fn days(conn: &Connection, sql: &str, f: &Filter) -> Result<Vec<AccessDay>, QueryError> {
    let rows = conn
        .prepare_cached(sql)?
        .query_map(f.params(), |row| {
            let consumer: Option<String> = row.get(1)?;
            Ok(AccessDay {
                day: row.get(0)?,
                // `access_days` holds '' for an attempt under no permission.
                consumer_org: consumer.filter(|c| !c.is_empty()),
                accepted: uint(row.get(2)?),
                refused: uint(row.get(3)?),
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// [Queries::access_daily] from the counts: days `first_day..end_day`.
fn daily_counts(
    conn: &Connection,
    q: &AccessFilter,
    first_day: u64,
    end_day: u64,
) -> Result<Vec<AccessDay>, QueryError> {
    let mut f = Filter::default();
    let (first, end) = (f.bind(int(first_day)), f.bind(int(end_day)));
    f.and(format!("day >= {first} AND day < {end}"));
    f.eq_opt("consumer_org", &q.consumer);
    f.eq_opt("owner_org", &q.provider);
    f.eq_opt("item", &q.item);
    if let Some(refused) = q.refused {
        f.eq("refused", refused);
    }
    let sql = format!(
        "SELECT strftime('%Y-%m-%d', day * 86400, 'unixepoch'), consumer_org,
                sum(CASE refused WHEN 0 THEN n ELSE 0 END), sum(CASE refused WHEN 1 THEN n ELSE 0 END)
         FROM access_days{}
         GROUP BY day, consumer_org ORDER BY day, consumer_org",
        f.sql()
    );
    days(conn, &sql, &f)
}

/// [Queries::access_daily] from the records under one permission.
fn daily_records(
    conn: &Connection,
    range: &AccessFilter,
    permission: &Digest,
) -> Result<Vec<AccessDay>, QueryError> {
    let mut f = Filter::default();
    narrow(conn, &mut f, range, Some(permission))?;
    // An access's time is its block's, held by its transaction (same `seq`).
    let sql = format!(
        "SELECT strftime('%Y-%m-%d', t.at / 1000, 'unixepoch') AS day, a.consumer_org,
                sum(a.refused = 0), sum(a.refused = 1)
         FROM (SELECT seq, consumer_org, refused FROM access{}) a
         JOIN txs t ON t.seq = a.seq
         GROUP BY day, a.consumer_org ORDER BY day, a.consumer_org",
        f.sql()
    );
    days(conn, &sql, &f)
}

fn permission_filter(permission: &Option<String>) -> Result<Option<Digest>, QueryError> {
    permission
        .as_ref()
        .map(|p| {
            hex::digest(p).ok_or_else(|| QueryError::BadFilter {
                field: "permission",
                reason: format!("{p:?} is not a permission id (64 hex characters)"),
            })
        })
        .transpose()
}

/// Adds the conditions of `n` (its permission parsed) on the `access` table
/// to `f`.
fn narrow(
    conn: &Connection,
    f: &mut Filter,
    n: &AccessFilter,
    permission: Option<&Digest>,
) -> Result<(), QueryError> {
    if let Some(from) = n.from_ms {
        let p = f.bind(first_position_at(conn, from)?);
        f.and(format!("seq >= {p}"));
    }
    if let Some(to) = n.to_ms {
        let p = f.bind(first_position_at(conn, to)?);
        f.and(format!("seq < {p}"));
    }
    f.eq_opt("consumer_org", &n.consumer);
    f.eq_opt("owner_org", &n.provider);
    f.eq_opt("item", &n.item);
    if let Some(id) = permission {
        f.eq("permission_key", key64(id));
        f.eq("permission", id.as_ref().to_vec());
    }
    // Literals, so the planner can use the partial index of refusals.
    match n.refused {
        Some(true) => f.and("refused = 1"),
        Some(false) => f.and("refused = 0"),
        None => {}
    }
    Ok(())
}

/// The chain position of the first transaction of the first block at or
/// after `ms`; beyond the last block, a position no transaction reaches.
/// Chain order is time order, so a time range is a range of positions.
fn first_position_at(conn: &Connection, ms: u64) -> Result<i64, QueryError> {
    let height: Option<i64> = conn
        .prepare_cached("SELECT min(height) FROM blocks WHERE timestamp_ms >= ?1")?
        .query_row([int(ms)], |row| row.get(0))?;
    Ok(height.map_or(i64::MAX, |h| int(position(uint(h), 0))))
}
