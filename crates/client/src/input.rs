//! User input to wire values: strings into the bounded types of the wire
//! format (`Ident`, `Text<MAX>`, `List<T, MAX>`), hex into digests and keys,
//! labels into enums. Every refusal is a [FieldError] naming the field and
//! the limit, never a panic.

use commonware_codec::{Copying, DecodeExt, FixedSize};
use dirchain_types::{
    bounded::{BoundError, Ident, List, Text},
    ids::{Digest, PublicKey},
};

/// Why a value given for a field was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    #[error("{field} is {len} bytes; at most {max}")]
    TooLong {
        field: String,
        len: usize,
        max: usize,
    },
    #[error("{field} has {len} entries; at most {max}")]
    TooMany {
        field: String,
        len: usize,
        max: usize,
    },
    #[error("{field} must not be empty")]
    Empty { field: String },
    #[error("{field} contains a control character")]
    ControlCharacter { field: String },
    #[error("{field} {value:?} may only contain letters, digits and . _ - : /")]
    BadIdentifier { field: String, value: String },
    #[error("{field} {value:?} is not hex")]
    NotHex { field: String, value: String },
    #[error("{field} is {len} bytes; {what} is {expected}")]
    WrongLength {
        field: String,
        what: &'static str,
        len: usize,
        expected: usize,
    },
    #[error("{field} {value:?} is not a decimal number up to {}", u64::MAX)]
    NotNumber { field: String, value: String },
    #[error("{field} is not a valid ed25519 public key")]
    BadPublicKey { field: String },
    #[error("{field} {value:?} is not one of: {expected}")]
    UnknownLabel {
        field: String,
        value: String,
        expected: String,
    },
}

impl FieldError {
    /// The field the value was given for.
    pub fn field(&self) -> &str {
        match self {
            FieldError::TooLong { field, .. }
            | FieldError::TooMany { field, .. }
            | FieldError::Empty { field }
            | FieldError::ControlCharacter { field }
            | FieldError::BadIdentifier { field, .. }
            | FieldError::NotHex { field, .. }
            | FieldError::NotNumber { field, .. }
            | FieldError::WrongLength { field, .. }
            | FieldError::BadPublicKey { field }
            | FieldError::UnknownLabel { field, .. } => field,
        }
    }

    fn from_bound(field: &str, error: BoundError) -> Self {
        let field = field.to_string();
        match error {
            BoundError::TooLong { len, max, .. } => FieldError::TooLong { field, len, max },
            BoundError::TooMany { len, max, .. } => FieldError::TooMany { field, len, max },
            BoundError::Empty { .. } => FieldError::Empty { field },
            BoundError::ControlCharacter { .. } => FieldError::ControlCharacter { field },
            BoundError::BadIdentifier(value) => FieldError::BadIdentifier { field, value },
        }
    }
}

/// An identifier: 1 to 64 bytes of letters, digits and `. _ - : /`.
pub fn ident(field: &str, value: &str) -> Result<Ident, FieldError> {
    Ident::new(value).map_err(|e| FieldError::from_bound(field, e))
}

/// Text of at most `MAX` bytes without control characters (newline and tab allowed).
pub fn text<const MAX: usize>(field: &str, value: &str) -> Result<Text<MAX>, FieldError> {
    Text::new(value).map_err(|e| FieldError::from_bound(field, e))
}

/// A list of at most `MAX` entries.
pub fn list<T, const MAX: usize>(field: &str, items: Vec<T>) -> Result<List<T, MAX>, FieldError> {
    List::new(items).map_err(|e| FieldError::from_bound(field, e))
}

/// A list of identifiers; an entry's error names it as `field[i]`.
pub fn idents<const MAX: usize>(
    field: &str,
    values: &[impl AsRef<str>],
) -> Result<List<Ident, MAX>, FieldError> {
    each(field, values, |name, v| ident(name, v.as_ref()))
}

/// A SHA-256 digest (a record id, a transaction hash, a document digest) from 64 hex digits.
pub fn digest(field: &str, value: &str) -> Result<Digest, FieldError> {
    let bytes = hex_bytes(field, value, "a SHA-256 digest", Digest::SIZE)?;
    let array: [u8; 32] = bytes
        .try_into()
        .map_err(|bytes: Vec<u8>| FieldError::WrongLength {
            field: field.to_string(),
            what: "a SHA-256 digest",
            len: bytes.len(),
            expected: Digest::SIZE,
        })?;
    Ok(Digest(array))
}

/// A list of digests; an entry's error names it as `field[i]`.
pub fn digests<const MAX: usize>(
    field: &str,
    values: &[impl AsRef<str>],
) -> Result<List<Digest, MAX>, FieldError> {
    each(field, values, |name, v| digest(name, v.as_ref()))
}

/// An ed25519 public key from 64 hex digits.
pub fn public_key(field: &str, value: &str) -> Result<PublicKey, FieldError> {
    let bytes = hex_bytes(field, value, "an ed25519 public key", PublicKey::SIZE)?;
    PublicKey::decode(Copying(bytes.as_slice())).map_err(|_| FieldError::BadPublicKey {
        field: field.to_string(),
    })
}

/// A decimal `u64` (a location of the access log): digits only, no sign or
/// spaces (the node is as strict).
pub fn number(field: &str, value: &str) -> Result<u64, FieldError> {
    value
        .bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| value.parse().ok())
        .flatten()
        .ok_or_else(|| FieldError::NotNumber {
            field: field.to_string(),
            value: value.to_string(),
        })
}

/// One of an enum's labels (`steward`, `conditional`, ...), e.g.
/// `label("role", "steward", Role::ALL, Role::label)`.
pub fn label<E: Copy>(
    field: &str,
    value: &str,
    all: &[E],
    label_of: fn(E) -> &'static str,
) -> Result<E, FieldError> {
    all.iter()
        .copied()
        .find(|e| label_of(*e) == value)
        .ok_or_else(|| FieldError::UnknownLabel {
            field: field.to_string(),
            value: value.to_string(),
            expected: all
                .iter()
                .map(|e| label_of(*e))
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// Lowercase or uppercase hex digits, nothing else: no `0x`, no whitespace
/// (the node is as strict, so a value accepted here is accepted there).
pub fn hex_bytes(
    field: &str,
    value: &str,
    what: &'static str,
    expected: usize,
) -> Result<Vec<u8>, FieldError> {
    let bytes = dirchain_schema::hex::decode(value).ok_or_else(|| FieldError::NotHex {
        field: field.to_string(),
        value: value.to_string(),
    })?;
    if bytes.len() != expected {
        return Err(FieldError::WrongLength {
            field: field.to_string(),
            what,
            len: bytes.len(),
            expected,
        });
    }
    Ok(bytes)
}

fn each<V, T, const MAX: usize>(
    field: &str,
    values: &[V],
    parse: impl Fn(&str, &V) -> Result<T, FieldError>,
) -> Result<List<T, MAX>, FieldError> {
    // The count first: no work on a list that is refused anyway.
    if values.len() > MAX {
        return Err(FieldError::TooMany {
            field: field.to_string(),
            len: values.len(),
            max: MAX,
        });
    }
    let items = values
        .iter()
        .enumerate()
        .map(|(i, v)| parse(&format!("{field}[{i}]"), v))
        .collect::<Result<Vec<T>, _>>()?;
    list(field, items)
}

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_cryptography::Signer as _;
    use dirchain_types::{domain::Role, ids::PrivateKey, limits::MAX_TITLE_BYTES};

    #[test]
    fn errors_name_the_field_and_the_limit() {
        let error = text::<MAX_TITLE_BYTES>("title", &"t".repeat(300)).unwrap_err();
        assert_eq!(error.to_string(), "title is 300 bytes; at most 256");
        assert_eq!(error.field(), "title");
        assert_eq!(
            ident("id", "").unwrap_err().to_string(),
            "id must not be empty"
        );
        assert_eq!(
            ident("id", "a b").unwrap_err(),
            FieldError::BadIdentifier {
                field: "id".into(),
                value: "a b".into()
            }
        );
        assert!(matches!(
            text::<8>("reason", "bell\u{7}"),
            Err(FieldError::ControlCharacter { .. })
        ));
        assert_eq!(
            list::<u8, 2>("duties", vec![1, 2, 3])
                .unwrap_err()
                .to_string(),
            "duties has 3 entries; at most 2"
        );
    }

    #[test]
    fn list_entries_are_named_by_position() {
        let error = idents::<4>("fields", &["name", "bad field"]).unwrap_err();
        assert_eq!(error.field(), "fields[1]");
        let ok = idents::<4>("fields", &["name", "birth_date"]).unwrap();
        assert_eq!(ok.len(), 2);
        assert!(matches!(
            idents::<1>("fields", &["a", "b"]),
            Err(FieldError::TooMany { len: 2, max: 1, .. })
        ));
    }

    #[test]
    fn digests_and_keys_parse_from_strict_hex() {
        let d = dirchain_types::ids::sha256(&[b"x"]);
        assert_eq!(digest("digest", &d.to_string()).unwrap(), d);
        assert_eq!(digest("digest", &d.to_string().to_uppercase()).unwrap(), d);
        for bad in [
            format!("0x{}", &d.to_string()[2..]),
            format!(" {d}"),
            "zz".into(),
        ] {
            assert!(matches!(
                digest("digest", &bad),
                Err(FieldError::NotHex { .. })
            ));
        }
        assert_eq!(
            digest("digest", "abcd").unwrap_err().to_string(),
            "digest is 2 bytes; a SHA-256 digest is 32"
        );
        let key = PrivateKey::from_seed(1).public_key();
        assert_eq!(public_key("member_key", &key.to_string()).unwrap(), key);
        assert!(matches!(
            digests::<2>("subject_refs", &[d.to_string(), "00".into()]),
            Err(FieldError::WrongLength { field, .. }) if field == "subject_refs[1]"
        ));
    }

    #[test]
    fn numbers_are_decimal_digits_only() {
        assert_eq!(number("location", "0"), Ok(0));
        assert_eq!(number("location", "18446744073709551615"), Ok(u64::MAX));
        for bad in ["", "+1", "-1", " 1", "1.0", "0x1", "18446744073709551616"] {
            let error = number("location", bad).unwrap_err();
            assert_eq!(error.field(), "location", "{bad:?}");
            assert!(error.to_string().contains("decimal"), "{error}");
        }
    }

    #[test]
    fn labels_parse_and_list_the_choices() {
        assert_eq!(
            label("role", "steward", Role::ALL, Role::label).unwrap(),
            Role::Steward
        );
        let error = label("role", "boss", Role::ALL, Role::label).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("role \"boss\" is not one of: admin, publisher")
        );
    }
}
