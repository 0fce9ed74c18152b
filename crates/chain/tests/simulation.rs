//! Deterministic simulation of a consortium: four validators on the engine's
//! deterministic runtime and simulated network, under lossy and slow links, a
//! crash with unclean restart, and a partition. Every run checks that no honest
//! node voted against a block the network finalized, that honest
//! nodes finalize the same block with the same state root at every height,
//! that every transaction acknowledged as final is in every node's chain, and
//! that progress resumes once the fault ends.
//!
//! Seeds: `SIMULATION_SEEDS` (default 50) per scenario; `SIMULATION_SEED_BASE`
//! shifts the range, so a failure is replayed with its seed.

use commonware_codec::Encode;
use commonware_cryptography::Signer as _;
use commonware_p2p::simulated::{self, Link, Network, Oracle};
use commonware_runtime::{
    Clock, Handle as TaskHandle, Quota, Runner as _, Spawner, Supervisor as _, deterministic,
};
use commonware_utils::{NZU32, NZUsize, probability};
use dirchain_chain::{
    Handle, NodeRole, TxStatus,
    engine::{self, Channels, EngineConfig},
    limits::*,
};
use dirchain_state::testkit::{self, key_for};
use dirchain_types::{
    domain::Role,
    genesis::Genesis,
    ids::{Digest, PublicKey},
    tx::{Enroll, Transaction},
};
use std::time::Duration;

const VALIDATORS: usize = 4;

/// The seeds to run, each named on stderr as it starts: the test harness shows a failing
/// test's output, whose last seed is the one to replay.
fn seeds() -> impl Iterator<Item = u64> {
    let count = std::env::var("SIMULATION_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(50);
    let base = std::env::var("SIMULATION_SEED_BASE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (base..base + count).inspect(|seed| eprintln!("seed {seed}"))
}

fn genesis() -> Genesis {
    let mut genesis = testkit::genesis();
    // The simulated clock starts at the Unix epoch; blocks may not claim times ahead of it.
    genesis.timestamp_ms = 0;
    genesis.validators = testkit::list(
        (0..VALIDATORS)
            .map(|i| key_for(&format!("validator-{i}")).public_key())
            .collect(),
    );
    genesis
}

fn validator_keys() -> Vec<PublicKey> {
    genesis().validators.to_vec()
}

/// The key of the one full node, which may join the network besides the validators.
const FULL_NODE: &str = "full-node-0";

/// Everyone the network admits: the validators and the full node.
fn all_keys() -> Vec<PublicKey> {
    let mut keys = validator_keys();
    keys.push(key_for(FULL_NODE).public_key());
    keys
}

type Oracle_ = Oracle<PublicKey, deterministic::Context>;

/// Registers a validator's channels and starts it; the returned task owns every actor of it,
/// so aborting the task is a crash.
async fn start_validator(
    context: &deterministic::Context,
    oracle: &Oracle_,
    index: usize,
    restart: u32,
) -> (Handle, TaskHandle<()>) {
    start_node(context, oracle, Node::Validator(index), restart, true).await
}

#[derive(Clone, Copy)]
enum Node {
    Validator(usize),
    Full,
}

/// Like [start_validator]; a `faithful` node must never stop on its own, a faulty one may
/// (its executor refuses to apply the honest chain onto its corrupted state).
async fn start_node(
    context: &deterministic::Context,
    oracle: &Oracle_,
    node: Node,
    restart: u32,
    faithful: bool,
) -> (Handle, TaskHandle<()>) {
    let (name, role, index) = match node {
        Node::Validator(index) => (format!("validator-{index}"), NodeRole::Validator, index),
        Node::Full => (FULL_NODE.to_string(), NodeRole::Full, VALIDATORS),
    };
    let key = key_for(&name);
    let public_key = key.public_key();
    let control = oracle.control(public_key.clone());
    let quota = Quota::per_second(NZU32!(100_000));
    let register = async |channel| control.register(channel, quota).await.unwrap();
    let channels = Channels {
        votes: register(VOTE_CHANNEL).await,
        certificates: register(CERTIFICATE_CHANNEL).await,
        consensus_resolver: register(CONSENSUS_RESOLVER_CHANNEL).await,
        blocks: register(BLOCK_CHANNEL).await,
        backfill: register(BACKFILL_CHANNEL).await,
        txs: register(TX_CHANNEL).await,
    };
    let (handle_tx, handle_rx) = commonware_utils::channel::oneshot::channel();
    let oracle = oracle.clone();
    let task = context
        .child("node")
        .with_attribute("index", index)
        .with_attribute("restart", restart)
        .spawn(move |context| async move {
            let started = engine::start(
                context,
                EngineConfig {
                    key,
                    role,
                    genesis: genesis(),
                    partition_prefix: name,
                    blocker: oracle.control(public_key),
                    peer_provider: oracle.manager(),
                    empty_block_interval: DEFAULT_EMPTY_BLOCK_INTERVAL,
                },
                channels,
            )
            .await
            .expect("validator starts");
            let _ = handle_tx.send(started.handle);
            let result = started.executor.await.expect("executor task");
            if faithful {
                result.expect("an honest executor never fails");
            }
        });
    (handle_rx.await.expect("started"), task)
}

/// The simulated network, every node linked to every other by `link`.
async fn network(context: &deterministic::Context, link: &Link) -> Oracle_ {
    let (network, oracle) = Network::new_with_peers(
        context.child("network"),
        simulated::Config {
            max_size: engine::max_message_size(VALIDATORS),
            max_peers_per_set: NZUsize!(VALIDATORS + 1),
            disconnect_on_block: true,
            tracked_peer_sets: NZUsize!(1),
        },
        all_keys(),
    )
    .await;
    network.start();
    link_all(&oracle, link).await;
    oracle
}

async fn link_all(oracle: &Oracle_, link: &Link) {
    let keys = all_keys();
    for a in &keys {
        for b in keys.iter().filter(|b| *b != a) {
            let _ = oracle.add_link(a.clone(), b.clone(), link.clone()).await;
        }
    }
}

/// Starts the validators in `indices`.
async fn start_validators(
    context: &deterministic::Context,
    oracle: &Oracle_,
    indices: impl IntoIterator<Item = usize>,
) -> Vec<(Handle, TaskHandle<()>)> {
    let mut nodes = Vec::new();
    for i in indices {
        nodes.push(start_validator(context, oracle, i, 0).await);
    }
    nodes
}

/// Waits until every transaction is final on every node.
async fn wait_final(context: &deterministic::Context, handles: &[&Handle], txs: &[Digest]) {
    let deadline = context.current() + Duration::from_secs(120);
    for tx in txs {
        for handle in handles {
            loop {
                let status = handle.tx_status(*tx).await.unwrap();
                if matches!(status, TxStatus::Finalized { .. }) {
                    break;
                }
                assert!(
                    context.current() < deadline,
                    "transaction {tx} never final: {status:?} at height {}",
                    handle.height()
                );
                context.sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

async fn unlink(oracle: &Oracle_, side: &[usize]) {
    let keys = all_keys();
    for (i, a) in keys.iter().enumerate() {
        for (j, b) in keys.iter().enumerate() {
            if side.contains(&i) != side.contains(&j) {
                let _ = oracle.remove_link(a.clone(), b.clone()).await;
            }
        }
    }
}

/// Enrolment transactions from the health organisation's admin, nonces `from..from + n`.
fn transactions(from: u64, n: u64) -> Vec<Vec<u8>> {
    let admin = key_for("health.admin");
    (from..from + n)
        .map(|nonce| {
            Transaction {
                chain_id: testkit::id(testkit::CHAIN_ID),
                channel: testkit::id("main"),
                signer: admin.public_key(),
                nonce,
                payload: Enroll {
                    org: testkit::id("health"),
                    member_key: key_for(&format!("member-{nonce}")).public_key(),
                    role: Role::Consumer,
                    expires_at: testkit::GENESIS_TIME + 100 * 365 * 24 * testkit::HOUR_MS,
                }
                .into(),
            }
            .sign(&admin)
            .encode()
            .to_vec()
        })
        .collect()
}

/// Access records from `member-0` (enrolled as a consumer by the first of [transactions]),
/// nonces `from..from + n`. They name no permission, so each is recorded as refused: every one
/// appends to the access log.
fn accesses(from: u64, n: u64) -> Vec<Vec<u8>> {
    let consumer = key_for("member-0");
    (from..from + n)
        .map(|nonce| {
            Transaction {
                chain_id: testkit::id(testkit::CHAIN_ID),
                channel: testkit::id("main"),
                signer: consumer.public_key(),
                nonce,
                payload: testkit::unknown_permission_access(&nonce.to_be_bytes()).into(),
            }
            .sign(&consumer)
            .encode()
            .to_vec()
        })
        .collect()
}

async fn wait_for_height(context: &deterministic::Context, handles: &[&Handle], height: u64) {
    let deadline = context.current() + Duration::from_secs(600);
    while handles.iter().any(|h| h.height() < height) {
        assert!(
            context.current() < deadline,
            "no progress to height {height}: heights {:?}",
            handles.iter().map(|h| h.height()).collect::<Vec<_>>()
        );
        context.sleep(Duration::from_millis(50)).await;
    }
}

/// The invariants: no node voted against a block the network finalized (verdicts must not
/// depend on the node or on timing: a view some validators certify and others refuse can
/// halt the network); same block and state root at every height every node still remembers;
/// and every transaction any node calls final is final, at the same place, on all.
async fn check_agreement(handles: &[&Handle], txs: &[Digest]) {
    for (i, handle) in handles.iter().enumerate() {
        assert_eq!(
            handle.refused_finalized(),
            0,
            "node {i} voted against a block the network finalized"
        );
    }
    let common = handles.iter().map(|h| h.height()).min().unwrap();
    for height in 1..=common {
        // What consensus and execution decide; when each node applied it is its own.
        let mut blocks = Vec::new();
        for handle in handles {
            blocks.push(
                handle
                    .finalized(height)
                    .await
                    .unwrap()
                    .map(|b| (b.digest, b.state_root, b.txs, b.timestamp_ms)),
            );
        }
        let reference = blocks.iter().flatten().next().copied();
        for block in blocks.iter().flatten() {
            assert_eq!(Some(*block), reference, "nodes disagree at height {height}");
        }
    }
    for tx in txs {
        let mut seen = None;
        for handle in handles {
            match handle.tx_status(*tx).await.unwrap() {
                TxStatus::Finalized { height, index, .. } if height <= common => {
                    assert!(
                        seen.is_none_or(|s| s == (height, index)),
                        "transaction final at two places"
                    );
                    seen = Some((height, index));
                }
                TxStatus::Finalized { .. }
                | TxStatus::Pending
                | TxStatus::Rejected { .. }
                | TxStatus::Unknown => {}
            }
        }
        if let Some((height, _)) = seen {
            for handle in handles {
                // A node restarted since knows the receipts of the blocks it applied since.
                if handle.finalized(height).await.unwrap().is_none() {
                    continue;
                }
                assert!(
                    matches!(handle.tx_status(*tx).await.unwrap(), TxStatus::Finalized { height: h, .. } if h == height),
                    "a transaction final on one node is missing on another"
                );
            }
        }
    }
}

/// Submits `txs` in one batch: one signer's consecutive nonces, admitted in order.
async fn submit_all(handle: &Handle, txs: Vec<Vec<u8>>) -> Vec<Digest> {
    handle
        .submit_batch(txs)
        .await
        .expect("the node runs")
        .into_iter()
        .map(|verdict| verdict.expect("accepted"))
        .collect()
}

fn lossy_link() -> Link {
    Link {
        latency: Duration::from_millis(80),
        jitter: Duration::from_millis(40),
        success_rate: probability!(0.9),
    }
}

fn good_link() -> Link {
    Link {
        latency: Duration::from_millis(10),
        jitter: Duration::from_millis(5),
        success_rate: probability!(1.0),
    }
}

#[test]
fn four_validators_agree_over_lossy_slow_links() {
    for seed in seeds() {
        deterministic::Runner::seeded(seed).start(|context| async move {
            let oracle = network(&context, &lossy_link()).await;
            let nodes = start_validators(&context, &oracle, 0..VALIDATORS).await;
            let handles: Vec<&Handle> = nodes.iter().map(|(h, _)| h).collect();
            let txs = submit_all(handles[(seed as usize) % VALIDATORS], transactions(0, 20)).await;
            wait_for_height(&context, &handles, 10).await;
            // Gossip reaches every mempool; the transactions end up final everywhere.
            wait_final(&context, &handles, &txs).await;
            check_agreement(&handles, &txs).await;
        });
    }
}

/// Links whose delays vary by more than a view: finalizations reach a node in bursts, often
/// while consensus asks it about a block whose ancestry it read before them.
fn jittery_link() -> Link {
    Link {
        latency: Duration::from_millis(20),
        jitter: Duration::from_millis(80),
        success_rate: probability!(0.95),
    }
}

#[test]
fn verdicts_do_not_depend_on_when_finalizations_arrive() {
    for seed in seeds() {
        deterministic::Runner::seeded(seed).start(|context| async move {
            let oracle = network(&context, &jittery_link()).await;
            let nodes = start_validators(&context, &oracle, 0..VALIDATORS).await;
            let handles: Vec<&Handle> = nodes.iter().map(|(h, _)| h).collect();
            // Waves of transactions to each node in turn keep blocks coming and non-empty.
            let mut txs = Vec::new();
            for wave in 0..8u64 {
                let to = handles[(seed + wave) as usize % VALIDATORS];
                txs.extend(submit_all(to, transactions(wave * 25, 25)).await);
                context.sleep(Duration::from_millis(150)).await;
            }
            wait_final(&context, &handles, &txs).await;
            let target = handles.iter().map(|h| h.height()).max().unwrap() + 5;
            wait_for_height(&context, &handles, target).await;
            check_agreement(&handles, &txs).await;
        });
    }
}

#[test]
fn a_crashed_validator_restarts_and_catches_up() {
    for seed in seeds() {
        deterministic::Runner::seeded(seed).start(|context| async move {
            let oracle = network(&context, &good_link()).await;
            let mut nodes = start_validators(&context, &oracle, 0..VALIDATORS).await;
            let victim = (seed as usize) % VALIDATORS;
            let entry = &nodes[(victim + 1) % VALIDATORS].0;
            let mut txs = submit_all(entry, transactions(0, 10)).await;
            {
                let handles: Vec<&Handle> = nodes.iter().map(|(h, _)| h).collect();
                wait_for_height(&context, &handles, 5).await;
                wait_final(&context, &handles, &txs[..1]).await;
            }
            // Access records in flight when the victim stops, some perhaps between its access
            // log's commit and its state's: the restarted node must agree on both.
            txs.extend(submit_all(entry, accesses(0, 40)).await);
            context.sleep(Duration::from_millis(seed % 700)).await;
            // Unclean stop: every actor of the victim is aborted mid-flight.
            let (_, task) = nodes.remove(victim);
            task.abort();
            let _ = task.await;
            let survivors: Vec<&Handle> = nodes.iter().map(|(h, _)| h).collect();
            let before = survivors.iter().map(|h| h.height()).max().unwrap();
            wait_for_height(&context, &survivors, before + 10).await;
            // Restarted on the same storage, it finds its chain and catches up.
            let restarted = start_validator(&context, &oracle, victim, 1).await;
            let mut handles: Vec<&Handle> = survivors.clone();
            handles.push(&restarted.0);
            // The restarted node knows the receipts of the blocks it applied since.
            wait_final(&context, &survivors, &txs).await;
            let target = survivors.iter().map(|h| h.height()).max().unwrap() + 5;
            wait_for_height(&context, &handles, target).await;
            check_agreement(&handles, &txs).await;
        });
    }
}

#[test]
fn a_healed_partition_resumes_progress() {
    for seed in seeds() {
        deterministic::Runner::seeded(seed).start(|context| async move {
            let oracle = network(&context, &good_link()).await;
            let nodes = start_validators(&context, &oracle, 0..VALIDATORS).await;
            let handles: Vec<&Handle> = nodes.iter().map(|(h, _)| h).collect();
            wait_for_height(&context, &handles, 5).await;
            // Two against two: no side has a quorum, so nothing is finalized.
            let side = [0usize, (seed as usize % 3) + 1];
            unlink(&oracle, &side).await;
            context.sleep(Duration::from_secs(2)).await;
            let stalled = handles.iter().map(|h| h.height()).max().unwrap();
            context.sleep(Duration::from_secs(10)).await;
            let during = handles.iter().map(|h| h.height()).max().unwrap();
            assert!(
                during <= stalled + 1,
                "seed {seed}: finalized without a quorum"
            );
            link_all(&oracle, &good_link()).await;
            let txs = submit_all(handles[0], transactions(0, 5)).await;
            wait_for_height(&context, &handles, during + 10).await;
            check_agreement(&handles, &txs).await;
        });
    }
}

#[test]
fn a_validator_with_corrupted_state_cannot_stop_the_others() {
    for seed in seeds() {
        deterministic::Runner::seeded(seed).start(|context| async move {
            let oracle = network(&context, &good_link()).await;
            // The faulty validator's state holds a record no one else has: every block it
            // proposes claims a root the others do not compute (an invalid block), and it
            // refuses every honest block.
            let faulty = (seed as usize) % VALIDATORS;
            {
                let mut ledger = dirchain_state::Ledger::open(
                    context.child("corrupt"),
                    &format!("validator-{faulty}-state"),
                    &genesis(),
                )
                .await
                .unwrap();
                ledger
                    .commit_writes(
                        0,
                        [(
                            dirchain_types::ids::sha256(&[b"forged"]),
                            Some(b"forged".to_vec()),
                        )]
                        .into(),
                    )
                    .await
                    .unwrap();
            }
            let mut honest = Vec::new();
            let mut faulty_node = None;
            for i in 0..VALIDATORS {
                let node = start_node(&context, &oracle, Node::Validator(i), 0, i != faulty).await;
                if i == faulty {
                    faulty_node = Some(node);
                } else {
                    honest.push(node);
                }
            }
            let handles: Vec<&Handle> = honest.iter().map(|(h, _)| h).collect();
            let txs = submit_all(handles[0], transactions(0, 5)).await;
            wait_for_height(&context, &handles, 12).await;
            check_agreement(&handles, &txs).await;
            let (faulty_handle, _) = faulty_node.unwrap();
            assert_eq!(
                faulty_handle.height(),
                0,
                "the faulty validator never applies the honest chain onto its state"
            );
        });
    }
}

#[test]
fn a_new_validator_joining_a_long_chain_catches_up() {
    for seed in seeds() {
        deterministic::Runner::seeded(seed).start(|context| async move {
            let oracle = network(&context, &good_link()).await;
            let newcomer = (seed as usize) % VALIDATORS;
            let nodes = start_validators(
                &context,
                &oracle,
                (0..VALIDATORS).filter(|i| *i != newcomer),
            )
            .await;
            let txs = submit_all(&nodes[0].0, transactions(0, 10)).await;
            {
                let handles: Vec<&Handle> = nodes.iter().map(|(h, _)| h).collect();
                wait_for_height(&context, &handles, 40).await;
            }
            // An empty node: it backfills forty blocks from its peers, executing each.
            let joined = start_validator(&context, &oracle, newcomer, 0).await;
            let mut handles: Vec<&Handle> = nodes.iter().map(|(h, _)| h).collect();
            handles.push(&joined.0);
            let target = handles.iter().map(|h| h.height()).max().unwrap() + 5;
            wait_for_height(&context, &handles, target).await;
            for tx in &txs {
                assert!(
                    matches!(
                        joined.0.tx_status(*tx).await.unwrap(),
                        TxStatus::Finalized { .. }
                    ),
                    "seed {seed}: the newcomer replayed every transaction"
                );
            }
            check_agreement(&handles, &txs).await;
        });
    }
}

#[test]
fn a_full_node_follows_the_chain_without_voting() {
    for seed in seeds() {
        deterministic::Runner::seeded(seed).start(|context| async move {
            let oracle = network(&context, &lossy_link()).await;
            let nodes = start_validators(&context, &oracle, 0..VALIDATORS).await;
            let full = start_node(&context, &oracle, Node::Full, 0, true).await;
            // Submitted to the full node: it gossips to the validators, which include it.
            let txs = submit_all(&full.0, transactions(0, 5)).await;
            let mut handles: Vec<&Handle> = nodes.iter().map(|(h, _)| h).collect();
            handles.push(&full.0);
            wait_for_height(&context, &handles, 10).await;
            wait_final(&context, &[&full.0], &txs).await;
            check_agreement(&handles, &txs).await;
        });
    }
}
