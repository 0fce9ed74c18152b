//! Finalized transactions per second and submit-to-final latency of a real
//! devnet, driven through the public API with signed `RecordAccess`
//! transactions from many distinct signers; and the machine's own Ed25519
//! batch-verification rate, the ceiling those figures are read against.
//!
//! 1. The ceiling: `verify_txs` (encode, batch verify, hash) over the same
//!    kind of transactions, on every core. With `N` validators on one
//!    machine each transaction is checked `N` times, so the network's
//!    ceiling is that rate over `N`.
//! 2. A devnet (release build) with the land registry's live permission for
//!    the police, and `--signers` police consumer keys enrolled. With
//!    `--query-nodes Q` below `--validators`, only the first Q nodes keep the
//!    query index, as validators that serve no queries may
//!    (`query_index = false`); the load still goes to every node.
//! 3. Every transaction of the run is signed before it starts (signing is
//!    the clients' cost, not the network's). `--clients` tasks submit them,
//!    `--batch` per request (`POST /v1/txs`, binary; `POST /v1/tx` at 1),
//!    spread over the nodes, each signer's in nonce order: at `--rate` per
//!    second, or as fast as the nodes take them (`--rate 0`, saturation),
//!    for `--seconds`.
//! 4. An observer follows node 0's finalized blocks and notes when each
//!    transaction is first seen final. Reported: finalized tx/s over the
//!    window, submit-to-final latency (median, p99), block time and size,
//!    each node's CPU (cores) and peak memory, transactions lost (accepted
//!    but never final) or seen twice, blocks a node voted against that the
//!    network finalized (the nodes' logs are kept when there are any, or
//!    lost transactions), and the ratio to the ceiling. Each
//!    node's resident memory, and its live heap as it reports it on
//!    `/metrics` (the allocator's and SQLite's), are sampled every 5 s:
//!    reported at each fifth of the window, and their growth over the second
//!    half per transaction finalized then (once the caches are full, in runs
//!    of minutes, what grows with the chain; resident growth beyond the
//!    heap's is memory the allocators keep).
//! 5. With the devnet stopped, the baseline (`throughput/baseline.rs`): the
//!    same signed records appended to a hash-chained PostgreSQL table by as
//!    many clients, one connection each, at the same rate, for as long; and
//!    the ratio (`--no-baseline` skips it).
//!
//! `cargo bench -p dirchain-cli --bench throughput -- [--validators N]
//! [--query-nodes Q] [--seconds S] [--rate R] [--signers K] [--clients C]
//! [--batch B] [--max-txs M] [--no-baseline]`

#[path = "throughput/baseline.rs"]
mod baseline;

#[path = "../tests/support/mod.rs"]
mod support;

use bytes::Bytes;
use commonware_codec::Encode;
use commonware_cryptography::Signer as _;
use commonware_parallel::Rayon;
use dirchain_client::{
    Client, Signer, input, keys,
    types::{
        bounded::{Ident, List},
        domain::Role,
        ids::{Digest, PrivateKey, sha256},
        limits::MAX_SUBMIT_BATCH,
        tx::{Enroll, RecordAccess, SignedTx, encode_submission},
    },
};
use dirchain_schema::chain::TxBatchResults;
use std::{
    collections::HashMap,
    fs,
    num::NonZeroUsize,
    path::Path,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};
use support::{
    CHAIN_ID, Devnet, bench_arg, cli::Cli, metric_value, now_ms, registry::PERMITTED,
    registry::Permissions,
};

const DEFAULT_VALIDATORS: u64 = 4;
const DEFAULT_SECONDS: u64 = 60;
const DEFAULT_SIGNERS: u64 = 1_000;
const DEFAULT_CLIENTS: u64 = 64;
/// Transactions per request: `POST /v1/txs` above 1, `POST /v1/tx` at 1.
const DEFAULT_BATCH: u64 = 100;
/// Transactions signed ahead for a saturation run; a run that uses them all
/// says so.
const DEFAULT_MAX_TXS: u64 = 600_000;
const STARTUP_TIMEOUT: Duration = Duration::from_secs(180);
const NO_RESTART: Duration = Duration::from_secs(3600);
/// How long after the window the observer waits for the last transactions.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(60);
/// How often the observer asks node 0 for its height.
const OBSERVE_INTERVAL: Duration = Duration::from_millis(10);
/// A full mempool answers `busy`: the client waits this long and sends those again (a
/// batch's refusals carry no `Retry-After`; the node's is a whole second).
const BUSY_BACKOFF: Duration = Duration::from_millis(250);
/// Transactions per ceiling measurement, and the batch size nodes verify in.
const CEILING_TXS: usize = 20_000;
const CEILING_BATCH: usize = 1_000;
const CEILING_REPETITIONS: usize = 5;
const YEAR_MS: u64 = 365 * 86_400_000;
/// How often each node's resident memory is sampled during the window.
const MEMORY_SAMPLE_INTERVAL: Duration = Duration::from_secs(5);
/// Points of the window (fifths) at which the resident memory is reported.
const MEMORY_REPORT_POINTS: u32 = 5;
/// The node's gauges whose sum is its live heap (`crates/cli/src/memory.rs`): the program's
/// allocations, and SQLite's, which go through the C library.
const HEAP_METRICS: [&str; 2] = ["allocator_allocated_bytes", "sqlite_memory_bytes"];
/// Blocks a node voted against that the network finalized: 0 unless verdicts differ.
const REFUSED_FINALIZED_METRIC: &str = "chain_node_executor_refused_finalized_blocks_total";
/// `sysconf(_SC_CLK_TCK)` on Linux.
const CLOCK_TICKS_PER_SECOND: f64 = 100.0;

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, NonZeroUsize::get)
}

/// The consumer keys of the run: deterministic, distinct from the devnet's.
fn signer_keys(count: usize) -> Vec<PrivateKey> {
    (0..count as u64)
        .map(|i| PrivateKey::from_seed(1_000_000 + i))
        .collect()
}

/// One signed access record: signer `key`, its `nonce`th, naming one person.
fn record_access(signer: &Signer, permission: Digest, nonce: u64) -> SignedTx {
    let fields = PERMITTED
        .split(',')
        .map(|f| Ident::new(f).unwrap())
        .collect();
    signer.sign(
        RecordAccess {
            permission,
            subject_refs: List::new(vec![sha256(&[
                signer.public_key().as_ref(),
                &nonce.to_be_bytes(),
            ])])
            .unwrap(),
            fields: List::new(fields).unwrap(),
            query_digest: sha256(&[b"query", &nonce.to_be_bytes()]),
            response_digest: sha256(&[b"response"]),
            record_count: 1,
            requester: None,
            refusal: None,
        },
        nonce,
    )
}

/// Transactions/s of `verify_txs` on every core: the median of a few runs.
fn ceiling(permission: Digest) -> f64 {
    let signers: Vec<Signer> = signer_keys(CEILING_BATCH)
        .into_iter()
        .map(|k| Signer::new(k, CHAIN_ID).unwrap())
        .collect();
    let txs: Vec<SignedTx> = (0..CEILING_TXS)
        .map(|i| {
            record_access(
                &signers[i % signers.len()],
                permission,
                (i / signers.len()) as u64,
            )
        })
        .collect();
    let pool = Rayon::new(NonZeroUsize::new(cores()).unwrap()).unwrap();
    let mut rates: Vec<f64> = (0..CEILING_REPETITIONS)
        .map(|_| {
            let batches: Vec<Vec<SignedTx>> = txs
                .chunks(CEILING_BATCH)
                .map(<[SignedTx]>::to_vec)
                .collect();
            let started = Instant::now();
            for batch in batches {
                let verified =
                    dirchain_state::verify_txs_with(batch, &mut commonware_utils::sys_rng(), &pool);
                assert!(verified.iter().all(Result::is_ok));
            }
            CEILING_TXS as f64 / started.elapsed().as_secs_f64()
        })
        .collect();
    rates.sort_by(f64::total_cmp);
    rates[rates.len() / 2]
}

/// A node process's CPU time (s) and resident memory (peak and now, KiB).
struct Usage {
    cpu_seconds: f64,
    peak_kib: u64,
    rss_kib: u64,
}

fn usage(pid: i32) -> Option<Usage> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
    };
    Some(Usage {
        cpu_seconds: ticks / CLOCK_TICKS_PER_SECOND,
        peak_kib: kib("VmHWM:")?,
        rss_kib: kib("VmRSS:")?,
    })
}

/// One sample of the run: time into the window, transactions final so far, and each node's
/// resident memory (KiB) and live heap (bytes, [heap_bytes]).
struct MemorySample {
    at: Duration,
    finalized: usize,
    rss_kib: Vec<u64>,
    heap_bytes: Vec<u64>,
}

/// The node's live heap as its `/metrics` reports it: what the program has allocated, and
/// what SQLite holds (0 for a figure it does not report).
fn heap_bytes(http: &reqwest::blocking::Client, api: &str) -> u64 {
    let text = metrics_text(http, api);
    HEAP_METRICS
        .iter()
        .filter_map(|metric| metric_value(&text, metric))
        .sum()
}

/// A node's `/metrics`, or nothing if it does not answer.
fn metrics_text(http: &reqwest::blocking::Client, api: &str) -> String {
    http.get(format!("{api}/metrics"))
        .send()
        .and_then(|r| r.text())
        .unwrap_or_default()
}

/// Samples the nodes' resident memory and live heap every [MEMORY_SAMPLE_INTERVAL] until `stop`.
fn sample_memory(
    nodes: Vec<(i32, String)>,
    seen: Arc<Mutex<Seen>>,
    started: Instant,
    stop: Arc<AtomicBool>,
) -> Vec<MemorySample> {
    let http = reqwest::blocking::Client::new();
    let mut samples = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let finalized = seen.lock().unwrap().final_at.len();
        let rss_kib = nodes
            .iter()
            .map(|(pid, _)| usage(*pid).map_or(0, |u| u.rss_kib))
            .collect();
        let heap_bytes = nodes
            .iter()
            .map(|(_, api)| heap_bytes(&http, api))
            .collect();
        samples.push(MemorySample {
            at: started.elapsed(),
            finalized,
            rss_kib,
            heap_bytes,
        });
        std::thread::sleep(MEMORY_SAMPLE_INTERVAL);
    }
    samples
}

/// Prints the resident memory at each fifth of the window, and how much it grew over the
/// second half per transaction finalized then: once the caches are full, growth with the
/// chain's length is what remains.
fn report_memory(samples: &[MemorySample], window: Duration) {
    let at = |point: Duration| {
        samples
            .iter()
            .min_by_key(|s| s.at.abs_diff(point))
            .expect("at least one sample")
    };
    let mib = |bytes: u64| format!("{} MiB", bytes / (1024 * 1024));
    println!("| into the window | txs final | resident per node | live heap per node |");
    println!("| --- | --- | --- | --- |");
    for k in 1..=MEMORY_REPORT_POINTS {
        let sample = at(window * k / MEMORY_REPORT_POINTS);
        let rss: Vec<String> = sample.rss_kib.iter().map(|kib| mib(kib * 1024)).collect();
        let heap: Vec<String> = sample.heap_bytes.iter().map(|b| mib(*b)).collect();
        println!(
            "| {:.0} s | {} | {} | {} |",
            sample.at.as_secs_f64(),
            sample.finalized,
            rss.join(", "),
            heap.join(", ")
        );
    }
    let (half, end) = (at(window / 2), at(window));
    let txs = end.finalized.saturating_sub(half.finalized).max(1) as f64;
    for n in 0..end.rss_kib.len() {
        let resident = end.rss_kib[n].saturating_sub(half.rss_kib[n]) * 1024;
        let heap = end.heap_bytes[n].saturating_sub(half.heap_bytes[n]);
        println!(
            "node {n}: over the second half ({:.0} s to {:.0} s) resident grew {}, the live heap \
             {}: {:.0} and {:.0} bytes per transaction finalized then",
            half.at.as_secs_f64(),
            end.at.as_secs_f64(),
            mib(resident),
            mib(heap),
            resident as f64 / txs,
            heap as f64 / txs
        );
    }
}

/// Enrols `keys` as police consumers, signed by the police admin through
/// node 0, and waits until the last one is final.
async fn enroll(devnet: &Devnet, cli: &Cli<'_>, keys: &[PrivateKey]) {
    let admin = Signer::new(
        keys::read_key(Path::new(&cli.admin_key("police"))).unwrap(),
        CHAIN_ID,
    )
    .unwrap();
    let client = Client::new(&devnet.apis[0]).unwrap();
    let first = client
        .account(admin.public_key())
        .await
        .unwrap()
        .next_free_nonce;
    let mut last = None;
    for (i, key) in keys.iter().enumerate() {
        let tx = admin.sign(
            Enroll {
                org: Ident::new("police").unwrap(),
                member_key: key.public_key(),
                role: Role::Consumer,
                expires_at: now_ms() + YEAR_MS,
            },
            first + i as u64,
        );
        client.submit(&tx).await.unwrap();
        last = Some(tx.hash());
    }
    let last = last.expect("at least one signer");
    let deadline = Instant::now() + STARTUP_TIMEOUT;
    while !matches!(
        client.tx_status(&last).await.map(|s| s.status),
        Ok(dirchain_client::schema::chain::TxState::Finalized)
    ) {
        assert!(
            Instant::now() < deadline,
            "the enrolments never became final"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// What the observer saw: when each transaction was first final, and the
/// finalized blocks' heights, times and sizes.
#[derive(Default)]
struct Seen {
    final_at: HashMap<Digest, Instant>,
    twice: usize,
    blocks: Vec<(u64, u64, usize, Instant)>,
}

/// Follows node 0's finalized blocks until `stop`.
async fn observe(api: String, seen: Arc<Mutex<Seen>>, stop: Arc<AtomicBool>) {
    let client = Client::new(&api).unwrap();
    let mut next = client.status().await.unwrap().height + 1;
    while !stop.load(Ordering::Relaxed) {
        let Ok(status) = client.status().await else {
            continue;
        };
        while next <= status.height {
            let Ok(block) = client.block(next).await else {
                break;
            };
            let at = Instant::now();
            let mut seen = seen.lock().unwrap();
            for hash in &block.txs {
                let hash = input::digest("tx", hash).unwrap();
                if seen.final_at.insert(hash, at).is_some() {
                    seen.twice += 1;
                }
            }
            seen.blocks
                .push((next, block.header.timestamp_ms, block.txs.len(), at));
            next += 1;
        }
        tokio::time::sleep(OBSERVE_INTERVAL).await;
    }
}

/// What the node made of one submitted transaction.
enum Verdict {
    Taken,
    /// The mempool was full (`busy`): send it again.
    Busy,
    Refused,
}

/// One client's transactions taken (with when they were sent), sent again, and refused.
#[derive(Default)]
struct Submitted {
    taken: Vec<(Digest, Instant)>,
    busy: usize,
    refused: usize,
}

/// Sends `txs` to the node at `api`: one `POST /v1/tx`, or one `POST /v1/txs` for more.
async fn submit(http: &reqwest::Client, api: &str, txs: &[&(Digest, Bytes)]) -> Vec<Verdict> {
    if let [(_, tx)] = txs {
        let reply = http
            .post(format!("{api}/v1/tx"))
            .header("content-type", "application/octet-stream")
            .body(tx.clone())
            .send()
            .await;
        return vec![match reply.map(|r| r.status().as_u16()) {
            Ok(200 | 202) => Verdict::Taken,
            Ok(503) => Verdict::Busy,
            _ => Verdict::Refused,
        }];
    }
    let body = encode_submission(txs.iter().map(|(_, tx)| tx.clone()));
    let reply = http
        .post(format!("{api}/v1/txs"))
        .header("content-type", "application/octet-stream")
        .body(body)
        .send()
        .await;
    let results = match reply {
        Ok(r) if r.status().is_success() => r.json::<TxBatchResults>().await.ok(),
        Ok(r) if r.status().as_u16() == 503 => {
            return txs.iter().map(|_| Verdict::Busy).collect();
        }
        _ => None,
    };
    match results {
        Some(results) if results.results.len() == txs.len() => results
            .results
            .into_iter()
            .map(|item| match item.error {
                None => Verdict::Taken,
                Some(e) if e.code == "busy" || e.code == "signer_busy" => Verdict::Busy,
                Some(_) => Verdict::Refused,
            })
            .collect(),
        _ => txs.iter().map(|_| Verdict::Refused).collect(),
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p) as usize]
}

fn main() {
    let with_baseline = !std::env::args().any(|a| a == "--no-baseline");
    let validators = bench_arg("--validators", DEFAULT_VALIDATORS) as u16;
    let query_nodes = bench_arg("--query-nodes", u64::from(validators)).min(u64::from(validators));
    let seconds = bench_arg("--seconds", DEFAULT_SECONDS);
    let rate = bench_arg("--rate", 0);
    let signer_count = bench_arg("--signers", DEFAULT_SIGNERS) as usize;
    let clients = bench_arg("--clients", DEFAULT_CLIENTS) as usize;
    let max_txs = bench_arg("--max-txs", DEFAULT_MAX_TXS) as usize;
    let batch = (bench_arg("--batch", DEFAULT_BATCH) as usize).clamp(1, MAX_SUBMIT_BATCH);

    let query_flag = query_nodes.to_string();
    let mut devnet = Devnet::start_with(validators, NO_RESTART, &["--query-nodes", &query_flag]);
    let cli = Cli::new(&devnet);
    devnet.wait_for_first_blocks(STARTUP_TIMEOUT);
    let permissions = Permissions::grant(&cli);
    let permission = input::digest("permission", &permissions.live).unwrap();

    println!("measuring the ceiling ({} cores)...", cores());
    let ceiling = ceiling(permission);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let keys = signer_keys(signer_count);
    runtime.block_on(enroll(&devnet, &cli, &keys));

    // Every transaction of the run, signed now: per signer, in nonce order.
    let total = if rate == 0 {
        max_txs
    } else {
        (rate * seconds) as usize
    };
    println!("signing {total} transactions from {signer_count} signers...");
    let signers: Vec<Signer> = keys
        .into_iter()
        .map(|k| Signer::new(k, CHAIN_ID).unwrap())
        .collect();
    let per_signer = total.div_ceil(signer_count);
    let queues: Vec<Vec<(Digest, Bytes)>> = std::thread::scope(|scope| {
        let chunks: Vec<_> = signers
            .chunks(signer_count.div_ceil(cores()))
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|s| {
                            (0..per_signer as u64)
                                .map(|n| {
                                    let tx = record_access(s, permission, n);
                                    (tx.hash(), tx.encode())
                                })
                                .collect::<Vec<_>>()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        chunks.into_iter().flat_map(|c| c.join().unwrap()).collect()
    });

    // Each client owns every `clients`th signer and sends its transactions
    // round-robin over them, so each signer's go out in nonce order.
    let seen = Arc::new(Mutex::new(Seen::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let observer = runtime.spawn(observe(devnet.apis[0].clone(), seen.clone(), stop.clone()));
    let pids: Vec<i32> = (0..validators as usize)
        .map(|n| devnet.pid(n).expect("node runs"))
        .collect();
    let before: Vec<Usage> = pids.iter().map(|p| usage(*p).unwrap()).collect();
    let queues = Arc::new(queues);
    let scheduled = Arc::new(AtomicUsize::new(0));
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .build()
        .unwrap();
    let started = Instant::now();
    let window = Duration::from_secs(seconds);
    let stop_sampling = Arc::new(AtomicBool::new(false));
    let sampler = {
        let nodes = pids
            .iter()
            .copied()
            .zip(devnet.apis.iter().cloned())
            .collect();
        let (seen, stop) = (seen.clone(), stop_sampling.clone());
        std::thread::spawn(move || sample_memory(nodes, seen, started, stop))
    };
    let tasks: Vec<_> = (0..clients)
        .map(|c| {
            let (queues, scheduled, http) = (queues.clone(), scheduled.clone(), http.clone());
            let api = devnet.apis[c % devnet.apis.len()].clone();
            runtime.spawn(async move {
                let mine: Vec<usize> = (c..queues.len()).step_by(clients).collect();
                // This client's transactions in sending order: round-robin over its signers,
                // so each signer's go out in nonce order. The p-th is (signer, nonce).
                let mut position = 0;
                let total = per_signer * mine.len();
                let mut outcome = Submitted::default();
                let mut retry: Vec<(usize, usize)> = Vec::new();
                while started.elapsed() < window {
                    let mut next: Vec<(usize, usize)> = std::mem::take(&mut retry);
                    while next.len() < batch && position < total {
                        next.push((mine[position % mine.len()], position / mine.len()));
                        position += 1;
                    }
                    if next.is_empty() {
                        break;
                    }
                    if rate > 0 {
                        // Fixed rate: the k-th transaction leaves at k / rate.
                        let k = scheduled.fetch_add(next.len(), Ordering::Relaxed);
                        let due = started + Duration::from_secs_f64(k as f64 / rate as f64);
                        tokio::time::sleep_until(tokio::time::Instant::from_std(due)).await;
                    }
                    let txs: Vec<&(Digest, Bytes)> =
                        next.iter().map(|&(s, n)| &queues[s][n]).collect();
                    let sent = Instant::now();
                    let verdicts = submit(&http, &api, &txs).await;
                    for (slot, verdict) in next.into_iter().zip(verdicts) {
                        match verdict {
                            Verdict::Taken => outcome.taken.push((queues[slot.0][slot.1].0, sent)),
                            Verdict::Busy => {
                                outcome.busy += 1;
                                retry.push(slot);
                            }
                            Verdict::Refused => outcome.refused += 1,
                        }
                    }
                    if !retry.is_empty() {
                        tokio::time::sleep(BUSY_BACKOFF).await;
                    }
                }
                outcome
            })
        })
        .collect();
    let mut submitted = Vec::new();
    let (mut busy, mut refused) = (0, 0);
    for task in tasks {
        let outcome = runtime.block_on(task).unwrap();
        submitted.extend(outcome.taken);
        busy += outcome.busy;
        refused += outcome.refused;
    }
    let window_end = started + window;
    let after: Vec<Usage> = pids.iter().map(|p| usage(*p).unwrap()).collect();
    stop_sampling.store(true, Ordering::Relaxed);
    let memory = sampler.join().unwrap();
    let elapsed = started.elapsed().as_secs_f64().max(seconds as f64);

    // The last transactions become final after the window.
    let drain_deadline = Instant::now() + DRAIN_TIMEOUT;
    loop {
        let done = {
            let seen = seen.lock().unwrap();
            submitted.iter().all(|(h, _)| seen.final_at.contains_key(h))
        };
        if done || Instant::now() > drain_deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    stop.store(true, Ordering::Relaxed);
    runtime.block_on(observer).unwrap();
    let seen = seen.lock().unwrap();
    let refused_finalized: Vec<Option<u64>> = devnet
        .apis
        .iter()
        .map(|api| metric_value(&metrics_text(&devnet.http, api), REFUSED_FINALIZED_METRIC))
        .collect();
    devnet.stop();

    let final_in_window = submitted
        .iter()
        .filter(|(h, _)| seen.final_at.get(h).is_some_and(|at| *at <= window_end))
        .count();
    let lost = submitted
        .iter()
        .filter(|(h, _)| !seen.final_at.contains_key(h))
        .count();
    let disagreed = refused_finalized.iter().any(|n| *n != Some(0));
    if lost > 0 || disagreed {
        // A run that lost transactions, or where a node's verdict differed from the quorum's,
        // is one to read about; the devnet's directory goes when the run ends.
        let kept =
            Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("throughput-logs-{}", now_ms()));
        match devnet.keep_logs(&kept) {
            Ok(()) => println!("the nodes' logs are in {}", kept.display()),
            Err(error) => println!("the nodes' logs could not be kept: {error}"),
        }
    }
    let mut latencies: Vec<f64> = submitted
        .iter()
        .filter_map(|(h, sent)| {
            seen.final_at
                .get(h)
                .map(|at| at.duration_since(*sent).as_secs_f64() * 1000.0)
        })
        .collect();
    latencies.sort_by(f64::total_cmp);
    let in_window: Vec<&(u64, u64, usize, Instant)> = seen
        .blocks
        .iter()
        .filter(|(_, _, _, at)| *at >= started && *at <= window_end)
        .collect();
    let mut intervals: Vec<f64> = in_window
        .windows(2)
        .map(|w| w[1].1.saturating_sub(w[0].1) as f64)
        .collect();
    intervals.sort_by(f64::total_cmp);
    let mut sizes: Vec<f64> = in_window.iter().map(|b| b.2 as f64).collect();
    sizes.sort_by(f64::total_cmp);
    let throughput = final_in_window as f64 / seconds as f64;
    let network_ceiling = ceiling / f64::from(validators);

    let mode = if rate == 0 {
        "saturation".to_string()
    } else {
        format!("offered {rate} tx/s")
    };
    println!();
    println!(
        "throughput: {validators} validators ({query_nodes} with the query index), {mode}, \
         {seconds} s, {signer_count} signers, {clients} clients, {batch} per request"
    );
    println!(
        "ceiling: verify_txs on {} cores {ceiling:.0} tx/s; / {validators} validators = \
         {network_ceiling:.0} tx/s",
        cores()
    );
    println!(
        "submitted {} ({:.0}/s), final within the window {final_in_window} ({throughput:.0} tx/s), \
         ratio to the network ceiling {:.3}",
        submitted.len(),
        submitted.len() as f64 / elapsed,
        throughput / network_ceiling
    );
    println!(
        "submit-to-final: median {:.0} ms, p99 {:.0} ms; block time median {:.0} ms, p99 {:.0} ms; \
         txs per block median {:.0}, max {:.0}",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        percentile(&intervals, 0.5),
        percentile(&intervals, 0.99),
        percentile(&sizes, 0.5),
        sizes.last().copied().unwrap_or(0.0),
    );
    println!(
        "lost (accepted, never final): {lost}; final twice: {}; busy (503, retried): {busy}; \
         refused: {refused}",
        seen.twice
    );
    println!(
        "blocks a node voted against that were finalized, per node: {}",
        refused_finalized
            .iter()
            .map(|n| n.map_or("?".to_string(), |n| n.to_string()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if rate == 0 && submitted.len() + refused >= per_signer * signer_count {
        println!(
            "(every pre-signed transaction was sent: raise --max-txs for a true saturation run)"
        );
    }
    if with_baseline {
        let records: Arc<Vec<Vec<u8>>> =
            Arc::new(queues.iter().flatten().map(|(_, b)| b.to_vec()).collect());
        let server = baseline::Server::start();
        let appended = runtime.block_on(baseline::run(&server, records, clients, window, rate));
        let mut latencies = appended.latencies_ms;
        latencies.sort_by(f64::total_cmp);
        let baseline_rate = appended.rows as f64 / seconds as f64;
        println!(
            "baseline, PostgreSQL hash-chained audit table, {clients} connections: \
             {baseline_rate:.0} rows/s, commit median {:.1} ms, p99 {:.1} ms, chain intact: {}; \
             dirchain / baseline {:.3}",
            percentile(&latencies, 0.5),
            percentile(&latencies, 0.99),
            appended.chain_ok,
            throughput / baseline_rate
        );
    }
    println!("| node | CPU (cores) | peak memory | resident at start / end |");
    println!("| --- | --- | --- | --- |");
    for (n, (b, a)) in before.iter().zip(&after).enumerate() {
        println!(
            "| {n} | {:.2} | {} MiB | {} / {} MiB |",
            (a.cpu_seconds - b.cpu_seconds) / elapsed,
            a.peak_kib / 1024,
            b.rss_kib / 1024,
            a.rss_kib / 1024
        );
    }
    report_memory(&memory, window);
}
