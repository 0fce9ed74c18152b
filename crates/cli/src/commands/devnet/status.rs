//! The devnet's periodic line of finalized heights, read from each node's
//! `GET /v1/status`.

use serde::Deserialize;
use std::{net::SocketAddr, time::Duration};
use tracing::info;

/// A node on loopback answers in microseconds; one that takes longer is stuck.
const STATUS_TIMEOUT: Duration = Duration::from_secs(1);

#[derive(Deserialize)]
struct StatusReply {
    height: u64,
}

/// Logs `heights: node-0 12 | node-1 12 | node-2 down` every `every`, forever.
pub async fn report_heights(nodes: Vec<(String, SocketAddr)>, every: Duration) {
    let client = match reqwest::Client::builder().timeout(STATUS_TIMEOUT).build() {
        Ok(client) => client,
        Err(e) => {
            tracing::warn!("cannot poll the nodes' status: {e}");
            return;
        }
    };
    let mut ticker = tokio::time::interval(every);
    // The first tick is immediate, when no node is up yet.
    ticker.tick().await;
    loop {
        ticker.tick().await;
        let mut parts = Vec::with_capacity(nodes.len());
        for (name, api) in &nodes {
            let height = match height(&client, *api).await {
                Some(h) => h.to_string(),
                None => "down".to_string(),
            };
            parts.push(format!("{name} {height}"));
        }
        info!("finalized heights: {}", parts.join(" | "));
    }
}

async fn height(client: &reqwest::Client, api: SocketAddr) -> Option<u64> {
    let reply = client
        .get(format!("http://{api}/v1/status"))
        .send()
        .await
        .ok()?
        .error_for_status()
        .ok()?;
    let body = reply.bytes().await.ok()?;
    serde_json::from_slice::<StatusReply>(&body)
        .ok()
        .map(|s| s.height)
}
