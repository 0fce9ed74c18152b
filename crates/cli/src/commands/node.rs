//! `dirchain node`: one validator or full node, from its config file, with
//! its HTTP API and (unless the config turns it off) the query index behind
//! it, until Ctrl-C or SIGTERM.

use crate::{
    config::{self, Loaded},
    signals::Shutdown,
};
use anyhow::Context as _;
use commonware_cryptography::Signer;
use commonware_runtime::{Runner as _, Spawner as _, Supervisor as _, tokio as runtime};
use dirchain_api::{Index, IndexError};
use dirchain_chain::Handle;
use dirchain_types::genesis::Genesis;
use std::{
    path::{Path, PathBuf},
    time::Duration,
};
use tokio::{sync::oneshot, task::JoinHandle};
use tracing::{error, info, warn};

/// How long the runtime waits for the node's tasks to finish after a stop is asked.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);
/// How long in-flight API requests get to finish.
const API_STOP_TIMEOUT: Duration = Duration::from_secs(5);
/// How long the index follower gets to finish the blocks it is writing.
const FOLLOWER_STOP_TIMEOUT: Duration = Duration::from_secs(10);
/// The query index, in the node's storage directory. Derived from the
/// chain: deleting it makes the next start rebuild it.
const INDEX_FILE: &str = "index.sqlite";

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
        subject_key,
        query_index,
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
    // Before the chain starts: an index that cannot be used stops the node
    // before it joins the network.
    let index_path = config.storage_dir.join(INDEX_FILE);
    let index = if query_index {
        let index = open_index(&index_path, &config.genesis)?;
        let queries = index
            .queries()
            .with_context(|| format!("cannot read the query index {}", index_path.display()))?;
        Some((index, queries))
    } else {
        info!(
            "query_index = false in the config: this node keeps no query index and answers \
             no list or record route (503 query_index_off)"
        );
        if index_path.exists() {
            info!(
                path = %index_path.display(),
                "the query index of an earlier run is left as it was: delete it to free its disk, \
                 or turn query_index back on and it catches up from the chain"
            );
        }
        None
    };
    if subject_key.is_none() {
        info!("no subject_key_file in the config: the \"who used my data\" view is off");
    }
    crate::memory::report(&context);
    let node = dirchain_chain::start(context.child("chain"), config)
        .await
        .context("the node did not start")?;

    // Dropping the sender, on any return, stops the follower.
    let (stop_follower, follower_stopping) = oneshot::channel::<()>();
    let (follower, queries) = index
        .map(|(index, queries)| {
            let follower = spawn_follower(index, node.handle(), &index_path, follower_stopping);
            (follower, queries)
        })
        .unzip();

    let (stop_api, api_stopping) = oneshot::channel::<()>();
    let api_node = dirchain_api::Node::new(node.handle(), queries, subject_key);
    let (api_addr, api) = dirchain_api::serve(api_listen, api_node, async move {
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
            stop(stop_follower, follower).await;
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
    // Before the chain: the follower would otherwise wait on a chain that
    // no longer answers.
    stop(stop_follower, follower).await;
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

/// Opens (or creates) the query index. One made by another version of the
/// node (another table layout) is rebuilt from the chain: it holds nothing
/// the chain does not. One made for another chain is refused: that is a
/// configuration mistake to see, not to paper over.
fn open_index(path: &Path, genesis: &Genesis) -> anyhow::Result<Index> {
    match Index::open_or_rebuild(path, genesis) {
        Ok((index, rebuilt)) => {
            if rebuilt {
                warn!(
                    path = %path.display(),
                    "the query index was made by another version of the node; rebuilding it from the chain"
                );
            }
            Ok(index)
        }
        Err(error @ IndexError::GenesisMismatch { .. }) => {
            error!(
                path = %path.display(),
                "{error}: it holds nothing the chain does not, so deleting it loses nothing; \
                 the node then rebuilds it from the chain"
            );
            Err(anyhow::Error::new(error)
                .context("refusing to start with a query index that is not this node's"))
        }
        Err(error) => {
            Err(error).with_context(|| format!("cannot open the query index {}", path.display()))
        }
    }
}

/// Keeps the index in step with the chain until `stop` resolves (or its
/// sender is dropped). Writing a block to SQLite is synchronous: the
/// follower runs on a blocking thread of its own, so a long write never
/// holds up the threads that run consensus and serve requests.
///
/// A follower that fails is logged, and the node goes on: the chain routes
/// are unaffected, and the index routes answer as of the last indexed block,
/// which `indexed_height` in `/v1/status` shows falling behind.
fn spawn_follower(
    index: Index,
    handle: Handle,
    path: &Path,
    stop: oneshot::Receiver<()>,
) -> JoinHandle<()> {
    let runtime = tokio::runtime::Handle::current();
    let path = path.display().to_string();
    tokio::task::spawn_blocking(move || {
        let stopping = async move {
            let _ = stop.await;
        };
        match runtime.block_on(dirchain_api::follow_chain(index, handle, stopping)) {
            Ok(()) => info!("the query index stopped following the chain"),
            Err(error) => error!(
                %error,
                path = %path,
                "THE QUERY INDEX STOPPED FOLLOWING THE CHAIN: the list and record routes now \
                 answer as of its last block (indexed_height in /v1/status); the chain routes \
                 are unaffected. Restart the node to retry, or delete the index file to \
                 rebuild it from the chain"
            ),
        }
    })
}

/// Stops the follower and waits, for a while, for it to finish the blocks it
/// is writing (each is one SQLite transaction: a cut-off write is simply
/// redone at the next start).
async fn stop(stop_follower: oneshot::Sender<()>, follower: Option<JoinHandle<()>>) {
    drop(stop_follower);
    let Some(follower) = follower else {
        return;
    };
    match tokio::time::timeout(FOLLOWER_STOP_TIMEOUT, follower).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => error!(%error, "the query index follower failed"),
        Err(_) => warn!("the query index follower did not stop within {FOLLOWER_STOP_TIMEOUT:?}"),
    }
}
