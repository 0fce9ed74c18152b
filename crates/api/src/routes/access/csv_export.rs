//! The CSV body of `GET /v1/access/export`, streamed a page at a time so an
//! export of any allowed size holds one page in memory.

use crate::{node::NodeApi, query};
use axum::{
    body::Body,
    http::header,
    response::{IntoResponse, Response},
};
use dirchain_schema::records::{AccessFilter, AccessView, MAX_LIMIT};
use futures::stream;
use time::{OffsetDateTime, format_description::well_known::Rfc3339};

/// The columns, in order.
pub const COLUMNS: [&str; 17] = [
    "id",
    "time_utc",
    "time_ms",
    "height",
    "channel",
    "consumer_org",
    "provider_org",
    "item",
    "permission",
    "recorder_org",
    "requester",
    "fields",
    "record_count",
    "refusal",
    "subject_refs",
    "query_digest",
    "response_digest",
];

/// Where the stream is: the next page's cursor, or done.
enum Next {
    First,
    After(String),
    Done,
}

/// The export as a streamed CSV download. A failure after the first byte
/// cannot change the status any more: it ends the body early, which the
/// client sees as a broken download, never as a complete file.
pub fn respond<N: NodeApi>(node: N, filter: AccessFilter) -> Response {
    let pages = stream::unfold(
        (node, filter, Next::First),
        |(node, filter, next)| async move {
            let cursor = match next {
                Next::Done => return None,
                Next::First => None,
                Next::After(cursor) => Some(cursor),
            };
            let first = cursor.is_none();
            let q = filter.page(MAX_LIMIT, cursor);
            let page = match query::run(&node, move |queries| queries.accesses(&q)).await {
                Ok(page) => page,
                Err(error) => {
                    tracing::warn!(%error, "access export ended early");
                    let failed = Err(std::io::Error::other(error.to_string()));
                    return Some((failed, (node, filter, Next::Done)));
                }
            };
            let chunk = rows(first, &page.items);
            let next = page.next_cursor.map_or(Next::Done, Next::After);
            Some((Ok(chunk), (node, filter, next)))
        },
    );
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"dirchain-access.csv\"",
            ),
        ],
        Body::from_stream(pages),
    )
        .into_response()
}

/// One page as CSV text, after the header row on the first page.
fn rows(header: bool, accesses: &[AccessView]) -> Vec<u8> {
    let mut out = csv::Writer::from_writer(Vec::new());
    // Writing to memory cannot fail; a record is always complete.
    if header {
        out.write_record(COLUMNS).expect("in memory");
    }
    for a in accesses {
        out.write_record([
            a.id.as_str(),
            &utc(a.at),
            &a.at.to_string(),
            &a.height.to_string(),
            &a.channel,
            a.consumer_org.as_deref().unwrap_or(""),
            a.owner_org.as_deref().unwrap_or(""),
            a.item.as_deref().unwrap_or(""),
            &a.permission,
            &a.recorder_org,
            a.requester.as_deref().unwrap_or(""),
            &a.fields.join(" "),
            &a.record_count.to_string(),
            a.refusal.as_deref().unwrap_or(""),
            &a.subject_refs.join(" "),
            &a.query_digest,
            &a.response_digest,
        ])
        .expect("in memory");
    }
    out.into_inner().expect("in memory")
}

/// A time in ms since the Unix epoch as RFC 3339 UTC.
fn utc(ms: u64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::utc;

    #[test]
    fn times_are_rfc3339_utc() {
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc(1_764_115_200_123), "2025-11-26T00:00:00.123Z");
    }
}
