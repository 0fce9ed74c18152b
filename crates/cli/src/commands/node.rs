//! `dirchain node`: one validator or full node, from its config file, with
//! its HTTP API, until Ctrl-C or SIGTERM.

use crate::{
    config::{self, Loaded},
    signals::Shutdown,
};
use anyhow::Context as _;
use commonware_cryptography::Signer;
use commonware_runtime::{Runner as _, Spawner as _, Supervisor as _, tokio as runtime};
use std::{path::PathBuf, time::Duration};
use tracing::{info, warn};

/// How long the runtime waits for the node's tasks to finish after a stop is asked.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);
/// How long in-flight API requests get to finish.
const API_STOP_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The node's config file (TOML); see `dirchain init`.
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let loaded = config::load(&args.config)?;
    let config = runtime::Config::new()
        .with_worker_threads(loaded.worker_threads)
        .with_storage_directory(loaded.node.storage_dir.clone());
    runtime::Runner::new(config).start(|context| serve(context, loaded))
}

async fn serve(context: runtime::Context, loaded: Loaded) -> anyhow::Result<()> {
    let mut shutdown = Shutdown::install().context("cannot install the signal handlers")?;
    let Loaded {
        node: config,
        api_listen,
        ..
    } = loaded;
    info!(
        chain = %config.genesis.chain_id,
        genesis = %config.genesis.digest(),
        role = %config.role,
        key = %config.key.public_key(),
        p2p = %config.p2p_listen,
        "starting node"
    );
    let node = dirchain_chain::start(context.child("chain"), config)
        .await
        .context("the node did not start")?;

    let (stop_api, api_stopping) = tokio::sync::oneshot::channel::<()>();
    let (api_addr, api) = dirchain_api::serve(api_listen, node.handle(), async move {
        // A dropped sender also stops the API.
        let _ = api_stopping.await;
    })
    .await
    .with_context(|| format!("cannot serve the API on {api_listen}"))?;
    info!("API listening on http://{api_addr}");

    let stopped = node.stopped();
    tokio::pin!(stopped);
    let signal = tokio::select! {
        signal = shutdown.recv() => signal,
        result = &mut stopped => {
            drop(stop_api);
            result.context("the node failed")?;
            warn!("the node stopped by itself");
            return Ok(());
        }
    };

    info!("{signal} received; stopping");
    drop(stop_api);
    if tokio::time::timeout(API_STOP_TIMEOUT, api).await.is_err() {
        warn!("the API did not stop within {API_STOP_TIMEOUT:?}");
    }
    context
        .stop(0, Some(STOP_TIMEOUT))
        .await
        .with_context(|| format!("the node did not stop within {STOP_TIMEOUT:?}"))?;
    match tokio::time::timeout(STOP_TIMEOUT, stopped).await {
        Ok(result) => result.context("the node failed while stopping")?,
        Err(_) => warn!("the node did not report stopping within {STOP_TIMEOUT:?}"),
    }
    info!("stopped");
    Ok(())
}
