//! Checks shared by the fuzz targets and the seed generator.
//!
//! Every decoder of external input must, on arbitrary bytes:
//! - never panic and never allocate from an attacker-chosen length;
//! - when it accepts the bytes, be canonical: re-encoding the value gives
//!   exactly the input, and `encode_size` is the length of that encoding.

use commonware_codec::{Copying, DecodeExt, Encode, EncodeSize, Read, Write};
use commonware_cryptography::{Hasher, Sha256, sha256::Digest};
use dirchain_types::{keys::Space, records::*};

/// Decodes `data` as a `T` from a borrowed slice (the path untrusted bytes
/// take) and, when it decodes, asserts the encoding is canonical.
pub fn decode_canonical<T>(data: &[u8]) -> Option<T>
where
    T: Read<Cfg = ()> + Write + EncodeSize,
{
    let value = T::decode(Copying(data)).ok()?;
    assert_canonical(&value, data);
    Some(value)
}

/// Asserts that `value` encodes to exactly `input`, in `encode_size` bytes.
pub fn assert_canonical<T: Write + EncodeSize>(value: &T, input: &[u8]) {
    let size = value.encode_size();
    let mut written = Vec::with_capacity(size);
    value.write(&mut written);
    assert_eq!(
        written.len(),
        size,
        "encode_size ({size}) differs from the encoded length ({})",
        written.len()
    );
    assert!(
        written == input,
        "non-canonical encoding: decoded {} bytes, re-encoded as {}\n input: {}\noutput: {}",
        input.len(),
        written.len(),
        hex(input),
        hex(&written)
    );
    // `Encode::encode` (what the nodes call) must agree with `write`.
    assert!(
        value.encode().as_ref() == input,
        "Encode::encode differs from Write::write"
    );
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Number of record kinds: the tags of [Space], which names the kind of every
/// record in the state (a new kind fails the match in [check_record] until it
/// is added there).
pub const RECORD_KINDS: u8 = Space::ALL.len() as u8;

/// Decodes `data` as `T` and checks a prefix shortcut the hot path takes
/// (`shortcut`) against the same fact read from the full decode (`fact`).
/// The shortcut must never panic, even on input the full decode refuses.
fn decode_with_shortcut<T: Read<Cfg = ()> + Write + EncodeSize, E>(
    data: &[u8],
    shortcut: fn(&[u8]) -> Result<bool, E>,
    fact: fn(&T) -> bool,
) -> bool {
    let decoded = decode_canonical::<T>(data);
    let quick = shortcut(data).ok();
    if let Some(decoded) = &decoded {
        assert_eq!(
            quick,
            Some(fact(decoded)),
            "a record's prefix shortcut disagrees with its full decode"
        );
    }
    decoded.is_some()
}

/// Decodes `data` as the record kind whose [Space] tag is `tag` and checks the
/// encoding is canonical. `None` when `tag` names no kind; `Some(decoded)`
/// otherwise.
pub fn check_record(tag: u8, data: &[u8]) -> Option<bool> {
    let space = Space::decode(Copying(&[tag][..])).ok()?;
    Some(match space {
        Space::Consortium => decode_canonical::<Consortium>(data).is_some(),
        Space::Org => decode_with_shortcut(data, Org::read_active, |o: &Org| o.active),
        Space::Member => decode_canonical::<Member>(data).is_some(),
        Space::Account => decode_canonical::<Account>(data).is_some(),
        Space::Proposal => decode_canonical::<Proposal>(data).is_some(),
        Space::Channel => decode_canonical::<Channel>(data).is_some(),
        Space::ChannelUsage => decode_canonical::<ChannelUsage>(data).is_some(),
        Space::Duty => decode_canonical::<Duty>(data).is_some(),
        Space::Item => {
            decode_with_shortcut(data, Item::read_retired, |i: &Item| i.retired.is_some())
        }
        Space::ItemVersion => decode_canonical::<ItemVersion>(data).is_some(),
        Space::Request => decode_canonical::<Request>(data).is_some(),
        Space::Permission => decode_canonical::<Permission>(data).is_some(),
        // The state holds the access log's head; the log holds the records.
        Space::AccessLog => {
            let head = decode_canonical::<AccessLogHead>(data).is_some();
            let logged = decode_canonical::<LoggedAccess>(data).is_some();
            head || logged
        }
        Space::Notary => decode_canonical::<NotaryRecord>(data).is_some(),
        Space::Asset => decode_canonical::<Asset>(data).is_some(),
        Space::AssetEvent => decode_canonical::<AssetEvent>(data).is_some(),
        // The digest of the genesis the state was founded from.
        Space::Genesis => decode_canonical::<Digest>(data).is_some(),
    })
}

/// The state the `state_proof` seeds are proven against: keys
/// `seed_key(i)` hold `seed_value(i)` for `i < SEED_KEYS`, committed at once
/// to a fresh store. `make-seeds` builds it and checks its root.
pub const SEED_KEYS: u64 = 20;

pub fn seed_key(i: u64) -> Digest {
    Sha256::hash(&[&i.to_be_bytes()])
}

pub fn seed_value(i: u64) -> Vec<u8> {
    format!("value-{i}").into_bytes()
}

/// Root of the seed state (see [SEED_KEYS]).
pub const SEED_ROOT: [u8; 32] = [
    0xb0, 0x06, 0x86, 0x2b, 0x68, 0x04, 0x8d, 0xd5, 0x0a, 0x7c, 0x8b, 0x53, 0x60, 0x58, 0x3e, 0x96,
    0xab, 0xf7, 0x2b, 0xc4, 0x4a, 0x17, 0x3a, 0xed, 0x77, 0x4e, 0x67, 0xbc, 0x66, 0xf3, 0xfe, 0xed,
];

/// Root of an empty store.
pub const EMPTY_ROOT: [u8; 32] = [
    0x50, 0x5b, 0x34, 0x47, 0xd8, 0x34, 0x3e, 0xc2, 0xa5, 0xf5, 0x51, 0xe8, 0xaf, 0x74, 0x99, 0xdd,
    0x39, 0xb8, 0x6f, 0x4d, 0x9e, 0x4c, 0x76, 0x8f, 0x15, 0xcd, 0x57, 0xbc, 0x60, 0x89, 0xf9, 0x93,
];

/// What the state with root `root` holds under `key`, when the fuzzer knows
/// that state: `Some(Some(value))` present, `Some(None)` absent, `None`
/// unknown root.
pub fn known_value(root: &[u8; 32], key: &Digest) -> Option<Option<Vec<u8>>> {
    if *root == SEED_ROOT {
        Some(
            (0..SEED_KEYS)
                .find(|i| seed_key(*i) == *key)
                .map(seed_value),
        )
    } else if *root == EMPTY_ROOT {
        Some(None)
    } else {
        None
    }
}
