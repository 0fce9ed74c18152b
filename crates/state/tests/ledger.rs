//! The ledger on the real authenticated store: every kind of record is
//! provable against the root alone, absence too, and blocks are checked
//! before they are committed.

use commonware_codec::{DecodeExt, Encode};
use commonware_cryptography::Signer as _;
use commonware_runtime::{Runner as _, Supervisor as _, deterministic};
use dirchain_state::{
    Ledger, LedgerError, TxError, VerifiedTx,
    access_log::{AccessLog, AccessProof},
    store::StateProof,
    testkit::*,
    verify_txs,
};
use dirchain_types::{
    domain::{Role, ShareClass},
    ids::{Digest, sha256},
    keys::{self, StateKey},
    records::*,
    tx::*,
};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

type TestLedger = Ledger<deterministic::Context>;

fn run<F: Future<Output = ()>>(test: impl FnOnce(deterministic::Context) -> F) {
    deterministic::Runner::default().start(test);
}

fn rng() -> rand_core::UnwrapErr<ChaCha20Rng> {
    rand_core::UnwrapErr(ChaCha20Rng::from_seed([9; 32]))
}

/// Replays the blocks of a standard world into a ledger, block by block.
struct Twin {
    world: World,
}

impl Twin {
    /// Applies `txs` to the in-memory world and the same included
    /// transactions to the ledger; both must agree.
    async fn block(&mut self, ledger: &mut TestLedger, txs: Vec<SignedTx>) {
        let (_, included) = self.world.block_included(txs);
        let ctx = self.world.context();
        ledger.apply(ctx, &included).await.expect("block applies");
    }
}

/// Builds the standard world inside a ledger, one block per transaction.
async fn standard_ledger(ctx: deterministic::Context, name: &'static str) -> (TestLedger, World) {
    let mut ledger = TestLedger::open(ctx.child(name), name, &genesis())
        .await
        .unwrap();
    let mut twin = Twin {
        world: World::new(),
    };
    let mut steps: Vec<(String, Payload)> = Vec::new();
    for org in ORGS {
        for role in Role::ALL.iter().filter(|r| **r != Role::Admin) {
            steps.push((
                format!("{org}.admin"),
                Enroll {
                    org: id(org),
                    member_key: key_for(&format!("{org}.{}", role.label())).public_key(),
                    role: *role,
                    expires_at: GENESIS_TIME + 365 * 24 * HOUR_MS,
                }
                .into(),
            ));
        }
    }
    for (signer, payload) in [
        ("health.publisher", duty("health/vaccination").into()),
        ("police.publisher", duty("police/investigation").into()),
        ("tax.publisher", duty("tax/assessment").into()),
        (
            "health.publisher",
            item("health/births", ShareClass::Conditional, 1).into(),
        ),
        (
            "health.publisher",
            item("health/stats", ShareClass::Unconditional, 1).into(),
        ),
        (
            "health.publisher",
            item("health/secret", ShareClass::None, 1).into(),
        ),
    ] {
        steps.push((signer.to_string(), payload));
    }
    for (signer, payload) in steps {
        let tx = twin.world.tx_signed_by(&key_for(&signer), payload);
        twin.block(&mut ledger, vec![tx]).await;
    }
    (ledger, twin.world)
}

async fn proven<T: commonware_codec::Read<Cfg = ()>>(ledger: &TestLedger, key: &StateKey) -> T {
    let proof = ledger.prove(key).await.unwrap();
    // The proof travels over the wire and is checked against the root alone.
    let proof = StateProof::decode(proof.encode()).unwrap();
    let value = proof
        .verify(&ledger.root(), key)
        .expect("proof verifies")
        .expect("value present");
    T::decode(commonware_codec::Copying(value.as_slice())).unwrap()
}

/// Every record of the ledger's access log, with its location.
async fn logged(ledger: &TestLedger) -> Vec<(u64, LoggedAccess)> {
    let size = ledger.access_log_head().size;
    let records = ledger.access_records(0, size).await.unwrap();
    records
        .into_iter()
        .map(|(location, bytes)| {
            (
                location,
                LoggedAccess::decode(commonware_codec::Copying(bytes.as_slice())).unwrap(),
            )
        })
        .collect()
}

/// The access record of transaction `id`, found in the log and proven against the root.
async fn proven_access(ledger: &TestLedger, id: &Digest) -> LoggedAccess {
    let (location, _) = logged(ledger)
        .await
        .into_iter()
        .find(|(_, logged)| logged.record.id == *id)
        .expect("the access is in the log");
    let (bytes, proof) = ledger.prove_access(location).await.unwrap().unwrap();
    // The proof travels over the wire and is checked against the root alone.
    let proof = AccessProof::decode(proof.encode()).unwrap();
    let head = proof
        .verify(&ledger.root(), location, &bytes)
        .expect("proof verifies");
    assert_eq!(head, ledger.access_log_head());
    LoggedAccess::decode(commonware_codec::Copying(bytes.as_slice())).unwrap()
}

#[test]
fn every_record_kind_is_provable_against_the_root() {
    run(|ctx| async move {
        let (mut ledger, world) = standard_ledger(ctx, "prove").await;
        let mut twin = Twin { world };
        let w = &twin.world;
        let ch = World::main();
        // Ask, approve, access, notarize, register.
        let req_tx = w.tx(
            "police.consumer",
            request("health/births", &["district"], "police/investigation"),
        );
        let req = req_tx.hash();
        twin.block(&mut ledger, vec![req_tx]).await;
        let expires_at = twin.world.now + 24 * HOUR_MS;
        let decide = twin.world.tx(
            "health.steward",
            DecideAccess {
                request: req,
                approve: true,
                reason: text("ok"),
                expires_at,
            },
        );
        twin.block(&mut ledger, vec![decide]).await;
        let access = twin.world.tx(
            "police.consumer",
            RecordAccess {
                permission: req,
                subject_refs: list(vec![sha256(&[b"person"])]),
                fields: fields(&["district"]),
                query_digest: sha256(&[b"q"]),
                response_digest: sha256(&[b"r"]),
                record_count: 1,
                requester: None,
                refusal: None,
            },
        );
        let access_id = access.hash();
        let digest = sha256(&[b"contract"]);
        let notarize = twin.world.tx(
            "tax.notary",
            Notarize {
                digest,
                kind: id("contract"),
                meta: text(""),
            },
        );
        let asset = twin.world.tx(
            "health.publisher",
            RegisterAsset {
                id: id("asset/x"),
                name: text("X"),
                description: text(""),
                item: None,
            },
        );
        twin.block(&mut ledger, vec![access, notarize, asset]).await;

        let org: Org = proven(&ledger, &keys::org_key(&id("health"))).await;
        assert!(org.active);
        let item: Item = proven(&ledger, &keys::item_key(&ch, &id("health/births"))).await;
        assert_eq!(item.current.org, id("health"));
        let permission: Permission = proven(&ledger, &keys::permission_key(&ch, &req)).await;
        assert_eq!(permission.expires_at, expires_at);
        let access = proven_access(&ledger, &access_id).await;
        assert_eq!(access.channel, ch);
        assert_eq!(access.record.refusal, None);
        let stamp: NotaryRecord = proven(&ledger, &keys::notary_key(&ch, &digest)).await;
        assert_eq!(stamp.height, twin.world.height);
        let asset: Asset = proven(&ledger, &keys::asset_key(&ch, &id("asset/x"))).await;
        assert_eq!(asset.owner_org, id("health"));

        // Absence is provable: a digest never notarized.
        let absent = keys::notary_key(&ch, &sha256(&[b"never"]));
        let proof = ledger.prove(&absent).await.unwrap();
        assert_eq!(proof.verify(&ledger.root(), &absent).unwrap(), None);
        // A proof is bound to its key and its root.
        let present = keys::org_key(&id("health"));
        let proof = ledger.prove(&present).await.unwrap();
        assert!(proof.verify(&ledger.root(), &absent).is_err());
        assert!(proof.verify(&sha256(&[b"other root"]), &present).is_err());

        // The ledger holds exactly what the in-memory execution produced.
        for (key, value) in &twin.world.state {
            assert!(
                ledger.get(key).await.unwrap().as_ref() == Some(value),
                "ledger and in-memory execution differ at {key}"
            );
        }
        let log: Vec<LoggedAccess> = logged(&ledger).await.into_iter().map(|(_, l)| l).collect();
        assert_eq!(log, twin.world.access_log);
    });
}

#[test]
fn a_refused_transaction_does_not_change_the_root() {
    run(|ctx| async move {
        let (ledger, w) = standard_ledger(ctx, "refused").await;
        let good = w.tx("health.publisher", duty("health/new"));
        let wrong_role = w.tx("police.consumer", duty("police/new"));
        let mut bad_sig = w.tx("tax.publisher", duty("tax/new"));
        bad_sig.tx.nonce += 1;
        let stale = w.tx("health.publisher", duty("health/new"));
        let next = w.height + 1;
        let ctx = dirchain_types::block::BlockContext {
            height: next,
            timestamp_ms: w.now + 1000,
        };

        let only_good = ledger
            .propose(
                None,
                ctx,
                verify_txs(vec![good.clone()], &mut rng())
                    .into_iter()
                    .map(Result::unwrap)
                    .collect(),
            )
            .await
            .unwrap();
        let candidates: Vec<_> = verify_txs(vec![wrong_role, good, stale, bad_sig], &mut rng())
            .into_iter()
            .filter_map(Result::ok)
            .collect();
        assert_eq!(
            candidates.len(),
            3,
            "the bad signature never reaches execution"
        );
        let mixed = ledger.propose(None, ctx, candidates).await.unwrap();
        assert_eq!(mixed.txs.len(), 1);
        assert_eq!(mixed.excluded.len(), 2);
        assert!(matches!(mixed.excluded[0].1, TxError::WrongRole { .. }));
        assert!(matches!(mixed.excluded[1].1, TxError::StaleNonce { .. }));
        assert_eq!(mixed.state.root(), only_good.state.root());
    });
}

#[test]
fn a_block_with_a_wrong_root_or_an_invalid_transaction_is_refused() {
    run(|ctx| async move {
        let (mut ledger, w) = standard_ledger(ctx, "check").await;
        let root_before = ledger.root();
        let ctx = dirchain_types::block::BlockContext {
            height: w.height + 1,
            timestamp_ms: w.now + 1000,
        };
        let good: Vec<_> = verify_txs(vec![w.tx("health.publisher", duty("health/n"))], &mut rng())
            .into_iter()
            .map(Result::unwrap)
            .collect();
        let proposal = ledger.propose(None, ctx, good.clone()).await.unwrap();
        assert!(matches!(
            ledger.check(None, ctx, &good, sha256(&[b"forged"])).await,
            Err(LedgerError::RootMismatch { .. })
        ));
        let invalid: Vec<_> =
            verify_txs(vec![w.tx("police.consumer", duty("police/n"))], &mut rng())
                .into_iter()
                .map(Result::unwrap)
                .collect();
        assert!(matches!(
            ledger
                .check(None, ctx, &invalid, proposal.state.root())
                .await,
            Err(LedgerError::InvalidTx { index: 0, .. })
        ));
        assert_eq!(ledger.root(), root_before, "checking changes nothing");
        let checked = ledger
            .check(None, ctx, &good, proposal.state.root())
            .await
            .unwrap();
        let root = ledger.commit(&checked.state).await.unwrap();
        assert_eq!(root, proposal.state.root());
    });
}

#[test]
fn blocks_execute_on_unfinalized_parents_and_commit_in_order() {
    run(|ctx| async move {
        let (mut ledger, w) = standard_ledger(ctx, "spec").await;
        let base = ledger.height().await.unwrap();
        let committed_root = ledger.root();
        let at = |height: u64| dirchain_types::block::BlockContext {
            height,
            timestamp_ms: w.now + 1000 * height,
        };
        let verified = |txs: Vec<SignedTx>| -> Vec<VerifiedTx> {
            verify_txs(txs, &mut rng())
                .into_iter()
                .map(Result::unwrap)
                .collect()
        };
        // Block 1 declares a duty; block 2 (built before 1 is final) uses the next nonce,
        // which only block 1's state makes valid.
        let first = verified(vec![w.tx("health.publisher", duty("health/a"))]);
        let p1 = ledger
            .propose(None, at(base + 1), first.clone())
            .await
            .unwrap();
        let mut next = w.tx("health.publisher", duty("health/b"));
        next.tx.nonce += 1;
        let next = {
            let key = key_for("health.publisher");
            next.tx.sign(&key)
        };
        let second = verified(vec![next]);
        let on_committed = ledger
            .propose(None, at(base + 2), second.clone())
            .await
            .unwrap();
        assert!(
            on_committed.txs.is_empty(),
            "on the committed state the nonce is ahead"
        );
        let p2 = ledger
            .propose(Some(&p1.state), at(base + 2), second.clone())
            .await
            .unwrap();
        assert_eq!(p2.txs.len(), 1);
        // A second validator checks both blocks the same way, before either is final.
        let c1 = ledger
            .check(None, at(base + 1), &first, p1.state.root())
            .await
            .unwrap();
        let c2 = ledger
            .check(Some(&c1.state), at(base + 2), &second, p2.state.root())
            .await
            .unwrap();
        assert_eq!(ledger.root(), committed_root, "nothing committed yet");
        assert!(matches!(
            ledger.commit(&c2.state).await,
            Err(LedgerError::OutOfOrder { .. })
        ));
        assert_eq!(ledger.commit(&c1.state).await.unwrap(), p1.state.root());
        assert_eq!(ledger.commit(&c2.state).await.unwrap(), p2.state.root());
        assert_eq!(ledger.height().await.unwrap(), base + 2);
        // A block built on the old committed state is now on a dead branch.
        assert!(ledger.commit(&on_committed.state).await.is_err());
        assert_eq!(ledger.root(), p2.state.root());
    });
}

#[test]
fn two_ledgers_fed_the_same_blocks_agree_and_reopen_where_they_stopped() {
    let mut roots = Vec::new();
    for seed in [1u64, 2] {
        // Different runtime seeds: nothing random may reach the root.
        let root = deterministic::Runner::seeded(seed).start(|ctx| async move {
            let (ledger, _) = standard_ledger(ctx.child("a"), "same").await;
            let root = ledger.root();
            drop(ledger);
            let reopened = TestLedger::open(ctx.child("b"), "same", &genesis())
                .await
                .unwrap();
            assert_eq!(reopened.root(), root);
            let consortium = reopened.consortium().await.unwrap();
            assert_eq!((consortium.threshold, consortium.org_count), (2, 3));
            drop(reopened);
            // Another network's genesis cannot adopt this state.
            let mut other = genesis();
            other.chain_id = id("another-chain");
            let result = TestLedger::open(ctx.child("c"), "same", &other).await;
            assert!(
                matches!(result, Err(LedgerError::GenesisMismatch { .. })),
                "{:?}",
                result.err()
            );
            root
        });
        roots.push(root);
    }
    assert_eq!(roots[0], roots[1]);
}

/// A ledger with a live permission for `police.consumer` on `health/births`; returns the
/// permission's id.
async fn with_permission(ledger: &mut TestLedger, twin: &mut Twin) -> Digest {
    let request = twin.world.tx(
        "police.consumer",
        request("health/births", &["district"], "police/investigation"),
    );
    let id = request.hash();
    twin.block(ledger, vec![request]).await;
    let expires_at = twin.world.now + 24 * HOUR_MS;
    let decide = twin.world.tx(
        "health.steward",
        DecideAccess {
            request: id,
            approve: true,
            reason: text("ok"),
            expires_at,
        },
    );
    twin.block(ledger, vec![decide]).await;
    id
}

/// `police.consumer`'s accesses `ns` under `permission`, with consecutive nonces, for one block.
fn accesses(world: &World, permission: Digest, ns: std::ops::Range<u8>) -> Vec<SignedTx> {
    let key = key_for("police.consumer");
    let first = world.next_nonce(&key.public_key());
    ns.enumerate()
        .map(|(i, n)| {
            let mut tx = world.tx("police.consumer", access(permission, n));
            tx.tx.nonce = first + i as u64;
            tx.tx.sign(&key)
        })
        .collect()
}

fn access(permission: Digest, n: u8) -> RecordAccess {
    RecordAccess {
        permission,
        subject_refs: list(vec![sha256(&[b"person", &[n]])]),
        fields: fields(&["district"]),
        query_digest: sha256(&[b"q", &[n]]),
        response_digest: sha256(&[b"r"]),
        record_count: 1,
        requester: None,
        refusal: None,
    }
}

#[test]
fn a_node_stopped_between_the_log_and_the_state_commit_resumes_where_the_state_is() {
    run(|ctx| async move {
        let (mut ledger, world) = standard_ledger(ctx.child("first"), "crash").await;
        let mut twin = Twin { world };
        let permission = with_permission(&mut ledger, &mut twin).await;
        let first = twin.world.tx("police.consumer", access(permission, 1));
        twin.block(&mut ledger, vec![first]).await;
        let height = ledger.height().await.unwrap();
        let recorded = ledger.access_log_head();

        // The next block: its records reach the log, then the node stops before the state.
        let txs = accesses(&twin.world, permission, 2..4);
        let (_, included) = twin.world.block_included(txs);
        let block_ctx = twin.world.context();
        let proposal = ledger
            .propose(None, block_ctx, included.clone())
            .await
            .unwrap();
        assert_eq!(proposal.txs.len(), 2);
        drop(ledger);
        let mut log = AccessLog::open(ctx.child("crash"), "crash", Some(recorded))
            .await
            .unwrap();
        let appended = twin.world.access_log[1..]
            .iter()
            .map(|logged| logged.encode().to_vec())
            .collect();
        let spec = log.speculate(None, appended).await.unwrap();
        log.commit(&spec).await.unwrap();
        assert_ne!(log.head(), recorded, "the log got ahead of the state");
        drop(log);

        // Reopened, the ledger is where its state is, and the block applies again.
        let mut ledger = TestLedger::open(ctx.child("second"), "crash", &genesis())
            .await
            .unwrap();
        assert_eq!(ledger.height().await.unwrap(), height);
        assert_eq!(ledger.access_log_head(), recorded);
        let (root, _) = ledger.apply(block_ctx, &included).await.unwrap();
        assert_eq!(root, proposal.state.root());
        let log: Vec<LoggedAccess> = logged(&ledger).await.into_iter().map(|(_, l)| l).collect();
        assert_eq!(log, twin.world.access_log);
    });
}

#[test]
fn access_records_add_no_state_keys() {
    run(|ctx| async move {
        let (mut ledger, world) = standard_ledger(ctx, "keys").await;
        let mut twin = Twin { world };
        let permission = with_permission(&mut ledger, &mut twin).await;
        let first = twin.world.tx("police.consumer", access(permission, 1));
        twin.block(&mut ledger, vec![first]).await;
        let keys_before = twin.world.state.len();
        let txs = accesses(&twin.world, permission, 2..50);
        twin.block(&mut ledger, txs).await;
        // The signer's account and the log's head are rewritten; nothing is added.
        assert_eq!(twin.world.state.len(), keys_before);
        assert_eq!(logged(&ledger).await.len(), 49);
    });
}

#[test]
fn a_state_of_another_layout_is_refused_on_open() {
    run(|ctx| async move {
        let mut ledger = TestLedger::open(ctx.child("first"), "layout", &genesis())
            .await
            .unwrap();
        // A state founded by code that did not record its layout (access records under keys).
        let writes = [(keys::layout_key(), None)].into_iter().collect();
        ledger.commit_writes(1, writes).await.unwrap();
        drop(ledger);
        let result = TestLedger::open(ctx.child("second"), "layout", &genesis()).await;
        match result {
            Err(error @ LedgerError::OtherLayout { found: 1, .. }) => {
                assert!(
                    error.to_string().contains("delete its directory"),
                    "{error}"
                );
            }
            other => panic!("expected a refusal, got {:?}", other.err()),
        }
    });
}
