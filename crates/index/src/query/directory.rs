//! Organisations, their members and duties, and the catalog.

use super::{
    MAX_EMBEDDED, Queries, blob, channel, cursor, filter::Filter, fts, label, limits, page, record,
};
use crate::error::QueryError;
use dirchain_schema::records::{
    CatalogQuery, ConsortiumView, DutyView, ItemDetail, ItemVersionView, ItemView, MemberView,
    OrgDetail, OrgView, Page, PageQuery,
};
use dirchain_types::{
    domain::ShareClass,
    records::{Consortium, Duty, Item, ItemVersion, Member, Org},
};
use rusqlite::{Connection, OptionalExtension, params};

impl Queries {
    /// The consortium: validators, threshold, parameters (none before
    /// genesis is indexed).
    pub fn consortium(&self) -> Result<Option<ConsortiumView>, QueryError> {
        self.read(|conn, _| {
            let bytes: Option<Vec<u8>> = conn
                .prepare_cached("SELECT record FROM consortium WHERE id = 1")?
                .query_row([], |row| row.get(0))
                .optional()?;
            bytes
                .map(|b| Ok(ConsortiumView::from_record(&record::<Consortium>(&b)?)))
                .transpose()
        })
    }

    /// Organisations by id.
    pub fn orgs(&self, q: &PageQuery) -> Result<Page<OrgView>, QueryError> {
        let (limit, rows) = limits(q.limit);
        let after = match &q.cursor {
            Some(c) => cursor::parse_text(cursor::ORGS, c)?,
            None => String::new(),
        };
        self.read(|conn, height| {
            let mut stmt = conn
                .prepare_cached("SELECT id, record FROM orgs WHERE id > ?1 ORDER BY id LIMIT ?2")?;
            let mut found = Vec::new();
            let mut cursor_rows = stmt.query(params![after, rows])?;
            while let Some(row) = cursor_rows.next()? {
                let id: String = row.get(0)?;
                let org: Org = record(blob(row, 1)?)?;
                found.push((OrgView::from_record(&org), id));
            }
            Ok(page(found, limit, height, |id| {
                cursor::text(cursor::ORGS, id)
            }))
        })
    }

    /// An organisation with its member keys (oldest enrolment first) and
    /// its duties, at most [MAX_EMBEDDED] of each.
    pub fn org(&self, id: &str) -> Result<Option<OrgDetail>, QueryError> {
        self.read(|conn, _| {
            let bytes: Option<Vec<u8>> = conn
                .prepare_cached("SELECT record FROM orgs WHERE id = ?1")?
                .query_row([id], |row| row.get(0))
                .optional()?;
            let Some(bytes) = bytes else {
                return Ok(None);
            };
            let org = OrgView::from_record(&record::<Org>(&bytes)?);
            let members = blobs(
                conn,
                "SELECT record FROM members WHERE org = ?1 ORDER BY enrolled_at, key LIMIT ?2",
                params![id, MAX_EMBEDDED],
            )?
            .iter()
            .map(|b| Ok(MemberView::from_record(&record::<Member>(b)?)))
            .collect::<Result<_, QueryError>>()?;
            let mut duties = Vec::new();
            let mut stmt = conn.prepare_cached(
                "SELECT channel, record FROM duties WHERE org = ?1 ORDER BY channel, id LIMIT ?2",
            )?;
            let mut rows = stmt.query(params![id, MAX_EMBEDDED])?;
            while let Some(row) = rows.next()? {
                let ch = channel(row.get(0)?)?;
                let duty: Duty = record(blob(row, 1)?)?;
                duties.push(DutyView::from_record(&ch, &duty));
            }
            Ok(Some(OrgDetail {
                org,
                members,
                duties,
            }))
        })
    }

    /// Catalog search, in first-publication order. See [CatalogQuery].
    pub fn catalog(&self, q: &CatalogQuery) -> Result<Page<ItemView>, QueryError> {
        let (limit, rows) = limits(q.limit);
        let after = match &q.cursor {
            Some(c) => cursor::parse_seq(cursor::CATALOG, c)?,
            None => 0,
        };
        let mut f = Filter::default();
        let (from, seq) = match q.q.as_deref().and_then(fts::match_expression) {
            Some(expression) => {
                let p = f.bind(expression);
                f.and(format!("items_fts MATCH {p}"));
                (
                    "items_fts JOIN items ON items.seq = items_fts.rowid",
                    "items_fts.rowid",
                )
            }
            None => ("items", "items.seq"),
        };
        let p = f.bind(after);
        f.and(format!("{seq} > {p}"));
        f.eq_opt("items.org", &q.org);
        if let Some(class) = &q.share_class {
            let class = label("share_class", class, ShareClass::ALL, ShareClass::label)?;
            f.eq("items.share_class", class.to_string());
        }
        if let Some(duty) = &q.duty {
            let p = f.bind(duty.clone());
            f.and(format!(
                "items.seq IN (SELECT item FROM item_duties WHERE duty = {p})"
            ));
        }
        f.eq_opt("items.channel", &q.channel);
        if !q.include_retired.unwrap_or(false) {
            f.and("items.retired = 0");
        }
        let sql = format!(
            "SELECT items.seq, items.channel, items.record FROM {from}{} ORDER BY {seq} LIMIT {rows}",
            f.sql()
        );
        self.read(|conn, height| {
            let mut stmt = conn.prepare_cached(&sql)?;
            let mut result = stmt.query(f.params())?;
            let mut found = Vec::new();
            while let Some(row) = result.next()? {
                let seq: i64 = row.get(0)?;
                let ch = channel(row.get(1)?)?;
                let item: Item = record(blob(row, 2)?)?;
                found.push((ItemView::from_record(&ch, &item), seq));
            }
            Ok(page(found, limit, height, |seq| {
                cursor::seq(cursor::CATALOG, *seq)
            }))
        })
    }

    /// A catalog item with its versions, oldest first (the latest
    /// [MAX_EMBEDDED]).
    pub fn item(&self, channel_id: &str, id: &str) -> Result<Option<ItemDetail>, QueryError> {
        self.read(|conn, _| {
            let bytes: Option<Vec<u8>> = conn
                .prepare_cached("SELECT record FROM items WHERE channel = ?1 AND id = ?2")?
                .query_row([channel_id, id], |row| row.get(0))
                .optional()?;
            let Some(bytes) = bytes else {
                return Ok(None);
            };
            let ch = channel(channel_id.to_string())?;
            let item = ItemView::from_record(&ch, &record::<Item>(&bytes)?);
            let mut versions = blobs(
                conn,
                "SELECT record FROM item_versions WHERE channel = ?1 AND id = ?2
                 ORDER BY version DESC LIMIT ?3",
                params![channel_id, id, MAX_EMBEDDED],
            )?
            .iter()
            .map(|b| Ok(ItemVersionView::from_record(&record::<ItemVersion>(b)?)))
            .collect::<Result<Vec<_>, QueryError>>()?;
            versions.reverse();
            Ok(Some(ItemDetail { item, versions }))
        })
    }
}

/// The first column of every row, as bytes.
pub(super) fn blobs(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<Vec<u8>>, QueryError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(params, |row| row.get::<_, Vec<u8>>(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}
