//! Writes seed corpora of valid encodings, so the fuzzers start from inputs
//! that decode: `make-seeds [CORPUS_DIR]` (default `corpus`) fills
//! `CORPUS_DIR/<target>/`.
//!
//! Run with `cargo run --features make-seeds --bin make-seeds` (see run.sh).

use commonware_codec::Encode;
use commonware_cryptography::{Hasher, Sha256, Signer as _, sha256::Digest};
use commonware_runtime::{Runner as _, Supervisor as _, deterministic};
use dirchain_fuzz::{
    EMPTY_ROOT, RECORD_KINDS, SEED_KEYS, SEED_ROOT, check_record, hex, known_value, seed_key,
    seed_value,
};
use dirchain_state::{
    BlockWrites, Ledger,
    access_log::AccessProof,
    store::{StateProof, Store, WriteSet},
    testkit::{self, World, id, list, text},
};
use dirchain_types::{
    block::Block,
    bounded::List,
    domain::{Role, ShareClass},
    ids::sha256,
    samples,
    tx::*,
};
use std::{
    fs,
    path::{Path, PathBuf},
};

struct Corpus {
    dir: PathBuf,
    written: usize,
}

impl Corpus {
    fn new(root: &Path, target: &str) -> Self {
        let dir = root.join(target);
        fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
        Self { dir, written: 0 }
    }

    fn add(&mut self, bytes: impl AsRef<[u8]>) {
        let bytes = bytes.as_ref();
        let name = format!("seed-{}", &hex(&Sha256::hash(&[bytes]).0)[..16]);
        fs::write(self.dir.join(name), bytes).expect("write seed");
        self.written += 1;
    }
}

impl Drop for Corpus {
    fn drop(&mut self) {
        println!("{:>4} seeds in {}", self.written, self.dir.display());
    }
}

fn main() {
    let root = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "corpus".into()));
    let txs = samples::signed_txs();

    let mut c = Corpus::new(&root, "signed_tx");
    for tx in &txs {
        c.add(tx.encode());
    }
    drop(c);

    let mut c = Corpus::new(&root, "submission");
    c.add(encode_submission(txs.iter().take(1).map(Encode::encode)));
    c.add(encode_submission(txs.iter().map(Encode::encode)));
    drop(c);

    let mut c = Corpus::new(&root, "block");
    let block = |txs: Vec<SignedTx>| Block {
        parent: sha256(&[b"parent"]),
        height: 7,
        epoch: 0,
        view: 9,
        parent_view: 8,
        proposer: testkit::key_for("validator-0").public_key(),
        timestamp_ms: 1_700_000_000_000,
        state_root: sha256(&[b"root"]),
        txs: List::new(txs).expect("fits"),
    };
    c.add(block(Vec::new()).encode());
    c.add(block(txs[..1].to_vec()).encode());
    c.add(block(txs.clone()).encode());
    drop(c);

    let mut c = Corpus::new(&root, "genesis");
    c.add(testkit::genesis().encode());
    drop(c);

    let mut c = Corpus::new(&root, "records");
    let w = world();
    let logged = w.access_log.iter().map(|l| l.encode().to_vec());
    for value in w.state.values().cloned().chain(logged) {
        let value = value.as_slice();
        for tag in 0..RECORD_KINDS {
            if check_record(tag, value) == Some(true) {
                c.add([&[tag][..], value].concat());
            }
        }
    }
    drop(c);

    let mut c = Corpus::new(&root, "state_proof");
    for (key, proof) in state_proofs() {
        c.add([&key.0[..], &proof.encode()].concat());
    }
    drop(c);

    let mut c = Corpus::new(&root, "access_proof");
    for (location, record, proof) in access_proofs(&w) {
        let length = u16::try_from(record.len()).expect("a record fits the seed's length");
        c.add([&location.to_be_bytes()[..], &length.to_be_bytes(), &record, &proof.encode()].concat());
    }
    drop(c);

    let mut c = Corpus::new(&root, "subject_ref");
    for s in [
        "",
        "110101-19900307-2345",
        "11010119900307 2345",
        "AB 12 34 56 C",
        "straße-ǅ-ﬁ İ",
        "\u{0}\u{85}\u{2028}-\t",
    ] {
        c.add(s);
    }
}

/// Submits a transaction; a refusal is reported, not fatal.
fn submit(w: &mut World, signer: &str, payload: Payload) -> Option<Digest> {
    match w.submit(signer, payload) {
        Ok((hash, _)) => Some(hash),
        Err(e) => {
            eprintln!("warning: seed transaction of {signer} refused: {e}");
            None
        }
    }
}

/// The standard test consortium, plus one record of every kind the state
/// holds (a transaction that does not apply is skipped: seeds are best
/// effort).
fn world() -> World {
    let mut w = World::standard();
    let day = 24 * testkit::HOUR_MS;

    // Governance: a channel with a quota, then a transaction in it.
    let action = Action::CreateChannel {
        channel: id("research"),
        members: list(vec![id("health"), id("police")]),
        max_txs_per_block: 10,
        max_bytes: 1 << 20,
    };
    if let Some(pid) = submit(&mut w, "health.admin", Propose { action }.into()) {
        submit(
            &mut w,
            "police.admin",
            Vote {
                proposal: pid,
                approve: true,
            }
            .into(),
        );
    }
    let tx = w.tx_in(
        "health.publisher",
        "research",
        testkit::duty("health/research"),
    );
    let _ = w.submit_tx(tx);
    // An open proposal.
    let action = Action::SetParam {
        param: Param::ProposalTtl,
        value: day,
    };
    submit(&mut w, "tax.admin", Propose { action }.into());

    // Requests, permissions and accesses (granted, refused, revoked).
    let request = testkit::request(
        "health/births",
        &["district", "count"],
        "police/investigation",
    );
    for approve in [true, false] {
        let Some(req) = submit(&mut w, "police.consumer", request.clone().into()) else {
            continue;
        };
        let expires_at = w.now + 10 * day;
        submit(
            &mut w,
            "health.steward",
            DecideAccess {
                request: req,
                approve,
                reason: text("lawful investigation"),
                expires_at,
            }
            .into(),
        );
        let access = |fields: &[&str]| RecordAccess {
            permission: req,
            subject_refs: list(vec![sha256(&[b"subject-1"]), sha256(&[b"subject-2"])]),
            fields: testkit::fields(fields),
            query_digest: sha256(&[b"query"]),
            response_digest: sha256(&[b"response"]),
            record_count: 2,
            requester: None,
            refusal: None,
        };
        submit(&mut w, "police.consumer", access(&["district"]).into());
        submit(&mut w, "police.consumer", access(&["birth_date"]).into());
        if approve {
            let revoke = RevokePermission {
                permission: req,
                reason: text("investigation closed"),
            };
            submit(&mut w, "health.steward", revoke.into());
        }
    }

    // Notary and assets.
    let stamp = Notarize {
        digest: sha256(&[b"judgment 2026/113"]),
        kind: id("court-judgment"),
        meta: text("Case 2026/113"),
    };
    submit(&mut w, "police.notary", stamp.into());
    let asset = id("asset/births-dataset");
    let register = RegisterAsset {
        id: asset.clone(),
        name: text("Births dataset"),
        description: text("Monthly births by district since 2001"),
        item: Some(id("health/births")),
    };
    submit(&mut w, "health.publisher", register.into());
    let appraise = AppraiseAsset {
        asset: asset.clone(),
        value: 1_250_000_00,
        currency: id("EUR"),
        method: text("cost approach"),
    };
    submit(&mut w, "tax.auditor", appraise.into());
    let transfer = TransferAsset {
        asset: asset.clone(),
        to: id("police"),
    };
    submit(&mut w, "health.publisher", transfer.into());
    let licence = LicenseAsset {
        asset,
        licensee: id("tax"),
        terms: text("Statistical use only"),
        expires_at: w.now + 30 * day,
    };
    submit(&mut w, "police.publisher", licence.into());

    // A new item version, a retired item and a revoked member.
    submit(
        &mut w,
        "health.publisher",
        testkit::item("health/stats", ShareClass::Unconditional, 2).into(),
    );
    let retire = RetireCatalogItem {
        id: id("health/secret"),
        reason: text("superseded"),
    };
    submit(&mut w, "health.publisher", retire.into());
    let auditor = w.enroll("tax", "temp", Role::Auditor);
    let revoke = RevokeMember {
        member_key: auditor,
        reason: text("left the agency"),
    };
    submit(&mut w, "tax.admin", revoke.into());
    w
}

/// Proofs of the seed world's access records, from a ledger that holds them
/// in its access log, each with its location and record. They hold against
/// that ledger's root, not the fuzz target's, where no log exists.
fn access_proofs(w: &World) -> Vec<(u64, Vec<u8>, AccessProof)> {
    let appends: Vec<Vec<u8>> = w.access_log.iter().map(|l| l.encode().to_vec()).collect();
    deterministic::Runner::default().start(|ctx| async move {
        let mut ledger = Ledger::open(ctx.child("ledger"), "access", &testkit::genesis())
            .await
            .expect("open ledger");
        let block = BlockWrites {
            writes: WriteSet::new(),
            appends,
        };
        ledger.commit_block(1, block).await.expect("commit");
        let mut proofs = Vec::new();
        for location in 0..ledger.access_log_head().size {
            if let Some((record, proof)) = ledger.prove_access(location).await.expect("prove") {
                proof
                    .verify(&ledger.root(), location, &record)
                    .expect("the seed proof holds");
                proofs.push((location, record, proof));
            }
        }
        proofs
    })
}

/// Proofs of presence and absence against the seed state (and an empty
/// store), each with the key it is about. Checks the roots the fuzz target
/// verifies against.
fn state_proofs() -> Vec<(Digest, StateProof)> {
    let (proofs, empty_root, seed_root) =
        deterministic::Runner::default().start(|ctx| async move {
            let mut proofs = Vec::new();
            let mut store = Store::open(ctx.child("store"), "seeds")
                .await
                .expect("open store");
            let empty_root = store.root();
            let absent = [seed_key(1_000), Digest([0x00; 32]), Digest([0xff; 32])];
            for key in absent {
                proofs.push((key, store.prove(&key).await.expect("prove")));
            }
            let writes: WriteSet = (0..SEED_KEYS)
                .map(|i| (seed_key(i), Some(seed_value(i))))
                .collect();
            let seed_root = store.commit(1, writes).await.expect("commit");
            for i in [0, 7, SEED_KEYS - 1] {
                let key = seed_key(i);
                proofs.push((key, store.prove(&key).await.expect("prove")));
            }
            for key in absent {
                proofs.push((key, store.prove(&key).await.expect("prove")));
            }
            (proofs, empty_root, seed_root)
        });
    // The fuzz target verifies against the constants and its oracle; the
    // seeds must pass it.
    for (key, proof) in &proofs {
        let proven = [SEED_ROOT, EMPTY_ROOT]
            .into_iter()
            .filter_map(|root| {
                let verdict = proof.verify(&Digest(root), key).ok()?;
                assert_eq!(
                    Some(verdict.clone()),
                    known_value(&root, key),
                    "oracle disagrees"
                );
                Some(verdict)
            })
            .count();
        if proven == 0 {
            eprintln!(
                "WARNING: seed proof for key {} verifies against no known root",
                hex(&key.0)
            );
        }
    }
    for (name, constant, actual) in [
        ("EMPTY_ROOT", EMPTY_ROOT, empty_root),
        ("SEED_ROOT", SEED_ROOT, seed_root),
    ] {
        if constant != actual.0 {
            eprintln!(
                "WARNING: the store's {name} is now {}: update it in fuzz/src/lib.rs, or the \
                 state_proof target never reaches a successful verification",
                hex(&actual.0)
            );
        }
    }
    proofs
}
