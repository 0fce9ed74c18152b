//! Access requests and the permissions granted for them.

use super::{Queries, blob, channel, cursor, filter::Filter, label, limits, page, record};
use crate::{error::QueryError, sql::int};
use dirchain_schema::records::{
    Page, PermissionQuery, PermissionStatus, PermissionView, RequestQuery, RequestView,
};
use dirchain_types::{
    ids::Digest,
    records::{Permission, Request, RequestStatus},
};
use rusqlite::OptionalExtension;

impl Queries {
    /// Permissions, most recently granted first; `status` is judged at
    /// `now_ms`. See [PermissionQuery].
    pub fn permissions(
        &self,
        q: &PermissionQuery,
        now_ms: u64,
    ) -> Result<Page<PermissionView>, QueryError> {
        let (limit, rows) = limits(q.limit);
        let mut f = Filter::default();
        if let Some(c) = &q.cursor {
            let (at, id) = cursor::parse_time_id(cursor::PERMISSIONS, c)?;
            f.before("granted_at", "id", at, id);
        }
        f.eq_opt("consumer_org", &q.consumer);
        f.eq_opt("owner_org", &q.owner);
        f.eq_opt("item", &q.item);
        f.eq_opt("channel", &q.channel);
        // The rule of `Permission::is_live`.
        match q.status {
            None => {}
            Some(PermissionStatus::Revoked) => f.and("revoked = 1"),
            Some(PermissionStatus::Live) => {
                let now = f.bind(int(now_ms));
                f.and(format!("revoked = 0 AND expires_at > {now}"));
            }
            Some(PermissionStatus::Expired) => {
                let now = f.bind(int(now_ms));
                f.and(format!("revoked = 0 AND expires_at <= {now}"));
            }
        }
        let sql = format!(
            "SELECT channel, granted_at, id, record FROM permissions{}
             ORDER BY granted_at DESC, id DESC LIMIT {rows}",
            f.sql()
        );
        self.read(|conn, height| {
            let mut stmt = conn.prepare_cached(&sql)?;
            let mut result = stmt.query(f.params())?;
            let mut found = Vec::new();
            while let Some(row) = result.next()? {
                let ch = channel(row.get(0)?)?;
                let key: (i64, Vec<u8>) = (row.get(1)?, row.get(2)?);
                let p: Permission = record(blob(row, 3)?)?;
                found.push((PermissionView::from_record(&ch, &p, now_ms), key));
            }
            Ok(page(found, limit, height, |(at, id)| {
                cursor::time_id(cursor::PERMISSIONS, *at, id)
            }))
        })
    }

    /// A permission by id, its status judged at `now_ms`.
    pub fn permission(
        &self,
        id: &Digest,
        now_ms: u64,
    ) -> Result<Option<PermissionView>, QueryError> {
        self.read(|conn, _| {
            let found: Option<(String, Vec<u8>)> = conn
                .prepare_cached("SELECT channel, record FROM permissions WHERE id = ?1")?
                .query_row([id.as_ref()], |row| Ok((row.get(0)?, row.get(1)?)))
                .optional()?;
            found
                .map(|(ch, bytes)| {
                    let p: Permission = record(&bytes)?;
                    Ok(PermissionView::from_record(&channel(ch)?, &p, now_ms))
                })
                .transpose()
        })
    }

    /// Requests, most recent first. See [RequestQuery].
    pub fn requests(&self, q: &RequestQuery) -> Result<Page<RequestView>, QueryError> {
        let (limit, rows) = limits(q.limit);
        let mut f = Filter::default();
        if let Some(c) = &q.cursor {
            let (at, id) = cursor::parse_time_id(cursor::REQUESTS, c)?;
            f.before("requested_at", "id", at, id);
        }
        f.eq_opt("consumer_org", &q.consumer);
        f.eq_opt("owner_org", &q.owner);
        f.eq_opt("item", &q.item);
        f.eq_opt("channel", &q.channel);
        if let Some(status) = &q.status {
            let status = label("status", status, RequestStatus::ALL, RequestStatus::label)?;
            f.eq("status", status.to_string());
        }
        let sql = format!(
            "SELECT channel, requested_at, id, record FROM requests{}
             ORDER BY requested_at DESC, id DESC LIMIT {rows}",
            f.sql()
        );
        self.read(|conn, height| {
            let mut stmt = conn.prepare_cached(&sql)?;
            let mut result = stmt.query(f.params())?;
            let mut found = Vec::new();
            while let Some(row) = result.next()? {
                let ch = channel(row.get(0)?)?;
                let key: (i64, Vec<u8>) = (row.get(1)?, row.get(2)?);
                let r: Request = record(blob(row, 3)?)?;
                found.push((RequestView::from_record(&ch, &r), key));
            }
            Ok(page(found, limit, height, |(at, id)| {
                cursor::time_id(cursor::REQUESTS, *at, id)
            }))
        })
    }

    pub fn request(&self, id: &Digest) -> Result<Option<RequestView>, QueryError> {
        self.read(|conn, _| {
            let found: Option<(String, Vec<u8>)> = conn
                .prepare_cached("SELECT channel, record FROM requests WHERE id = ?1")?
                .query_row([id.as_ref()], |row| Ok((row.get(0)?, row.get(1)?)))
                .optional()?;
            found
                .map(|(ch, bytes)| Ok(RequestView::from_record(&channel(ch)?, &record(&bytes)?)))
                .transpose()
        })
    }
}
