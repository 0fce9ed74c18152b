//! Every limit and timing of the chain layer, in one place.

use std::time::Duration;

/// p2p channels, one per kind of traffic so each has its own rate limit and queue.
pub const VOTE_CHANNEL: u64 = 0;
pub const CERTIFICATE_CHANNEL: u64 = 1;
pub const CONSENSUS_RESOLVER_CHANNEL: u64 = 2;
pub const BLOCK_CHANNEL: u64 = 3;
pub const BACKFILL_CHANNEL: u64 = 4;
pub const TX_CHANNEL: u64 = 5;

/// Messages per second accepted from one peer on each channel. Generous: validators are known
/// members, and the limit only guards against a faulty one flooding us.
pub const VOTES_PER_SECOND: u32 = 2_048;
pub const CERTIFICATES_PER_SECOND: u32 = 2_048;
pub const RESOLVER_REQUESTS_PER_SECOND: u32 = 512;
pub const BLOCKS_PER_SECOND: u32 = 256;
pub const BACKFILL_PER_SECOND: u32 = 512;
pub const TX_BATCHES_PER_SECOND: u32 = 256;

/// Inbound p2p handshakes accepted per second from one IP address and one subnet.
pub const HANDSHAKES_PER_SECOND_PER_IP: u32 = 64;
pub const HANDSHAKES_PER_SECOND_PER_SUBNET: u32 = 256;

/// Least time between two connection attempts to one peer.
pub const PEER_CONNECTION_COOLDOWN: Duration = Duration::from_secs(1);
/// How often a connection is checked alive.
pub const PING_FREQUENCY: Duration = Duration::from_secs(10);

/// Transactions whose signatures admission checks in one batch, at most (more wait for the
/// next): large enough to spread over the verification pool, small enough that a client
/// submitting one transaction does not wait long behind a flood.
pub const ADMISSION_BATCH: usize = 2_048;
/// Requests (client submissions, gossip batches) waiting for admission, at most.
pub const ADMISSION_MAILBOX_SIZE: usize = 256;

/// Clients' submissions are refused as `busy` while the mempool holds more transactions than
/// the chain finalized in this long at its recent rate. A saturated node then tells a client
/// at once, instead of queueing its transaction behind seconds of others (a full mempool is
/// ten blocks). Peers' gossip is still taken up to the mempool's own bounds: it is the
/// network's backlog, which this node's blocks must be able to include.
pub const MAX_BACKLOG: Duration = Duration::from_secs(1);
/// The recent rate behind [MAX_BACKLOG]: transactions finalized over this long.
pub const BACKLOG_RATE_WINDOW: Duration = Duration::from_secs(5);
/// The backlog clients may fill whatever the recent rate, so that a burst into an idle
/// network is taken and the rate can be learnt.
pub const MIN_BACKLOG_TXS: usize = 4_096;

/// Transactions gossiped in one p2p message, and how long a partial batch waits.
pub const MAX_GOSSIP_BATCH: usize = 512;
pub const GOSSIP_INTERVAL: Duration = Duration::from_millis(20);

/// A block may claim a time at most this far ahead of a validator's clock.
pub const MAX_CLOCK_SKEW_MS: u64 = 5_000;

/// Verified blocks not yet final whose state is kept, to execute their children ahead of
/// finalization. Consensus keeps only a few views in flight; beyond this, the oldest go.
pub const MAX_PENDING_BLOCKS: usize = 256;

/// How many unverified ancestors a node executes to reach a block's parent (after a restart,
/// say). Further behind, it lets marshal's catch-up finish first.
pub const MAX_ANCESTRY_REPLAY: usize = 64;

/// Recently finalized transactions remembered for `tx_status`, at most; at least the last
/// half of that many are (they are forgotten half at a time). The query index of the API
/// keeps the full history.
pub const MAX_RECENT_RECEIPTS: usize = 1_000_000;

/// Recently dropped transactions (refused when a block was built) remembered with their
/// reason for `tx_status`, so a client learns why instead of waiting: at most this many, at
/// least the last half.
pub const MAX_RECENT_REJECTIONS: usize = 100_000;

/// Recently finalized blocks a node keeps whole for its own readers (its query index, the
/// API), at most, and their bytes at most: several full blocks, so an index a little behind
/// still reads from memory.
pub const MAX_RECENT_FULL_BLOCKS: usize = 64;
pub const MAX_RECENT_FULL_BLOCK_BYTES: usize = 64 * 1024 * 1024;

/// Recently finalized blocks a node describes without reading its archive.
pub const MAX_RECENT_BLOCKS: usize = 4_096;

/// Blocks this node voted against, remembered (at most this many, at least the last half) so
/// that it notices when the network finalizes one: far more than the views a block waits for
/// finalization.
pub const MAX_REMEMBERED_REFUSALS: usize = 1_024;

/// Mailbox sizes of the node's actors.
pub const MAILBOX_SIZE: usize = 1_024;

/// Consensus timing. Loopback and LAN deployments finalize in milliseconds; the timeouts only
/// matter when a leader is down or partitioned.
pub const LEADER_TIMEOUT: Duration = Duration::from_secs(1);
pub const CERTIFICATION_TIMEOUT: Duration = Duration::from_secs(2);
pub const TIMEOUT_RETRY: Duration = Duration::from_secs(2);
/// A leader that has not proposed for this long is skipped for the rest of its term.
pub const SKIP_TIMEOUT: Duration = Duration::from_secs(5);
/// How often a validator asks again about a block whose parent state it does not have yet.
pub const UNKNOWN_PARENT_RETRY: Duration = Duration::from_millis(50);
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(2);
pub const FETCH_RETRY_DELAY: Duration = Duration::from_millis(100);
/// Views of votes and certificates consensus keeps behind the finalized one.
pub const VIEW_RETENTION: u64 = 256;
/// Finalized blocks marshal repairs at once when catching up.
pub const MAX_REPAIR: usize = 64;
/// Finalized blocks marshal hands over before the executor has acknowledged them.
pub const MAX_PENDING_ACKS: usize = 16;

/// How long a leader waits for transactions before proposing an empty block: an idle network
/// makes a few blocks a second instead of as many as it can (each is stored forever). Kept
/// below [LEADER_TIMEOUT], or the other validators would give up on the leader first.
pub const DEFAULT_EMPTY_BLOCK_INTERVAL: Duration = Duration::from_millis(500);
pub const MAX_EMPTY_BLOCK_INTERVAL: Duration = Duration::from_millis(800);
/// How often a waiting leader looks at the mempool.
pub const EMPTY_BLOCK_POLL: Duration = Duration::from_millis(5);

/// Blocks per epoch. dirchain does not change its validator set through epochs yet, so one
/// epoch spans the life of the chain.
pub const BLOCKS_PER_EPOCH: u64 = u64::MAX;

/// Storage tuning of the block and certificate archives.
pub const ARCHIVE_ITEMS_PER_SECTION: u64 = 4_096;
pub const ARCHIVE_TABLE_INITIAL_SIZE: u32 = 65_536;
pub const ARCHIVE_TABLE_RESIZE_FREQUENCY: u8 = 4;
pub const ARCHIVE_TABLE_RESIZE_CHUNK: u32 = 16_384;
pub const ARCHIVE_VALUE_TARGET_SIZE: u64 = 64 * 1024 * 1024;
pub const WRITE_BUFFER_BYTES: usize = 1024 * 1024;
pub const REPLAY_BUFFER_BYTES: usize = 1024 * 1024;
/// Page cache of consensus and archive journals.
pub const PAGE_CACHE_PAGES: usize = 8_192;
/// Operations per section of the consensus journal of votes.
pub const PRUNABLE_ITEMS_PER_SECTION: u64 = 4_096;

/// How often a node refreshes the peer count in its status.
pub const PEER_COUNT_INTERVAL: Duration = Duration::from_secs(1);
