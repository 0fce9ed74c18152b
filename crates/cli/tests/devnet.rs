//! End to end, with real processes: `dirchain devnet` starts four validators,
//! which finalize blocks and transactions; one validator is killed with
//! SIGKILL, the other three keep finalizing, the devnet restarts it and it
//! catches up; SIGTERM stops the devnet and every node with it.

use commonware_codec::Encode;
use commonware_cryptography::Signer;
use dirchain_cli::files;
use dirchain_types::{
    bounded::Ident,
    domain::Role,
    ids::{PrivateKey, system_channel},
    tx::{Enroll, SignedTx, Transaction},
};
use rustix::process::{Pid, Signal, kill_process, test_kill_process};
use serde_json::Value;
use std::{
    fs,
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    thread::sleep,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

const VALIDATORS: u16 = 4;
const CHAIN_ID: &str = "dirchain-devnet";
const API_PORT_OFFSET: u16 = 1000;
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
/// The devnet gives each node 20 s to stop, all at once, before killing it.
const STOP_TIMEOUT: Duration = Duration::from_secs(60);
const POLL_INTERVAL: Duration = Duration::from_millis(250);
const HTTP_TIMEOUT: Duration = Duration::from_secs(2);
/// Lines of each log shown when the test fails.
const LOG_TAIL_LINES: usize = 40;
const YEAR_MS: u64 = 365 * 24 * 60 * 60 * 1000;

/// The devnet process and its directory; kills everything it started if the test fails.
struct Devnet {
    process: Child,
    dir: tempfile::TempDir,
    output: PathBuf,
    apis: Vec<String>,
    http: reqwest::blocking::Client,
}

impl Devnet {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let base_port = free_base_port();
        let output = dir.path().join("devnet-output.log");
        let log = fs::File::create(&output).unwrap();
        let devnet_dir = dir.path().join("devnet");
        let process = Command::new(env!("CARGO_BIN_EXE_dirchain"))
            .arg("devnet")
            .args(["--validators", &VALIDATORS.to_string()])
            .arg("--dir")
            .arg(&devnet_dir)
            .args(["--base-port", &base_port.to_string()])
            .args(["--restart-delay", &RESTART_DELAY.as_secs().to_string()])
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let apis = (0..VALIDATORS)
            .map(|i| format!("http://127.0.0.1:{}", base_port + API_PORT_OFFSET + i))
            .collect();
        let http = reqwest::blocking::Client::builder()
            .timeout(HTTP_TIMEOUT)
            .build()
            .unwrap();
        Self {
            process,
            dir,
            output,
            apis,
            http,
        }
    }

    fn devnet_dir(&self) -> PathBuf {
        self.dir.path().join("devnet")
    }

    fn node_dir(&self, node: usize) -> PathBuf {
        self.devnet_dir().join(format!("node-{node}"))
    }

    fn pid(&self, node: usize) -> Option<i32> {
        fs::read_to_string(self.node_dir(node).join("node.pid"))
            .ok()?
            .trim()
            .parse()
            .ok()
    }

    fn height(&self, node: usize) -> Option<u64> {
        let reply = self
            .http
            .get(format!("{}/v1/status", self.apis[node]))
            .send()
            .ok()?;
        if !reply.status().is_success() {
            return None;
        }
        json(reply)?["height"].as_u64()
    }

    fn heights(&self) -> Vec<Option<u64>> {
        (0..self.apis.len()).map(|n| self.height(n)).collect()
    }

    /// The hash the node answers with, which must be the transaction's own.
    fn submit(&self, node: usize, tx: &SignedTx) -> String {
        let reply = self
            .http
            .post(format!("{}/v1/tx", self.apis[node]))
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

    fn tx_status(&self, node: usize, hash: &str) -> Option<String> {
        let reply = self
            .http
            .get(format!("{}/v1/tx/{hash}", self.apis[node]))
            .send()
            .ok()?;
        json(reply)?["status"].as_str().map(str::to_string)
    }

    fn admin_key(&self, org: &str) -> PrivateKey {
        files::read_key(
            &self
                .devnet_dir()
                .join("keys")
                .join(format!("{org}.admin.key")),
        )
        .unwrap()
    }

    /// Waits for `done`, failing the test with `what` and the heights after `timeout`.
    fn wait_until(&self, timeout: Duration, what: &str, mut done: impl FnMut(&Self) -> bool) {
        let deadline = Instant::now() + timeout;
        while !done(self) {
            assert!(
                Instant::now() < deadline,
                "timed out after {timeout:?} waiting until {what}; heights {:?}",
                self.heights()
            );
            sleep(POLL_INTERVAL);
        }
    }

    fn print_logs(&self) {
        let mut logs = vec![self.output.clone()];
        logs.extend((0..self.apis.len()).map(|n| self.node_dir(n).join("node.log")));
        for log in logs {
            let text = fs::read_to_string(&log).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            eprintln!("----- {} (last {LOG_TAIL_LINES} lines)", log.display());
            for line in &lines[lines.len().saturating_sub(LOG_TAIL_LINES)..] {
                eprintln!("{line}");
            }
        }
    }
}

impl Drop for Devnet {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.print_logs();
        }
        // Nodes run in their own process groups and outlive a killed devnet: kill them too.
        if let Ok(None) = self.process.try_wait() {
            let _ = self.process.kill();
            let _ = self.process.wait();
        }
        for node in 0..self.apis.len() {
            if let Some(pid) = self.pid(node).and_then(Pid::from_raw) {
                let _ = kill_process(pid, Signal::KILL);
            }
        }
    }
}

/// A base port whose p2p and API ports are all free now, starting from one the OS hands out.
fn free_base_port() -> u16 {
    loop {
        let base = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let Some(top) = base.checked_add(API_PORT_OFFSET + VALIDATORS) else {
            continue;
        };
        let ports = (base..base + VALIDATORS).chain(base + API_PORT_OFFSET..top);
        if ports
            .map(|p| TcpListener::bind(("127.0.0.1", p)))
            .collect::<Result<Vec<_>, _>>()
            .is_ok()
        {
            return base;
        }
    }
}

fn json(reply: reqwest::blocking::Response) -> Option<Value> {
    serde_json::from_slice(&reply.bytes().ok()?).ok()
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
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

fn alive(pid: i32) -> bool {
    Pid::from_raw(pid).is_some_and(|pid| test_kill_process(pid).is_ok())
}

fn min_height(heights: &[Option<u64>], nodes: impl Iterator<Item = usize>) -> Option<u64> {
    nodes.map(|n| heights[n]).min().flatten()
}

#[test]
fn devnet_finalizes_survives_a_killed_validator_and_stops_cleanly() {
    let mut devnet = Devnet::start();
    let all = || 0..usize::from(VALIDATORS);
    let survivors = || all().filter(|n| *n != VICTIM);

    devnet.wait_until(STARTUP_TIMEOUT, "every node finalized 3 blocks", |d| {
        min_height(&d.heights(), all()).is_some_and(|h| h >= PROGRESS_BLOCKS)
    });

    // Two from one signer (nonces in order, to one node), and one each from the other
    // organisations through other nodes, so gossip has to carry them.
    let health = devnet.admin_key("health");
    let hashes = [
        devnet.submit(0, &enroll(&health, "health", 0, 1_000)),
        devnet.submit(0, &enroll(&health, "health", 1, 1_001)),
        devnet.submit(1, &enroll(&devnet.admin_key("police"), "police", 0, 1_002)),
        devnet.submit(2, &enroll(&devnet.admin_key("tax"), "tax", 0, 1_003)),
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
                    .all(|h| d.tx_status(n, h).as_deref() == Some("finalized"))
            })
        },
    );

    let node_pids: Vec<i32> = all()
        .map(|n| devnet.pid(n).expect("a running node has a pid file"))
        .collect();
    kill_process(
        Pid::from_raw(devnet.process.id() as i32).unwrap(),
        Signal::TERM,
    )
    .unwrap();
    let deadline = Instant::now() + STOP_TIMEOUT;
    let status = loop {
        if let Some(status) = devnet.process.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the devnet did not stop after SIGTERM"
        );
        sleep(POLL_INTERVAL);
    };
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
    for file in ["devnet.toml", "genesis.bin", "keys/health.admin.key"] {
        assert!(dir.join(file).exists(), "{file} is missing");
    }
}
