//! Moves the outbox onto the ledger: submits each waiting transaction to a
//! node that answers, follows final blocks to see which of them are in, and
//! removes those from the outbox. Submitting is idempotent (the same signed
//! transaction), so a resubmission after a node restart or a lost answer
//! cannot record an access twice.

use crate::{
    ledger::Ledger,
    outbox::{Outbox, Pending},
};
use dirchain_client::{
    Client, ClientError, codes,
    schema::{chain::TxState, hex},
};
use dirchain_types::{ids::Digest, tx::SignedTx};
use futures::{StreamExt, stream};
use std::{
    collections::{BTreeMap, HashSet},
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};
use tokio::sync::Notify;

/// Transactions submitted ahead of the last final one: the node keeps at
/// most this many pending per signer (`MAX_SIGNER_PENDING`).
pub const SUBMIT_WINDOW: usize = 1_024;
/// Submissions in flight at once.
pub const SUBMIT_CONCURRENCY: usize = 16;
/// Blocks read per round when catching up.
pub const MAX_BLOCKS_PER_ROUND: u64 = 256;
/// Longest pause between rounds when nothing wakes the recorder.
pub const ROUND_INTERVAL: Duration = Duration::from_millis(50);
/// A transaction submitted this long ago and still not final is submitted
/// again (the node may have restarted and lost its mempool).
pub const RESUBMIT_AFTER: Duration = Duration::from_secs(5);

/// What the recorder tells the server.
#[derive(Debug, Default)]
pub struct RecorderState {
    /// Access records seen final since the gateway started.
    pub recorded: AtomicU64,
    /// Set when the ledger refuses the gateway's transactions for good
    /// (revoked key, nonce used elsewhere): serving must stop.
    pub fault: Mutex<Option<String>>,
}

impl RecorderState {
    pub fn fault(&self) -> Option<String> {
        self.fault.lock().expect("fault lock").clone()
    }

    fn set_fault(&self, reason: String) {
        tracing::error!(%reason, "the ledger refuses the gateway's access records; refusing requests");
        *self.fault.lock().expect("fault lock") = Some(reason);
    }
}

pub struct Recorder {
    pub outbox: Outbox,
    pub ledger: Arc<Ledger>,
    pub state: Arc<RecorderState>,
    pub wake: Arc<Notify>,
}

/// Whether a refusal by the node is worth retrying later.
fn transient(error: &ClientError) -> bool {
    match error {
        ClientError::Api { status, code, .. } => {
            *status == 429
                || *status >= 500
                || matches!(
                    code.as_str(),
                    "busy" | "signer_busy" | "unavailable" | "future_nonce" | "quota_exceeded"
                )
        }
        _ => true,
    }
}

/// A waiting transaction as the recorder holds it: read from the outbox
/// (and decoded) once.
struct InFlight {
    pending: Pending,
    /// When this run last submitted it.
    submitted: Option<Instant>,
}

/// Where the recorder stands between rounds.
struct Progress {
    /// The last block height read for our transactions.
    confirmed: u64,
    /// The outbox rows not yet final, by nonce, up to [SUBMIT_WINDOW].
    window: BTreeMap<u64, InFlight>,
    /// The last outbox row taken into the window.
    last_seq: i64,
    /// Whether the outbox has been empty since start: rows of an earlier
    /// run, submitted who knows when, are gone.
    caught_up: bool,
}

impl Recorder {
    pub async fn run(self, confirmed: u64) {
        let mut progress = Progress {
            confirmed,
            window: BTreeMap::new(),
            last_seq: 0,
            caught_up: false,
        };
        loop {
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(ROUND_INTERVAL) => {}
            }
            if let Err(e) = self.round(&mut progress).await {
                tracing::debug!(error = %e, "recording round incomplete; retrying");
            }
        }
    }

    /// Takes the rows written since the last round into the window.
    async fn refill(&self, progress: &mut Progress) -> Result<(), String> {
        let room = SUBMIT_WINDOW - progress.window.len();
        if room == 0 {
            return Ok(());
        }
        let fresh = self
            .outbox
            .pending_after(progress.last_seq, room)
            .await
            .map_err(|e| e.to_string())?;
        for pending in fresh {
            progress.last_seq = pending.seq;
            progress.window.insert(
                pending.nonce,
                InFlight {
                    pending,
                    submitted: None,
                },
            );
        }
        Ok(())
    }

    /// Removes final transactions from the outbox and the window.
    async fn confirm(
        &self,
        progress: &mut Progress,
        hashes: Vec<Digest>,
        height: u64,
    ) -> Result<(), String> {
        let done: HashSet<Digest> = hashes.iter().copied().collect();
        let removed = self
            .outbox
            .confirm(hashes, height)
            .await
            .map_err(|e| e.to_string())?;
        self.state.recorded.fetch_add(removed, Ordering::Relaxed);
        progress
            .window
            .retain(|_, f| !done.contains(&f.pending.hash));
        Ok(())
    }

    async fn round(&self, progress: &mut Progress) -> Result<(), String> {
        self.refill(progress).await?;
        if progress.window.is_empty() {
            progress.caught_up = true;
            return Ok(());
        }
        let (node, height) = self.reachable_node().await?;
        // Nothing of ours is in flight: what is submitted from now on lands
        // above `height`, so the blocks up to it need not be read (an idle
        // gateway would otherwise read every block since it last recorded).
        if progress.caught_up && progress.window.values().all(|f| f.submitted.is_none()) {
            progress.confirmed = progress.confirmed.max(height);
        }

        // Which of ours are final: read every block since the last round.
        let waiting: HashSet<Digest> = progress.window.values().map(|f| f.pending.hash).collect();
        let mut in_blocks = Vec::new();
        let until = height.min(progress.confirmed + MAX_BLOCKS_PER_ROUND);
        let mut read_to = progress.confirmed;
        for h in progress.confirmed + 1..=until {
            let block = node.block(h).await.map_err(|e| e.to_string())?;
            in_blocks.extend(
                block
                    .txs
                    .iter()
                    .filter_map(|tx| hex::digest(tx))
                    .filter(|hash| waiting.contains(hash)),
            );
            read_to = h;
        }
        if read_to > progress.confirmed {
            self.confirm(progress, in_blocks, read_to).await?;
            progress.confirmed = read_to;
        }

        // Submit what is not final and not recently submitted.
        let due: Vec<(u64, SignedTx, Digest)> = progress
            .window
            .iter()
            .filter(|(_, f)| f.submitted.is_none_or(|at| at.elapsed() > RESUBMIT_AFTER))
            .map(|(nonce, f)| (*nonce, f.pending.tx.clone(), f.pending.hash))
            .collect();
        let answers: Vec<_> = stream::iter(due)
            .map(|(nonce, tx, hash)| {
                let node = node.clone();
                async move { (nonce, hash, node.submit(&tx).await) }
            })
            .buffer_unordered(SUBMIT_CONCURRENCY)
            .collect()
            .await;
        let mut unreachable = None;
        for (nonce, hash, answer) in answers {
            let mark_submitted = |progress: &mut Progress| {
                if let Some(f) = progress.window.get_mut(&nonce) {
                    f.submitted = Some(Instant::now());
                }
            };
            match answer {
                Ok(_) => mark_submitted(progress),
                Err(e) if matches!(e.code(), Some(codes::NONCE_TAKEN | codes::STALE_NONCE)) => {
                    // Ours, already pending or final? Otherwise the nonce was
                    // used by another transaction of this key.
                    match node.tx_status(&hash).await {
                        Ok(s) if s.status == TxState::Pending => mark_submitted(progress),
                        Ok(s) if s.status == TxState::Finalized => {
                            // Final in a block already read past: clear it now.
                            let confirmed = progress.confirmed;
                            self.confirm(progress, vec![hash], confirmed).await?;
                        }
                        Ok(_) => self.state.set_fault(format!(
                            "nonce {nonce} of the gateway key was used by another transaction: \
                             the gateway key must be used by this gateway only"
                        )),
                        Err(e) => unreachable = Some(e.to_string()),
                    }
                }
                Err(e) if transient(&e) => unreachable = Some(e.to_string()),
                Err(e) => {
                    let reason = e.to_string();
                    tracing::error!(tx = %hash, %reason, "the ledger refuses an access record");
                    if let Some(f) = progress.window.remove(&nonce) {
                        self.outbox
                            .fail(f.pending.seq, reason.clone())
                            .await
                            .map_err(|e| e.to_string())?;
                    }
                    self.state.set_fault(reason);
                }
            }
        }
        match unreachable {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// The first node (the one that answered last first) whose status answers.
    async fn reachable_node(&self) -> Result<(Client, u64), String> {
        let mut last = String::from("no node configured");
        for node in self.ledger.nodes() {
            match node.status().await {
                Ok(status) => return Ok((node.clone(), status.height)),
                Err(e) => last = e.to_string(),
            }
        }
        Err(last)
    }
}
