//! Transaction gossip: what a node admits from its API reaches every other
//! node's mempool. Transactions are batched into one p2p message per
//! interval. Every node is connected to every other (a known, fixed peer
//! set), so a received transaction is never forwarded again.

use crate::{
    admission::Mailbox,
    limits::{GOSSIP_INTERVAL, MAX_GOSSIP_BATCH},
};
use commonware_codec::{DecodeExt, Encode};
use commonware_macros::select;
use commonware_p2p::{Receiver, Recipients, Sender};
use commonware_runtime::{Clock, Spawner};
use commonware_utils::channel::mpsc;
use dirchain_types::{bounded::List, tx::SignedTx};
use tracing::debug;

/// One gossip message.
type Batch = List<SignedTx, MAX_GOSSIP_BATCH>;

pub(crate) struct Gossip<E: Clock + Spawner> {
    context: E,
    outbox: mpsc::Receiver<SignedTx>,
    admission: Mailbox,
}

impl<E: Clock + Spawner> Gossip<E> {
    pub fn new(context: E, outbox: mpsc::Receiver<SignedTx>, admission: Mailbox) -> Self {
        Self {
            context,
            outbox,
            admission,
        }
    }

    pub async fn run(mut self, (mut sender, mut receiver): (impl Sender, impl Receiver)) {
        let mut batch: Vec<SignedTx> = Vec::new();
        let mut deadline = self.context.current() + GOSSIP_INTERVAL;
        loop {
            let flush = self.context.sleep_until(deadline);
            let waiting = !batch.is_empty();
            select! {
                tx = self.outbox.recv() => {
                    let Some(tx) = tx else { return };
                    if batch.is_empty() {
                        deadline = self.context.current() + GOSSIP_INTERVAL;
                    }
                    batch.push(tx);
                    if batch.len() >= MAX_GOSSIP_BATCH {
                        send(&mut sender, &mut batch);
                    }
                },
                _ = async move { if waiting { flush.await } else { std::future::pending().await } } => {
                    send(&mut sender, &mut batch);
                },
                message = receiver.recv() => {
                    let Ok((peer, bytes)) = message else { return };
                    match Batch::decode(bytes) {
                        Ok(txs) => self.admission.gossiped(txs.into_vec()),
                        Err(error) => debug!(?peer, %error, "undecodable transaction batch"),
                    }
                },
            }
        }
    }
}

fn send(sender: &mut impl Sender, batch: &mut Vec<SignedTx>) {
    let txs = Batch::new(std::mem::take(batch)).expect("batches are capped at MAX_GOSSIP_BATCH");
    sender.send(Recipients::All, txs.encode(), false);
}
