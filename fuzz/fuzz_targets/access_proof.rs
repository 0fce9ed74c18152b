//! An access record's proof received from an untrusted server. Input: the
//! 8-byte location asked about (big-endian), a 2-byte record length, the
//! record, then the encoded proof.
//!
//! The proof is checked against fixed roots of states the fuzzer knows (see
//! `dirchain_fuzz::known_value`): neither holds an access log, so
//! verification must not panic and must accept nothing.
#![no_main]

use commonware_cryptography::sha256::Digest;
use dirchain_fuzz::{EMPTY_ROOT, SEED_ROOT, decode_canonical, hex};
use dirchain_state::access_log::AccessProof;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((location, rest)) = data.split_first_chunk::<8>() else {
        return;
    };
    let Some((length, rest)) = rest.split_first_chunk::<2>() else {
        return;
    };
    let length = usize::from(u16::from_be_bytes(*length));
    if rest.len() < length {
        return;
    }
    let (record, encoded) = rest.split_at(length);
    let location = u64::from_be_bytes(*location);
    let Some(proof) = decode_canonical::<AccessProof>(encoded) else {
        return;
    };
    for root in [SEED_ROOT, EMPTY_ROOT] {
        let verdict = proof.verify(&Digest(root), location, record);
        assert!(
            verdict.is_err(),
            "forged proof: root {} holds no access log, yet location {location} proven",
            hex(&root)
        );
    }
});
