//! Notarizing documents: the digest of a file, computed locally (the document
//! never leaves the machine), and the state key its notary record lives at.

use commonware_cryptography::{Hasher, Sha256};
use dirchain_types::{
    ids::{ChannelId, Digest},
    keys::{StateKey, notary_key},
};
use std::{fs::File, io, path::Path};

/// Bytes read at a time: large enough to hash at disk speed, small enough
/// that a file of any size hashes in constant memory.
pub const HASH_CHUNK_BYTES: usize = 64 * 1024;

/// SHA-256 of everything `reader` yields, read in chunks: the same digest as
/// `dirchain_types::ids::sha256(&[&contents])`.
pub fn hash_reader(mut reader: impl io::Read) -> io::Result<Digest> {
    let mut hasher = Sha256::default();
    let mut chunk = vec![0u8; HASH_CHUNK_BYTES];
    loop {
        match reader.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => {
                hasher.update(&chunk[..n]);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(hasher.finalize().1)
}

/// SHA-256 of the file at `path`.
pub fn hash_file(path: &Path) -> io::Result<Digest> {
    hash_reader(File::open(path)?)
}

/// Where the notary record of `digest` in `channel` lives: the key to ask a
/// proof for.
pub fn record_key(channel: &ChannelId, digest: &Digest) -> StateKey {
    notary_key(channel, digest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use dirchain_types::ids::{sha256, system_channel};

    #[test]
    fn streamed_digest_equals_one_shot_digest() {
        // Sizes around the chunk boundary, and empty.
        for len in [
            0,
            1,
            HASH_CHUNK_BYTES - 1,
            HASH_CHUNK_BYTES,
            3 * HASH_CHUNK_BYTES + 7,
        ] {
            let contents: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            assert_eq!(
                hash_reader(contents.as_slice()).unwrap(),
                sha256(&[&contents]),
                "{len} bytes"
            );
        }
    }

    #[test]
    fn file_digest_and_record_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("contract.pdf");
        std::fs::write(&path, b"signed contract").unwrap();
        let digest = hash_file(&path).unwrap();
        assert_eq!(digest, sha256(&[b"signed contract"]));
        assert_eq!(
            record_key(&system_channel(), &digest),
            notary_key(&system_channel(), &digest)
        );
        assert!(hash_file(&dir.path().join("missing")).is_err());
    }
}
