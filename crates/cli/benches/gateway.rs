//! Requests per second through the data-exchange gateway, with every access
//! signed, checked against the ledger and recorded, against the same
//! requests sent straight to the upstream data service; and the ratio.
//!
//! Starts a real devnet (4 validators unless told otherwise), the demo data
//! service and `dirchain gateway` (release build), then runs `--clients`
//! concurrent clients for `--seconds` each way: straight to upstream
//! (`GET /registrations/{parcel}`), then through the gateway (the same
//! request signed by a police consumer key under a live permission). After
//! the gateway run it waits for the outbox to drain and checks that the
//! ledger holds one access record per served request.
//!
//! `cargo bench -p dirchain-cli --bench gateway -- [--validators N] [--seconds S] [--clients C]`

#[path = "../tests/support/mod.rs"]
mod support;

use dirchain_client::{GatewayClient, input, keys, types::bounded::Ident};
use reqwest::Method;
use std::{
    path::Path,
    sync::Arc,
    time::{Duration, Instant},
};
use support::{
    CHAIN_ID, Devnet, bench_arg,
    cli::Cli,
    registry::{ITEM, Registry, WAIT_TIMEOUT, gateway_status},
};

const DEFAULT_VALIDATORS: u16 = 4;
const DEFAULT_SECONDS: u64 = 15;
const DEFAULT_CLIENTS: usize = 16;
const STARTUP_TIMEOUT: Duration = Duration::from_secs(180);
const NO_RESTART: Duration = Duration::from_secs(3600);
/// Large enough that the outbox never stops the run.
const OUTBOX_MAX_ENTRIES: u64 = 1_000_000;
const PARCELS: usize = 48;

struct Run {
    requests: usize,
    seconds: f64,
    latencies_ms: Vec<f64>,
}

impl Run {
    fn rate(&self) -> f64 {
        self.requests as f64 / self.seconds
    }

    fn percentile(&self, p: f64) -> f64 {
        let mut sorted = self.latencies_ms.clone();
        sorted.sort_by(f64::total_cmp);
        sorted[((sorted.len() - 1) as f64 * p) as usize]
    }
}

/// `clients` tasks, each sending `request(i)` back to back for `seconds`.
async fn drive<F, Fut>(clients: usize, seconds: u64, request: F) -> Run
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let request = Arc::new(request);
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let tasks: Vec<_> = (0..clients)
        .map(|c| {
            let request = request.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut i = c;
                while Instant::now() < deadline {
                    let sent = Instant::now();
                    request(i).await;
                    latencies.push(sent.elapsed().as_secs_f64() * 1000.0);
                    i += clients;
                }
                latencies
            })
        })
        .collect();
    let mut latencies_ms = Vec::new();
    for task in tasks {
        latencies_ms.extend(task.await.unwrap());
    }
    Run {
        requests: latencies_ms.len(),
        seconds: started.elapsed().as_secs_f64(),
        latencies_ms,
    }
}

fn main() {
    let validators = bench_arg("--validators", DEFAULT_VALIDATORS.into()) as u16;
    let seconds = bench_arg("--seconds", DEFAULT_SECONDS);
    let clients = bench_arg("--clients", DEFAULT_CLIENTS as u64) as usize;
    let devnet = Devnet::start(validators, NO_RESTART);
    let cli = Cli::new(&devnet);
    devnet.wait_for_first_blocks(STARTUP_TIMEOUT);
    let registry = Registry::start(&cli, OUTBOX_MAX_ENTRIES);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();

    let upstream = registry.upstream.clone();
    let http = reqwest::Client::new();
    let direct = runtime.block_on(drive(clients, seconds, move |i| {
        let (http, upstream) = (http.clone(), upstream.clone());
        async move {
            let url = format!("{upstream}/registrations/P-2026-{:04}", 1 + i % PARCELS);
            let reply = http.get(url).send().await.unwrap();
            assert!(reply.status().is_success());
            reply.bytes().await.unwrap();
        }
    }));

    let key = keys::read_key(Path::new(&cli.key("police-consumer"))).unwrap();
    let client = GatewayClient::new(
        &registry.gateway,
        key,
        Ident::new(CHAIN_ID).unwrap(),
        Ident::new("tax").unwrap(),
    )
    .unwrap();
    let permission = input::digest("permission", &registry.live).unwrap();
    let through = runtime.block_on(drive(clients, seconds, move |i| {
        let client = client.clone();
        async move {
            let served = client
                .fetch(
                    Method::GET,
                    &permission,
                    ITEM,
                    &format!("P-2026-{:04}", 1 + i % PARCELS),
                    Vec::new(),
                )
                .await
                .unwrap();
            assert_eq!(served.record_count, 1);
        }
    }));

    // Every served request is on the ledger once the outbox drains.
    let drain_started = Instant::now();
    devnet.wait_until(WAIT_TIMEOUT, "the outbox to drain", |d| {
        gateway_status(d, &registry.gateway).is_some_and(|s| s["outbox"]["pending"] == 0)
    });
    let drained_after = drain_started.elapsed();
    let recorded = gateway_status(&devnet, &registry.gateway).unwrap()["recorded"]
        .as_u64()
        .unwrap();

    println!(
        "gateway throughput: {validators} validators, {clients} clients, {seconds} s each way"
    );
    println!(
        "| path | requests/s | median ms | p99 ms |\n| --- | --- | --- | --- |\n\
         | straight to upstream | {:.0} | {:.2} | {:.2} |\n\
         | through the gateway (signed, checked, recorded) | {:.0} | {:.2} | {:.2} |",
        direct.rate(),
        direct.percentile(0.5),
        direct.percentile(0.99),
        through.rate(),
        through.percentile(0.5),
        through.percentile(0.99),
    );
    println!(
        "ratio gateway/upstream: {:.3}; outbox drained {:.1} s after the run; \
         access records final: {recorded} of {} served",
        through.rate() / direct.rate(),
        drained_after.as_secs_f64(),
        through.requests,
    );
    assert_eq!(
        recorded, through.requests as u64,
        "one access record per served request"
    );
}
