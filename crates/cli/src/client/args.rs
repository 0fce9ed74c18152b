//! The flags client commands share, each declared once and flattened into
//! the commands that take it.

use crate::commands::{devnet, init};
use anyhow::Context as _;
use clap::builder::PossibleValuesParser;
use dirchain_client::keys;
use dirchain_schema::records::{MAX_LIMIT, PageQuery};
use dirchain_types::{genesis::Genesis, ids::SYSTEM_CHANNEL};
use std::{path::PathBuf, time::Duration};

/// The node client commands talk to when neither `--node` nor DIRCHAIN_NODE says.
pub const DEFAULT_NODE: &str = "http://127.0.0.1:8100";
/// How long a command waits for its transaction to be final by default.
pub const DEFAULT_WAIT_SECS: u64 = 30;
/// Longest wait for finality a command accepts: a healthy network finalizes
/// in about a second, so more than this is a typo.
pub const MAX_WAIT_SECS: u64 = 600;

/// A clap parser accepting the labels of an enum (listed by `--help`).
pub fn labels<E: Copy>(all: &[E], label: fn(E) -> &'static str) -> PossibleValuesParser {
    PossibleValuesParser::new(all.iter().map(|e| label(*e)))
}

/// Which node to ask, and how to print the answer.
#[derive(clap::Args, Clone, Debug)]
pub struct NodeArgs {
    /// The node's HTTP API.
    #[arg(long, value_name = "URL", env = "DIRCHAIN_NODE", default_value = DEFAULT_NODE)]
    pub node: String,
    /// Print the JSON document instead of lines for people (for scripts).
    #[arg(long)]
    pub json: bool,
}

/// The node and the key of a command that signs.
#[derive(clap::Args, Clone, Debug)]
pub struct KeyArgs {
    #[command(flatten)]
    pub node: NodeArgs,
    /// The member key that signs (a key file from `dirchain keygen`).
    #[arg(long, value_name = "FILE", env = "DIRCHAIN_KEY")]
    pub key: PathBuf,
}

/// Flags of a command that signs and submits one transaction.
#[derive(clap::Args, Clone, Debug)]
pub struct SignArgs {
    #[command(flatten)]
    pub key: KeyArgs,
    /// Return once the node has admitted the transaction instead of waiting
    /// for it to be final.
    #[arg(long)]
    pub no_wait: bool,
    /// Seconds to wait for the transaction to be final.
    #[arg(
        long,
        value_name = "SECS",
        default_value_t = DEFAULT_WAIT_SECS,
        value_parser = clap::value_parser!(u64).range(1..=MAX_WAIT_SECS)
    )]
    pub wait_secs: u64,
}

impl SignArgs {
    /// How long to wait for finality; `None` with `--no-wait`.
    pub fn wait(&self) -> Option<Duration> {
        (!self.no_wait).then(|| Duration::from_secs(self.wait_secs))
    }
}

/// The channel (tenant) a transaction goes to or a record is read from.
#[derive(clap::Args, Clone, Debug)]
pub struct ChannelArg {
    /// Channel (tenant).
    #[arg(long, value_name = "ID", default_value = SYSTEM_CHANNEL)]
    pub channel: String,
}

/// A channel to narrow a list to.
#[derive(clap::Args, Clone, Debug)]
pub struct ChannelFilter {
    /// Only this channel (tenant); every channel when absent.
    #[arg(long, value_name = "ID")]
    pub channel: Option<String>,
}

/// One page of a list.
#[derive(clap::Args, Clone, Debug)]
pub struct PageArgs {
    /// Entries per page (default 50).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=MAX_LIMIT as i64))]
    pub limit: Option<u32>,
    /// The `more: --cursor` value a previous page printed.
    #[arg(long)]
    pub cursor: Option<String>,
}

impl PageArgs {
    pub fn query(&self) -> PageQuery {
        PageQuery {
            limit: self.limit,
            cursor: self.cursor.clone(),
        }
    }
}

/// The network's genesis: the validator set answers are verified against.
#[derive(clap::Args, Clone, Debug)]
pub struct GenesisArg {
    /// The network's genesis file; certificates and proofs are checked
    /// against its validators [default: ./devnet/genesis.bin, if present].
    #[arg(long, value_name = "FILE", env = "DIRCHAIN_GENESIS")]
    pub genesis: Option<PathBuf>,
}

impl GenesisArg {
    /// The genesis file named, or the local devnet's.
    pub fn path(&self) -> anyhow::Result<PathBuf> {
        if let Some(path) = &self.genesis {
            return Ok(path.clone());
        }
        let devnet = PathBuf::from(devnet::DEFAULT_DIR).join(init::GENESIS_FILE);
        anyhow::ensure!(
            devnet.exists(),
            "no genesis to verify against: give --genesis FILE (or set DIRCHAIN_GENESIS) \
             to the network's genesis.bin"
        );
        Ok(devnet)
    }

    pub fn load(&self) -> anyhow::Result<Genesis> {
        let path = self.path()?;
        keys::read_genesis(&path).with_context(|| format!("genesis file {}", path.display()))
    }
}
