//! Keeping the index in step with the finalized chain.

use crate::{
    access_log::{self, AccessLogRead, Expected, FIRST_LOCATION, LogReader},
    changes::{BlockChanges, Change, TxEntry},
    db::Index,
    derive::{Want, Wants, follow_up_wants, genesis_wants, tx_wants},
    error::FollowError,
};
use dirchain_types::{
    block::Block,
    ids::{Digest, key_bytes},
    keys::StateKey,
    records::Refusal,
};
use std::{borrow::Borrow, collections::HashMap, future::Future, time::Duration};

/// How often the follower asks for a new finalized height once caught up.
pub const POLL_INTERVAL: Duration = Duration::from_millis(100);
/// Longest wait between attempts while the chain cannot serve what the
/// follower needs (the wait doubles from [POLL_INTERVAL] up to this).
const MAX_RETRY_DELAY: Duration = Duration::from_secs(5);
/// While catching up, progress is logged every this many blocks.
const PROGRESS_EVERY: u64 = 10_000;
/// Most blocks applied in one SQLite transaction while catching up.
pub const CATCH_UP_BLOCKS: u64 = 1_000;
/// A catch-up transaction stops taking blocks once it holds this many
/// transactions (memory: the decoded records of all of them).
pub const CATCH_UP_TXS: usize = 50_000;

/// The chain as the index reads it. The node implements it over its chain
/// handle; tests over an in-memory ledger.
pub trait ChainSource: Send + Sync {
    type Error: std::fmt::Display + Send;
    /// A block as the source holds it: owned, or shared without a copy.
    type Block: Borrow<Block> + Send;

    /// The latest finalized height.
    fn height(&self) -> u64;

    /// The finalized block at `height`, if the node has it.
    fn block(
        &self,
        height: u64,
    ) -> impl Future<Output = Result<Option<Self::Block>, Self::Error>> + Send;

    /// The committed values of `keys`, in order (`None` for an absent key).
    /// They may be newer than any block being indexed.
    fn records(
        &self,
        keys: Vec<StateKey>,
    ) -> impl Future<Output = Result<Vec<Option<Vec<u8>>>, Self::Error>> + Send;

    /// The committed access log at locations `from..from + count` (`count`
    /// is at most [ACCESS_LOG_READ](crate::ACCESS_LOG_READ), and every one
    /// of them below the log's size must be served): its records, in order,
    /// each with its location (the block-closing commits left out), and the
    /// log's size. The log may hold blocks beyond any being indexed.
    fn access_records(
        &self,
        from: u64,
        count: u64,
    ) -> impl Future<Output = Result<AccessLogRead, Self::Error>> + Send;
}

/// Indexes the blocks the chain has finalized beyond the index (genesis
/// first): one block when the index is at the tip; while catching up, up to
/// [CATCH_UP_BLOCKS] blocks or [CATCH_UP_TXS] transactions in one SQLite
/// transaction. Returns the new indexed height, or `None` when the index is
/// up to date.
///
/// The blocks are read first, then the access records they appended, in one
/// read of the access log from the index's cursor (see `access_log.rs`),
/// then the state records of each block.
pub async fn index_next<S: ChainSource>(
    index: &mut Index,
    source: &S,
) -> Result<Option<u64>, FollowError> {
    let Some(indexed) = index.indexed_height()? else {
        index_genesis(index, source).await?;
        return Ok(Some(0));
    };
    let target = source.height().min(indexed + CATCH_UP_BLOCKS);
    let mut blocks: Vec<Fetched<S::Block>> = Vec::new();
    let mut txs = 0;
    for height in indexed + 1..=target {
        match fetch_block(source, height).await {
            Ok(block) => {
                txs += block.hashes.len();
                blocks.push(block);
            }
            Err(e) if blocks.is_empty() => return Err(e),
            // Keep what is ready; the error comes back on the next call.
            Err(_) => break,
        }
        if txs >= CATCH_UP_TXS {
            break;
        }
    }
    if blocks.is_empty() {
        return Ok(None);
    }

    // Genesis is indexed, so the cursor is there.
    let mut log = LogReader::new(index.access_cursor()?.unwrap_or(FIRST_LOCATION));
    let span = blocks
        .iter()
        .map(|b| access_log::span(b.accesses.len()))
        .sum();
    log.read(source, indexed + 1, span).await?;

    let mut batch: Vec<BlockChanges> = Vec::with_capacity(blocks.len());
    for block in blocks {
        match prepare(index, source, &block, &mut log).await {
            Ok(changes) => batch.push(changes),
            Err(e) if batch.is_empty() => return Err(e),
            Err(_) => break,
        }
    }
    let Some(last) = batch.last().map(|b| b.height) else {
        return Ok(None);
    };
    index.apply_all(&batch)?;
    Ok(Some(last))
}

/// A finalized block, the hashes of its transactions, and the access
/// records they appended.
struct Fetched<B> {
    block: B,
    hashes: Vec<Digest>,
    accesses: Vec<Expected>,
}

/// Reads block `height`.
async fn fetch_block<S: ChainSource>(
    source: &S,
    height: u64,
) -> Result<Fetched<S::Block>, FollowError> {
    let fetched = source
        .block(height)
        .await
        .map_err(|e| FollowError::Source {
            height,
            message: e.to_string(),
        })?
        .ok_or_else(|| FollowError::Unavailable {
            height,
            what: "block".into(),
        })?;
    let block: &Block = fetched.borrow();
    if block.height != height {
        return Err(FollowError::Malformed {
            height,
            what: "block".into(),
            message: format!("it is block {}", block.height),
        });
    }
    let hashes: Vec<Digest> = block.txs.iter().map(|tx| tx.hash()).collect();
    let accesses = access_log::expected(&block.txs, &hashes);
    Ok(Fetched {
        block: fetched,
        hashes,
        accesses,
    })
}

/// The changes of one block: its access records from `log`, then the state
/// records its transactions touched. (The index is borrowed mutably, though
/// only read, so that the future is `Send`: a connection is not `Sync`.)
async fn prepare<S: ChainSource>(
    index: &mut Index,
    source: &S,
    fetched: &Fetched<S::Block>,
    log: &mut LogReader,
) -> Result<BlockChanges, FollowError> {
    let block: &Block = fetched.block.borrow();
    let height = block.height;
    let hashes = &fetched.hashes;
    let accesses = log.take(height, &fetched.accesses)?;

    let mut wants = Wants::default();
    for (tx, hash) in block.txs.iter().zip(hashes) {
        tx_wants(tx, *hash, &mut wants);
    }
    let mut changes = fetch(source, height, wants.take()).await?;
    // While catching up, asset history read for an earlier block of the
    // same batch is not in the index yet and is read again: entries are
    // immutable, and written once.
    for change in &changes {
        follow_up_wants(
            change,
            |channel, asset| index.asset_events(channel, asset),
            &mut wants,
        )?;
    }
    let more = wants.take();
    if !more.is_empty() {
        changes.extend(fetch(source, height, more).await?);
    }

    let refusals: HashMap<Digest, Refusal> = accesses
        .iter()
        .filter_map(|c| match c {
            Change::Access { record, .. } => record.refusal.map(|r| (record.id, r)),
            _ => None,
        })
        .collect();
    changes.extend(accesses);
    let txs = block
        .txs
        .iter()
        .zip(hashes)
        .enumerate()
        .map(|(i, (tx, hash))| TxEntry {
            hash: *hash,
            index: i as u32,
            kind: tx.tx.payload.kind(),
            signer: key_bytes(&tx.tx.signer),
            channel: tx.tx.channel.clone(),
            refusal: refusals.get(hash).copied(),
        })
        .collect();
    Ok(BlockChanges {
        height,
        digest: block.digest(),
        parent: block.parent,
        timestamp_ms: block.timestamp_ms,
        access_cursor: log.cursor(),
        txs,
        changes,
    })
}

/// Genesis as the state holds it now: the consortium, the founding
/// organisations and their admin keys.
async fn index_genesis<S: ChainSource>(index: &mut Index, source: &S) -> Result<(), FollowError> {
    let mut wants = Wants::default();
    genesis_wants(index.genesis(), &mut wants);
    let changes = fetch(source, 0, wants.take()).await?;
    let genesis = index.genesis();
    let block = BlockChanges {
        height: 0,
        digest: genesis.digest(),
        parent: genesis.digest(),
        timestamp_ms: genesis.timestamp_ms,
        access_cursor: FIRST_LOCATION,
        txs: Vec::new(),
        changes,
    };
    index.apply(&block)?;
    Ok(())
}

/// Reads the wanted records in one batch and decodes them.
async fn fetch<S: ChainSource>(
    source: &S,
    height: u64,
    wants: Vec<Want>,
) -> Result<Vec<Change>, FollowError> {
    let keys = wants.iter().map(Want::key).collect();
    let values = source
        .records(keys)
        .await
        .map_err(|e| FollowError::Source {
            height,
            message: e.to_string(),
        })?;
    if values.len() != wants.len() {
        return Err(FollowError::Malformed {
            height,
            what: "batch of records".into(),
            message: format!("{} values for {} keys", values.len(), wants.len()),
        });
    }
    let mut changes = Vec::with_capacity(wants.len());
    for (want, value) in wants.iter().zip(values) {
        match value {
            Some(bytes) => {
                changes.push(want.decode(&bytes).map_err(|e| FollowError::Malformed {
                    height,
                    what: format!("record {want:?}"),
                    message: e.to_string(),
                })?)
            }
            // The state may not have committed the block yet.
            None if want.required() => {
                return Err(FollowError::Unavailable {
                    height,
                    what: format!("record {want:?}"),
                });
            }
            None => {}
        }
    }
    Ok(changes)
}

/// Indexes every block the chain has finalized; returns the indexed height.
/// Stops at the first error, retryable or not.
pub async fn catch_up<S: ChainSource>(index: &mut Index, source: &S) -> Result<u64, FollowError> {
    while index_next(index, source).await?.is_some() {}
    Ok(index.indexed_height()?.unwrap_or(0))
}

/// Follows the chain until `shutdown` completes: catches up block by block,
/// then polls for new finalized heights every [POLL_INTERVAL]. While the
/// chain cannot serve a block, a record or the access log that far it waits
/// and tries again; a malformed record, an access log that disagrees with
/// the blocks ([FollowError::AccessLogMismatch]) or a database error stops
/// it with that error.
///
/// Writing a block to SQLite is synchronous and can take a while on a large
/// block: the node runs this future on a task of its own, never on a task
/// that serves requests. Queries use their own connections ([Index::queries])
/// and are not blocked by it.
pub async fn follow<S: ChainSource>(
    mut index: Index,
    source: S,
    shutdown: impl Future<Output = ()>,
) -> Result<(), FollowError> {
    let mut shutdown = std::pin::pin!(shutdown);
    let mut retry_delay = POLL_INTERVAL;
    let mut caught_up = false;
    let mut logged = 0;
    loop {
        let step = tokio::select! {
            biased;
            () = &mut shutdown => return Ok(()),
            step = index_next(&mut index, &source) => step,
        };
        let delay = match step {
            Ok(Some(height)) => {
                retry_delay = POLL_INTERVAL;
                if height / PROGRESS_EVERY > logged {
                    logged = height / PROGRESS_EVERY;
                    tracing::info!(height, target = source.height(), "index catching up");
                }
                continue;
            }
            Ok(None) => {
                if !caught_up {
                    caught_up = true;
                    let height = index.indexed_height()?.unwrap_or(0);
                    tracing::info!(height, "index caught up with the chain");
                    index.optimize()?;
                }
                retry_delay = POLL_INTERVAL;
                POLL_INTERVAL
            }
            Err(e) if e.is_retryable() => {
                tracing::warn!(error = %e, retry_in = ?retry_delay, "index waits for the chain");
                let delay = retry_delay;
                retry_delay = (retry_delay * 2).min(MAX_RETRY_DELAY);
                delay
            }
            Err(e) => {
                tracing::error!(error = %e, "index stopped following the chain");
                return Err(e);
            }
        };
        tokio::select! {
            biased;
            () = &mut shutdown => return Ok(()),
            () = tokio::time::sleep(delay) => {}
        }
    }
}
