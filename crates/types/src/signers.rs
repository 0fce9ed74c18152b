//! Signer keys decoded once per process, not once per transaction.
//!
//! Decoding an Ed25519 public key decompresses a curve point (about 6 µs on the benchmark
//! machine), and a node decodes every transaction several times: from the API or a peer's
//! gossip, then in the block that carries it, then from the archive for its readers. On a
//! 4-validator devnet at saturation that was a quarter of each node's CPU (BENCHMARKS.md).
//! A consortium has few signers, so their decoded keys are remembered, keyed by their 32
//! bytes: a key is only ever remembered after it decoded successfully, so a hit is exactly
//! what decoding would give.

use crate::ids::PublicKey;
use commonware_codec::{Buf, DecodeExt, Error, FixedSize, ReadExt};
use std::{
    collections::HashMap,
    sync::{LazyLock, RwLock},
};

/// Keys remembered at most (each about 250 bytes with its entry: 4 MiB in all). When full,
/// the cache starts over: a flood of fresh keys costs the decoding it would cost anyway,
/// and the active signers are back after one decode each.
pub const MAX_REMEMBERED_SIGNERS: usize = 16_384;

type Raw = [u8; PublicKey::SIZE];

static DECODED: LazyLock<RwLock<HashMap<Raw, PublicKey>>> =
    LazyLock::new(|| RwLock::new(HashMap::new()));

/// Reads a signer's key: the decoded key remembered for these bytes, or these bytes decoded
/// (and remembered if valid). Refuses exactly what decoding a [PublicKey] refuses.
pub fn read_signer(buf: &mut impl Buf) -> Result<PublicKey, Error> {
    let raw = Raw::read(buf)?;
    // A poisoned lock only means a thread panicked while holding it; the map is still a
    // map of valid keys, since entries are inserted whole.
    if let Some(key) = DECODED
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .get(&raw)
    {
        return Ok(key.clone());
    }
    let key = PublicKey::decode(commonware_codec::Copying(raw.as_slice()))?;
    let mut decoded = DECODED
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if decoded.len() >= MAX_REMEMBERED_SIGNERS {
        decoded.clear();
    }
    decoded.insert(raw, key.clone());
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_codec::Encode;
    use commonware_cryptography::{Signer as _, ed25519::PrivateKey};

    fn read(bytes: &[u8]) -> Result<PublicKey, Error> {
        read_signer(&mut commonware_codec::Copying(bytes))
    }

    #[test]
    fn a_remembered_key_reads_as_decoding_gives_it() {
        let key = PrivateKey::from_seed(7).public_key();
        let bytes = key.encode();
        // The first read decodes, the second is served from memory.
        assert_eq!(read(&bytes).unwrap(), key);
        assert_eq!(read(&bytes).unwrap(), key);
        assert_eq!(read(&bytes).unwrap().encode(), bytes);
    }

    #[test]
    fn bytes_that_are_no_key_are_refused_every_time() {
        let not_a_point = (0u8..=u8::MAX)
            .map(|b| [b; 32])
            .find(|raw| PublicKey::decode(commonware_codec::Copying(raw.as_slice())).is_err())
            .expect("about half of all 32-byte strings are no point of the curve");
        for _ in 0..2 {
            assert!(read(&not_a_point).is_err());
        }
        assert!(!DECODED.read().unwrap().contains_key(&not_a_point));
        assert!(read(&[1u8; 31]).is_err(), "a short key");
    }

    #[test]
    fn the_cache_never_holds_more_than_its_bound() {
        for seed in 0..(MAX_REMEMBERED_SIGNERS as u64 + 10) {
            let key = PrivateKey::from_seed(1_000_000 + seed).public_key();
            assert_eq!(read(&key.encode()).unwrap(), key);
            assert!(DECODED.read().unwrap().len() <= MAX_REMEMBERED_SIGNERS);
        }
    }
}
