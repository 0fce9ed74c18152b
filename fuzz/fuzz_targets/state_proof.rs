//! A state proof received from an untrusted server. Input: the 32-byte key
//! asked about, then the encoded proof.
//!
//! The proof is checked against fixed roots whose states the fuzzer knows
//! (see `dirchain_fuzz::known_value`): verification must not panic, and
//! whatever it accepts must be true of that state (no forged inclusion or
//! exclusion).
#![no_main]

use commonware_cryptography::sha256::Digest;
use dirchain_fuzz::{EMPTY_ROOT, SEED_ROOT, decode_canonical, hex, known_value};
use dirchain_state::store::StateProof;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((key, encoded)) = data.split_first_chunk::<32>() else {
        return;
    };
    let key = Digest(*key);
    let Some(proof) = decode_canonical::<StateProof>(encoded) else {
        return;
    };
    for root in [SEED_ROOT, EMPTY_ROOT] {
        let verdict = proof.verify(&Digest(root), &key);
        if let Ok(proven) = verdict {
            let truth = known_value(&root, &key).expect("known root");
            assert!(
                proven == truth,
                "forged proof: root {} key {} proven {:?}, state holds {:?}",
                hex(&root),
                hex(&key.0),
                proven,
                truth
            );
        }
    }
});
