//! End to end, with real processes: `dirchain devnet` starts four validators,
//! which finalize blocks and transactions; one validator is killed with
//! SIGKILL, the other three keep finalizing, the devnet restarts it and it
//! catches up; SIGTERM stops the devnet and every node with it.

mod support;

use commonware_codec::Encode;
use commonware_cryptography::Signer;
use dirchain_client::keys;
use dirchain_types::{
    bounded::Ident,
    domain::Role,
    ids::{PrivateKey, system_channel},
    tx::{Enroll, SignedTx, Transaction},
};
use rustix::process::{Pid, Signal, kill_process};
use std::{path::Path, time::Duration};
use support::{CHAIN_ID, Devnet, alive, json, now_ms};

const VALIDATORS: u16 = 4;
/// The validator that is killed and restarted.
const VICTIM: usize = 3;
/// Blocks every node must finalize before the test starts disturbing them, and blocks the
/// survivors must finalize while the victim is down.
const PROGRESS_BLOCKS: u64 = 3;
/// The devnet's restart delay: the window in which the survivors must show progress.
const RESTART_DELAY: Duration = Duration::from_secs(20);
/// Inside the restart delay, so the victim is surely still down when progress is seen.
const WHILE_DOWN_TIMEOUT: Duration = Duration::from_secs(15);
/// First start: processes, p2p handshakes, the first views.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(180);
const CATCH_UP_TIMEOUT: Duration = Duration::from_secs(120);
const TX_TIMEOUT: Duration = Duration::from_secs(120);
const YEAR_MS: u64 = 365 * 24 * 60 * 60 * 1000;

/// The hash the node answers with, which must be the transaction's own.
fn submit(devnet: &Devnet, node: usize, tx: &SignedTx) -> String {
    let reply = devnet
        .http
        .post(format!("{}/v1/tx", devnet.apis[node]))
        .header("content-type", "application/octet-stream")
        .body(tx.encode().to_vec())
        .send()
        .unwrap();
    let status = reply.status();
    let body = json(reply).expect("a JSON answer");
    assert_eq!(status.as_u16(), 202, "submission refused: {body}");
    let hash = tx.hash().to_string();
    assert_eq!(body["hash"], hash.as_str());
    hash
}

fn tx_status(devnet: &Devnet, node: usize, hash: &str) -> Option<String> {
    let (_, body) = devnet.get(node, &format!("/v1/tx/{hash}"))?;
    body["status"].as_str().map(str::to_string)
}

fn admin_key(devnet: &Devnet, org: &str) -> PrivateKey {
    keys::read_key(
        &devnet
            .devnet_dir()
            .join("keys")
            .join(format!("{org}.admin.key")),
    )
    .unwrap()
}

/// An `Enroll` of a fresh consumer key, signed by the organisation's admin.
fn enroll(admin: &PrivateKey, org: &str, nonce: u64, member_seed: u64) -> SignedTx {
    Transaction {
        chain_id: Ident::new(CHAIN_ID).unwrap(),
        channel: system_channel(),
        signer: admin.public_key(),
        nonce,
        payload: Enroll {
            org: Ident::new(org).unwrap(),
            member_key: PrivateKey::from_seed(member_seed).public_key(),
            role: Role::Consumer,
            expires_at: now_ms() + YEAR_MS,
        }
        .into(),
    }
    .sign(admin)
}

fn min_height(heights: &[Option<u64>], nodes: impl Iterator<Item = usize>) -> Option<u64> {
    nodes.map(|n| heights[n]).min().flatten()
}

#[test]
fn devnet_finalizes_survives_a_killed_validator_and_stops_cleanly() {
    let mut devnet = Devnet::start(VALIDATORS, RESTART_DELAY);
    let all = || 0..usize::from(VALIDATORS);
    let survivors = || all().filter(|n| *n != VICTIM);

    devnet.wait_until(STARTUP_TIMEOUT, "every node finalized 3 blocks", |d| {
        min_height(&d.heights(), all()).is_some_and(|h| h >= PROGRESS_BLOCKS)
    });

    // Two from one signer (nonces in order, to one node), and one each from the other
    // organisations through other nodes, so gossip has to carry them.
    let health = admin_key(&devnet, "health");
    let hashes = [
        submit(&devnet, 0, &enroll(&health, "health", 0, 1_000)),
        submit(&devnet, 0, &enroll(&health, "health", 1, 1_001)),
        submit(
            &devnet,
            1,
            &enroll(&admin_key(&devnet, "police"), "police", 0, 1_002),
        ),
        submit(
            &devnet,
            2,
            &enroll(&admin_key(&devnet, "tax"), "tax", 0, 1_003),
        ),
    ];

    let victim_pid = devnet.pid(VICTIM).expect("the victim's pid file");
    kill_process(Pid::from_raw(victim_pid).unwrap(), Signal::KILL).unwrap();
    let killed_at = min_height(&devnet.heights(), survivors()).expect("survivors answer");
    devnet.wait_until(
        WHILE_DOWN_TIMEOUT,
        "the other validators finalized 3 more blocks",
        |d| min_height(&d.heights(), survivors()).is_some_and(|h| h >= killed_at + PROGRESS_BLOCKS),
    );
    assert_eq!(
        devnet.height(VICTIM),
        None,
        "the killed validator must still be down"
    );

    devnet.wait_until(
        RESTART_DELAY + STARTUP_TIMEOUT,
        "the devnet restarted the killed validator",
        |d| d.pid(VICTIM).is_some_and(|pid| pid != victim_pid),
    );
    let target = survivors()
        .filter_map(|n| devnet.height(n))
        .max()
        .expect("survivors answer");
    devnet.wait_until(CATCH_UP_TIMEOUT, "the restarted validator caught up", |d| {
        d.height(VICTIM).is_some_and(|h| h >= target)
    });

    devnet.wait_until(
        TX_TIMEOUT,
        "every transaction is finalized on every node",
        |d| {
            all().all(|n| {
                hashes
                    .iter()
                    .all(|h| tx_status(d, n, h).as_deref() == Some("finalized"))
            })
        },
    );

    let node_pids: Vec<i32> = all()
        .map(|n| devnet.pid(n).expect("a running node has a pid file"))
        .collect();
    let status = devnet.stop();
    assert!(status.success(), "the devnet exited with {status}");
    for (node, pid) in node_pids.into_iter().enumerate() {
        assert!(!alive(pid), "node-{node} (pid {pid}) outlived the devnet");
        assert!(
            !devnet.node_dir(node).join("node.pid").exists(),
            "node-{node}'s pid file is left behind"
        );
    }
    assert_devnet_files(&devnet.devnet_dir());
}

/// What the devnet leaves for the next run to resume.
fn assert_devnet_files(dir: &Path) {
    for file in [
        "devnet.toml",
        "genesis.bin",
        "subject.key",
        "keys/health.admin.key",
    ] {
        assert!(dir.join(file).exists(), "{file} is missing");
    }
}
