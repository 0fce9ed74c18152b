//! A transaction as submitted from outside: bounded decode, canonical
//! re-encoding, then signature verification (which must not panic on any
//! public key or signature bytes that decode).
#![no_main]

use dirchain_fuzz::assert_canonical;
use dirchain_types::tx::SignedTx;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(tx) = SignedTx::decode_untrusted(data) {
        assert_canonical(&tx, data);
        let _ = tx.verify_signature();
        let _ = tx.hash();
    }
});
