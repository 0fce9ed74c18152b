//! Digests and keys as they appear in URLs and JSON: lowercase hex on the way
//! out (their `Display`), any-case hex on the way in.

use crate::error::ApiError;
use commonware_codec::FixedSize;
use dirchain_types::ids::Digest;

/// Hex characters in an encoded digest.
const DIGEST_HEX_LEN: usize = 2 * Digest::SIZE;

/// Parses a digest given by a client (a transaction hash, a root).
pub fn parse_digest(text: &str) -> Result<Digest, ApiError> {
    let bytes = (text.len() == DIGEST_HEX_LEN)
        .then(|| decode(text))
        .flatten()
        .ok_or_else(|| {
            ApiError::bad_hash(format!(
                "{text:?} is not a hash: expected {DIGEST_HEX_LEN} hex characters"
            ))
        })?;
    let array = bytes.try_into().expect("length checked above");
    Ok(Digest(array))
}

/// Decodes hex, refusing the `0x` prefix and whitespace that
/// `commonware_formatting::from_hex` would forgive: a client that sends them
/// has another bug we should show, not hide.
pub fn decode(text: &str) -> Option<Vec<u8>> {
    if !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    commonware_formatting::from_hex(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_parse_in_either_case_and_round_trip() {
        let digest = dirchain_types::ids::sha256(&[b"x"]);
        let lower = digest.to_string();
        assert_eq!(lower.len(), DIGEST_HEX_LEN);
        assert_eq!(parse_digest(&lower).unwrap(), digest);
        assert_eq!(parse_digest(&lower.to_uppercase()).unwrap(), digest);
    }

    #[test]
    fn malformed_digests_are_refused() {
        let good = dirchain_types::ids::sha256(&[b"x"]).to_string();
        for bad in [
            String::new(),
            good[..62].to_string(),
            format!("{good}00"),
            format!("0x{}", &good[2..]),
            format!("{}zz", &good[..62]),
            format!(" {}", &good[1..]),
        ] {
            let error = parse_digest(&bad).unwrap_err();
            assert_eq!(error.code(), "bad_hash", "{bad:?}");
        }
    }

    #[test]
    fn decode_refuses_what_from_hex_forgives() {
        assert_eq!(decode("00ff"), Some(vec![0, 255]));
        assert_eq!(decode(""), Some(vec![]));
        for bad in ["0x00", "00 ff", "0", "0g"] {
            assert_eq!(decode(bad), None, "{bad:?}");
        }
    }
}
