//! Lowercase hex, as every digest and key appears in the API, and strict
//! parsing of hex given by clients (no prefix, no whitespace, even length).

use dirchain_types::ids::Digest;

pub(crate) fn encode(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0xf)] as char);
    }
    out
}

pub(crate) fn decode(text: &str) -> Option<Vec<u8>> {
    let text = text.as_bytes();
    if !text.len().is_multiple_of(2) {
        return None;
    }
    text.chunks(2)
        .map(|pair| Some(nibble(pair[0])? << 4 | nibble(pair[1])?))
        .collect()
}

fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

pub(crate) fn digest(text: &str) -> Option<Digest> {
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
        for bad in ["", "0", "0x00", "zz", " 00", &"ab".repeat(31)] {
            assert!(digest(bad).is_none(), "{bad:?}");
        }
        assert_eq!(decode(""), Some(vec![]));
        assert_eq!(decode("00ff"), Some(vec![0, 255]));
    }
}
