//! Wires one node's actors over any runtime and any network: the tokio
//! runtime and authenticated p2p in production ([crate::node]), the
//! deterministic runtime and simulated network in tests.

use crate::{
    admission::{self, Admission},
    application::{Application, Finalizer, Scheme},
    block::ChainBlock,
    config::NodeRole,
    executor::{self, Executor, ExecutorConfig, ExecutorError, Shared},
    gossip::Gossip,
    handle::Handle,
    limits::*,
};
use commonware_broadcast::buffered;
use commonware_consensus::{
    marshal::{
        self, core::Actor as Marshal, resolver::p2p as marshal_resolver, standard::Deferred,
    },
    simplex::{
        self,
        config::{ForwardPolicy, SkipBudget, SkipPolicy},
        elector::RoundRobin,
    },
    types::{Epoch, FixedEpocher, ViewDelta},
};
use commonware_cryptography::{
    Digested, Digestible, Sha256, Signer as _,
    certificate::{ConstantProvider, Verifier as _},
};
use commonware_p2p::{Blocker, Provider, Receiver, Sender};
use commonware_parallel::Sequential;
use commonware_runtime::{
    Clock, Handle as TaskHandle, Metrics, Network, Spawner, Storage, Strategizer,
    buffer::paged::CacheRef,
};
use commonware_storage::archive::{Archive as _, Identifier, immutable};
use commonware_utils::{
    NZDuration, NZU16, NZU64, NZUsize, acknowledgement::Exact, channel::mpsc, ordered::Set,
};
use dirchain_state::{Ledger, LedgerError};
use dirchain_types::{
    genesis::Genesis,
    ids::{PrivateKey, PublicKey},
    tx::SignedTx,
};
use std::sync::Arc;
use tracing::info;

/// A p2p channel: where to send and where messages arrive.
pub type Channel<S, R> = (S, R);

/// The six channels a node needs, registered by the caller on its network.
pub struct Channels<S, R> {
    pub votes: Channel<S, R>,
    pub certificates: Channel<S, R>,
    pub consensus_resolver: Channel<S, R>,
    pub blocks: Channel<S, R>,
    pub backfill: Channel<S, R>,
    pub txs: Channel<S, R>,
}

pub struct EngineConfig<B, P> {
    pub key: PrivateKey,
    pub role: NodeRole,
    pub genesis: Genesis,
    /// Prefix of every storage partition of this node.
    pub partition_prefix: String,
    /// Blocks peers caught misbehaving (the network's oracle).
    pub blocker: B,
    /// The current peer set (the network's oracle).
    pub peer_provider: P,
    /// See [NodeConfig::empty_block_interval](crate::NodeConfig::empty_block_interval).
    pub empty_block_interval: std::time::Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("this node's key is not a validator of the genesis; run it as a full node")]
    NotAValidator,
    #[error("opening the state failed: {0}")]
    Ledger(#[from] LedgerError),
    #[error("reading the block archive failed: {0}")]
    Archive(String),
    #[error(
        "the state is at block {0}, which the block archive does not hold; was the data directory modified?"
    )]
    MissingTip(u64),
}

/// The largest p2p message a node must accept: a full block with its certificate.
pub fn max_message_size(validators: usize) -> u32 {
    marshal::max_payload_size::<marshal::standard::Standard<ChainBlock>, Scheme>(
        validators as u32,
        &(),
    ) as u32
}

/// A started node: its handle and the task whose end means the node stopped.
pub struct Started {
    pub handle: Handle,
    pub executor: TaskHandle<Result<(), ExecutorError>>,
}

/// Starts the executor and, in front of it, admission, sharing one pool that checks
/// signatures for admission and for blocks from other validators. Answers the executor's
/// task and the two mailboxes.
pub(crate) fn start_execution<E>(
    context: &E,
    ledger: Ledger<E>,
    config: ExecutorConfig,
    gossip: mpsc::Sender<SignedTx>,
    finalized: mpsc::UnboundedReceiver<(Digested<ChainBlock>, Exact)>,
    shared: Arc<Shared>,
) -> (
    TaskHandle<Result<(), ExecutorError>>,
    executor::Mailbox,
    admission::Mailbox,
)
where
    E: Spawner + Storage + Clock + Metrics + Strategizer + rand_core::CryptoRng + 'static,
{
    let strategy = context.strategy(std::thread::available_parallelism().unwrap_or(NZUsize!(1)));
    let (executor, mailbox) = Executor::new(
        context.child("executor"),
        strategy.clone(),
        ledger,
        config,
        gossip,
        finalized,
        shared.clone(),
    );
    // Threads of their own: executing blocks and checking signatures hold them for
    // milliseconds, which would stall the tasks sharing a runtime thread (consensus among them).
    let executor_task = context
        .child("executor")
        .dedicated()
        .spawn(|_| executor.run());
    let (admission, admission_mailbox) = Admission::new(
        context.child("admission"),
        strategy,
        shared,
        mailbox.clone(),
        ADMISSION_MAILBOX_SIZE,
    );
    context
        .child("admission")
        .dedicated()
        .spawn(|_| admission.run());
    (executor_task, mailbox, admission_mailbox)
}

/// Starts every actor of a node.
pub async fn start<E, B, P, S, R>(
    context: E,
    config: EngineConfig<B, P>,
    channels: Channels<S, R>,
) -> Result<Started, EngineError>
where
    E: Spawner
        + Storage
        + Clock
        + Metrics
        + Network
        + Strategizer
        + rand_core::CryptoRng
        + Send
        + Sync
        + 'static,
    B: Blocker<PublicKey = PublicKey> + Clone,
    P: Provider<PublicKey = PublicKey> + Clone,
    S: Sender<PublicKey = PublicKey>,
    R: Receiver<PublicKey = PublicKey>,
{
    let prefix = config.partition_prefix.clone();
    let public_key = config.key.public_key();
    let validators: Vec<PublicKey> = config.genesis.validators.to_vec();
    let participants = Set::from_iter_dedup(validators.iter().cloned());
    let namespace = config.genesis.consensus_namespace();
    let scheme = match config.role {
        NodeRole::Validator => Scheme::signer(&namespace, participants, config.key.clone())
            .ok_or(EngineError::NotAValidator)?,
        NodeRole::Full => Scheme::verifier(&namespace, participants),
    };

    let ledger = Ledger::open(
        context.child("state"),
        &format!("{prefix}-state"),
        &config.genesis,
    )
    .await?;
    let genesis_block = ChainBlock::genesis(&config.genesis);
    let page_cache = CacheRef::new(NZU16!(4096), NZUsize!(PAGE_CACHE_PAGES));

    let finalizations = immutable::Archive::init(
        context.child("finalizations"),
        archive_config(
            &format!("{prefix}-finalizations"),
            &page_cache,
            scheme.certificate_codec_config(),
        ),
    )
    .await
    .map_err(|e| EngineError::Archive(e.to_string()))?;
    let blocks = immutable::Archive::init(
        context.child("blocks"),
        archive_config(&format!("{prefix}-blocks"), &page_cache, ()),
    )
    .await
    .map_err(|e| EngineError::Archive(e.to_string()))?;

    // Which block the stored state reflects: blocks are archived before they are applied.
    let height = ledger.height().await?;
    let tip = if height == 0 {
        (0, genesis_block.digest(), genesis_block.0.timestamp_ms)
    } else {
        let block: Arc<ChainBlock> = blocks
            .get(Identifier::Index(height))
            .await
            .map_err(|e| EngineError::Archive(e.to_string()))?
            .ok_or(EngineError::MissingTip(height))?;
        (height, block.digest(), block.0.timestamp_ms)
    };
    info!(height, role = %config.role, "state opened");

    let shared = Arc::new(Shared::default());
    let (gossip_out, gossip_in) = mpsc::channel(MAILBOX_SIZE);
    let (finalized_tx, finalized_rx) = mpsc::unbounded_channel();
    let (executor, mailbox, admission_mailbox) = start_execution(
        &context,
        ledger,
        ExecutorConfig {
            role: config.role,
            public_key: public_key.clone(),
            validators: validators.clone(),
            genesis: config.genesis.digest(),
            tip,
        },
        gossip_out,
        finalized_rx,
        shared.clone(),
    );
    let gossip = Gossip::new(
        context.child("gossip"),
        gossip_in,
        admission_mailbox.clone(),
    );
    let Channels {
        votes,
        certificates,
        consensus_resolver,
        blocks: block_channel,
        backfill,
        txs,
    } = channels;
    context.child("gossip").spawn(|_| gossip.run(txs));

    // Marshal: orders finalized blocks, stores them, fetches what this node missed.
    let mailbox_size = NZUsize!(MAILBOX_SIZE);
    let resolver = marshal_resolver::init(
        context.child("backfill"),
        marshal_resolver::Config {
            public_key: public_key.clone(),
            peer_provider: config.peer_provider.clone(),
            blocker: config.blocker.clone(),
            mailbox_size,
            fetch_timeout: NZDuration!(FETCH_TIMEOUT),
            fetch_retry_delay: FETCH_RETRY_DELAY,
            priority_requests: false,
            priority_responses: false,
        },
        backfill,
    );
    let (broadcast, buffer) = buffered::Engine::new(
        context.child("broadcast"),
        buffered::Config {
            public_key: public_key.clone(),
            mailbox_size,
            deque_size: 16,
            priority: false,
            codec_config: (),
            peer_provider: config.peer_provider.clone(),
            strategy: Sequential,
        },
    );
    broadcast.start(block_channel);
    let epocher = FixedEpocher::new(NZU64!(BLOCKS_PER_EPOCH));
    let (marshal, marshal_mailbox, _) = Marshal::init(
        context.child("marshal"),
        finalizations,
        blocks,
        marshal::Config {
            provider: ConstantProvider::new(scheme.clone()),
            epocher: epocher.clone(),
            start: marshal::Start::Genesis(Digested::precomputed(
                genesis_block.clone(),
                genesis_block.digest(),
            )),
            mailbox_size,
            view_retention: ViewDelta::new(VIEW_RETENTION),
            max_repair: NZUsize!(MAX_REPAIR),
            max_pending_acks: NZUsize!(MAX_PENDING_ACKS),
            block_codec_config: (),
            partition_prefix: format!("{prefix}-marshal"),
            prunable_items_per_section: NZU64!(PRUNABLE_ITEMS_PER_SECTION),
            replay_buffer: NZUsize!(REPLAY_BUFFER_BYTES),
            key_write_buffer: NZUsize!(WRITE_BUFFER_BYTES),
            value_write_buffer: NZUsize!(WRITE_BUFFER_BYTES),
            page_cache: page_cache.clone(),
            strategy: Sequential,
        },
    )
    .await;
    marshal.start(Finalizer(finalized_tx), buffer, resolver);

    // Consensus, with the application wrapped by marshal's deferred verification.
    let application = Deferred::new(
        context.child("application"),
        Application::new(mailbox.clone(), shared.clone(), config.empty_block_interval),
        marshal_mailbox.clone(),
        epocher,
    );
    let consensus = simplex::Engine::new(
        context.child("consensus"),
        simplex::config::Config {
            scheme,
            elector: RoundRobin::<Sha256>::default(),
            blocker: config.blocker.clone(),
            automaton: application.clone(),
            relay: application.clone(),
            reporter: application,
            strategy: Sequential,
            partition: format!("{prefix}-consensus"),
            mailbox_size,
            epoch: Epoch::zero(),
            floor: simplex::config::Floor::Genesis(genesis_block.digest()),
            replay_buffer: NZUsize!(REPLAY_BUFFER_BYTES),
            write_buffer: NZUsize!(WRITE_BUFFER_BYTES),
            page_cache,
            leader_timeout: LEADER_TIMEOUT,
            certification_timeout: CERTIFICATION_TIMEOUT,
            timeout_retry: TIMEOUT_RETRY,
            view_retention: ViewDelta::new(VIEW_RETENTION),
            skip: SkipPolicy::Enabled {
                timeout: SKIP_TIMEOUT,
                budget: SkipBudget::Participants,
            },
            fetch_timeout: NZDuration!(FETCH_TIMEOUT),
            fetch_retry_delay: FETCH_RETRY_DELAY,
            forward: ForwardPolicy::Disabled,
            track_historical_votes: false,
        },
    );
    consensus.start(votes, certificates, consensus_resolver);

    let metrics_context = context.child("metrics");
    Ok(Started {
        handle: Handle::new(
            mailbox,
            admission_mailbox,
            marshal_mailbox,
            genesis_block.0,
            shared,
            Arc::new(move || metrics_context.encode()),
        ),
        executor,
    })
}

fn archive_config<C>(prefix: &str, page_cache: &CacheRef, codec_config: C) -> immutable::Config<C> {
    let write_buffer = NZUsize!(WRITE_BUFFER_BYTES);
    immutable::Config {
        metadata_partition: format!("{prefix}-metadata"),
        freezer_table_partition: format!("{prefix}-table"),
        freezer_table_initial_size: ARCHIVE_TABLE_INITIAL_SIZE,
        freezer_table_resize_frequency: ARCHIVE_TABLE_RESIZE_FREQUENCY,
        freezer_table_resize_chunk_size: ARCHIVE_TABLE_RESIZE_CHUNK,
        freezer_key_partition: format!("{prefix}-key"),
        freezer_key_page_cache: page_cache.clone(),
        freezer_value_partition: format!("{prefix}-value"),
        freezer_value_target_size: ARCHIVE_VALUE_TARGET_SIZE,
        freezer_value_compression: None,
        ordinal_partition: format!("{prefix}-ordinal"),
        items_per_section: NZU64!(ARCHIVE_ITEMS_PER_SECTION),
        codec_config,
        replay_buffer: NZUsize!(REPLAY_BUFFER_BYTES),
        freezer_key_write_buffer: write_buffer,
        freezer_value_write_buffer: write_buffer,
        ordinal_write_buffer: write_buffer,
    }
}
