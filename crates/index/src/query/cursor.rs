//! Opaque page cursors: the key of the last entry of a page, tagged with
//! the list it belongs to, hex-encoded (safe in a URL as is). A cursor that
//! does not parse, or belongs to another list, is [QueryError::BadCursor].

use crate::error::QueryError;
use dirchain_schema::hex;

/// Longest cursor accepted, in characters: far above any this module makes.
const MAX_CURSOR_CHARS: usize = 512;
const SEPARATOR: char = '|';

/// The lists, each with its own cursor tag.
pub(crate) const ORGS: &str = "o";
pub(crate) const CATALOG: &str = "c";
pub(crate) const REQUESTS: &str = "r";
pub(crate) const PERMISSIONS: &str = "p";
pub(crate) const ACCESS: &str = "a";
pub(crate) const SUBJECT: &str = "s";
pub(crate) const PROPOSALS: &str = "g";
pub(crate) const TXS: &str = "t";

fn encode(list: &str, parts: &[String]) -> String {
    let mut text = list.to_string();
    for part in parts {
        text.push(SEPARATOR);
        text.push_str(part);
    }
    hex::encode(text.as_bytes())
}

fn decode<const N: usize>(list: &str, cursor: &str) -> Result<[String; N], QueryError> {
    if cursor.len() > MAX_CURSOR_CHARS {
        return Err(QueryError::BadCursor);
    }
    let bytes = hex::decode(cursor).ok_or(QueryError::BadCursor)?;
    let text = String::from_utf8(bytes).map_err(|_| QueryError::BadCursor)?;
    let mut parts = text.split(SEPARATOR);
    if parts.next() != Some(list) {
        return Err(QueryError::BadCursor);
    }
    let parts: Vec<String> = parts.map(str::to_string).collect();
    parts.try_into().map_err(|_| QueryError::BadCursor)
}

fn int(text: &str) -> Result<i64, QueryError> {
    text.parse().map_err(|_| QueryError::BadCursor)
}

/// A list ordered by an integer (ascending).
pub(crate) fn seq(list: &str, seq: i64) -> String {
    encode(list, &[seq.to_string()])
}

pub(crate) fn parse_seq(list: &str, cursor: &str) -> Result<i64, QueryError> {
    let [seq] = decode(list, cursor)?;
    int(&seq)
}

/// A list ordered by text (ascending).
pub(crate) fn text(list: &str, text: &str) -> String {
    encode(list, &[text.to_string()])
}

pub(crate) fn parse_text(list: &str, cursor: &str) -> Result<String, QueryError> {
    let [text] = decode(list, cursor)?;
    Ok(text)
}

/// A list ordered by time, ties broken by a record id.
pub(crate) fn time_id(list: &str, at: i64, id: &[u8]) -> String {
    encode(list, &[at.to_string(), hex::encode(id)])
}

pub(crate) fn parse_time_id(list: &str, cursor: &str) -> Result<(i64, Vec<u8>), QueryError> {
    let [at, id] = decode(list, cursor)?;
    Ok((int(&at)?, hex::decode(&id).ok_or(QueryError::BadCursor)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        assert_eq!(parse_seq(CATALOG, &seq(CATALOG, 42)).unwrap(), 42);
        assert_eq!(parse_seq(ACCESS, &seq(ACCESS, -3)).unwrap(), -3);
        assert_eq!(
            parse_time_id(PERMISSIONS, &time_id(PERMISSIONS, 5, &[1, 2])).unwrap(),
            (5, vec![1, 2])
        );
        assert_eq!(
            parse_text(ORGS, &text(ORGS, "city:health/x")).unwrap(),
            "city:health/x"
        );
    }

    #[test]
    fn foreign_and_malformed_cursors_are_refused() {
        let access = seq(ACCESS, 2);
        for bad in [
            String::new(),
            "zz".into(),
            "abc".into(),
            hex::encode(b"a"),
            hex::encode(b"a|1|2"),
            hex::encode(b"a|x"),
            hex::encode(&[0xff, 0xfe]),
            "0".repeat(MAX_CURSOR_CHARS + 2),
        ] {
            assert!(
                matches!(parse_seq(ACCESS, &bad), Err(QueryError::BadCursor)),
                "{bad:?}"
            );
        }
        // A cursor of one list is no cursor of another.
        assert!(matches!(
            parse_seq(SUBJECT, &access),
            Err(QueryError::BadCursor)
        ));
    }
}
