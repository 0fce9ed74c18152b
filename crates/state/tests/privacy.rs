//! Data stays home: people are referenced only by keyed pseudonyms. This
//! test drives real-looking national identifiers through the whole flow,
//! onto disk with the production runtime, then scans every stored byte for
//! them in every plausible encoding.

use commonware_runtime::{Runner as _, Supervisor as _, tokio};
use dirchain_state::{Ledger, testkit::*};
use dirchain_types::{
    ids::{SubjectKey, sha256, subject_ref},
    tx::*,
};
use std::path::Path;

/// Identifiers in the formats of several national registers (fictitious
/// people, valid-looking numbers).
const NATIONAL_IDS: [&str; 6] = [
    "110101199003072345",    // PRC resident identity card
    "19850712-2382",         // Swedish personnummer
    "150392-123A",           // Finnish henkilötunnus
    "AB123456C",             // UK National Insurance number
    "1 85 07 75 116 001 42", // French NIR
    "38001085718",           // Estonian isikukood
];

fn files_under(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn encodings(raw: &str) -> Vec<Vec<u8>> {
    let compact: String = raw.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    let utf16: Vec<u8> = raw.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
    vec![
        raw.as_bytes().to_vec(),
        compact.as_bytes().to_vec(),
        compact.to_lowercase().into_bytes(),
        utf16,
        // An unkeyed hash is no pseudonym: it could be reversed by guessing.
        sha256(&[raw.as_bytes()]).0.to_vec(),
        sha256(&[compact.as_bytes()]).0.to_vec(),
    ]
}

/// Applies one transaction to the in-memory world and the on-disk ledger.
async fn step(
    world: &mut World,
    ledger: &mut Ledger<tokio::Context>,
    signer: &str,
    payload: impl Into<Payload>,
) -> dirchain_types::ids::Digest {
    let (results, included) = world.block_included(vec![world.tx(signer, payload)]);
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    ledger.apply(world.context(), &included).await.unwrap();
    included[0].hash()
}

#[test]
fn no_raw_personal_identifier_reaches_storage() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = tokio::Config::new().with_storage_directory(dir.path());
    tokio::Runner::new(cfg).start(|ctx| async move {
        let consortium_key = SubjectKey::from_bytes([42; 32]);
        let mut world = World::standard();
        let mut ledger = Ledger::open(ctx.child("ledger"), "privacy", &genesis())
            .await
            .unwrap();
        let setup = world.state.clone().into_iter().map(|(k, v)| (k, Some(v)));
        ledger
            .commit_writes(world.height, setup.collect())
            .await
            .unwrap();

        let w = &mut world;
        let l = &mut ledger;
        let permission = step(
            w,
            l,
            "police.consumer",
            request(
                "health/births",
                &["district", "birth_date"],
                "police/investigation",
            ),
        )
        .await;
        let expires_at = w.now + 30 * HOUR_MS;
        let decision = DecideAccess {
            request: permission,
            approve: true,
            reason: text("investigation 2026/77"),
            expires_at,
        };
        step(w, l, "health.steward", decision).await;

        // The gateway pseudonymises each person before anything is recorded.
        let subjects = NATIONAL_IDS
            .iter()
            .map(|raw| subject_ref(&consortium_key, raw))
            .collect();
        let access = RecordAccess {
            permission,
            subject_refs: list(subjects),
            fields: fields(&["district", "birth_date"]),
            query_digest: sha256(&[b"GET /births?district=Centre"]),
            response_digest: sha256(NATIONAL_IDS.map(str::as_bytes).as_slice()),
            record_count: NATIONAL_IDS.len() as u32,
            requester: None,
            refusal: None,
        };
        // A refused attempt is recorded too, and must be as clean.
        let refused = RecordAccess {
            fields: fields(&["count"]),
            ..access.clone()
        };
        step(w, l, "police.consumer", access).await;
        step(w, l, "health.gateway", refused).await;
    });

    let mut files = Vec::new();
    files_under(dir.path(), &mut files);
    assert!(!files.is_empty(), "the ledger wrote to disk");
    let mut scanned = 0;
    for file in files {
        let bytes = std::fs::read(&file).unwrap();
        scanned += bytes.len();
        for raw in NATIONAL_IDS {
            for needle in encodings(raw) {
                assert!(
                    !bytes.windows(needle.len()).any(|w| w == needle.as_slice()),
                    "{raw} found in {}",
                    file.display()
                );
            }
        }
    }
    assert!(scanned > 10_000, "scanned only {scanned} bytes");
}
