//! Admission: checks the signatures of submitted and gossiped transactions in
//! batches, on the node's verification pool, before the executor sees them.
//! The executor then only checks them against the state (signer, nonce) and
//! takes them into its mempool; a block's transactions it already holds are
//! not checked again.
//!
//! Requests waiting together are verified together: under load, single
//! submissions and gossip batches share one batch verification, which costs
//! about half as much per signature as checking them one by one.

use crate::{
    executor::{Mailbox as ExecutorMailbox, Shared},
    handle::SubmitError,
    limits::ADMISSION_BATCH,
    mempool::Limits,
};
use commonware_parallel::{Rayon, Strategy};
use commonware_utils::channel::{mpsc, oneshot};
use dirchain_state::{VerifiedTx, verify_txs_with};
use dirchain_types::{
    ids::Digest,
    limits::MAX_TX_BYTES,
    tx::{SignedTx, TxKind},
};
use std::sync::{Arc, atomic::Ordering};

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

    /// The mempool's transactions and bytes, when it holds as many as it may.
    fn full(&self) -> Option<(usize, usize)> {
        let txs = self.shared.mempool_txs.load(Ordering::Relaxed);
        let bytes = self.shared.mempool_bytes.load(Ordering::Relaxed);
        // The executor's mempool has the default limits; no room for the largest
        // transaction counts as full.
        Limits::default()
            .full(txs, bytes, MAX_TX_BYTES)
            .then_some((txs, bytes))
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
            let checked = check(requests, self.full(), &mut self.context, &self.strategy);
            if self.executor.admit(checked).await.is_err() {
                return;
            }
        }
    }
}

/// Verifies every decoded transaction of `requests` in one batch. While the mempool is
/// `full` (its transactions and bytes), refuses them as `busy` without verifying: a flood
/// of retries must not take the CPU that would empty the mempool.
fn check(
    requests: Vec<Request>,
    full: Option<(usize, usize)>,
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
                if let Some((txs, bytes)) = full {
                    return Err(Refused {
                        kind: Some(kind),
                        error: SubmitError::Busy { txs, bytes },
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
        let checked = check(requests, None, &mut rng, &Sequential);
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
            Some((MAX_MEMPOOL_TXS, 1)),
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
}
