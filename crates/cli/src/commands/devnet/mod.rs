//! `dirchain devnet`: a local network in one command. The first run makes
//! keys, a genesis and node configs for a demo consortium on loopback; later
//! runs on the same directory resume it. Each node runs as a child process
//! (`dirchain node`), supervised: restarted when it dies, stopped cleanly on
//! Ctrl-C or SIGTERM.

mod manifest;
mod status;
mod supervisor;

use crate::{
    commands::init::{self, NodeSpec, OrgSpec, Plan},
    config::{self, Role},
    signals::Shutdown,
};
use anyhow::Context as _;
use commonware_cryptography::Signer;
use dirchain_types::{bounded::Ident, tx::Title};
use manifest::{MANIFEST_FILE, Manifest, ManifestNode};
use std::{
    net::{Ipv4Addr, SocketAddr, TcpListener},
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};
use supervisor::{LOG_FILE, NodeProcess, Options, PID_FILE};
use tokio::{sync::watch, task::JoinSet};
use tracing::info;

pub const CHAIN_ID: &str = "dirchain-devnet";
pub const DEFAULT_DIR: &str = "./devnet";
pub const DEFAULT_VALIDATORS: u16 = 4;
/// Each node is a process with its own runtime threads; beyond this a laptop thrashes.
pub const MAX_VALIDATORS: u16 = 32;
pub const DEFAULT_BASE_PORT: u16 = 7100;
/// Long enough for a crashed node's port to be released, short enough to be unnoticed.
pub const DEFAULT_RESTART_DELAY_SECS: u64 = 2;
/// How often the finalized heights are logged.
const STATUS_INTERVAL: Duration = Duration::from_secs(5);
/// The demo consortium: three agencies, two of which decide.
const DEMO_ORGS: [(&str, &str); 3] = [
    ("health", "City Health Agency"),
    ("police", "City Police Department"),
    ("tax", "City Tax Office"),
];
const DEMO_THRESHOLD: u32 = 2;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Validators to run; fixed when the devnet is made [default: 4].
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=MAX_VALIDATORS as i64))]
    pub validators: Option<u16>,
    /// Where the devnet keeps its keys, genesis, chain data and logs.
    #[arg(long, default_value = DEFAULT_DIR)]
    pub dir: PathBuf,
    /// First p2p port; node i uses P+i for p2p and P+1000+i for its API; fixed when the
    /// devnet is made [default: 7100].
    #[arg(long, value_name = "P")]
    pub base_port: Option<u16>,
    /// Leave a node that exits down instead of restarting it.
    #[arg(long)]
    pub no_restart: bool,
    /// Seconds to wait before restarting a node that exited.
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_RESTART_DELAY_SECS)]
    pub restart_delay: u64,
    /// Do not log the nodes' finalized heights every few seconds.
    #[arg(long)]
    pub quiet: bool,
    /// Milliseconds a leader waits for transactions before proposing an empty block (0: as
    /// fast as consensus goes, for benchmarks); fixed when the devnet is made.
    #[arg(long, value_name = "MS")]
    pub empty_block_interval_ms: Option<u64>,
    /// Nodes that keep the query index, from node-0 [default: all]. The others are
    /// validators that answer no list or record route (503 `query_index_off`), which
    /// saves each about a third of its CPU under load; fixed when the devnet is made.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=MAX_VALIDATORS as i64))]
    pub query_nodes: Option<u16>,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let manifest = prepare(&args)?;
    print_nodes(&args.dir, &manifest);
    let options = Options {
        exe: std::env::current_exe().context("cannot find the dirchain binary")?,
        restart_delay: (!args.no_restart).then(|| Duration::from_secs(args.restart_delay)),
    };
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?
        .block_on(supervise_all(&args, &manifest, options))
}

/// Resumes the devnet in `args.dir`, or makes one there.
fn prepare(args: &Args) -> anyhow::Result<Manifest> {
    let manifest_path = args.dir.join(MANIFEST_FILE);
    if manifest_path.exists() {
        let manifest = resume(args, &manifest_path)?;
        ensure_ports_free(manifest.nodes.iter().flat_map(|n| [n.p2p, n.api]))?;
        info!("resuming the devnet in {}", args.dir.display());
        return Ok(manifest);
    }
    anyhow::ensure!(
        crate::files::is_missing_or_empty(&args.dir)
            .with_context(|| format!("cannot read {}", args.dir.display()))?,
        "{} holds files but no {MANIFEST_FILE}, so it is not a devnet; choose another --dir",
        args.dir.display()
    );
    let validators = args.validators.unwrap_or(DEFAULT_VALIDATORS);
    let base_port = args.base_port.unwrap_or(DEFAULT_BASE_PORT);
    let mut plan = demo_plan(validators, base_port)?;
    plan.empty_block_interval_ms = args.empty_block_interval_ms;
    if let Some(query_nodes) = args.query_nodes {
        anyhow::ensure!(
            query_nodes <= validators,
            "--query-nodes {query_nodes} is more than the {validators} nodes of the devnet"
        );
        plan.query_nodes = Some(usize::from(query_nodes));
    }
    ensure_ports_free(plan_addresses(&plan))?;
    let created = init::create(&args.dir, &plan, crate::client::time::now_ms())?;
    let manifest = Manifest {
        chain_id: CHAIN_ID.into(),
        genesis_digest: created.genesis_digest.to_string(),
        validators,
        base_port,
        nodes: created
            .nodes
            .iter()
            .map(|n| ManifestNode {
                name: n.name.clone(),
                public_key: n.public_key.to_string(),
                p2p: n.p2p,
                api: n.api,
            })
            .collect(),
    };
    manifest.write(&args.dir.join(MANIFEST_FILE))?;
    info!("made a new devnet in {}", args.dir.display());
    init::print_summary(&args.dir, &created);
    Ok(manifest)
}

fn demo_plan(validators: u16, base_port: u16) -> anyhow::Result<Plan> {
    let orgs = DEMO_ORGS
        .iter()
        .map(|(id, name)| {
            Ok(OrgSpec {
                id: Ident::new(*id)?,
                name: Title::new(*name)?,
            })
        })
        .collect::<Result<Vec<_>, dirchain_types::bounded::BoundError>>()?;
    let nodes = (0..validators)
        .map(|i| {
            let port = base_port.checked_add(i).with_context(|| {
                format!("--base-port {base_port} leaves no room for {validators} nodes below 65536")
            })?;
            Ok(NodeSpec {
                address: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
                role: Role::Validator,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let plan = Plan::new(
        CHAIN_ID,
        orgs,
        nodes,
        Some(DEMO_THRESHOLD),
        init::DEFAULT_API_PORT_OFFSET,
    )?;
    Ok(plan)
}

/// Checks the devnet in `dir` is whole, matches the flags, and is not running already.
fn resume(args: &Args, manifest_path: &Path) -> anyhow::Result<Manifest> {
    let manifest = Manifest::read(manifest_path)?;
    if let Some(validators) = args.validators {
        anyhow::ensure!(
            validators == manifest.validators,
            "the devnet in {} has {} validators, not {validators}; drop --validators to resume \
             it, or choose another --dir for a new one",
            args.dir.display(),
            manifest.validators
        );
    }
    if let Some(base_port) = args.base_port {
        anyhow::ensure!(
            base_port == manifest.base_port,
            "the devnet in {} uses base port {}, not {base_port}; drop --base-port to resume it, \
             or choose another --dir for a new one",
            args.dir.display(),
            manifest.base_port
        );
    }
    anyhow::ensure!(
        manifest.nodes.len() == usize::from(manifest.validators),
        "{} lists {} nodes for {} validators",
        manifest_path.display(),
        manifest.nodes.len(),
        manifest.validators
    );
    let mut query_nodes = 0;
    for (index, node) in manifest.nodes.iter().enumerate() {
        anyhow::ensure!(
            node.name == init::node_dir_name(index),
            "{}: nodes[{index}] is named {:?}, expected {:?}",
            manifest_path.display(),
            node.name,
            init::node_dir_name(index)
        );
        let node_dir = args.dir.join(&node.name);
        if let Some(pid) = supervisor::pid_file_alive(&node_dir.join(PID_FILE)) {
            anyhow::bail!(
                "{} is already running (pid {pid}, from {}): is another devnet using {}? \
                 If not, delete that pid file",
                node.name,
                node_dir.join(PID_FILE).display(),
                args.dir.display()
            );
        }
        // The node would refuse a broken config too, but only in its log.
        let loaded = config::load(&node_dir.join(init::CONFIG_FILE))?;
        anyhow::ensure!(
            loaded.node.key.public_key().to_string() == node.public_key,
            "{}: the key of {} is not the one in {}",
            node_dir.join(init::NODE_KEY_FILE).display(),
            node.name,
            manifest_path.display()
        );
        anyhow::ensure!(
            loaded.node.genesis.digest().to_string() == manifest.genesis_digest,
            "{} is not the genesis this devnet was made with ({} in {})",
            args.dir.join(init::GENESIS_FILE).display(),
            manifest.genesis_digest,
            manifest_path.display()
        );
        query_nodes += u16::from(loaded.query_index);
    }
    if let Some(asked) = args.query_nodes {
        anyhow::ensure!(
            asked == query_nodes,
            "the devnet in {} has {query_nodes} nodes with a query index, not {asked}; drop \
             --query-nodes to resume it, or choose another --dir for a new one",
            args.dir.display()
        );
    }
    Ok(manifest)
}

/// Refuses to start when another program holds a port the devnet needs: otherwise each
/// node would fail in its log, over and over.
fn ensure_ports_free(addresses: impl IntoIterator<Item = SocketAddr>) -> anyhow::Result<()> {
    for addr in addresses {
        TcpListener::bind(addr).with_context(|| {
            format!(
                "port {} is in use; is another devnet running? (see --base-port)",
                addr.port()
            )
        })?;
    }
    Ok(())
}

fn plan_addresses(plan: &Plan) -> Vec<SocketAddr> {
    plan.nodes
        .iter()
        .flat_map(|node| [node.address, plan.api_address(node)])
        .collect()
}

fn print_nodes(dir: &Path, manifest: &Manifest) {
    println!();
    println!("{:<8} {:<21} {:<28} log", "node", "p2p", "api");
    for node in &manifest.nodes {
        println!(
            "{:<8} {:<21} {:<28} {}",
            node.name,
            node.p2p,
            format!("http://{}", node.api),
            dir.join(&node.name).join(LOG_FILE).display()
        );
    }
    println!();
    println!("Ctrl-C stops the devnet; running the same command again resumes it.");
    if let Some(first) = manifest.nodes.first() {
        // The client commands read these, so a walk-through needs no flags for them.
        println!(
            "Client commands: export DIRCHAIN_NODE=http://{} DIRCHAIN_GENESIS={}",
            first.api,
            dir.join(init::GENESIS_FILE).display()
        );
        println!(
            "Explorer: http://{}/ (every node with a query index serves one)",
            first.api
        );
    }
    let without: Vec<&str> = manifest
        .nodes
        .iter()
        .filter(|node| {
            config::parse(&dir.join(&node.name).join(init::CONFIG_FILE))
                .is_ok_and(|file| file.query_index == Some(false))
        })
        .map(|node| node.name.as_str())
        .collect();
    if !without.is_empty() {
        println!(
            "Without a query index (they answer no list or record route): {}",
            without.join(", ")
        );
    }
    println!();
}

async fn supervise_all(args: &Args, manifest: &Manifest, options: Options) -> anyhow::Result<()> {
    let mut shutdown = Shutdown::install().context("cannot install the signal handlers")?;
    let options = Arc::new(options);
    let (stop, stopping) = watch::channel(false);
    let mut nodes = JoinSet::new();
    for node in &manifest.nodes {
        let node_dir = args.dir.join(&node.name);
        let process = NodeProcess {
            name: node.name.clone(),
            config: node_dir.join(init::CONFIG_FILE),
            log: node_dir.join(LOG_FILE),
            pid_file: node_dir.join(PID_FILE),
        };
        nodes.spawn(supervisor::supervise(
            process,
            options.clone(),
            stopping.clone(),
        ));
    }
    let heights = (!args.quiet).then(|| {
        let apis = manifest
            .nodes
            .iter()
            .map(|n| (n.name.clone(), n.api))
            .collect();
        tokio::spawn(status::report_heights(apis, STATUS_INTERVAL))
    });

    let outcome = loop {
        tokio::select! {
            signal = shutdown.recv() => {
                info!("{signal} received; stopping every node");
                break Ok(());
            }
            finished = nodes.join_next() => match finished {
                // Only without restarts does a node's supervision end before the stop.
                None => break Err(anyhow::anyhow!("every node has stopped; see the node logs")),
                Some(result) => result.context("a node's supervisor failed")?,
            },
        }
    };
    if let Some(heights) = heights {
        heights.abort();
    }
    // Receivers may all be gone already (every node ended): nothing left to tell.
    let _ = stop.send(true);
    while let Some(result) = nodes.join_next().await {
        result.context("a node's supervisor failed")?;
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_plan_is_a_loopback_consortium() {
        let plan = demo_plan(4, 7100).unwrap();
        assert_eq!(plan.chain_id.as_str(), CHAIN_ID);
        assert_eq!(plan.orgs.len(), DEMO_ORGS.len());
        assert_eq!(plan.threshold, DEMO_THRESHOLD);
        assert_eq!(plan.nodes.len(), 4);
        assert!(plan.nodes.iter().all(|n| n.address.ip().is_loopback()));
        assert_eq!(plan.nodes[3].address.port(), 7103);
        assert!(demo_plan(1, 7100).is_ok());
        assert!(demo_plan(4, 65_534).is_err());
    }

    fn args(dir: &Path, validators: Option<u16>, base_port: Option<u16>) -> Args {
        Args {
            validators,
            dir: dir.into(),
            base_port,
            no_restart: false,
            restart_delay: DEFAULT_RESTART_DELAY_SECS,
            quiet: true,
            empty_block_interval_ms: None,
            query_nodes: None,
        }
    }

    /// A base port whose devnet ports are free now, starting from one the OS hands out.
    fn free_base_port(n: u16) -> u16 {
        loop {
            let port = TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            if demo_plan(n, port).is_ok_and(|plan| ensure_ports_free(plan_addresses(&plan)).is_ok())
            {
                return port;
            }
        }
    }

    #[test]
    fn a_devnet_is_made_then_resumed() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("devnet");
        let base = free_base_port(2);
        let made = prepare(&args(&dir, Some(2), Some(base))).unwrap();
        assert_eq!(made.validators, 2);
        assert_eq!(
            made.nodes[1].api.port(),
            base + 1 + init::DEFAULT_API_PORT_OFFSET
        );
        // One subject key, named by every node's config.
        assert!(dir.join(init::SUBJECT_KEY_FILE).exists());
        for node in &made.nodes {
            let loaded = config::load(&dir.join(&node.name).join(init::CONFIG_FILE)).unwrap();
            assert!(loaded.subject_key.is_some(), "{}", node.name);
        }
        for (id, _) in DEMO_ORGS {
            assert!(init::admin_key_path(&dir, id).exists());
        }

        // No flags: resumes what is there.
        assert_eq!(prepare(&args(&dir, None, None)).unwrap(), made);
        assert_eq!(prepare(&args(&dir, Some(2), Some(base))).unwrap(), made);

        let err = prepare(&args(&dir, Some(4), None)).unwrap_err();
        assert!(err.to_string().contains("has 2 validators, not 4"), "{err}");
        let err = prepare(&args(&dir, None, Some(base + 1))).unwrap_err();
        assert!(err.to_string().contains("base port"), "{err}");
    }

    #[test]
    fn a_replaced_genesis_is_refused_on_resume() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("devnet");
        prepare(&args(&dir, Some(1), Some(free_base_port(1)))).unwrap();
        let other = tmp.path().join("other");
        prepare(&args(&other, Some(1), Some(free_base_port(1)))).unwrap();
        std::fs::copy(other.join(init::GENESIS_FILE), dir.join(init::GENESIS_FILE)).unwrap();
        // The other genesis does not list this node's key as a validator, which the config
        // check finds first; either way the resume is refused.
        assert!(prepare(&args(&dir, None, None)).is_err());
    }

    #[test]
    fn query_nodes_keep_the_index_and_the_rest_do_not() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("devnet");
        let base = free_base_port(3);
        let mut made_with = args(&dir, Some(3), Some(base));
        made_with.query_nodes = Some(1);
        let made = prepare(&made_with).unwrap();
        let kept: Vec<bool> = made
            .nodes
            .iter()
            .map(|node| {
                config::load(&dir.join(&node.name).join(init::CONFIG_FILE))
                    .unwrap()
                    .query_index
            })
            .collect();
        assert_eq!(kept, [true, false, false]);

        // Resumed as made, with or without the flag; another count is refused.
        assert_eq!(prepare(&args(&dir, None, None)).unwrap(), made);
        assert_eq!(prepare(&made_with).unwrap(), made);
        made_with.query_nodes = Some(2);
        let err = prepare(&made_with).unwrap_err();
        assert!(
            err.to_string()
                .contains("1 nodes with a query index, not 2"),
            "{err}"
        );

        // More than there are nodes is refused before anything is made.
        let other = tmp.path().join("other");
        let mut too_many = args(&other, Some(2), Some(free_base_port(2)));
        too_many.query_nodes = Some(3);
        let err = prepare(&too_many).unwrap_err();
        assert!(err.to_string().contains("more than the 2 nodes"), "{err}");
        assert!(!other.join(MANIFEST_FILE).exists());
    }

    #[test]
    fn a_foreign_directory_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("notes.txt"), "mine").unwrap();
        let err = prepare(&args(tmp.path(), None, None)).unwrap_err();
        assert!(err.to_string().contains("not a devnet"), "{err}");
    }

    #[test]
    fn a_running_devnet_is_not_started_twice() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("devnet");
        prepare(&args(&dir, Some(1), Some(free_base_port(1)))).unwrap();
        // This test process stands in for a running node.
        std::fs::write(
            dir.join("node-0").join(PID_FILE),
            format!("{}\n", std::process::id()),
        )
        .unwrap();
        let err = prepare(&args(&dir, None, None)).unwrap_err();
        assert!(err.to_string().contains("already running"), "{err}");
    }
}
