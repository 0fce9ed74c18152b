//! A production node: the engine on the tokio runtime and the authenticated
//! `lookup` p2p network, whose allow-list is this node's configured peers.

use crate::{
    config::NodeConfig,
    engine::{self, Channels, EngineConfig, EngineError},
    executor::ExecutorError,
    handle::Handle,
    limits::*,
};
use commonware_cryptography::{ChaCha20Poly1305, Signer as _};
use commonware_p2p::{Address, AddressableManager, authenticated::lookup};
use commonware_runtime::{
    Clock as _, Handle as TaskHandle, Metrics as _, Quota, Spawner as _, Supervisor as _,
    telemetry::metrics::MetricsExt as _, tokio,
};
use commonware_stream::{
    cups::{self, Cups},
    sake::{self, Sake},
};
use commonware_utils::{NZU32, NZUsize, ordered::Map};
use dirchain_types::ids::PublicKey;
use std::{num::NonZeroU32, time::Duration};

/// How far a peer's handshake clock may be from ours, and how old a handshake may be.
const HANDSHAKE_SYNCHRONY_BOUND: Duration = Duration::from_secs(5);
const HANDSHAKE_MAX_AGE: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    #[error("the peer list is invalid: {0}")]
    Peers(String),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("the executor stopped: {0}")]
    Executor(#[from] ExecutorError),
    #[error("the executor task ended unexpectedly: {0}")]
    Task(String),
}

/// A running node.
pub struct Node {
    handle: Handle,
    executor: TaskHandle<Result<(), ExecutorError>>,
}

impl Node {
    pub fn handle(&self) -> Handle {
        self.handle.clone()
    }

    /// Resolves when the node has stopped: with an error if it stopped on a fault.
    pub async fn stopped(self) -> Result<(), NodeError> {
        match self.executor.await {
            Ok(result) => Ok(result?),
            Err(error) => Err(NodeError::Task(error.to_string())),
        }
    }
}

/// Starts every actor of a node on `context` (the tokio runtime's context, whose storage
/// directory holds the node's data).
pub async fn start(context: tokio::Context, config: NodeConfig) -> Result<Node, NodeError> {
    let public_key = config.key.public_key();
    let mut peers: Vec<(PublicKey, Address)> = vec![(public_key.clone(), config.p2p_listen.into())];
    peers.extend(
        config
            .peers
            .iter()
            .map(|peer| (peer.public_key.clone(), peer.address.into())),
    );
    let peer_count = peers.len();
    let peers: Map<PublicKey, Address> = peers
        .try_into()
        .map_err(|_| NodeError::Peers("a public key appears twice".into()))?;

    let quota =
        |per_second: u32| Quota::per_second(NonZeroU32::new(per_second).unwrap_or(NZU32!(1)));
    let namespace = config.genesis.consensus_namespace();
    let handshake = Cups::<_, ChaCha20Poly1305>::new(
        Sake {
            signer: config.key.clone(),
            synchrony_bound: HANDSHAKE_SYNCHRONY_BOUND,
            max_handshake_age: HANDSHAKE_MAX_AGE,
            version: sake::Version::V1,
        },
        cups::Version::V1,
    );
    let mut p2p_config = lookup::Config::recommended(
        handshake,
        &namespace,
        config.p2p_listen,
        NZUsize!(peer_count),
        engine::max_message_size(config.genesis.validators.len()),
        NZUsize!(MAILBOX_SIZE),
    );
    // Consortium networks commonly run on private addresses, and devnets put every node on
    // one loopback address, so handshakes are limited per peer set size rather than per IP.
    p2p_config.allow_private_ips = true;
    p2p_config.allowed_handshake_rate_per_ip = quota(HANDSHAKES_PER_SECOND_PER_IP);
    p2p_config.allowed_handshake_rate_per_subnet = quota(HANDSHAKES_PER_SECOND_PER_SUBNET);
    // The engine's recommendation (60 s) is meant for open networks; between a handful of known
    // validators it left a node cut off for a minute whenever two peers dialled each other at
    // once and one connection was dropped.
    p2p_config.peer_connection_cooldown = PEER_CONNECTION_COOLDOWN;
    p2p_config.ping_frequency = PING_FREQUENCY;
    let (mut network, mut oracle) = lookup::Network::new(context.child("p2p"), p2p_config);
    oracle.track(0, peers);

    let channels = Channels {
        votes: network.register(VOTE_CHANNEL, quota(VOTES_PER_SECOND)),
        certificates: network.register(CERTIFICATE_CHANNEL, quota(CERTIFICATES_PER_SECOND)),
        consensus_resolver: network.register(
            CONSENSUS_RESOLVER_CHANNEL,
            quota(RESOLVER_REQUESTS_PER_SECOND),
        ),
        blocks: network.register(BLOCK_CHANNEL, quota(BLOCKS_PER_SECOND)),
        backfill: network.register(BACKFILL_CHANNEL, quota(BACKFILL_PER_SECOND)),
        txs: network.register(TX_CHANNEL, quota(TX_BATCHES_PER_SECOND)),
    };
    network.start();

    let started = engine::start(
        context.child("node"),
        EngineConfig {
            key: config.key,
            role: config.role,
            genesis: config.genesis,
            partition_prefix: "node".into(),
            blocker: oracle.clone(),
            peer_provider: oracle,
            empty_block_interval: config.empty_block_interval.min(MAX_EMPTY_BLOCK_INTERVAL),
        },
        channels,
    )
    .await?;
    let handle = started.handle.clone();
    context
        .child("peer_count")
        .spawn(move |context| count_peers(context, handle));
    Ok(Node {
        handle: started.handle,
        executor: started.executor,
    })
}

/// Keeps the node's peer count (in its status) in step with the p2p
/// tracker's `connected` gauges: one sample per connected peer.
async fn count_peers(context: tokio::Context, handle: Handle) {
    let gauge = context.gauge("peers", "Peers this node is connected to");
    loop {
        let peers = connected_peers(&context.encode());
        handle.set_peers(peers);
        gauge.set(peers as i64);
        context.sleep(PEER_COUNT_INTERVAL).await;
    }
}

fn connected_peers(metrics: &str) -> usize {
    metrics
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.split_once('{').map(|(name, _)| name))
        // `..._tracker_directory_connected` in this engine release.
        .filter(|name| name.contains("_tracker_") && name.ends_with("_connected"))
        .count()
}

#[cfg(test)]
mod tests {
    use super::connected_peers;

    #[test]
    fn counts_one_connected_sample_per_peer() {
        let metrics = "\
# HELP chain_p2p_tracker_directory_connected Unix timestamp in milliseconds when each connected peer became active.
# TYPE chain_p2p_tracker_directory_connected gauge
chain_p2p_tracker_directory_connected{peer=\"ab\"} 1764000000000
chain_p2p_tracker_directory_connected{peer=\"cd\"} 1764000000001
chain_p2p_tracker_directory_blocked{peer=\"ef\"} 1764000000002
chain_p2p_tracker_directory_tracked 3
chain_node_consensus_batcher_inbound_messages_total{peer=\"ab\",message=\"Finalize\"} 24
";
        assert_eq!(connected_peers(metrics), 2);
        assert_eq!(connected_peers(""), 0);
    }
}
