//! A genesis document as a node reads it, then turned into the first state
//! (which must refuse, never panic on, a bad document).
#![no_main]

use dirchain_fuzz::decode_canonical;
use dirchain_types::genesis::Genesis;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(genesis) = decode_canonical::<Genesis>(data) {
        let _ = dirchain_state::genesis::genesis_writes(&genesis);
    }
});
