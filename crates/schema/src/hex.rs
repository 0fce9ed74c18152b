//! Hex as the API writes and reads it: lowercase on the way out, digits of
//! either case on the way in, and nothing else — no `0x` prefix, no
//! whitespace, which `commonware_formatting::from_hex` would forgive: a
//! client that sends them has another bug to show, not hide. The node, its
//! index and the SDK all parse through here, so a value one accepts the
//! others accept.

use dirchain_types::ids::Digest;

/// Lowercase hex, as every binary value leaves the API.
pub fn encode(bytes: &[u8]) -> String {
    commonware_formatting::hex(bytes)
}

/// Strict hex of any length (even).
pub fn decode(text: &str) -> Option<Vec<u8>> {
    if !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    commonware_formatting::from_hex(text)
}

/// A 32-byte digest (hash, state key, record id) in strict hex.
pub fn digest(text: &str) -> Option<Digest> {
    Some(Digest(decode(text)?.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_what_is_not_hex() {
        let d = Digest([0xa5; 32]);
        assert_eq!(encode(d.as_ref()), d.to_string());
        assert_eq!(digest(&d.to_string()), Some(d));
        assert_eq!(digest(&d.to_string().to_uppercase()), Some(d));
        for bad in [
            "",
            "0",
            "0x00",
            "zz",
            " 00",
            "00 ",
            &"ab".repeat(31),
            &"ab".repeat(33),
        ] {
            assert!(digest(bad).is_none(), "{bad:?}");
        }
        assert_eq!(decode(""), Some(vec![]));
        assert_eq!(decode("00fF"), Some(vec![0, 255]));
        assert_eq!(decode("0"), None);
    }
}
