//! `dirchain gateway`: the data-exchange gateway a providing agency runs in
//! front of its data service (`--config FILE`), the demo data service
//! (`demo-upstream`), and a consumer's signed request to a gateway (`fetch`).

use crate::{
    client::{
        args::NodeArgs,
        output::{Human, Text, list},
        session::Session,
    },
    signals::Shutdown,
};
use anyhow::Context as _;
use dirchain_client::{GatewayClient, input, keys, schema::gateway::Served, types::bounded::Ident};
use dirchain_gateway::{config::Config, demo};
use reqwest::Method;
use std::{net::SocketAddr, path::PathBuf, process::ExitCode};
use tracing::info;

/// Where `demo-upstream` listens unless told otherwise.
pub const DEFAULT_DEMO_LISTEN: &str = "127.0.0.1:8400";
/// Worker threads of a gateway: requests wait mostly on the upstream and the
/// disk, so a few threads serve many.
const GATEWAY_WORKER_THREADS: usize = 4;

#[derive(clap::Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Run the gateway of this config file (TOML; see the README).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Serve the demo dataset (a land registry's property registrations,
    /// with owners' national identifiers) as an upstream data service.
    DemoUpstream {
        #[arg(long, default_value = DEFAULT_DEMO_LISTEN)]
        listen: SocketAddr,
    },
    /// Ask a gateway for an item's data under a permission, signed with a
    /// consumer key.
    Fetch(FetchArgs),
}

#[derive(clap::Args, Debug)]
pub struct FetchArgs {
    /// The providing agency's gateway.
    #[arg(long, value_name = "URL")]
    pub gateway: String,
    /// The permission invoked (hex id, from `dirchain permission list`).
    #[arg(long, value_name = "ID")]
    pub permission: String,
    /// The catalog item asked for.
    #[arg(long, value_name = "ID")]
    pub item: String,
    /// The consumer's member key.
    #[arg(long, value_name = "FILE", env = "DIRCHAIN_KEY")]
    pub key: PathBuf,
    /// Path and query passed to the agency's data service (`?district=North`, `P-2026-0001`).
    #[arg(default_value = "")]
    pub path: String,
    /// A node, to learn the chain id and the permission's owner.
    #[command(flatten)]
    pub node: NodeArgs,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(GATEWAY_WORKER_THREADS)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        match (args.command, args.config) {
            (Some(Command::DemoUpstream { listen }), _) => demo_upstream(listen).await,
            (Some(Command::Fetch(fetch_args)), _) => fetch(fetch_args).await,
            (None, Some(config)) => gateway(config).await,
            (None, None) => anyhow::bail!(
                "give --config FILE to run a gateway, or a subcommand (see dirchain gateway --help)"
            ),
        }
    })
}

async fn gateway(path: PathBuf) -> anyhow::Result<ExitCode> {
    let config = Config::load(&path)?;
    let mut shutdown = Shutdown::install().context("cannot install the signal handlers")?;
    dirchain_gateway::run(config, async move {
        let signal = shutdown.recv().await;
        info!(signal, "stopping the gateway");
    })
    .await?;
    Ok(ExitCode::SUCCESS)
}

async fn demo_upstream(listen: SocketAddr) -> anyhow::Result<ExitCode> {
    let mut shutdown = Shutdown::install().context("cannot install the signal handlers")?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    info!(%listen, registrations = demo::REGISTRATIONS, "demo data service: GET /registrations");
    axum::serve(listener, demo::router())
        .with_graceful_shutdown(async move {
            shutdown.recv().await;
        })
        .await
        .context("demo data service")?;
    Ok(ExitCode::SUCCESS)
}

async fn fetch(args: FetchArgs) -> anyhow::Result<ExitCode> {
    let session = Session::new(&args.node)?;
    let key =
        keys::read_key(&args.key).with_context(|| format!("key file {}", args.key.display()))?;
    let permission = input::digest("permission", &args.permission)?;
    let status = session.client.status().await?;
    let granted = session.client.permission(&permission, None).await;
    // An unknown permission is the gateway's to refuse (and record): sign
    // for the item's organisation instead.
    let audience = match granted {
        Ok(p) => p.owner_org,
        Err(e) if e.is_not_found() => session
            .client
            .catalog_item(&args.item, None)
            .await
            .map(|i| i.item.org)
            .context("neither the permission nor the item is known to the node")?,
        Err(e) => return Err(e.into()),
    };
    let gateway = GatewayClient::new(
        &args.gateway,
        key,
        Ident::new(&status.chain_id)?,
        Ident::new(&audience)?,
    )?;
    let served = gateway
        .fetch(Method::GET, &permission, &args.item, &args.path, Vec::new())
        .await?;
    session.out.show(&served)?;
    Ok(ExitCode::SUCCESS)
}

impl Human for Served {
    fn human(&self, text: &mut Text) {
        text.field("item", &self.item)
            .field("permission", &self.permission)
            .field("records", self.record_count)
            .field("fields", list(&self.fields))
            .field("withheld", list(&self.withheld))
            .field("access", &self.access);
        let rows = self
            .records
            .iter()
            .map(|r| {
                self.fields
                    .iter()
                    .map(|f| match r.get(f) {
                        Some(serde_json::Value::String(s)) => s.clone(),
                        Some(v) => v.to_string(),
                        None => "-".into(),
                    })
                    .collect()
            })
            .collect();
        let headers: Vec<&str> = self.fields.iter().map(String::as_str).collect();
        text.table(None, &headers, rows);
    }
}
