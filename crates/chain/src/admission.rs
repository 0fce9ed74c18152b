//! Admission: checks the signatures of submitted and gossiped transactions in
//! batches, on the node's verification pool, before the executor sees them.
//! The executor then only checks them against the state (signer, nonce) and
//! takes them into its mempool; a block's transactions it already holds are
//! not checked again.
//!
//! Requests waiting together are verified together: under load, single
//! submissions and gossip batches share one batch verification, which costs
//! about half as much per signature as checking them one by one.
//!
//! What the mempool would not take is refused as `busy` before it is verified:
//! anything while the mempool is full, and clients' submissions while it holds
//! what the chain finalizes in [MAX_BACKLOG] at its recent rate, so that a
//! saturated node answers at once instead of queueing for seconds.

use crate::{
    executor::{FinalizedBlock, Mailbox as ExecutorMailbox, Shared},
    handle::SubmitError,
    limits::{ADMISSION_BATCH, BACKLOG_RATE_WINDOW, MAX_BACKLOG, MIN_BACKLOG_TXS},
    mempool::{Limits, MAX_MEMPOOL_TXS},
};
use commonware_parallel::{Rayon, Strategy};
use commonware_utils::channel::{mpsc, oneshot};
use dirchain_state::{VerifiedTx, verify_txs_with};
use dirchain_types::{
    ids::Digest,
    limits::MAX_TX_BYTES,
    tx::{SignedTx, TxKind},
};
use std::{
    collections::VecDeque,
    sync::{Arc, atomic::Ordering},
};

/// Who submitted a batch of transactions.
pub(crate) enum Origin {
    /// A client of this node, waiting for each transaction's verdict. What is admitted is
    /// gossiped to the other nodes.
    Client(oneshot::Sender<Vec<Result<Digest, SubmitError>>>),
    /// Another node's gossip: not gossiped again (every validator is connected to every
    /// other), and no one waits for the answer.
    Peer,
}

/// Transactions submitted together: each decoded, or why it could not be.
pub(crate) struct Request {
    pub txs: Vec<Result<SignedTx, SubmitError>>,
    pub origin: Origin,
}

/// A transaction refused before the state was consulted, with its kind when it decoded.
pub(crate) struct Refused {
    pub kind: Option<TxKind>,
    pub error: SubmitError,
}

/// A request whose signatures have been checked, in its original order.
pub(crate) struct Checked {
    pub txs: Vec<Result<VerifiedTx, Refused>>,
    pub origin: Origin,
}

#[derive(Clone)]
pub(crate) struct Mailbox(mpsc::Sender<Request>);

impl Mailbox {
    /// Submits a client's transactions and waits for their verdicts, in order.
    pub async fn submit(
        &self,
        txs: Vec<Result<SignedTx, SubmitError>>,
    ) -> Result<Vec<Result<Digest, SubmitError>>, SubmitError> {
        let (reply, verdicts) = oneshot::channel();
        self.0
            .send(Request {
                txs,
                origin: Origin::Client(reply),
            })
            .await
            .map_err(|_| SubmitError::Unavailable)?;
        verdicts.await.map_err(|_| SubmitError::Unavailable)
    }

    /// Hands a peer's gossip over without waiting: a full mailbox drops it (gossip is best
    /// effort; the sender's own node keeps the transactions and puts them in its blocks).
    pub fn gossiped(&self, txs: Vec<SignedTx>) {
        let _ = self.0.try_send(Request {
            txs: txs.into_iter().map(Ok).collect(),
            origin: Origin::Peer,
        });
    }
}

pub(crate) struct Admission<E> {
    context: E,
    strategy: Rayon,
    /// The mempool's fill, as the executor last left it.
    shared: Arc<Shared>,
    mailbox: mpsc::Receiver<Request>,
    executor: ExecutorMailbox,
}

impl<E: rand_core::CryptoRng + Send + 'static> Admission<E> {
    pub fn new(
        context: E,
        strategy: Rayon,
        shared: Arc<Shared>,
        executor: ExecutorMailbox,
        mailbox_size: usize,
    ) -> (Self, Mailbox) {
        let (sender, mailbox) = mpsc::channel(mailbox_size);
        let admission = Self {
            context,
            strategy,
            shared,
            mailbox,
            executor,
        };
        (admission, Mailbox(sender))
    }

    /// How full the mempool is, as the executor last left it.
    fn fill(&self) -> Fill {
        let txs = self.shared.mempool_txs.load(Ordering::Relaxed);
        let bytes = self.shared.mempool_bytes.load(Ordering::Relaxed);
        Fill {
            txs,
            bytes,
            backlog_limit: backlog_limit(self.shared.finalized_rate.load(Ordering::Relaxed)),
        }
    }

    /// Runs until the node stops. Meant for a thread of its own: verifying a batch holds it.
    pub async fn run(mut self) {
        while let Some(first) = self.mailbox.recv().await {
            let mut requests = vec![first];
            let mut txs = requests[0].txs.len();
            while txs < ADMISSION_BATCH {
                let Ok(next) = self.mailbox.try_recv() else {
                    break;
                };
                txs += next.txs.len();
                requests.push(next);
            }
            let checked = check(requests, self.fill(), &mut self.context, &self.strategy);
            if self.executor.admit(checked).await.is_err() {
                return;
            }
        }
    }
}

/// Transactions per second finalized in the blocks this node applied within
/// [BACKLOG_RATE_WINDOW] before `now_ms` (`blocks` oldest first).
pub(crate) fn finalized_rate(blocks: &VecDeque<FinalizedBlock>, now_ms: u64) -> usize {
    let window_ms = BACKLOG_RATE_WINDOW.as_millis() as u64;
    let since = now_ms.saturating_sub(window_ms);
    let txs: u64 = blocks
        .iter()
        .rev()
        .take_while(|block| block.applied_at_ms > since)
        .map(|block| block.txs as u64)
        .sum();
    usize::try_from(txs * 1_000 / window_ms).unwrap_or(usize::MAX)
}

/// How many transactions clients may keep waiting in the mempool when the chain finalizes
/// `finalized_rate` a second: what it clears in [MAX_BACKLOG], within [MIN_BACKLOG_TXS] and
/// the mempool's own bound.
pub(crate) fn backlog_limit(finalized_rate: usize) -> usize {
    let backlog = finalized_rate as f64 * MAX_BACKLOG.as_secs_f64();
    (backlog as usize).clamp(MIN_BACKLOG_TXS, MAX_MEMPOOL_TXS)
}

/// The mempool's transactions and bytes, and the backlog past which clients are refused.
#[derive(Clone, Copy, Debug)]
struct Fill {
    txs: usize,
    bytes: usize,
    backlog_limit: usize,
}

impl Fill {
    /// Why a transaction from `origin` is refused before it is verified, if it is.
    fn refusal(&self, origin: &Origin) -> Option<SubmitError> {
        // The executor's mempool has the default limits; no room for the largest
        // transaction counts as full.
        if Limits::default().full(self.txs, self.bytes, MAX_TX_BYTES) {
            return Some(SubmitError::Busy {
                txs: self.txs,
                bytes: self.bytes,
            });
        }
        match origin {
            Origin::Client(_) if self.txs >= self.backlog_limit => Some(SubmitError::Backlogged {
                txs: self.txs,
                limit: self.backlog_limit,
            }),
            _ => None,
        }
    }
}

/// Verifies every decoded transaction of `requests` in one batch. What the mempool would
/// refuse for its `fill` ([Fill::refusal]) is refused as `busy` without verifying: a flood of
/// retries must not take the CPU that would empty the mempool.
fn check(
    requests: Vec<Request>,
    fill: Fill,
    rng: &mut impl rand_core::CryptoRng,
    strategy: &impl Strategy,
) -> Vec<Checked> {
    let mut decoded = Vec::new();
    let mut shapes = Vec::with_capacity(requests.len());
    for request in requests {
        let slots: Vec<Result<TxKind, Refused>> = request
            .txs
            .into_iter()
            .map(|tx| {
                let tx = tx.map_err(|error| Refused { kind: None, error })?;
                let kind = tx.tx.payload.kind();
                if let Some(error) = fill.refusal(&request.origin) {
                    return Err(Refused {
                        kind: Some(kind),
                        error,
                    });
                }
                decoded.push(tx);
                Ok(kind)
            })
            .collect();
        shapes.push((slots, request.origin));
    }
    let mut verdicts = verify_txs_with(decoded, rng, strategy).into_iter();
    shapes
        .into_iter()
        .map(|(slots, origin)| Checked {
            txs: slots
                .into_iter()
                .map(|slot| match slot {
                    Ok(kind) => match verdicts.next() {
                        Some(Ok(tx)) => Ok(tx),
                        Some(Err(error)) => Err(Refused {
                            kind: Some(kind),
                            error: error.into(),
                        }),
                        None => Err(Refused {
                            kind: Some(kind),
                            error: SubmitError::Unavailable,
                        }),
                    },
                    Err(refused) => Err(refused),
                })
                .collect(),
            origin,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mempool::MAX_MEMPOOL_TXS;
    use commonware_codec::Encode;
    use commonware_parallel::Sequential;
    use dirchain_state::{decode_tx, testkit::World};
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    fn client_request(txs: Vec<Result<SignedTx, SubmitError>>) -> Request {
        Request {
            txs,
            origin: Origin::Client(oneshot::channel().0),
        }
    }

    /// A signed transaction, and a copy whose signature no longer matches.
    fn good_and_forged() -> (SignedTx, SignedTx) {
        let good = World::new().tx(
            "health.admin",
            dirchain_state::testkit::duty("health/vaccination"),
        );
        let mut forged = good.clone();
        forged.tx.nonce += 1;
        (good, forged)
    }

    /// A mempool of `txs` transactions and `bytes`, the chain idle of late.
    fn fill(txs: usize, bytes: usize) -> Fill {
        Fill {
            txs,
            bytes,
            backlog_limit: backlog_limit(0),
        }
    }

    fn codes(checked: &Checked) -> Vec<&'static str> {
        checked
            .txs
            .iter()
            .map(|tx| match tx {
                Ok(_) => "verified",
                Err(refused) => refused.error.code(),
            })
            .collect()
    }

    #[test]
    fn requests_verified_together_keep_their_own_order_and_verdicts() {
        let (good, forged) = good_and_forged();
        let malformed = decode_tx(b"not a transaction").map_err(SubmitError::from);
        let requests = vec![
            client_request(vec![Ok(good.clone()), malformed, Ok(forged.clone())]),
            Request {
                txs: vec![Ok(forged), Ok(good.clone())],
                origin: Origin::Peer,
            },
        ];
        let mut rng = ChaCha20Rng::seed_from_u64(0);
        let checked = check(requests, fill(0, 0), &mut rng, &Sequential);
        assert_eq!(
            codes(&checked[0]),
            ["verified", "malformed", "bad_signature"]
        );
        assert!(matches!(checked[0].origin, Origin::Client(_)));
        assert_eq!(codes(&checked[1]), ["bad_signature", "verified"]);
        assert!(matches!(checked[1].origin, Origin::Peer));
        let Ok(verified) = &checked[1].txs[1] else {
            unreachable!()
        };
        assert_eq!(verified.hash(), good.hash());
        assert_eq!(verified.tx().encode(), good.encode());
    }

    #[test]
    fn a_full_mempool_refuses_as_busy_without_verifying() {
        let (good, forged) = good_and_forged();
        let mut rng = ChaCha20Rng::seed_from_u64(0);
        let checked = check(
            vec![client_request(vec![Ok(good), Ok(forged)])],
            fill(MAX_MEMPOOL_TXS, 1),
            &mut rng,
            &Sequential,
        );
        // Even the forged one is `busy`: nothing was verified.
        assert_eq!(codes(&checked[0]), ["busy", "busy"]);
        assert!(matches!(
            checked[0].txs[0],
            Err(Refused {
                kind: Some(TxKind::DeclareDuty),
                error: SubmitError::Busy {
                    txs: MAX_MEMPOOL_TXS,
                    bytes: 1
                }
            })
        ));
    }

    #[test]
    fn the_finalized_rate_counts_the_blocks_of_the_last_window() {
        let window_ms = BACKLOG_RATE_WINDOW.as_millis() as u64;
        let block = |applied_at_ms, txs| FinalizedBlock {
            height: 0,
            digest: Digest::from([0; 32]),
            state_root: Digest::from([0; 32]),
            txs,
            timestamp_ms: 0,
            applied_at_ms,
        };
        let now = 10 * window_ms;
        assert_eq!(finalized_rate(&VecDeque::new(), now), 0);
        // The block at the window's start is outside it; the two after it are in.
        let blocks = VecDeque::from([
            block(now - window_ms - 1, 1_000_000),
            block(now - window_ms, 1_000_000),
            block(now - window_ms + 1, 3_000),
            block(now, 2_000),
        ]);
        assert_eq!(
            finalized_rate(&blocks, now),
            (5_000 * 1_000 / window_ms) as usize
        );
        // A node that has just started counts from the clock's beginning.
        assert_eq!(
            finalized_rate(&VecDeque::from([block(1, 500)]), 1),
            (500 * 1_000 / window_ms) as usize
        );
    }

    #[test]
    fn clients_may_keep_waiting_what_the_chain_clears_in_the_backlog_time() {
        assert_eq!(backlog_limit(0), MIN_BACKLOG_TXS);
        assert_eq!(backlog_limit(MIN_BACKLOG_TXS - 1), MIN_BACKLOG_TXS);
        let rate = 20_000;
        assert_eq!(
            backlog_limit(rate),
            (rate as f64 * MAX_BACKLOG.as_secs_f64()) as usize
        );
        assert_eq!(backlog_limit(usize::MAX), MAX_MEMPOOL_TXS);
    }

    #[test]
    fn past_the_backlog_clients_are_refused_as_busy_and_peers_gossip_still_taken() {
        let (good, forged) = good_and_forged();
        let mut rng = ChaCha20Rng::seed_from_u64(0);
        let waiting = backlog_limit(0);
        let requests = vec![
            client_request(vec![Ok(good.clone()), Ok(forged)]),
            Request {
                txs: vec![Ok(good)],
                origin: Origin::Peer,
            },
        ];
        let checked = check(requests, fill(waiting, 1), &mut rng, &Sequential);
        // The client's, forged or not, are refused unverified; the network's backlog is not.
        assert_eq!(codes(&checked[0]), ["busy", "busy"]);
        assert!(matches!(
            checked[0].txs[1],
            Err(Refused {
                error: SubmitError::Backlogged { txs, limit },
                ..
            }) if txs == waiting && limit == waiting
        ));
        assert_eq!(codes(&checked[1]), ["verified"]);
        // One below the backlog, a client is verified as before.
        let (good, _) = good_and_forged();
        let checked = check(
            vec![client_request(vec![Ok(good)])],
            fill(waiting - 1, 1),
            &mut rng,
            &Sequential,
        );
        assert_eq!(codes(&checked[0]), ["verified"]);
    }
}
