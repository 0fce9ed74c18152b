//! A real `dirchain devnet` for end-to-end tests: its processes, its HTTP
//! APIs, and its clean-up (every process it started is killed when the test
//! ends, and the logs are printed if the test failed).

// Each test binary uses a different part of this module.
#![allow(dead_code)]

pub mod cli;
pub mod registry;

use rustix::process::{Pid, Signal, kill_process, test_kill_process};
use serde_json::Value;
use std::{
    fs,
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, ExitStatus, Stdio},
    thread::sleep,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

pub const CHAIN_ID: &str = "dirchain-devnet";
/// The devnet puts node `i`'s API on `base + API_PORT_OFFSET + i`.
pub const API_PORT_OFFSET: u16 = 1000;
pub const POLL_INTERVAL: Duration = Duration::from_millis(250);
const HTTP_TIMEOUT: Duration = Duration::from_secs(5);
/// Lines of each log shown when the test fails.
const LOG_TAIL_LINES: usize = 40;
/// The devnet gives each node 20 s to stop, all at once, before killing it.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(60);

/// The devnet process and its directory.
pub struct Devnet {
    pub process: Child,
    pub dir: tempfile::TempDir,
    output: PathBuf,
    pub apis: Vec<String>,
    pub http: reqwest::blocking::Client,
}

impl Devnet {
    /// Starts `dirchain devnet` with `validators` validators in a new directory.
    pub fn start(validators: u16, restart_delay: Duration) -> Self {
        Self::start_with(validators, restart_delay, &[])
    }

    /// [Devnet::start], with more `dirchain devnet` flags.
    pub fn start_with(validators: u16, restart_delay: Duration, flags: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let base_port = free_base_port(validators);
        let output = dir.path().join("devnet-output.log");
        let log = fs::File::create(&output).unwrap();
        let devnet_dir = dir.path().join("devnet");
        let process = Command::new(env!("CARGO_BIN_EXE_dirchain"))
            .arg("devnet")
            .args(["--validators", &validators.to_string()])
            .arg("--dir")
            .arg(&devnet_dir)
            .args(["--base-port", &base_port.to_string()])
            .args(["--restart-delay", &restart_delay.as_secs().to_string()])
            .args(flags)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let apis = (0..validators)
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

    /// Waits until every node has finalized a block: processes up, p2p
    /// connected, consensus under way.
    pub fn wait_for_first_blocks(&self, timeout: Duration) {
        self.wait_until(timeout, "every node finalized a block", |d| {
            d.heights().iter().all(|h| h.is_some_and(|h| h >= 1))
        });
    }

    pub fn devnet_dir(&self) -> PathBuf {
        self.dir.path().join("devnet")
    }

    pub fn node_dir(&self, node: usize) -> PathBuf {
        self.devnet_dir().join(format!("node-{node}"))
    }

    pub fn pid(&self, node: usize) -> Option<i32> {
        fs::read_to_string(self.node_dir(node).join("node.pid"))
            .ok()?
            .trim()
            .parse()
            .ok()
    }

    /// `GET path` on `node`: the status and the JSON answer.
    pub fn get(&self, node: usize, path: &str) -> Option<(u16, Value)> {
        let reply = self
            .http
            .get(format!("{}{path}", self.apis[node]))
            .send()
            .ok()?;
        let status = reply.status().as_u16();
        Some((status, json(reply)?))
    }

    pub fn status(&self, node: usize) -> Option<Value> {
        match self.get(node, "/v1/status")? {
            (200, body) => Some(body),
            _ => None,
        }
    }

    pub fn height(&self, node: usize) -> Option<u64> {
        self.status(node)?["height"].as_u64()
    }

    pub fn heights(&self) -> Vec<Option<u64>> {
        (0..self.apis.len()).map(|n| self.height(n)).collect()
    }

    /// Waits for `done`, failing the test with `what` and the heights after `timeout`.
    pub fn wait_until(&self, timeout: Duration, what: &str, mut done: impl FnMut(&Self) -> bool) {
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

    /// Sends SIGTERM to the devnet and waits for it to exit.
    pub fn stop(&mut self) -> ExitStatus {
        kill_process(
            Pid::from_raw(self.process.id() as i32).unwrap(),
            Signal::TERM,
        )
        .unwrap();
        let deadline = Instant::now() + STOP_TIMEOUT;
        loop {
            if let Some(status) = self.process.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the devnet did not stop after SIGTERM"
            );
            sleep(POLL_INTERVAL);
        }
    }

    /// The log the devnet keeps of node `node`.
    pub fn node_log(&self, node: usize) -> PathBuf {
        self.node_dir(node).join("node.log")
    }

    /// Copies every node's log into `into`, out of the devnet's directory,
    /// which is deleted when the devnet is dropped.
    pub fn keep_logs(&self, into: &Path) -> std::io::Result<()> {
        fs::create_dir_all(into)?;
        for node in 0..self.apis.len() {
            fs::copy(self.node_log(node), into.join(format!("node-{node}.log")))?;
        }
        Ok(())
    }

    fn print_logs(&self) {
        let mut logs = vec![self.output.clone()];
        logs.extend((0..self.apis.len()).map(|n| self.node_log(n)));
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

/// A base port whose p2p and API ports for `nodes` nodes are all free now,
/// starting from one the OS hands out.
pub fn free_base_port(nodes: u16) -> u16 {
    loop {
        let base = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let Some(top) = base.checked_add(API_PORT_OFFSET + nodes) else {
            continue;
        };
        let ports = (base..base + nodes).chain(base + API_PORT_OFFSET..top);
        if ports
            .map(|p| TcpListener::bind(("127.0.0.1", p)))
            .collect::<Result<Vec<_>, _>>()
            .is_ok()
        {
            return base;
        }
    }
}

/// The value of the unlabelled metric `name` in a node's `/metrics` text.
pub fn metric_value(text: &str, name: &str) -> Option<u64> {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|value| value.trim().parse().ok())
}

pub fn json(reply: reqwest::blocking::Response) -> Option<Value> {
    serde_json::from_slice(&reply.bytes().ok()?).ok()
}

/// A benchmark's numeric option `name` (`--seconds 30`), or `default`.
pub fn bench_arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{name} takes a number, not {v:?}"))
        })
        .unwrap_or(default)
}

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

pub fn alive(pid: i32) -> bool {
    Pid::from_raw(pid).is_some_and(|pid| test_kill_process(pid).is_ok())
}
