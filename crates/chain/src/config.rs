//! What a node needs to run, already loaded and checked. File formats
//! (TOML, key files, genesis files) belong to the command line.

use dirchain_types::{
    genesis::Genesis,
    ids::{PrivateKey, PublicKey},
};
use std::{net::SocketAddr, path::PathBuf, time::Duration};

/// Whether the node votes in consensus or only follows the chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeRole {
    Validator,
    /// Verifies and stores every finalized block, serves the API, never votes.
    Full,
}

impl std::fmt::Display for NodeRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Validator => "validator",
            Self::Full => "full",
        })
    }
}

/// Another node of the network: its identity and where to dial it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Peer {
    pub public_key: PublicKey,
    pub address: SocketAddr,
}

#[derive(Clone, Debug)]
pub struct NodeConfig {
    /// This node's identity on the p2p network (and its consensus key when a validator).
    pub key: PrivateKey,
    pub role: NodeRole,
    pub genesis: Genesis,
    /// Every other node this one talks to: all validators of the genesis, and any full
    /// nodes. Connections from anyone else are refused.
    pub peers: Vec<Peer>,
    pub p2p_listen: SocketAddr,
    /// Where this node stores the chain and its state.
    pub storage_dir: PathBuf,
    /// How long this node, as leader, waits for transactions before proposing an empty block
    /// (zero: never waits). At most [MAX_EMPTY_BLOCK_INTERVAL](crate::limits::MAX_EMPTY_BLOCK_INTERVAL).
    pub empty_block_interval: Duration,
}
