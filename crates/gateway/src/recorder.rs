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
use dirchain_types::ids::Digest;
use futures::{StreamExt, stream};
use std::{
    collections::{HashMap, HashSet},
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

/// Where the recorder stands between rounds.
struct Progress {
    /// The last block height read for our transactions.
    confirmed: u64,
    /// Transactions this run submitted and has not seen final, with when.
    submitted: HashMap<Digest, Instant>,
    /// Whether the outbox has been empty since start: rows of an earlier
    /// run, submitted who knows when, are gone.
    caught_up: bool,
}

impl Recorder {
    pub async fn run(self, confirmed: u64) {
        let mut progress = Progress {
            confirmed,
            submitted: HashMap::new(),
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

    async fn round(&self, progress: &mut Progress) -> Result<(), String> {
        let pending = self
            .outbox
            .pending(SUBMIT_WINDOW)
            .await
            .map_err(|e| e.to_string())?;
        if pending.is_empty() {
            progress.submitted.clear();
            progress.caught_up = true;
            return Ok(());
        }
        let (node, height) = self.reachable_node().await?;
        let Progress {
            confirmed,
            submitted,
            caught_up,
        } = progress;
        // Nothing of ours is in flight: what is submitted from now on lands
        // above `height`, so the blocks up to it need not be read (an idle
        // gateway would otherwise read every block since it last recorded).
        if *caught_up && submitted.is_empty() {
            *confirmed = (*confirmed).max(height);
        }

        // Which of ours are final: read every block since the last round.
        let waiting: HashSet<Digest> = pending.iter().map(|p| p.hash).collect();
        let mut in_blocks = Vec::new();
        let until = height.min(*confirmed + MAX_BLOCKS_PER_ROUND);
        let mut read_to = *confirmed;
        for h in *confirmed + 1..=until {
            let block = node.block(h).await.map_err(|e| e.to_string())?;
            for tx in &block.txs {
                if let Some(hash) = hex::digest(tx)
                    && waiting.contains(&hash)
                {
                    in_blocks.push(hash);
                }
            }
            read_to = h;
        }
        if read_to > *confirmed {
            let removed = self
                .outbox
                .confirm(in_blocks.clone(), read_to)
                .await
                .map_err(|e| e.to_string())?;
            self.state.recorded.fetch_add(removed, Ordering::Relaxed);
            *confirmed = read_to;
            for hash in &in_blocks {
                submitted.remove(hash);
            }
        }
        let done: HashSet<Digest> = in_blocks.into_iter().collect();

        // Submit what is not final and not recently submitted.
        let due: Vec<Pending> = pending
            .into_iter()
            .filter(|p| !done.contains(&p.hash))
            .filter(|p| {
                submitted
                    .get(&p.hash)
                    .is_none_or(|at| at.elapsed() > RESUBMIT_AFTER)
            })
            .collect();
        let answers: Vec<(Pending, _)> = stream::iter(due)
            .map(|p| {
                let node = node.clone();
                async move {
                    let answer = node.submit(&p.tx).await;
                    (p, answer)
                }
            })
            .buffer_unordered(SUBMIT_CONCURRENCY)
            .collect()
            .await;
        let mut unreachable = None;
        for (p, answer) in answers {
            match answer {
                Ok(_) => {
                    submitted.insert(p.hash, Instant::now());
                }
                Err(e) if matches!(e.code(), Some(codes::NONCE_TAKEN | codes::STALE_NONCE)) => {
                    // Ours, already pending or final? Otherwise the nonce was
                    // used by another transaction of this key.
                    match node.tx_status(&p.hash).await {
                        Ok(s) if s.status == TxState::Pending => {
                            submitted.insert(p.hash, Instant::now());
                        }
                        Ok(s) if s.status == TxState::Finalized => {
                            // Final in a block already read past: clear it now.
                            let removed = self
                                .outbox
                                .confirm(vec![p.hash], *confirmed)
                                .await
                                .map_err(|e| e.to_string())?;
                            self.state.recorded.fetch_add(removed, Ordering::Relaxed);
                        }
                        Ok(_) => self.state.set_fault(format!(
                            "nonce {} of the gateway key was used by another transaction: \
                             the gateway key must be used by this gateway only",
                            p.nonce
                        )),
                        Err(e) => unreachable = Some(e.to_string()),
                    }
                }
                Err(e) if transient(&e) => unreachable = Some(e.to_string()),
                Err(e) => {
                    let reason = e.to_string();
                    tracing::error!(tx = %p.hash, %reason, "the ledger refuses an access record");
                    self.outbox
                        .fail(p.seq, reason.clone())
                        .await
                        .map_err(|e| e.to_string())?;
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
