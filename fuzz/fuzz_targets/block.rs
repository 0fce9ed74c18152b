//! A block received from a peer.
#![no_main]

use dirchain_fuzz::decode_canonical;
use dirchain_types::block::Block;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(block) = decode_canonical::<Block>(data) {
        let _ = block.digest();
    }
});
