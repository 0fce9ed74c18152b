//! Digests and keys as they appear in URLs and JSON: lowercase hex on the way
//! out (their `Display`), any-case hex on the way in.

use crate::error::{ApiError, echo};
use commonware_codec::{DecodeExt, FixedSize};
use dirchain_types::{
    ids::{Digest, PublicKey},
    keys::StateKey,
};

/// Hex characters in an encoded digest (a hash, a state key).
const DIGEST_HEX_LEN: usize = 2 * Digest::SIZE;

/// Hex characters in an encoded public key.
const KEY_HEX_LEN: usize = 2 * PublicKey::SIZE;

/// Parses a digest given by a client (a transaction hash, a root).
pub fn parse_digest(text: &str) -> Result<Digest, ApiError> {
    digest(text).ok_or_else(|| {
        ApiError::bad_hash(format!(
            "{} is not a hash: expected {DIGEST_HEX_LEN} hex characters",
            echo(text)
        ))
    })
}

/// Parses the id of a record named by the hash of the transaction that made
/// it (a request, permission, access record or proposal).
pub fn parse_hash_id(text: &str) -> Result<Digest, ApiError> {
    digest(text).ok_or_else(|| {
        ApiError::bad_id(format!(
            "{} is not an id: expected the {DIGEST_HEX_LEN} hex characters of a transaction hash",
            echo(text)
        ))
    })
}

/// Parses a key of the authenticated state.
pub fn parse_state_key(text: &str) -> Result<StateKey, ApiError> {
    digest(text).ok_or_else(|| {
        ApiError::bad_key(format!(
            "{} is not a state key: expected {DIGEST_HEX_LEN} hex characters",
            echo(text)
        ))
    })
}

/// Parses an Ed25519 public key: the right length, and a point of the curve.
pub fn parse_public_key(text: &str) -> Result<PublicKey, ApiError> {
    (text.len() == KEY_HEX_LEN)
        .then(|| decode(text))
        .flatten()
        .and_then(|bytes| PublicKey::decode(commonware_codec::Copying(bytes.as_slice())).ok())
        .ok_or_else(|| {
            ApiError::bad_key(format!(
                "{} is not a public key: expected {KEY_HEX_LEN} hex characters encoding an Ed25519 key",
                echo(text)
            ))
        })
}

pub use dirchain_schema::hex::{decode, digest, encode};

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_cryptography::Signer;

    #[test]
    fn digests_parse_in_either_case_and_round_trip() {
        let digest = dirchain_types::ids::sha256(&[b"x"]);
        let lower = digest.to_string();
        assert_eq!(lower.len(), DIGEST_HEX_LEN);
        assert_eq!(parse_digest(&lower).unwrap(), digest);
        assert_eq!(parse_digest(&lower.to_uppercase()).unwrap(), digest);
        assert_eq!(parse_state_key(&lower).unwrap(), digest);
        assert_eq!(encode(&digest.0), lower);
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
            format!("{}é", &good[..62]),
        ] {
            assert_eq!(
                parse_digest(&bad).unwrap_err().code(),
                "bad_hash",
                "{bad:?}"
            );
            assert_eq!(
                parse_state_key(&bad).unwrap_err().code(),
                "bad_key",
                "{bad:?}"
            );
            assert_eq!(parse_hash_id(&bad).unwrap_err().code(), "bad_id", "{bad:?}");
        }
    }

    #[test]
    fn public_keys_parse_in_either_case() {
        let key = dirchain_state::testkit::key_for("someone").public_key();
        let lower = key.to_string();
        assert_eq!(parse_public_key(&lower).unwrap(), key);
        assert_eq!(parse_public_key(&lower.to_uppercase()).unwrap(), key);
    }

    #[test]
    fn malformed_public_keys_are_refused() {
        let good = dirchain_state::testkit::key_for("someone")
            .public_key()
            .to_string();
        for bad in [
            String::new(),
            good[..62].to_string(),
            format!("{good}00"),
            format!("0x{}", &good[2..]),
            "zz".repeat(32),
            // 32 bytes, but not a point of the curve.
            format!("02{}", "00".repeat(31)),
        ] {
            assert_eq!(
                parse_public_key(&bad).unwrap_err().code(),
                "bad_key",
                "{bad:?}"
            );
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
