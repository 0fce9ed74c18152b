//! Publishing the rows to publish: signed with consecutive nonces from the
//! account's next free one, up to [WINDOW] in flight at once, each slot
//! refilled as soon as the chain finalizes one; transient refusals are
//! retried with backoff.
//!
//! The one hard case is a transaction the node admitted but the chain
//! refused when executing it (an item id another organisation owns, say):
//! it is dropped, its nonce stays free, and every later transaction of the
//! key waits behind that gap. The chain's account answer shows the gap
//! (`next_free_nonce == next_nonce` while ours wait above it); the gap is
//! then filled with the next row not yet sent or, when none is left, with
//! the last row in flight signed again — its first copy is then refused as
//! a repeat and leaves the last nonce free, where nothing waits.

use super::node::Node;
use crate::client::render_error;
use dirchain_client::{Signer, codes};
use dirchain_types::{bounded::Ident, tx::PublishCatalogItem};
use std::{
    collections::{BTreeMap, HashSet, VecDeque},
    time::Duration,
};
use tokio::time::{Instant, sleep};

/// Transactions of an import in flight at once: half the node's per-signer
/// pending limit (`MAX_SIGNER_PENDING`, 1024), so the key can still send
/// other transactions, and the gap the node allows ahead of its next nonce
/// is never reached.
pub const WINDOW: usize = 512;
/// Attempts at one submission the node keeps refusing as busy (about a
/// minute with [Pace::default]'s backoff) before the import stops.
pub const MAX_SUBMIT_ATTEMPTS: u32 = 20;
/// Codes saying the node cannot take a transaction now, but will later.
const TRANSIENT: &[&str] = &[
    "busy",
    "signer_busy",
    "future_nonce",
    "quota_exceeded",
    "unavailable",
];
/// Codes saying the key may not publish at all: every row would fail alike.
const SIGNER_REFUSED: &[&str] = &[
    "unknown_signer",
    "key_revoked",
    "key_expired",
    "org_inactive",
    "wrong_role",
    "wrong_chain",
    "wrong_channel",
    "unknown_channel",
    "not_channel_member",
    "bad_signature",
];

/// How often and how long the pipeline waits.
#[derive(Clone, Copy, Debug)]
pub struct Pace {
    /// Between two looks at the account's nonces.
    pub poll: Duration,
    /// First wait after a transient refusal; doubled each time up to `max_backoff`.
    pub backoff: Duration,
    pub max_backoff: Duration,
    /// The import stops when no transaction of the key is finalized for this long.
    pub stall: Duration,
}

impl Default for Pace {
    fn default() -> Self {
        Self {
            poll: Duration::from_millis(200),
            backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            stall: Duration::from_secs(120),
        }
    }
}

/// One row to publish.
#[derive(Clone, Debug)]
pub struct Job {
    pub id: String,
    pub item: PublishCatalogItem,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Published,
    /// Found on chain when the chain refused to publish it again.
    Skipped(String),
    Failed(String),
}

/// What [publish] did: an outcome per job (none for jobs never settled
/// when the import stopped), and why it stopped early, if it did.
pub struct Finished {
    pub outcomes: Vec<Option<Outcome>>,
    pub stopped: Option<anyhow::Error>,
}

enum Submitted {
    Accepted,
    /// Another pending transaction of the key holds the nonce.
    NonceTaken,
    /// The nonce is used already.
    Stale,
    /// The node refused this transaction for what it is.
    Refused(String),
}

/// Publishes `jobs` in order as `signer` (a member of `org`), reporting each
/// outcome to `progress` as it is known.
pub async fn publish(
    node: &impl Node,
    signer: &Signer,
    org: &str,
    jobs: Vec<Job>,
    window: usize,
    pace: Pace,
    progress: &mut dyn FnMut(&Job, &Outcome),
) -> Finished {
    let mut run = Run {
        node,
        signer,
        org,
        pace,
        window: window.max(1),
        outcomes: vec![None; jobs.len()],
        queue: (0..jobs.len()).collect(),
        jobs,
        in_flight: BTreeMap::new(),
        ids: HashSet::new(),
        next_nonce: 0,
        progress,
    };
    let stopped = run.run().await.err();
    Finished {
        outcomes: run.outcomes,
        stopped,
    }
}

struct Run<'a, N: Node> {
    node: &'a N,
    signer: &'a Signer,
    org: &'a str,
    pace: Pace,
    window: usize,
    jobs: Vec<Job>,
    outcomes: Vec<Option<Outcome>>,
    /// Jobs not sent yet, in file order.
    queue: VecDeque<usize>,
    /// Nonce -> the job whose transaction holds it; `None` for a first copy
    /// of a job sent again into a gap, which the chain will refuse.
    in_flight: BTreeMap<u64, Option<usize>>,
    /// Items with a transaction in flight: one at a time per item, so
    /// versions of one item apply in file order whatever fills a gap.
    ids: HashSet<String>,
    next_nonce: u64,
    progress: &'a mut dyn FnMut(&Job, &Outcome),
}

impl<N: Node> Run<'_, N> {
    async fn run(&mut self) -> anyhow::Result<()> {
        let key = self.signer.public_key().clone();
        let account = self.node.account(&key).await?;
        self.next_nonce = account.next_free_nonce;
        let mut finalized = account.next_nonce;
        let mut progressed = Instant::now();
        loop {
            self.fill().await?;
            if self.in_flight.is_empty() && self.queue.is_empty() {
                return Ok(());
            }
            sleep(self.pace.poll).await;
            let account = self.node.account(&key).await?;
            let next = account.next_nonce;
            if next != finalized {
                finalized = next;
                progressed = Instant::now();
            }
            self.settle(next);
            if account.next_free_nonce <= next && self.in_flight.range(next..).next().is_some() {
                self.fill_gap(next).await?;
                progressed = Instant::now();
            } else if !self.in_flight.is_empty() && progressed.elapsed() >= self.pace.stall {
                anyhow::bail!(
                    "no transaction of this key was finalized for {} s; the rest is not final",
                    self.pace.stall.as_secs()
                );
            }
        }
    }

    /// Sends queued jobs while the window has room.
    async fn fill(&mut self) -> anyhow::Result<()> {
        while self.in_flight.len() < self.window {
            let Some(&job) = self.queue.front() else {
                return Ok(());
            };
            if self.ids.contains(&self.jobs[job].id) {
                // An earlier version of this item is on its way.
                return Ok(());
            }
            self.queue.pop_front();
            self.send_new(job).await?;
        }
        Ok(())
    }

    /// Sends `job` at the next nonce, stepping over nonces others hold.
    async fn send_new(&mut self, job: usize) -> anyhow::Result<()> {
        for _ in 0..MAX_SUBMIT_ATTEMPTS {
            match self.submit_at(job, self.next_nonce).await? {
                Submitted::Accepted => {
                    self.in_flight.insert(self.next_nonce, Some(job));
                    self.ids.insert(self.jobs[job].id.clone());
                    self.next_nonce += 1;
                    return Ok(());
                }
                Submitted::NonceTaken => self.next_nonce += 1,
                Submitted::Stale => {
                    let key = self.signer.public_key();
                    self.next_nonce = self.node.account(key).await?.next_free_nonce;
                }
                Submitted::Refused(reason) => {
                    self.finish(job, Outcome::Failed(reason));
                    return Ok(());
                }
            }
        }
        anyhow::bail!(
            "no free nonce found for row {} after {MAX_SUBMIT_ATTEMPTS} tries: is the key used elsewhere?",
            self.jobs[job].id
        )
    }

    /// Signs `job` with `nonce` and submits it, retrying transient refusals.
    async fn submit_at(&mut self, job: usize, nonce: u64) -> anyhow::Result<Submitted> {
        let tx = self.signer.sign(self.jobs[job].item.clone(), nonce);
        let mut backoff = self.pace.backoff;
        let mut attempt = 1;
        loop {
            let error = match self.node.submit(&tx).await {
                Ok(()) => return Ok(Submitted::Accepted),
                Err(error) => error,
            };
            match code_of(&error) {
                Some(codes::NONCE_TAKEN) => return Ok(Submitted::NonceTaken),
                Some(codes::STALE_NONCE) => return Ok(Submitted::Stale),
                Some(code) if SIGNER_REFUSED.contains(&code) => {
                    return Err(error.context("the node refuses this key's transactions"));
                }
                Some(code) if !TRANSIENT.contains(&code) => {
                    return Ok(Submitted::Refused(render_error(&error)));
                }
                // Transient, or the node did not answer.
                _ if attempt >= MAX_SUBMIT_ATTEMPTS => {
                    return Err(error.context(format!(
                        "the node did not take a transaction in {attempt} attempts"
                    )));
                }
                _ => {
                    sleep(backoff).await;
                    backoff = (backoff * 2).min(self.pace.max_backoff);
                    attempt += 1;
                }
            }
        }
    }

    /// Every nonce below `next` is final: those jobs are published.
    fn settle(&mut self, next: u64) {
        let done: Vec<u64> = self.in_flight.range(..next).map(|(n, _)| *n).collect();
        for nonce in done {
            if let Some(Some(job)) = self.in_flight.remove(&nonce) {
                self.ids.remove(&self.jobs[job].id);
                self.finish(job, Outcome::Published);
            }
        }
    }

    /// Nothing is pending at nonce `gap` (ours there, if any, was refused
    /// when executed) while transactions of ours wait above it.
    async fn fill_gap(&mut self, gap: u64) -> anyhow::Result<()> {
        if let Some(Some(job)) = self.in_flight.remove(&gap) {
            self.ids.remove(&self.jobs[job].id);
            let outcome = self.explain_refusal(job).await;
            self.finish(job, outcome);
        }
        let waiting = self
            .in_flight
            .range(gap..)
            .rev()
            .find_map(|(nonce, job)| job.map(|job| (*nonce, job)));
        let Some((top, top_job)) = waiting else {
            // Only first copies wait above the gap, and the chain refuses
            // them: new transactions start at the gap.
            self.in_flight.retain(|nonce, _| *nonce < gap);
            self.next_nonce = gap;
            return Ok(());
        };
        let fresh = self
            .queue
            .front()
            .copied()
            .filter(|job| !self.ids.contains(&self.jobs[*job].id));
        let job = match fresh {
            Some(job) => {
                self.queue.pop_front();
                job
            }
            None => top_job,
        };
        match self.submit_at(job, gap).await? {
            Submitted::Accepted => {
                self.in_flight.insert(gap, Some(job));
                if fresh.is_some() {
                    self.ids.insert(self.jobs[job].id.clone());
                } else {
                    self.in_flight.insert(top, None);
                }
            }
            // Something else took the gap meanwhile: the next look tells.
            Submitted::NonceTaken | Submitted::Stale => {
                if fresh.is_some() {
                    self.queue.push_front(job);
                }
            }
            Submitted::Refused(reason) => {
                if fresh.is_none() {
                    // Its first copy would wait behind the gap for ever.
                    self.in_flight.insert(top, None);
                    self.ids.remove(&self.jobs[job].id);
                }
                self.finish(job, Outcome::Failed(reason));
            }
        }
        Ok(())
    }

    /// Why the chain refused a job it had admitted, read from the item as
    /// it stands.
    async fn explain_refusal(&self, job: usize) -> Outcome {
        let job = &self.jobs[job];
        let refused = "refused by the chain when executed";
        let id: &Ident = &job.item.id;
        match self.node.item(self.signer.channel(), id).await {
            Ok(Some(item)) if item.current.org.as_str() != self.org => {
                Outcome::Failed(format!("item {id} belongs to {}", item.current.org))
            }
            Ok(Some(item)) if item.current.version >= job.item.version => {
                Outcome::Skipped(format!("on chain at version {}", item.current.version))
            }
            Ok(Some(item)) if item.retired.is_some() => {
                Outcome::Failed("the item is retired; it takes no new version".into())
            }
            Ok(_) => Outcome::Failed(format!("{refused}; the node's log says why")),
            Err(e) => Outcome::Failed(format!("{refused} ({})", render_error(&e))),
        }
    }

    fn finish(&mut self, job: usize, outcome: Outcome) {
        (self.progress)(&self.jobs[job], &outcome);
        self.outcomes[job] = Some(outcome);
    }
}

/// The node's error code in a failure, if the node answered one.
fn code_of(error: &anyhow::Error) -> Option<&str> {
    error
        .downcast_ref::<dirchain_client::ClientError>()
        .and_then(|e| e.code())
}

#[cfg(test)]
mod tests;
