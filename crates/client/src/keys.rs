//! The files a client reads and writes: key files, genesis files and the
//! consortium's subject-key file.
//!
//! - A **key file** holds an ed25519 private key as 64 lowercase hex digits
//!   and a newline (the hex of the key's codec encoding), mode 0600.
//! - A **subject-key file** holds the consortium's secret pseudonymisation key
//!   ([SubjectKey]) the same way: 64 hex digits (32 bytes) and a newline,
//!   mode 0600.
//! - A **genesis file** (`genesis.bin`) is the codec encoding of [Genesis].
//!
//! Secrets are never overwritten: writing to an existing path fails with
//! [io::ErrorKind::AlreadyExists].

use commonware_codec::{Copying, DecodeExt, Encode, FixedSize};
use commonware_formatting::{from_hex, hex};
use commonware_math::algebra::Random;
use dirchain_types::{
    genesis::Genesis,
    ids::{PrivateKey, SubjectKey},
};
use std::{
    fs::{File, OpenOptions},
    io::{self, Read, Write},
    path::Path,
};

/// Key files hold a secret: readable and writable by their owner only.
pub const KEY_FILE_MODE: u32 = 0o600;
/// Mode of files that hold nothing secret (genesis).
pub const PUBLIC_FILE_MODE: u32 = 0o644;
/// A key file is 64 hex digits and a newline; anything much larger is not a
/// key file, so it is refused before being read whole.
pub const MAX_KEY_FILE_BYTES: u64 = 1024;
/// Far above the largest genesis the limits allow (512 organisations, 256
/// validators), so only a file that is not a genesis at all is refused unread.
pub const MAX_GENESIS_FILE_BYTES: u64 = 4 * 1024 * 1024;
/// Bytes of a subject key.
pub const SUBJECT_KEY_BYTES: usize = 32;

/// Why a key file (private key or subject key) could not be read.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error("cannot read it: {0}")]
    Read(#[source] io::Error),
    #[error("it is larger than a key file ({MAX_KEY_FILE_BYTES} bytes at most)")]
    TooLarge,
    #[error("it is not hex")]
    NotHex,
    #[error("it holds {got} bytes; {what} is {expected}")]
    WrongLength {
        what: &'static str,
        got: usize,
        expected: usize,
    },
    #[error("it does not decode as an ed25519 private key: {0}")]
    Invalid(commonware_codec::Error),
}

/// Why a genesis file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum GenesisFileError {
    #[error("cannot read it: {0}")]
    Read(#[source] io::Error),
    #[error("it is larger than any genesis ({MAX_GENESIS_FILE_BYTES} bytes at most)")]
    TooLarge,
    #[error("it is not a genesis file: {0}")]
    Invalid(commonware_codec::Error),
    #[error("it is not a valid genesis: {0}")]
    Rejected(dirchain_state::genesis::GenesisError),
}

/// A new private key from the operating system's entropy source.
pub fn generate_key() -> PrivateKey {
    PrivateKey::random(commonware_utils::sys_rng())
}

/// Writes a new key file (mode 0600), refusing to overwrite an existing one.
pub fn write_key(path: &Path, key: &PrivateKey) -> io::Result<()> {
    write_secret_hex(path, &key.encode())
}

/// Reads a key file written by [write_key] (surrounding whitespace allowed).
pub fn read_key(path: &Path) -> Result<PrivateKey, KeyFileError> {
    let raw = read_secret_hex(path, "an ed25519 private key", PrivateKey::SIZE)?;
    PrivateKey::decode(Copying(raw.as_slice())).map_err(KeyFileError::Invalid)
}

/// A new random subject key, written to a new file (mode 0600).
pub fn generate_subject_key(path: &Path) -> io::Result<SubjectKey> {
    let mut bytes = [0u8; SUBJECT_KEY_BYTES];
    rand_core::Rng::fill_bytes(&mut commonware_utils::sys_rng(), &mut bytes);
    write_subject_key(path, bytes)
}

/// Writes a new subject-key file (mode 0600) holding `bytes`, refusing to
/// overwrite an existing one.
pub fn write_subject_key(path: &Path, bytes: [u8; SUBJECT_KEY_BYTES]) -> io::Result<SubjectKey> {
    write_secret_hex(path, &bytes)?;
    Ok(SubjectKey::from_bytes(bytes))
}

/// Reads a subject-key file written by [write_subject_key].
pub fn read_subject_key(path: &Path) -> Result<SubjectKey, KeyFileError> {
    let raw = read_secret_hex(path, "a subject key", SUBJECT_KEY_BYTES)?;
    let bytes: [u8; SUBJECT_KEY_BYTES] =
        raw.try_into()
            .map_err(|raw: Vec<u8>| KeyFileError::WrongLength {
                what: "a subject key",
                got: raw.len(),
                expected: SUBJECT_KEY_BYTES,
            })?;
    Ok(SubjectKey::from_bytes(bytes))
}

/// Writes a new genesis file (mode 0644), refusing to overwrite an existing one.
pub fn write_genesis(path: &Path, genesis: &Genesis) -> io::Result<()> {
    write_new(path, &genesis.encode(), PUBLIC_FILE_MODE)
}

/// Reads a genesis file and checks it founds a valid state (the same check a
/// node makes before its first block).
pub fn read_genesis(path: &Path) -> Result<Genesis, GenesisFileError> {
    let bytes = read_bounded(path, MAX_GENESIS_FILE_BYTES).map_err(|e| match e {
        Bounded::Io(e) => GenesisFileError::Read(e),
        Bounded::TooLarge => GenesisFileError::TooLarge,
    })?;
    let genesis = Genesis::decode(Copying(bytes.as_slice())).map_err(GenesisFileError::Invalid)?;
    dirchain_state::genesis::genesis_writes(&genesis).map_err(GenesisFileError::Rejected)?;
    Ok(genesis)
}

fn write_secret_hex(path: &Path, secret: &[u8]) -> io::Result<()> {
    let text = format!("{}\n", hex(secret));
    write_new(path, text.as_bytes(), KEY_FILE_MODE)
}

fn read_secret_hex(
    path: &Path,
    what: &'static str,
    expected: usize,
) -> Result<Vec<u8>, KeyFileError> {
    let bytes = read_bounded(path, MAX_KEY_FILE_BYTES).map_err(|e| match e {
        Bounded::Io(e) => KeyFileError::Read(e),
        Bounded::TooLarge => KeyFileError::TooLarge,
    })?;
    let text = std::str::from_utf8(&bytes).map_err(|_| KeyFileError::NotHex)?;
    let raw = from_hex(text.trim()).ok_or(KeyFileError::NotHex)?;
    if raw.len() != expected {
        return Err(KeyFileError::WrongLength {
            what,
            got: raw.len(),
            expected,
        });
    }
    Ok(raw)
}

/// Creates `path` with `contents` and `mode` (on unix), refusing to replace an
/// existing file; the mode is set at creation, so a secret is never readable
/// by others, even for a moment.
fn write_new(path: &Path, contents: &[u8], mode: u32) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

enum Bounded {
    Io(io::Error),
    TooLarge,
}

fn read_bounded(path: &Path, max: u64) -> Result<Vec<u8>, Bounded> {
    let file = File::open(path).map_err(Bounded::Io)?;
    let mut bytes = Vec::new();
    // One byte past the limit tells an oversized file from one exactly at it.
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(Bounded::Io)?;
    if bytes.len() as u64 > max {
        return Err(Bounded::TooLarge);
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_cryptography::Signer;
    use dirchain_types::ids::subject_ref;
    use std::fs;

    #[cfg(unix)]
    fn mode_of(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn key_file_round_trips_with_owner_only_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.key");
        let key = PrivateKey::from_seed(7);
        write_key(&path, &key).unwrap();
        #[cfg(unix)]
        assert_eq!(mode_of(&path), KEY_FILE_MODE);
        assert_eq!(read_key(&path).unwrap().public_key(), key.public_key());
        // The format the CLI has always written: lowercase hex and a newline.
        let text = fs::read_to_string(&path).unwrap();
        assert_eq!(text, format!("{}\n", hex(&key.encode())));
        assert_eq!(text.len(), 2 * PrivateKey::SIZE + 1);
    }

    #[test]
    fn generated_keys_differ_and_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (generate_key(), generate_key());
        assert_ne!(a.public_key(), b.public_key());
        write_key(&dir.path().join("a.key"), &a).unwrap();
        assert_eq!(
            read_key(&dir.path().join("a.key")).unwrap().public_key(),
            a.public_key()
        );
    }

    #[test]
    fn key_file_is_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.key");
        write_key(&path, &PrivateKey::from_seed(1)).unwrap();
        let err = write_key(&path, &PrivateKey::from_seed(2)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(
            read_key(&path).unwrap().public_key(),
            PrivateKey::from_seed(1).public_key()
        );
    }

    #[test]
    fn bad_key_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.key");
        fs::write(&path, "zz\n").unwrap();
        assert!(matches!(read_key(&path), Err(KeyFileError::NotHex)));
        fs::write(&path, "abcd\n").unwrap();
        assert!(matches!(
            read_key(&path),
            Err(KeyFileError::WrongLength { got: 2, .. })
        ));
        fs::write(&path, vec![b'a'; 4096]).unwrap();
        assert!(matches!(read_key(&path), Err(KeyFileError::TooLarge)));
        fs::write(&path, [0xff, 0xfe]).unwrap();
        assert!(matches!(read_key(&path), Err(KeyFileError::NotHex)));
        assert!(matches!(
            read_key(&dir.path().join("missing.key")),
            Err(KeyFileError::Read(_))
        ));
    }

    #[test]
    fn subject_key_file_round_trips_with_owner_only_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("subject.key");
        let written = write_subject_key(&path, [9; SUBJECT_KEY_BYTES]).unwrap();
        #[cfg(unix)]
        assert_eq!(mode_of(&path), KEY_FILE_MODE);
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            format!("{}\n", "09".repeat(SUBJECT_KEY_BYTES))
        );
        let read = read_subject_key(&path).unwrap();
        assert_eq!(
            subject_ref(&read, "110101199003072345"),
            subject_ref(&written, "110101199003072345")
        );
        assert_eq!(
            write_subject_key(&path, [1; SUBJECT_KEY_BYTES])
                .unwrap_err()
                .kind(),
            io::ErrorKind::AlreadyExists
        );
        fs::write(&path, "abcd\n").unwrap();
        assert!(matches!(
            read_subject_key(&path),
            Err(KeyFileError::WrongLength { got: 2, .. })
        ));
    }

    #[test]
    fn generated_subject_keys_differ() {
        let dir = tempfile::tempdir().unwrap();
        let a = generate_subject_key(&dir.path().join("a")).unwrap();
        let b = generate_subject_key(&dir.path().join("b")).unwrap();
        assert_ne!(subject_ref(&a, "x"), subject_ref(&b, "x"));
    }

    #[test]
    fn genesis_file_round_trips_and_bad_ones_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("genesis.bin");
        let genesis = dirchain_state::testkit::genesis();
        write_genesis(&path, &genesis).unwrap();
        assert_eq!(read_genesis(&path).unwrap(), genesis);

        let garbage = dir.path().join("garbage.bin");
        fs::write(&garbage, b"not a genesis").unwrap();
        assert!(matches!(
            read_genesis(&garbage),
            Err(GenesisFileError::Invalid(_))
        ));

        let mut invalid = genesis.clone();
        invalid.threshold = 0;
        let invalid_path = dir.path().join("invalid.bin");
        write_genesis(&invalid_path, &invalid).unwrap();
        assert!(matches!(
            read_genesis(&invalid_path),
            Err(GenesisFileError::Rejected(_))
        ));
    }
}
