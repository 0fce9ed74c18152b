//! Consensus figures of a local devnet: finalized blocks per second with empty
//! blocks, block time and finality latency (median, p99).
//!
//! Starts the real `dirchain devnet` (separate node processes on loopback),
//! waits for it to warm up, then polls node 0's `GET /v1/status` and records,
//! for every newly finalized height it sees, the block's own time and the
//! moment the API first reports it final. Finality latency is that moment
//! minus the block time: proposal to visibly final, including the API.
//!
//! Leaders do not wait for transactions (`--empty-block-interval-ms 0`): the
//! figure is how fast consensus goes, not the idle rate (2 blocks/s by default).
//!
//! `cargo bench -p dirchain-cli --bench consensus -- [--validators N] [--seconds S]`

#[path = "../tests/support/mod.rs"]
mod support;

use serde_json::Value;
use std::{
    fs,
    process::{Child, Command, Stdio},
    thread,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

const DEFAULT_VALIDATORS: u16 = 4;
const DEFAULT_SECONDS: u64 = 30;
/// Blocks finalized before measuring starts (connections made, caches warm).
const WARM_UP_HEIGHT: u64 = 20;
const POLL_INTERVAL: Duration = Duration::from_millis(2);
const START_TIMEOUT: Duration = Duration::from_secs(120);

fn main() {
    let validators = support::bench_arg("--validators", DEFAULT_VALIDATORS.into()) as u16;
    let seconds = support::bench_arg("--seconds", DEFAULT_SECONDS);

    let dir = tempfile::tempdir().expect("temporary directory");
    let base_port = support::free_base_port(validators);
    let log = fs::File::create(dir.path().join("devnet.log")).expect("log file");
    let mut devnet = Devnet(
        Command::new(env!("CARGO_BIN_EXE_dirchain"))
            .args([
                "devnet",
                "--quiet",
                "--no-restart",
                "--empty-block-interval-ms",
                "0",
            ])
            .args(["--validators", &validators.to_string()])
            .arg("--dir")
            .arg(dir.path().join("devnet"))
            .args(["--base-port", &base_port.to_string()])
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .spawn()
            .expect("dirchain devnet starts"),
    );
    let api = format!(
        "http://127.0.0.1:{}/v1/status",
        base_port + support::API_PORT_OFFSET
    );
    let http = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .expect("HTTP client");
    let status = || -> Option<(u64, u64)> {
        let body: Value =
            serde_json::from_slice(&http.get(&api).send().ok()?.bytes().ok()?).ok()?;
        Some((
            body["height"].as_u64()?,
            body["block_timestamp_ms"].as_u64()?,
        ))
    };

    let started = Instant::now();
    while status().is_none_or(|(height, _)| height < WARM_UP_HEIGHT) {
        assert!(
            started.elapsed() < START_TIMEOUT,
            "the devnet did not reach height {WARM_UP_HEIGHT}; see {}",
            dir.path().join("devnet.log").display()
        );
        thread::sleep(Duration::from_millis(100));
    }

    // (height, block time, first seen final) for each new height observed.
    let mut seen: Vec<(u64, u64, u64)> = Vec::new();
    let end = Instant::now() + Duration::from_secs(seconds);
    while Instant::now() < end {
        if let Some((height, block_ms)) = status()
            && seen.last().is_none_or(|(h, _, _)| height > *h)
        {
            seen.push((height, block_ms, now_ms()));
        }
        thread::sleep(POLL_INTERVAL);
    }
    devnet.stop();

    let (first, last) = (
        seen.first().expect("observed"),
        seen.last().expect("observed"),
    );
    let blocks = last.0 - first.0;
    let span_s = (last.2 - first.2) as f64 / 1e3;
    // Block time between consecutive observations, per block (a poll can see two at once).
    let mut block_times: Vec<f64> = seen
        .windows(2)
        .map(|w| (w[1].1 - w[0].1) as f64 / (w[1].0 - w[0].0) as f64)
        .collect();
    let mut finality: Vec<f64> = seen
        .iter()
        .map(|(_, block_ms, seen_ms)| seen_ms.saturating_sub(*block_ms) as f64)
        .collect();
    println!(
        "consensus: {validators} validators, empty blocks, {seconds} s after height {WARM_UP_HEIGHT}"
    );
    println!(
        "  finalized blocks/s   {:>8.1}   ({blocks} blocks in {span_s:.1} s)",
        blocks as f64 / span_s
    );
    println!(
        "  block time ms        median {:>7.1}   p99 {:>7.1}",
        quantile(&mut block_times, 0.5),
        quantile(&mut block_times, 0.99)
    );
    println!(
        "  finality latency ms  median {:>7.1}   p99 {:>7.1}   ({} heights observed)",
        quantile(&mut finality, 0.5),
        quantile(&mut finality, 0.99),
        finality.len()
    );
}

/// Stops the devnet (SIGTERM, as Ctrl-C would) even if the benchmark panics.
struct Devnet(Child);

impl Devnet {
    fn stop(&mut self) {
        let pid = rustix::process::Pid::from_child(&self.0);
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
        let _ = self.0.wait();
    }
}

impl Drop for Devnet {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            self.stop();
        }
    }
}

fn quantile(values: &mut [f64], q: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    values[((values.len() - 1) as f64 * q).round() as usize]
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_millis() as u64
}
