//! Length-bounded wire primitives. Each carries its limit in its type, so
//! every domain type decodes with `Cfg = ()` and no decoder can forget a bound.

use crate::limits::MAX_ID_BYTES;
use bytes::BufMut;
use commonware_codec::{Buf, EncodeSize, Error, RangeCfg, Read, Write};
use std::{fmt, ops::Deref};

fn read_len(buf: &mut impl Buf, max: usize) -> Result<usize, Error> {
    usize::read_cfg(buf, &RangeCfg::new(0..=max))
}

fn read_raw(buf: &mut impl Buf, max: usize) -> Result<Vec<u8>, Error> {
    let len = read_len(buf, max)?;
    if buf.remaining() < len {
        return Err(Error::EndOfBuffer);
    }
    let mut out = vec![0u8; len];
    buf.copy_to_slice(&mut out);
    Ok(out)
}

/// Why a value was refused by a bounded constructor.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BoundError {
    #[error("{what} is {len} bytes, the limit is {max}")]
    TooLong {
        what: &'static str,
        len: usize,
        max: usize,
    },
    #[error("{what} has {len} entries, the limit is {max}")]
    TooMany {
        what: &'static str,
        len: usize,
        max: usize,
    },
    #[error("{what} must not be empty")]
    Empty { what: &'static str },
    #[error("{what} contains a control character")]
    ControlCharacter { what: &'static str },
    #[error("identifier {0:?} may only contain letters, digits and . _ - : /")]
    BadIdentifier(String),
}

/// UTF-8 text of at most `MAX` bytes, without control characters other than
/// newline and tab (so it renders safely in logs and the explorer).
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Text<const MAX: usize>(String);

impl<const MAX: usize> Text<MAX> {
    pub fn new(value: impl Into<String>) -> Result<Self, BoundError> {
        let value = value.into();
        if value.len() > MAX {
            return Err(BoundError::TooLong {
                what: "text",
                len: value.len(),
                max: MAX,
            });
        }
        if value
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t')
        {
            return Err(BoundError::ControlCharacter { what: "text" });
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<const MAX: usize> Deref for Text<MAX> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl<const MAX: usize> fmt::Debug for Text<MAX> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl<const MAX: usize> fmt::Display for Text<MAX> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<const MAX: usize> Write for Text<MAX> {
    fn write(&self, buf: &mut impl BufMut) {
        self.0.len().write(buf);
        buf.put_slice(self.0.as_bytes());
    }
}

impl<const MAX: usize> EncodeSize for Text<MAX> {
    fn encode_size(&self) -> usize {
        self.0.len().encode_size() + self.0.len()
    }
}

impl<const MAX: usize> Read for Text<MAX> {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        let raw = read_raw(buf, MAX)?;
        let text = String::from_utf8(raw).map_err(|_| Error::Invalid("Text", "not UTF-8"))?;
        Self::new(text).map_err(|_| Error::Invalid("Text", "control character"))
    }
}

/// An identifier chosen by its creator (organisation, item, duty, asset,
/// channel): 1 to 64 bytes of `[A-Za-z0-9._:/-]`, so ids are safe in URLs,
/// file names and logs.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ident(String);

impl Ident {
    pub fn new(value: impl Into<String>) -> Result<Self, BoundError> {
        let value = value.into();
        if value.is_empty() {
            return Err(BoundError::Empty { what: "identifier" });
        }
        if value.len() > MAX_ID_BYTES {
            return Err(BoundError::TooLong {
                what: "identifier",
                len: value.len(),
                max: MAX_ID_BYTES,
            });
        }
        if !value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b':' | b'/'))
        {
            return Err(BoundError::BadIdentifier(value));
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for Ident {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Ident {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for Ident {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Write for Ident {
    fn write(&self, buf: &mut impl BufMut) {
        self.0.len().write(buf);
        buf.put_slice(self.0.as_bytes());
    }
}

impl EncodeSize for Ident {
    fn encode_size(&self) -> usize {
        self.0.len().encode_size() + self.0.len()
    }
}

impl Read for Ident {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        let raw = read_raw(buf, MAX_ID_BYTES)?;
        let text = String::from_utf8(raw).map_err(|_| Error::Invalid("Ident", "not UTF-8"))?;
        Self::new(text).map_err(|_| Error::Invalid("Ident", "bad identifier"))
    }
}

/// A list of at most `MAX` entries.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct List<T, const MAX: usize>(Vec<T>);

impl<T, const MAX: usize> Default for List<T, MAX> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<T, const MAX: usize> List<T, MAX> {
    pub fn new(items: Vec<T>) -> Result<Self, BoundError> {
        if items.len() > MAX {
            return Err(BoundError::TooMany {
                what: "list",
                len: items.len(),
                max: MAX,
            });
        }
        Ok(Self(items))
    }

    pub fn into_vec(self) -> Vec<T> {
        self.0
    }
}

impl<T, const MAX: usize> Deref for List<T, MAX> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.0
    }
}

impl<T: Write, const MAX: usize> Write for List<T, MAX> {
    fn write(&self, buf: &mut impl BufMut) {
        self.0.len().write(buf);
        for item in &self.0 {
            item.write(buf);
        }
    }
}

impl<T: EncodeSize, const MAX: usize> EncodeSize for List<T, MAX> {
    fn encode_size(&self) -> usize {
        self.0.len().encode_size() + self.0.iter().map(EncodeSize::encode_size).sum::<usize>()
    }
}

impl<T: Read<Cfg = ()>, const MAX: usize> Read for List<T, MAX> {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        let len = read_len(buf, MAX)?;
        // Every entry takes at least one input byte, so reserving no more
        // memory than the input's remaining bytes lets a length prefix never
        // make us allocate more than we were sent; beyond that the vector
        // grows only as entries actually decode.
        let reserve = len.min(buf.remaining() / std::mem::size_of::<T>().max(1));
        let mut items = Vec::with_capacity(reserve);
        for _ in 0..len {
            items.push(T::read_cfg(buf, &())?);
        }
        Ok(Self(items))
    }
}

/// Implements the codec for a struct field by field, in declaration order.
/// Every field's type must decode with `Cfg = ()`.
#[macro_export]
macro_rules! wire_struct {
    ($name:ident { $($field:ident),* $(,)? }) => {
        impl commonware_codec::Write for $name {
            fn write(&self, buf: &mut impl bytes::BufMut) {
                $( commonware_codec::Write::write(&self.$field, buf); )*
            }
        }
        impl commonware_codec::EncodeSize for $name {
            fn encode_size(&self) -> usize {
                0 $( + commonware_codec::EncodeSize::encode_size(&self.$field) )*
            }
        }
        impl commonware_codec::Read for $name {
            type Cfg = ();
            fn read_cfg(
                buf: &mut impl commonware_codec::Buf,
                _: &(),
            ) -> Result<Self, commonware_codec::Error> {
                Ok(Self { $( $field: commonware_codec::Read::read_cfg(buf, &())?, )* })
            }
        }
    };
}

/// Declares a field-less enum encoded as one tag byte, with its lower-case
/// names for humans.
#[macro_export]
macro_rules! wire_enum {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $tag:literal => $label:literal),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $($(#[$vmeta])* $variant),* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),* }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.label())
            }
        }

        impl commonware_codec::Write for $name {
            fn write(&self, buf: &mut impl bytes::BufMut) {
                let tag: u8 = match self { $($name::$variant => $tag),* };
                bytes::BufMut::put_u8(buf, tag);
            }
        }
        impl commonware_codec::FixedSize for $name {
            const SIZE: usize = 1;
        }
        impl commonware_codec::Read for $name {
            type Cfg = ();
            fn read_cfg(
                buf: &mut impl commonware_codec::Buf,
                _: &(),
            ) -> Result<Self, commonware_codec::Error> {
                match <u8 as commonware_codec::Read>::read_cfg(buf, &())? {
                    $($tag => Ok($name::$variant),)*
                    other => Err(commonware_codec::Error::InvalidEnum(other)),
                }
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_codec::{DecodeExt as Decode, Encode};

    #[test]
    fn ident_accepts_slugs_and_refuses_everything_else() {
        assert!(Ident::new("city-health/births_2024:v1.2").is_ok());
        assert!(matches!(Ident::new(""), Err(BoundError::Empty { .. })));
        assert!(matches!(
            Ident::new("a b"),
            Err(BoundError::BadIdentifier(_))
        ));
        assert!(matches!(Ident::new("é"), Err(BoundError::BadIdentifier(_))));
        assert!(matches!(
            Ident::new("x".repeat(MAX_ID_BYTES + 1)),
            Err(BoundError::TooLong { .. })
        ));
    }

    #[test]
    fn text_refuses_control_characters_but_keeps_newlines() {
        assert!(Text::<16>::new("two\nlines\t").is_ok());
        assert!(Text::<16>::new("bell\u{7}").is_err());
        assert!(Text::<4>::new("12345").is_err());
    }

    #[test]
    fn oversized_length_prefix_is_refused_before_allocation() {
        let mut encoded = Vec::new();
        (u32::MAX as usize).write(&mut encoded);
        assert!(matches!(
            Text::<8>::decode(commonware_codec::Copying(encoded.as_slice())),
            Err(Error::InvalidLength(_))
        ));
        // A list whose prefix claims more entries than bytes follow fails on
        // the missing bytes, without reserving the claimed length.
        let mut encoded = Vec::new();
        100usize.write(&mut encoded);
        assert!(
            List::<Ident, 1000>::decode(commonware_codec::Copying(encoded.as_slice())).is_err()
        );
    }

    #[test]
    fn round_trip() {
        let text = Text::<32>::new("Geburten 2024 — Zählung").unwrap();
        assert_eq!(Text::<32>::decode(text.encode()).unwrap(), text);
        let list = List::<Ident, 4>::new(vec![Ident::new("a").unwrap()]).unwrap();
        assert_eq!(List::<Ident, 4>::decode(list.encode()).unwrap(), list);
        let non_utf8 = [2u8, 0xff, 0xfe];
        assert!(Text::<8>::decode(commonware_codec::Copying(non_utf8.as_slice())).is_err());
    }
}
