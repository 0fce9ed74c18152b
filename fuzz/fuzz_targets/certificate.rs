//! A block header and its finalization certificate received from an
//! untrusted node, as the SDK's `Verifier` checks them. Input: the encoded
//! header (its fixed size), then the encoded certificate.
//!
//! Decoding is bounded by the validator count and must never panic; no input
//! can carry a quorum of the fixed validators' signatures, so none may verify.
#![no_main]

use commonware_codec::EncodeSize;
use commonware_cryptography::Signer;
use dirchain_client::Verifier;
use dirchain_types::{
    block::BlockHeader,
    ids::{Digest, PrivateKey},
};
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

const VALIDATORS: u64 = 4;

static VERIFIER: LazyLock<Verifier> = LazyLock::new(|| {
    Verifier::from_validators(
        b"dirchain/consensus/v1/fuzz",
        (0..VALIDATORS).map(|seed| PrivateKey::from_seed(seed).public_key()),
    )
});

/// Every field of a header is fixed-size.
static HEADER_SIZE: LazyLock<usize> = LazyLock::new(|| {
    BlockHeader {
        parent: Digest([0; 32]),
        height: 0,
        epoch: 0,
        view: 0,
        parent_view: 0,
        proposer: PrivateKey::from_seed(0).public_key(),
        timestamp_ms: 0,
        state_root: Digest([0; 32]),
        txs_digest: Digest([0; 32]),
    }
    .encode_size()
});

fuzz_target!(|data: &[u8]| {
    let Some((header, certificate)) = data.split_at_checked(*HEADER_SIZE) else {
        return;
    };
    assert!(
        VERIFIER.verify_block(header, certificate).is_err(),
        "a certificate nobody signed verified"
    );
});
