//! A validator checks the blocks other validators propose. It skips the signature check of the
//! transactions its mempool holds (admission checked them, and the hash covers the
//! signature): these tests hold that every other transaction's signature is still checked, so
//! a Byzantine proposer cannot put in a transaction its signer never signed.

use super::*;
use crate::{admission, engine::start_execution};
use commonware_consensus::{
    simplex::types::Context,
    types::{Epoch, Round, View},
};
use commonware_cryptography::Signer as _;
use commonware_runtime::{Runner as _, Supervisor as _, deterministic};
use dirchain_state::testkit::{self, HOUR_MS, key_for};
use dirchain_types::{
    domain::Role,
    genesis::Genesis,
    ids::SYSTEM_CHANNEL,
    tx::{Enroll, Transaction},
};

/// The test consortium, founded at the deterministic clock's start (the Unix epoch): a block
/// may not claim a time ahead of the verifier's clock.
fn genesis() -> Genesis {
    let mut genesis = testkit::genesis();
    genesis.timestamp_ms = 0;
    genesis
}

fn genesis_block() -> Digested<ChainBlock> {
    let block = ChainBlock::genesis(&genesis());
    let digest = block.digest();
    Digested::precomputed(block, digest)
}

/// `org`'s admin enrols `member`: its first transaction. An enrolment's writes do not
/// depend on the transaction's hash, so a copy with another signature executes to the same
/// state root.
fn enrolment(org: &str, member: &str) -> SignedTx {
    let admin = key_for(&format!("{org}.admin"));
    Transaction {
        chain_id: testkit::id(testkit::CHAIN_ID),
        channel: testkit::id(SYSTEM_CHANNEL),
        signer: admin.public_key(),
        nonce: 0,
        payload: Enroll {
            org: testkit::id(org),
            member_key: key_for(member).public_key(),
            role: Role::Publisher,
            expires_at: HOUR_MS,
        }
        .into(),
    }
    .sign(&admin)
}

/// `tx` as it claims to be, signed by a key that is not its signer's.
fn forged(tx: &SignedTx) -> SignedTx {
    let forgery = tx.tx.clone().sign(&key_for("mallory"));
    assert_ne!(forgery.signature, tx.signature);
    forgery
}

/// `block` with `forgery` in place of the transaction it copies: the same header and state
/// root, so the forged signature is the block's only defect.
fn with_forgery(block: &Digested<ChainBlock>, forgery: &SignedTx) -> Digested<ChainBlock> {
    let mut block = block.inner().0.clone();
    let txs: Vec<SignedTx> = block
        .txs
        .iter()
        .map(|tx| {
            if tx.tx == forgery.tx {
                forgery.clone()
            } else {
                tx.clone()
            }
        })
        .collect();
    assert!(txs.contains(forgery), "the block carries the copied tx");
    block.txs = List::new(txs).expect("as many as before");
    let digest = block.digest();
    Digested::precomputed(ChainBlock(block), digest)
}

/// A validator's executor with admission in front of it, started as the engine starts them,
/// on a fresh state founded from [genesis].
struct Node {
    executor: Mailbox,
    admission: admission::Mailbox,
    /// Held open: the executor stops when the channel of finalized blocks closes.
    finalized: mpsc::UnboundedSender<(Digested<ChainBlock>, Exact)>,
    shared: Arc<Shared>,
}

impl Node {
    async fn start(context: &deterministic::Context, name: &'static str) -> Self {
        let context = context.child(name);
        let genesis = genesis();
        let ledger = Ledger::open(context.child("state"), name, &genesis)
            .await
            .expect("the state opens");
        let genesis_block = genesis_block();
        let (gossip, _) = mpsc::channel(crate::limits::MAILBOX_SIZE);
        let (finalized, finalized_rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared::default());
        let (_, mailbox, admission_mailbox) = start_execution(
            &context,
            ledger,
            ExecutorConfig {
                role: NodeRole::Validator,
                public_key: genesis.validators[0].clone(),
                validators: genesis.validators.to_vec(),
                genesis: genesis.digest(),
                tip: (
                    0,
                    genesis_block.digest(),
                    genesis_block.inner().0.timestamp_ms,
                ),
            },
            gossip,
            finalized_rx,
            shared.clone(),
        );
        Self {
            executor: mailbox,
            admission: admission_mailbox,
            finalized,
            shared,
        }
    }

    /// Finalizes `block`, as marshal does, and waits until the executor committed it.
    async fn finalize(&self, block: &Digested<ChainBlock>) {
        let (ack, committed) = Exact::handle();
        self.finalized
            .send((block.clone(), ack))
            .expect("executor runs");
        committed.await.expect("the executor acknowledges");
    }

    /// Proposes a block in `view` on the last block of `chain`, the blocks from this node's
    /// tip up to the parent, as the application walks them.
    async fn propose_on(&self, view: u64, chain: &[Digested<ChainBlock>]) -> Digested<ChainBlock> {
        let parent = chain.last().expect("a parent");
        let context = Context {
            round: Round::new(Epoch::zero(), View::new(view)),
            leader: genesis_block().inner().0.proposer.clone(),
            parent: (View::new(view - 1), parent.digest()),
        };
        self.executor
            .propose(context, chain.to_vec())
            .await
            .expect("a block")
    }

    async fn verify_chain(&self, chain: &[Digested<ChainBlock>]) -> Verdict {
        self.executor
            .verify(chain.to_vec())
            .await
            .expect("executor runs")
    }

    /// Submits `txs` as a client would and expects each admitted.
    async fn admit(&self, txs: &[SignedTx]) {
        let verdicts = self
            .admission
            .submit(txs.iter().cloned().map(Ok).collect())
            .await
            .expect("admission runs");
        for (tx, verdict) in txs.iter().zip(verdicts) {
            assert_eq!(verdict.expect("admitted"), tx.hash());
        }
        for tx in txs {
            assert_eq!(self.tx_status(tx).await, TxStatus::Pending);
        }
    }

    async fn tx_status(&self, tx: &SignedTx) -> TxStatus {
        self.executor
            .tx_status(tx.hash())
            .await
            .expect("executor runs")
    }

    /// Proposes the block after genesis from this node's mempool, expecting it to carry `txs`.
    async fn propose(&self, txs: &[SignedTx]) -> Digested<ChainBlock> {
        let genesis = genesis_block();
        let context = Context {
            round: Round::new(Epoch::zero(), View::new(1)),
            leader: genesis.inner().0.proposer.clone(),
            parent: (View::zero(), genesis.digest()),
        };
        let block = self
            .executor
            .propose(context, vec![genesis])
            .await
            .expect("a block on genesis");
        let mut carried = block.inner().0.txs.to_vec();
        let mut expected = txs.to_vec();
        carried.sort_by_key(SignedTx::hash);
        expected.sort_by_key(SignedTx::hash);
        assert_eq!(carried, expected);
        block
    }

    async fn verify(&self, block: &Digested<ChainBlock>) -> Verdict {
        // The chain a validator is handed for a block right above its tip: the block alone.
        self.executor
            .verify(vec![block.clone()])
            .await
            .expect("executor runs")
    }

    /// The finalized tip: height, block and state root.
    async fn tip(&self) -> (u64, Digest, Digest) {
        let status = self.executor.status().await.expect("executor runs");
        (status.height, status.block, status.state_root)
    }
}

/// A proposer's block carrying `txs`, all admitted to its own mempool.
async fn proposed(context: &deterministic::Context, txs: &[SignedTx]) -> Digested<ChainBlock> {
    let proposer = Node::start(context, "proposer").await;
    proposer.admit(txs).await;
    proposer.propose(txs).await
}

/// Checks that `verifier` refuses `forged_block` without a trace, and accepts `genuine_block`,
/// which differs from it only in the forged signature: the signature is why it was refused.
async fn refuses_only_the_forgery(
    verifier: &Node,
    forged_block: &Digested<ChainBlock>,
    genuine_block: &Digested<ChainBlock>,
) {
    let tip = verifier.tip().await;
    assert_eq!(verifier.verify(forged_block).await, Verdict::Invalid);
    assert_eq!(verifier.tip().await, tip);
    // Not kept as a verified block either: asked again, the answer is the same.
    assert_eq!(verifier.verify(forged_block).await, Verdict::Invalid);
    assert_eq!(verifier.verify(genuine_block).await, Verdict::Valid);
}

#[test]
fn a_block_with_a_correctly_signed_transaction_the_mempool_never_saw_is_valid() {
    deterministic::Runner::default().start(|context| async move {
        let tx = enrolment("health", "health.publisher");
        let block = proposed(&context, std::slice::from_ref(&tx)).await;
        let verifier = Node::start(&context, "verifier").await;
        assert_eq!(verifier.tx_status(&tx).await, TxStatus::Unknown);
        assert_eq!(verifier.verify(&block).await, Verdict::Valid);
    });
}

#[test]
fn a_block_with_a_forged_signature_the_mempool_never_saw_is_invalid() {
    deterministic::Runner::default().start(|context| async move {
        let tx = enrolment("health", "health.publisher");
        let block = proposed(&context, std::slice::from_ref(&tx)).await;
        let forged_block = with_forgery(&block, &forged(&tx));
        let verifier = Node::start(&context, "verifier").await;
        refuses_only_the_forgery(&verifier, &forged_block, &block).await;
    });
}

#[test]
fn a_block_with_a_transaction_the_mempool_admitted_is_valid() {
    deterministic::Runner::default().start(|context| async move {
        let tx = enrolment("health", "health.publisher");
        let block = proposed(&context, std::slice::from_ref(&tx)).await;
        let verifier = Node::start(&context, "verifier").await;
        verifier.admit(std::slice::from_ref(&tx)).await;
        assert_eq!(verifier.verify(&block).await, Verdict::Valid);
    });
}

#[test]
fn a_forged_signature_beside_an_admitted_transaction_makes_the_block_invalid() {
    deterministic::Runner::default().start(|context| async move {
        let admitted = enrolment("health", "health.publisher");
        let unseen = enrolment("police", "police.publisher");
        let block = proposed(&context, &[admitted.clone(), unseen.clone()]).await;
        let forged_block = with_forgery(&block, &forged(&unseen));
        let verifier = Node::start(&context, "verifier").await;
        verifier.admit(std::slice::from_ref(&admitted)).await;
        assert_eq!(verifier.tx_status(&unseen).await, TxStatus::Unknown);
        refuses_only_the_forgery(&verifier, &forged_block, &block).await;
    });
}

#[test]
fn a_forged_copy_of_a_transaction_the_mempool_admitted_is_invalid() {
    // The mempool is searched by hash, which covers the signature: a copy of an admitted
    // transaction under another signature is not what admission checked.
    deterministic::Runner::default().start(|context| async move {
        let tx = enrolment("health", "health.publisher");
        let block = proposed(&context, std::slice::from_ref(&tx)).await;
        let forged_block = with_forgery(&block, &forged(&tx));
        let verifier = Node::start(&context, "verifier").await;
        verifier.admit(std::slice::from_ref(&tx)).await;
        refuses_only_the_forgery(&verifier, &forged_block, &block).await;
    });
}

/// The application walks a block's ancestry back to the tip it last read, and the blocks
/// finalized since may move the tip into that walk. A validator that already finalized them
/// must find the block valid as the validators that had not do: a valid block found invalid
/// by some validators alone left a view certified by some and not by others, and the
/// network halted (issue 6, sixth round's stall).
#[test]
fn a_block_stays_valid_when_its_ancestors_were_finalized_meanwhile() {
    deterministic::Runner::default().start(|context| async move {
        let proposer = Node::start(&context, "proposer").await;
        let b1 = proposer.propose_on(1, &[genesis_block()]).await;
        let b2 = proposer.propose_on(2, std::slice::from_ref(&b1)).await;
        let b3 = proposer.propose_on(3, &[b1.clone(), b2.clone()]).await;
        // A sibling of b2 and its child: a branch that b2's finalization kills.
        let b2_dead = proposer.propose_on(4, std::slice::from_ref(&b1)).await;
        let b3_dead = proposer.propose_on(5, &[b1.clone(), b2_dead.clone()]).await;
        assert_ne!(b2_dead.digest(), b2.digest());

        let verifier = Node::start(&context, "verifier").await;
        for chain in [vec![b1.clone()], vec![b1.clone(), b2.clone()]] {
            assert_eq!(verifier.verify_chain(&chain).await, Verdict::Valid);
        }
        verifier.finalize(&b1).await;
        verifier.finalize(&b2).await;
        assert_eq!(verifier.tip().await.0, 2);

        let walked = vec![b1.clone(), b2.clone(), b3.clone()];
        let cases = [
            (
                "b3 walked from the genesis tip, read before b1 and b2 were final",
                walked.clone(),
                Verdict::Valid,
            ),
            // Blocks already final are valid too: their finalization may come first.
            ("b2, final", vec![b1.clone(), b2.clone()], Verdict::Valid),
            ("b1, final", vec![b1.clone()], Verdict::Valid),
            // The dead branch stays invalid, at and above the final height.
            (
                "b2's dead sibling",
                vec![b1.clone(), b2_dead.clone()],
                Verdict::Invalid,
            ),
            (
                "its child",
                vec![b1.clone(), b2_dead, b3_dead.clone()],
                Verdict::Invalid,
            ),
            (
                "its child walked from the current tip",
                vec![b3_dead],
                Verdict::Invalid,
            ),
        ];
        for (what, chain, verdict) in cases {
            assert_eq!(verifier.verify_chain(&chain).await, verdict, "{what}");
        }
        // A leader whose walk reaches below the tip still builds on it.
        let b4 = verifier.propose_on(6, &walked).await;
        assert_eq!(b4.inner().0.parent, b3.digest());
        assert_eq!(b4.inner().0.height, 4);
    });
}

/// A node whose verdict differed from the quorum's says so: the precursor of the halt above
/// (two validators refusing the same view's block) is visible before it halts anything.
#[test]
fn a_block_this_node_refused_and_the_network_finalized_is_counted() {
    deterministic::Runner::default().start(|context| async move {
        let proposer = Node::start(&context, "proposer").await;
        let on_time = proposer.propose_on(1, &[genesis_block()]).await;
        // The same block from a proposer whose clock runs ahead of this node's: refused here,
        // finalized by validators whose clocks agree with the proposer's.
        let mut header = on_time.inner().0.clone();
        header.timestamp_ms += MAX_CLOCK_SKEW_MS + 1_000;
        let digest = header.digest();
        let ahead = Digested::precomputed(ChainBlock(header), digest);

        let verifier = Node::start(&context, "verifier").await;
        let refused = || verifier.shared.refused_finalized.load(Ordering::Relaxed);
        assert_eq!(verifier.verify(&ahead).await, Verdict::Invalid);
        assert_eq!(refused(), 0, "refusing alone is not disagreeing");
        verifier.finalize(&ahead).await;
        assert_eq!(verifier.tip().await.0, 1);
        assert_eq!(refused(), 1);
        // A block it voted for is not counted.
        let next = verifier.propose_on(2, std::slice::from_ref(&ahead)).await;
        assert_eq!(verifier.verify(&next).await, Verdict::Valid);
        verifier.finalize(&next).await;
        assert_eq!(verifier.tip().await.0, 2);
        assert_eq!(refused(), 1);
    });
}
