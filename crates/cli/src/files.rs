//! The files the command line reads and writes: key files (hex of the
//! encoded ed25519 key), genesis files (the codec encoding of [Genesis]),
//! and files that must never overwrite an existing one.

use commonware_codec::{Copying, DecodeExt, Encode, FixedSize};
use commonware_formatting::{from_hex, hex};
use dirchain_types::{
    genesis::Genesis,
    ids::{PrivateKey, PublicKey},
};
use std::{
    fs::{self, File, OpenOptions},
    io::{self, Read, Write},
    os::unix::fs::OpenOptionsExt,
    path::Path,
};

/// Key files hold a secret: readable and writable by their owner only.
pub const KEY_FILE_MODE: u32 = 0o600;
/// A key file is 64 hex digits and a newline; anything much larger is not a key file,
/// so it is refused before being read whole.
const MAX_KEY_FILE_BYTES: u64 = 1024;
/// Far above the largest genesis the limits allow (512 organisations, 256 validators),
/// so only a file that is not a genesis at all is refused unread.
pub const MAX_GENESIS_FILE_BYTES: u64 = 4 * 1024 * 1024;
const NEW_FILE_MODE: u32 = 0o644;

#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error("cannot read it: {0}")]
    Read(#[source] io::Error),
    #[error("it is larger than a key file ({MAX_KEY_FILE_BYTES} bytes at most)")]
    TooLarge,
    #[error("it is not hex")]
    NotHex,
    #[error("it holds {0} bytes; an ed25519 private key is {size}", size = PrivateKey::SIZE)]
    WrongLength(usize),
    #[error("it does not decode as an ed25519 private key: {0}")]
    Invalid(commonware_codec::Error),
}

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

/// Creates `path` with `contents`, refusing to replace an existing file.
pub fn write_new(path: &Path, contents: &[u8]) -> io::Result<()> {
    write_new_with_mode(path, contents, NEW_FILE_MODE)
}

fn write_new_with_mode(path: &Path, contents: &[u8], mode: u32) -> io::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

/// Writes a new key file (mode 0600), refusing to overwrite an existing one.
pub fn write_key(path: &Path, key: &PrivateKey) -> io::Result<()> {
    let text = format!("{}\n", hex(&key.encode()));
    write_new_with_mode(path, text.as_bytes(), KEY_FILE_MODE)
}

pub fn read_key(path: &Path) -> Result<PrivateKey, KeyFileError> {
    let bytes = read_bounded(path, MAX_KEY_FILE_BYTES).map_err(|e| match e {
        Bounded::Io(e) => KeyFileError::Read(e),
        Bounded::TooLarge => KeyFileError::TooLarge,
    })?;
    let text = std::str::from_utf8(&bytes).map_err(|_| KeyFileError::NotHex)?;
    let raw = from_hex(text.trim()).ok_or(KeyFileError::NotHex)?;
    if raw.len() != PrivateKey::SIZE {
        return Err(KeyFileError::WrongLength(raw.len()));
    }
    PrivateKey::decode(Copying(raw.as_slice())).map_err(KeyFileError::Invalid)
}

/// Reads a genesis file and checks it founds a valid state (the same check a node
/// makes before its first block).
pub fn read_genesis(path: &Path) -> Result<Genesis, GenesisFileError> {
    let bytes = read_bounded(path, MAX_GENESIS_FILE_BYTES).map_err(|e| match e {
        Bounded::Io(e) => GenesisFileError::Read(e),
        Bounded::TooLarge => GenesisFileError::TooLarge,
    })?;
    let genesis = Genesis::decode(Copying(bytes.as_slice())).map_err(GenesisFileError::Invalid)?;
    dirchain_state::genesis::genesis_writes(&genesis).map_err(GenesisFileError::Rejected)?;
    Ok(genesis)
}

/// A public key from its hex form, as configs and summaries show it.
pub fn parse_public_key(text: &str) -> Result<PublicKey, String> {
    let raw = from_hex(text).ok_or("not hex")?;
    if raw.len() != PublicKey::SIZE {
        return Err(format!(
            "{} bytes; an ed25519 public key is {}",
            raw.len(),
            PublicKey::SIZE
        ));
    }
    PublicKey::decode(Copying(raw.as_slice()))
        .map_err(|e| format!("not an ed25519 public key ({e})"))
}

/// Whether `dir` is missing or empty: the only places new files are laid out in.
pub fn is_missing_or_empty(dir: &Path) -> io::Result<bool> {
    match fs::read_dir(dir) {
        Ok(mut entries) => Ok(entries.next().is_none()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(e),
    }
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
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn key_file_round_trips_with_owner_only_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.key");
        let key = PrivateKey::from_seed(7);
        write_key(&path, &key).unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, KEY_FILE_MODE);
        assert_eq!(read_key(&path).unwrap().public_key(), key.public_key());
        let text = fs::read_to_string(&path).unwrap();
        assert_eq!(text.len(), 2 * PrivateKey::SIZE + 1);
        assert!(text.ends_with('\n'));
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
        assert!(matches!(read_key(&path), Err(KeyFileError::WrongLength(2))));
        fs::write(&path, vec![b'a'; 4096]).unwrap();
        assert!(matches!(read_key(&path), Err(KeyFileError::TooLarge)));
        assert!(matches!(
            read_key(&dir.path().join("missing.key")),
            Err(KeyFileError::Read(_))
        ));
    }

    #[test]
    fn public_keys_parse_from_hex() {
        let key = PrivateKey::from_seed(3).public_key();
        assert_eq!(parse_public_key(&key.to_string()).unwrap(), key);
        assert!(parse_public_key("nothex").is_err());
        assert!(parse_public_key("abcd").unwrap_err().contains("2 bytes"));
    }
}
