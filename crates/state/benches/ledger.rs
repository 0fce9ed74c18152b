//! The ledger core's figures, measured in one run on this machine and
//! reported as ratios to the machine's own single-signature verification
//! rate (the ceiling a validator's throughput is judged against):
//!
//! 1. signature checking: one by one, in library batches, and through our
//!    transaction pipeline, on one core and on all cores;
//! 2. execution of pre-verified `RecordAccess` transactions from distinct
//!    signers into the on-disk authenticated state, on one core, with the
//!    state root computed once per block;
//! 3. state proof generation and verification.
//!
//! Run: `cargo bench -p dirchain-state --bench ledger` (add `-- --quick` for
//! a smoke run). Medians over repetitions; these machines are shared.

use commonware_codec::Encode;
use commonware_cryptography::{BatchEntry, BatchVerifier, Signer as _, Verifier as _};
use commonware_parallel::{Rayon, Sequential, Strategy};
use commonware_runtime::{Runner as _, Supervisor as _, tokio};
use dirchain_state::{
    Executor, Ledger, access_log::AccessProof, store::StateProof, testkit::*, verify_txs_with,
};
use dirchain_types::{
    block::BlockContext,
    domain::Role,
    ids::{Digest, PrivateKey, PublicKey, key_bytes, sha256},
    keys::{self, StateKey},
    records::Member,
    tx::{DecideAccess, RecordAccess, SignedTx, TX_NAMESPACE, Transaction},
};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use std::{
    num::NonZeroUsize,
    time::{Duration, Instant},
};

/// Distinct signers: each block holds at most one transaction per signer,
/// as a real block of many agencies' gateways would.
const SIGNERS: usize = 10_000;
const BLOCK_SIZES: [usize; 2] = [10_000, 1_000];
const SIGNATURE_SAMPLE: usize = 10_000;
const PROOF_SAMPLE: usize = 10_000;

struct Settings {
    repetitions: usize,
    blocks_per_size: usize,
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn rate(count: usize, elapsed: Duration) -> f64 {
    count as f64 / elapsed.as_secs_f64()
}

fn rng(seed: u64) -> rand_core::UnwrapErr<ChaCha20Rng> {
    rand_core::UnwrapErr(ChaCha20Rng::seed_from_u64(seed))
}

fn signer(i: usize) -> PrivateKey {
    PrivateKey::from_seed(1_000_000 + i as u64)
}

fn access_tx(key: &PrivateKey, nonce: u64, permission: Digest) -> SignedTx {
    Transaction {
        chain_id: id(CHAIN_ID),
        channel: World::main(),
        signer: key.public_key(),
        nonce,
        payload: RecordAccess {
            permission,
            subject_refs: list(vec![sha256(&[
                &nonce.to_be_bytes(),
                key.public_key().as_ref(),
            ])]),
            fields: fields(&["district", "count"]),
            query_digest: sha256(&[b"query"]),
            response_digest: sha256(&[b"response"]),
            record_count: 1,
            requester: None,
            refusal: None,
        }
        .into(),
    }
    .sign(key)
}

/// The standard consortium plus `SIGNERS` enrolled consumers of `police`
/// and one live permission of police on health's births register.
fn setup() -> (World, Digest, Vec<PrivateKey>) {
    let mut w = World::standard();
    let permission = w.ok(
        "police.consumer",
        request(
            "health/births",
            &["district", "count"],
            "police/investigation",
        ),
    );
    let expires_at = w.now + 300 * 24 * HOUR_MS;
    w.ok(
        "health.steward",
        DecideAccess {
            request: permission,
            approve: true,
            reason: text("benchmark"),
            expires_at,
        },
    );
    let keys: Vec<PrivateKey> = (0..SIGNERS).map(signer).collect();
    for key in &keys {
        let member = Member {
            key: key_bytes(&key.public_key()),
            org: id("police"),
            role: Role::Consumer,
            expires_at: u64::MAX,
            enrolled_at: w.now,
            revoked: None,
        };
        w.state.insert(
            keys::member_key(&key.public_key()),
            member.encode().to_vec(),
        );
    }
    (w, permission, keys)
}

fn bench_signatures(settings: &Settings, txs: &[SignedTx]) -> Vec<(String, f64)> {
    let messages: Vec<_> = txs.iter().map(|t| t.tx.encode()).collect();
    let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
    let all = Rayon::new(NonZeroUsize::new(cores).expect("nonzero")).expect("thread pool");
    let mut rows = Vec::new();

    let single = median(
        (0..settings.repetitions)
            .map(|_| {
                let start = Instant::now();
                for (t, m) in txs.iter().zip(&messages) {
                    assert!(t.tx.signer.verify(TX_NAMESPACE, m, &t.signature));
                }
                rate(txs.len(), start.elapsed())
            })
            .collect(),
    );
    rows.push((
        "ed25519 verify, one at a time, 1 core (reference)".into(),
        single,
    ));

    let library_batch = |strategy: &dyn Fn(&[SignedTx], &[bytes::Bytes]) -> bool| {
        median(
            (0..settings.repetitions)
                .map(|_| {
                    let start = Instant::now();
                    for (chunk, msgs) in txs.chunks(1_000).zip(messages.chunks(1_000)) {
                        assert!(strategy(chunk, msgs));
                    }
                    rate(txs.len(), start.elapsed())
                })
                .collect(),
        )
    };
    fn batch(txs: &[SignedTx], msgs: &[bytes::Bytes], s: &impl Strategy) -> bool {
        PublicKey::verify_batch(
            &mut rng(3),
            txs,
            |i, t| BatchEntry {
                namespace: TX_NAMESPACE,
                message: &msgs[i],
                public_key: &t.tx.signer,
                signature: &t.signature,
            },
            s,
        )
    }
    rows.push((
        "library batch verify (1,000/batch), 1 core".into(),
        library_batch(&|t, m| batch(t, m, &Sequential)),
    ));
    rows.push((
        format!("library batch verify (1,000/batch), {cores} cores"),
        library_batch(&|t, m| batch(t, m, &all)),
    ));

    let ours = |strategy: &dyn Fn(Vec<SignedTx>) -> usize| {
        median(
            (0..settings.repetitions)
                .map(|_| {
                    let chunks: Vec<Vec<SignedTx>> =
                        txs.chunks(1_000).map(<[SignedTx]>::to_vec).collect();
                    let start = Instant::now();
                    let mut ok = 0;
                    for chunk in chunks {
                        ok += strategy(chunk);
                    }
                    assert_eq!(ok, txs.len());
                    rate(txs.len(), start.elapsed())
                })
                .collect(),
        )
    };
    let count_ok = |v: Vec<Result<_, _>>| v.into_iter().filter(Result::is_ok).count();
    rows.push((
        "verify_txs (encode + batch verify + tx hash), 1 core".into(),
        ours(&|chunk| count_ok(verify_txs_with(chunk, &mut rng(4), &Sequential))),
    ));
    rows.push((
        format!("verify_txs (encode + batch verify + tx hash), {cores} cores"),
        ours(&|chunk| count_ok(verify_txs_with(chunk, &mut rng(4), &all))),
    ));
    rows
}

struct ExecutionFigures {
    block_size: usize,
    median_block_ms: f64,
    /// Of which applying the rules; the rest is merkleization and commit.
    median_exec_ms: f64,
    median_rate: f64,
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let settings = if quick {
        Settings {
            repetitions: 3,
            blocks_per_size: 3,
        }
    } else {
        Settings {
            repetitions: 7,
            blocks_per_size: 9,
        }
    };

    eprintln!("preparing {SIGNERS} signers and their transactions...");
    let (world, permission, keys) = setup();
    let sample: Vec<SignedTx> = keys
        .iter()
        .take(SIGNATURE_SAMPLE)
        .map(|k| access_tx(k, 0, permission))
        .collect();

    eprintln!("1/3 signatures...");
    let signature_rows = bench_signatures(&settings, &sample);
    let reference = signature_rows[0].1;

    // Pre-sign and pre-verify every block: that is the clients' and the
    // mempool's work, not execution's.
    let mut nonces = vec![0u64; SIGNERS];
    let series: Vec<(usize, Vec<Vec<_>>)> = BLOCK_SIZES
        .iter()
        .map(|&size| {
            let blocks = (0..settings.blocks_per_size)
                .map(|_| {
                    let txs: Vec<SignedTx> = keys[..size]
                        .iter()
                        .zip(&mut nonces)
                        .map(|(k, n)| {
                            *n += 1;
                            access_tx(k, *n - 1, permission)
                        })
                        .collect();
                    verify_txs_with(txs, &mut rng(5), &Sequential)
                        .into_iter()
                        .map(Result::unwrap)
                        .collect()
                })
                .collect();
            (size, blocks)
        })
        .collect();

    eprintln!("2/3 execution...");
    let dir = tempfile::tempdir().expect("temporary directory");
    let cfg = tokio::Config::new()
        .with_worker_threads(1)
        .with_storage_directory(dir.path());
    let (execution, proofs) = tokio::Runner::new(cfg).start(|ctx| async move {
        let mut ledger = Ledger::open(ctx.child("ledger"), "bench", &genesis())
            .await
            .expect("ledger opens");
        let setup_writes = world.state.into_iter().map(|(k, v)| (k, Some(v))).collect();
        ledger
            .commit_writes(world.height, setup_writes)
            .await
            .expect("setup commits");

        let mut height = world.height;
        let mut now = world.now;
        let mut figures = Vec::new();
        for (size, blocks) in series {
            let mut block_ms = Vec::new();
            let mut exec_ms = Vec::new();
            let mut rates = Vec::new();
            for block in blocks {
                height += 1;
                now += 1_000;
                let ctx = BlockContext {
                    height,
                    timestamp_ms: now,
                };
                let start = Instant::now();
                let mut executor = Executor::new(ledger.store(), id(CHAIN_ID), ctx);
                for tx in &block {
                    executor.apply(tx).await.expect("valid transaction");
                }
                let writes = executor.finish();
                let executed = start.elapsed();
                ledger
                    .commit_block(height, writes)
                    .await
                    .expect("block commits");
                exec_ms.push(executed.as_secs_f64() * 1e3);
                let elapsed = start.elapsed();
                block_ms.push(elapsed.as_secs_f64() * 1e3);
                rates.push(rate(block.len(), elapsed));
            }
            figures.push(ExecutionFigures {
                block_size: size,
                median_block_ms: median(block_ms),
                median_exec_ms: median(exec_ms),
                median_rate: median(rates),
            });
        }

        eprintln!("3/3 proofs...");
        // Access records, by location in the access log (every block's records, then its
        // commit: locations that hold no record are skipped), and absent state keys.
        let size = ledger.access_log_head().size;
        let step = (size / PROOF_SAMPLE as u64).max(1);
        let mut records = Vec::new();
        for location in (1..size).step_by(step as usize) {
            let found = ledger.access_records(location, 1).await.expect("read");
            records.extend(found);
        }
        records.truncate(PROOF_SAMPLE);
        let absent: Vec<StateKey> = (0..records.len())
            .map(|i| keys::notary_key(&World::main(), &sha256(&[&i.to_be_bytes()])))
            .collect();
        let root = ledger.root();
        let mut proof_rows = Vec::new();

        let mut gen_rates = Vec::new();
        let mut verify_rates = Vec::new();
        let mut proofs: Vec<AccessProof> = Vec::new();
        for _ in 0..settings.repetitions {
            let start = Instant::now();
            proofs = Vec::with_capacity(records.len());
            for (location, _) in &records {
                let (_, proof) = ledger
                    .prove_access(*location)
                    .await
                    .expect("proof")
                    .expect("a record is there");
                proofs.push(proof);
            }
            gen_rates.push(rate(records.len(), start.elapsed()));
            let start = Instant::now();
            for (proof, (location, record)) in proofs.iter().zip(&records) {
                proof
                    .verify(&root, *location, record)
                    .expect("proof verifies");
            }
            verify_rates.push(rate(records.len(), start.elapsed()));
        }
        let size = median(proofs.iter().map(|p| p.encode().len() as f64).collect());
        proof_rows.push((
            "access record (log)",
            median(gen_rates),
            median(verify_rates),
            size,
        ));

        let mut gen_rates = Vec::new();
        let mut verify_rates = Vec::new();
        let mut proofs: Vec<StateProof> = Vec::new();
        for _ in 0..settings.repetitions {
            let start = Instant::now();
            proofs = Vec::with_capacity(absent.len());
            for key in &absent {
                proofs.push(ledger.prove(key).await.expect("proof"));
            }
            gen_rates.push(rate(absent.len(), start.elapsed()));
            let start = Instant::now();
            for (proof, key) in proofs.iter().zip(&absent) {
                let value = proof.verify(&root, key).expect("proof verifies");
                assert!(value.is_none(), "absent key proven absent");
            }
            verify_rates.push(rate(absent.len(), start.elapsed()));
        }
        let size = median(proofs.iter().map(|p| p.encode().len() as f64).collect());
        proof_rows.push((
            "absent state key (exclusion)",
            median(gen_rates),
            median(verify_rates),
            size,
        ));
        (figures, proof_rows)
    });

    println!();
    println!(
        "dirchain ledger benchmark ({})",
        if quick { "quick" } else { "full" }
    );
    println!("{}", machine());
    println!();
    println!("1. Signature checking ({SIGNATURE_SAMPLE} signed RecordAccess transactions)");
    println!("{:<62} {:>12} {:>8}", "", "per second", "ratio");
    for (label, value) in &signature_rows {
        println!("{label:<62} {value:>12.0} {:>8.2}", value / reference);
    }
    println!();
    println!(
        "2. Execution of pre-verified RecordAccess transactions, 1 core, on-disk authenticated state, root once per block ({SIGNERS} distinct signers)"
    );
    println!("{:<62} {:>12} {:>8}", "", "records/s", "ratio");
    for f in &execution {
        println!(
            "{:<62} {:>12.0} {:>8.2}",
            format!(
                "blocks of {:>6} (median {:.1} ms: rules {:.1}, root+commit {:.1})",
                f.block_size,
                f.median_block_ms,
                f.median_exec_ms,
                f.median_block_ms - f.median_exec_ms
            ),
            f.median_rate,
            f.median_rate / reference
        );
    }
    println!();
    println!("3. Proofs ({PROOF_SAMPLE} each, ledger of the run above)");
    println!("{:<62} {:>12} {:>8}", "", "per second", "ratio");
    for (label, generation, verification, size) in &proofs {
        println!(
            "{:<62} {generation:>12.0} {:>8.2}",
            format!("{label} proof generation (median {size:.0} bytes)"),
            generation / reference
        );
        println!(
            "{:<62} {verification:>12.0} {:>8.2}",
            format!("{label} proof verification"),
            verification / reference
        );
    }
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
    format!("machine: {cpu}, {cores} cores")
}
