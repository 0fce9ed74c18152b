//! Pseudonymisation of raw person identifiers from gateways: any string must
//! hash without panicking, deterministically, and ignore formatting
//! (whitespace and dashes).
#![no_main]

use dirchain_types::ids::{SubjectKey, subject_ref};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let raw = String::from_utf8_lossy(data);
    let key = SubjectKey::from_bytes([7; 32]);
    let pseudonym = subject_ref(&key, &raw);
    assert_eq!(pseudonym, subject_ref(&key, &raw), "not deterministic");
    assert_eq!(
        pseudonym,
        subject_ref(&key, &format!(" -\t{raw}\n- ")),
        "formatting changed the pseudonym"
    );
});
