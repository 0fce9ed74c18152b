//! A batch submission (`POST /v1/txs`): bounded split into transactions,
//! canonical re-encoding, then each transaction's own bounded decode.
#![no_main]

use dirchain_types::tx::{SignedTx, decode_submission, encode_submission};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(txs) = decode_submission(data) {
        assert_eq!(
            encode_submission(txs.iter().cloned()).as_ref(),
            data,
            "a decoded submission re-encodes to other bytes"
        );
        for tx in &txs {
            let _ = SignedTx::decode_untrusted(tx);
        }
    }
});
