//! Notarized digests, assets, governance proposals and transactions.

use super::{
    MAX_EMBEDDED, Queries, blob, cursor, directory::blobs, filter::Filter, label, limits, page,
    record,
};
use crate::{
    changes::position,
    error::QueryError,
    sql::{int, key64, uint},
};
use dirchain_schema::hex;
use dirchain_schema::records::{
    AssetDetail, AssetEventView, AssetView, NotaryView, Page, ProposalQuery, ProposalView,
    TxOutcome, TxQuery, TxView,
};
use dirchain_types::{
    ids::{ChannelId, Digest},
    records::{Asset, AssetEvent, NotaryRecord, Proposal, ProposalStatus},
    tx::TxKind,
};
use rusqlite::{OptionalExtension, params};

impl Queries {
    pub fn notary(&self, channel: &str, digest: &Digest) -> Result<Option<NotaryView>, QueryError> {
        self.read(|conn, _| {
            let bytes: Option<Vec<u8>> = conn
                .prepare_cached("SELECT record FROM notary WHERE channel = ?1 AND digest = ?2")?
                .query_row(params![channel, digest.as_ref()], |row| row.get(0))
                .optional()?;
            bytes
                .map(|b| {
                    let n: NotaryRecord = record(&b)?;
                    Ok(NotaryView::from_record(
                        &super::channel(channel.into())?,
                        &n,
                    ))
                })
                .transpose()
        })
    }

    /// An asset with its history, oldest first (the latest [MAX_EMBEDDED]).
    pub fn asset(&self, channel: &str, id: &str) -> Result<Option<AssetDetail>, QueryError> {
        self.read(|conn, _| {
            let bytes: Option<Vec<u8>> = conn
                .prepare_cached("SELECT record FROM assets WHERE channel = ?1 AND id = ?2")?
                .query_row([channel, id], |row| row.get(0))
                .optional()?;
            let Some(bytes) = bytes else {
                return Ok(None);
            };
            let ch: ChannelId = super::channel(channel.into())?;
            let asset: Asset = record(&bytes)?;
            let mut events = Vec::new();
            let mut stmt = conn.prepare_cached(
                "SELECT seq, record FROM asset_events WHERE channel = ?1 AND asset = ?2
                 ORDER BY seq DESC LIMIT ?3",
            )?;
            let mut rows = stmt.query(params![channel, id, MAX_EMBEDDED])?;
            while let Some(row) = rows.next()? {
                let seq: u32 = row.get(0)?;
                let event: AssetEvent = record(blob(row, 1)?)?;
                events.push(AssetEventView::from_record(seq, &event));
            }
            events.reverse();
            Ok(Some(AssetDetail {
                asset: AssetView::from_record(&ch, &asset),
                events,
            }))
        })
    }

    /// Governance proposals, newest first. See [ProposalQuery].
    pub fn proposals(&self, q: &ProposalQuery) -> Result<Page<ProposalView>, QueryError> {
        let (limit, rows) = limits(q.limit);
        let mut f = Filter::default();
        if let Some(c) = &q.cursor {
            let (at, id) = cursor::parse_time_id(cursor::PROPOSALS, c)?;
            f.before("created_at", "id", at, id);
        }
        if let Some(status) = &q.status {
            let status = label("status", status, ProposalStatus::ALL, ProposalStatus::label)?;
            f.eq("status", status.to_string());
        }
        let sql = format!(
            "SELECT created_at, id, record FROM proposals{}
             ORDER BY created_at DESC, id DESC LIMIT {rows}",
            f.sql()
        );
        self.read(|conn, height| {
            let mut stmt = conn.prepare_cached(&sql)?;
            let mut result = stmt.query(f.params())?;
            let mut found = Vec::new();
            while let Some(row) = result.next()? {
                let key: (i64, Vec<u8>) = (row.get(0)?, row.get(1)?);
                let p: Proposal = record(blob(row, 2)?)?;
                found.push((ProposalView::from_record(&p), key));
            }
            Ok(page(found, limit, height, |(at, id)| {
                cursor::time_id(cursor::PROPOSALS, *at, id)
            }))
        })
    }

    pub fn proposal(&self, id: &Digest) -> Result<Option<ProposalView>, QueryError> {
        self.read(|conn, _| {
            blobs(
                conn,
                "SELECT record FROM proposals WHERE id = ?1",
                [id.as_ref()],
            )?
            .first()
            .map(|b| Ok(ProposalView::from_record(&record(b)?)))
            .transpose()
        })
    }

    /// A finalized transaction by hash.
    pub fn tx(&self, hash: &Digest) -> Result<Option<TxView>, QueryError> {
        self.read(|conn, _| {
            let sql = format!("{TX_VIEW} WHERE t.hash_key = ?1 AND t.hash = ?2");
            conn.prepare_cached(&sql)?
                .query_row(params![key64(hash), hash.as_ref()], |row| {
                    tx_view(row).map(|(tx, _)| tx)
                })
                .optional()
                .map_err(QueryError::from)
        })
    }

    /// Finalized transactions, newest first (chain order). See [TxQuery].
    pub fn txs(&self, q: &TxQuery) -> Result<Page<TxView>, QueryError> {
        let (limit, rows) = limits(q.limit);
        let mut f = Filter::default();
        if let Some(c) = &q.cursor {
            let p = f.bind(cursor::parse_seq(cursor::TXS, c)?);
            f.and(format!("t.seq < {p}"));
        }
        if let Some(height) = q.height {
            let (first, next) = (
                f.bind(int(position(height, 0))),
                f.bind(int(position(height + 1, 0))),
            );
            f.and(format!("t.seq >= {first} AND t.seq < {next}"));
        }
        if let Some(kind) = &q.kind {
            let kind = label("kind", kind, TxKind::ALL, TxKind::label)?;
            f.eq("t.kind", kind.to_string());
        }
        let sql = format!("{TX_VIEW}{} ORDER BY t.seq DESC LIMIT {rows}", f.sql());
        self.read(|conn, height| {
            let found = conn
                .prepare_cached(&sql)?
                .query_map(f.params(), tx_view)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(page(found, limit, height, |seq| {
                cursor::seq(cursor::TXS, *seq)
            }))
        })
    }
}

/// The columns [tx_view] reads, with the signer's organisation.
const TX_VIEW: &str =
    "SELECT t.hash, t.height, t.idx, t.at, t.kind, t.signer, t.channel, t.refusal, m.org, t.seq
     FROM txs t LEFT JOIN members m ON m.key = t.signer";

fn tx_view(row: &rusqlite::Row<'_>) -> rusqlite::Result<(TxView, i64)> {
    let refusal: Option<String> = row.get(7)?;
    let view = TxView {
        hash: hex::encode(&row.get::<_, Vec<u8>>(0)?),
        height: uint(row.get(1)?),
        index: row.get(2)?,
        at: uint(row.get(3)?),
        kind: row.get(4)?,
        signer: hex::encode(&row.get::<_, Vec<u8>>(5)?),
        channel: row.get(6)?,
        outcome: match refusal {
            Some(_) => TxOutcome::AccessRefused,
            None => TxOutcome::Applied,
        },
        refusal,
        signer_org: row.get(8)?,
    };
    Ok((view, row.get(9)?))
}
