//! Random sequences of valid and invalid transactions never break the
//! ledger's invariants:
//! - a rejected transaction changes nothing, and leaves the root as if it
//!   had never been proposed;
//! - a permission's owner is the owner of its item, and covers only fields
//!   the item had;
//! - an access recorded as granted was within a live permission, by a party
//!   to it;
//! - a signer's nonce counts exactly its included transactions;
//! - two executions of the same blocks give the same root at every height.
//!
//! `PROPTEST_CASES=1000 cargo test -p dirchain-state --test properties` runs more.

use commonware_runtime::{Runner as _, Supervisor as _, deterministic};
use dirchain_state::{Ledger, Outcome, testkit::*, verify_txs};
use dirchain_types::{
    block::BlockContext,
    domain::ShareClass,
    ids::{Digest, sha256},
    keys,
    records::*,
    tx::*,
};
use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use std::collections::BTreeMap;

const ITEMS: [&str; 5] = [
    "health/births",
    "health/stats",
    "health/secret",
    "police/cases",
    "tax/unknown",
];
const FIELDS: [&str; 4] = ["district", "count", "birth_date", "salary"];
const DUTIES: [&str; 3] = [
    "health/vaccination",
    "police/investigation",
    "tax/assessment",
];

#[derive(Debug, Clone)]
enum Op {
    Request {
        org: usize,
        item: usize,
        fields: u8,
    },
    Decide {
        request: usize,
        approve: bool,
        owner: bool,
        hours: u16,
    },
    Revoke {
        permission: usize,
        owner: bool,
    },
    Access {
        permission: usize,
        party: bool,
        org: usize,
        gateway: bool,
        fields: u8,
    },
    Publish {
        org: usize,
        item: usize,
        share: usize,
        version: u32,
    },
    Retire {
        item: usize,
        org: usize,
    },
    Notarize {
        digest: u8,
        org: usize,
    },
    Advance {
        hours: u16,
    },
    BadSignature {
        org: usize,
    },
    Replay,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        // Mostly other agencies asking for health's shared items, for fields they have.
        4 => (prop::sample::select(vec![1usize, 1, 2, 2, 0]), prop::sample::select(vec![0usize, 0, 1, 1, 2, 3, 4]), fields_mask())
            .prop_map(|(org, item, fields)| Op::Request { org, item, fields }),
        3 => (0..8usize, any::<bool>(), prop::bool::weighted(0.8), 0u16..2000)
            .prop_map(|(request, approve, owner, hours)| Op::Decide { request, approve, owner, hours }),
        1 => (0..8usize, any::<bool>()).prop_map(|(permission, owner)| Op::Revoke { permission, owner }),
        6 => (0..9usize, prop::bool::weighted(0.85), 0..3usize, any::<bool>(), fields_mask())
            .prop_map(|(permission, party, org, gateway, fields)| Op::Access { permission, party, org, gateway, fields }),
        1 => (0..3usize, 0..ITEMS.len(), 0..3usize, 0u32..4)
            .prop_map(|(org, item, share, version)| Op::Publish { org, item, share, version }),
        1 => (0..ITEMS.len(), 0..3usize).prop_map(|(item, org)| Op::Retire { item, org }),
        1 => (0u8..4, 0..3usize).prop_map(|(digest, org)| Op::Notarize { digest, org }),
        1 => (0u16..500).prop_map(|hours| Op::Advance { hours }),
        1 => (0..3usize).prop_map(|org| Op::BadSignature { org }),
        1 => Just(Op::Replay),
    ]
}

/// Field subsets: usually of the fields the items have, sometimes with an
/// unknown one, sometimes empty.
fn fields_mask() -> impl Strategy<Value = u8> {
    prop_oneof![8 => 1u8..8, 1 => 8u8..16, 1 => Just(0u8)]
}

fn pick_fields(mask: u8) -> Vec<&'static str> {
    FIELDS
        .iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(_, f)| *f)
        .collect()
}

/// The transaction an op stands for, if it is one (Advance is not).
fn build(w: &World, op: &Op, requests: &[Digest], last: &Option<SignedTx>) -> Option<SignedTx> {
    let org = |i: usize| ORGS[i];
    Some(match op {
        Op::Request {
            org: o,
            item,
            fields: mask,
        } => w.tx(
            &format!("{}.consumer", org(*o)),
            request(ITEMS[*item], &pick_fields(*mask), DUTIES[*o]),
        ),
        Op::Decide {
            request: r,
            approve,
            owner,
            hours,
        } => {
            let request = *requests.get(r % requests.len().max(1))?;
            let record: Option<Request> = w.get(&keys::request_key(&World::main(), &request));
            let owner_org = record.map_or("health".to_string(), |r| r.owner_org.to_string());
            let signer_org = if *owner { owner_org } else { "tax".to_string() };
            w.tx(
                &format!("{signer_org}.steward"),
                DecideAccess {
                    request,
                    approve: *approve,
                    reason: text(if *approve { "" } else { "no" }),
                    expires_at: w.now + u64::from(*hours) * HOUR_MS,
                },
            )
        }
        Op::Revoke { permission, owner } => {
            let permission = *requests.get(permission % requests.len().max(1))?;
            let record: Option<Permission> =
                w.get(&keys::permission_key(&World::main(), &permission));
            let signer = match (record, owner) {
                (Some(p), true) => format!("{}.steward", p.owner_org),
                (Some(p), false) => format!("{}.consumer", p.consumer_org),
                (None, _) => "health.steward".to_string(),
            };
            w.tx(
                &signer,
                RevokePermission {
                    permission,
                    reason: text("done"),
                },
            )
        }
        Op::Access {
            permission,
            party,
            org: o,
            gateway,
            fields: mask,
        } => {
            // One index past the requests seen names a permission that does not exist.
            let permission = requests
                .get(permission % (requests.len() + 1))
                .copied()
                .unwrap_or_else(|| sha256(&[b"no such permission"]));
            let record: Option<Permission> =
                w.get(&keys::permission_key(&World::main(), &permission));
            let role = if *gateway { "gateway" } else { "consumer" };
            let mut names = pick_fields(*mask);
            let signer_org = match (&record, party, gateway) {
                (Some(p), true, true) => p.owner_org.to_string(),
                (Some(p), true, false) => p.consumer_org.to_string(),
                _ => org(*o).to_string(),
            };
            // A party usually stays within its permission's fields.
            if let (Some(p), true) = (&record, party) {
                names.retain(|n| p.fields.iter().any(|f| f.as_str() == *n));
                if names.is_empty() && *mask != 0 {
                    names.push(
                        FIELDS
                            .iter()
                            .find(|f| p.fields.iter().any(|pf| pf.as_str() == **f))
                            .copied()
                            .unwrap_or("district"),
                    );
                }
            }
            w.tx(
                &format!("{signer_org}.{role}"),
                RecordAccess {
                    permission,
                    subject_refs: list(vec![sha256(&[&[*mask]])]),
                    fields: fields(&names),
                    query_digest: sha256(&[b"q"]),
                    response_digest: sha256(&[b"r"]),
                    record_count: 1,
                    requester: None,
                    refusal: None,
                },
            )
        }
        Op::Publish {
            org: o,
            item: i,
            share,
            version,
        } => {
            let share = [
                ShareClass::Unconditional,
                ShareClass::Conditional,
                ShareClass::None,
            ][*share];
            let mut payload = item(ITEMS[*i], share, *version);
            payload.duties = list(vec![id(DUTIES[*o])]);
            w.tx(&format!("{}.publisher", org(*o)), payload)
        }
        Op::Retire { item, org: o } => w.tx(
            &format!("{}.publisher", org(*o)),
            RetireCatalogItem {
                id: id(ITEMS[*item]),
                reason: text("retired"),
            },
        ),
        Op::Notarize { digest, org: o } => w.tx(
            &format!("{}.notary", org(*o)),
            Notarize {
                digest: sha256(&[&[*digest]]),
                kind: id("document"),
                meta: text(""),
            },
        ),
        Op::Advance { .. } => return None,
        Op::BadSignature { org: o } => {
            let mut tx = w.tx(&format!("{}.publisher", org(*o)), duty(DUTIES[*o]));
            tx.tx.nonce += 7;
            tx
        }
        Op::Replay => last.clone()?,
    })
}

/// Checks the invariants of the state against what the run has seen.
fn check_invariants(w: &World, requests: &[Digest], accesses: &[Digest]) {
    let ch = World::main();
    for id_ in requests {
        let Some(p) = w.get::<Permission>(&keys::permission_key(&ch, id_)) else {
            continue;
        };
        let item: Item = w
            .get(&keys::item_key(&ch, &p.item))
            .expect("item of a permission");
        assert_eq!(
            p.owner_org, item.current.org,
            "a permission's owner is its item's owner"
        );
        assert_ne!(p.owner_org, p.consumer_org);
        let request: Request = w
            .get(&keys::request_key(&ch, id_))
            .expect("request of a permission");
        assert_eq!(request.status, RequestStatus::Approved);
        let version: ItemVersion = w
            .get(&keys::item_version_key(&ch, &p.item, request.item_version))
            .expect("version requested");
        assert!(
            p.fields.iter().all(|f| version.has_field(f)),
            "only fields the item had"
        );
    }
    for id_ in accesses {
        let logged = w.access(id_).expect("every access is recorded");
        assert_eq!(logged.channel, ch, "recorded in its transaction's channel");
        let r: &AccessRecord = &logged.record;
        if r.refusal.is_some() {
            continue;
        }
        let p: Permission = w
            .get(&keys::permission_key(&ch, &r.permission))
            .expect("a granted access names a real permission");
        assert!(
            r.at < p.expires_at && p.granted_at <= r.at,
            "within validity"
        );
        assert!(
            p.revoked.as_ref().is_none_or(|rev| rev.at > r.at),
            "not revoked then"
        );
        assert!(
            r.fields.iter().all(|f| p.fields.contains(f)),
            "within fields"
        );
        assert!(r.recorder_org == p.owner_org || r.recorder_org == p.consumer_org);
    }
}

/// Runs `ops` on the in-memory world, checking invariants after every
/// block; returns the blocks as included.
fn run_world(ops: &[Op]) -> Vec<(BlockContext, Vec<SignedTx>, Vec<SignedTx>)> {
    let mut w = World::standard();
    let mut requests = Vec::new();
    let mut accesses = Vec::new();
    let mut included_by: BTreeMap<Vec<u8>, u64> = BTreeMap::new();
    let mut last = None;
    let mut blocks = Vec::new();
    for op in ops {
        if let Op::Advance { hours } = op {
            w.advance(u64::from(*hours) * HOUR_MS);
            continue;
        }
        let Some(tx) = build(&w, op, &requests, &last) else {
            continue;
        };
        let before = w.state.clone();
        let (mut results, included) = w.block_included(vec![tx.clone()]);
        let ctx = w.context();
        match results.pop().expect("one result") {
            Err(err) => {
                assert!(!err.is_internal(), "{err}");
                assert_eq!(before, w.state, "rejected ({err}) yet the state changed");
            }
            Ok((hash, outcome)) => {
                *included_by
                    .entry(tx.tx.signer.as_ref().to_vec())
                    .or_default() += 1;
                match tx.tx.payload {
                    Payload::RequestAccess(_) => requests.push(hash),
                    Payload::RecordAccess(_) => {
                        accesses.push(hash);
                    }
                    _ => assert_eq!(outcome, Outcome::Applied),
                }
            }
        }
        if !matches!(op, Op::BadSignature { .. }) {
            last = Some(tx.clone());
        }
        check_invariants(&w, &requests, &accesses);
        blocks.push((
            ctx,
            vec![tx],
            included.into_iter().map(|v| v.into_inner()).collect(),
        ));
    }
    // Nonces count exactly the included transactions (the standard world's
    // own set-up transactions are counted from a fresh standard world).
    let base = World::standard();
    for (signer, count) in included_by {
        let key = dirchain_types::ids::PublicKey::decode_signer(&signer);
        assert_eq!(w.next_nonce(&key), base.next_nonce(&key) + count);
    }
    blocks
}

trait DecodeSigner {
    fn decode_signer(bytes: &[u8]) -> Self;
}

impl DecodeSigner for dirchain_types::ids::PublicKey {
    fn decode_signer(bytes: &[u8]) -> Self {
        use commonware_codec::DecodeExt;
        Self::decode(commonware_codec::Copying(bytes)).expect("a public key")
    }
}

/// Replays the blocks on a real ledger: a rejected transaction gives the
/// same root as an empty proposal; returns the root after every block.
fn run_ledger(seed: u64, blocks: Vec<(BlockContext, Vec<SignedTx>, Vec<SignedTx>)>) -> Vec<Digest> {
    deterministic::Runner::seeded(seed).start(|ctx| async move {
        let mut ledger = Ledger::open(ctx.child("ledger"), "prop", &genesis())
            .await
            .unwrap();
        // The standard world's set-up, replayed from its in-memory state.
        let setup: dirchain_state::store::WriteSet = World::standard()
            .state
            .into_iter()
            .map(|(k, v)| (k, Some(v)))
            .collect();
        ledger
            .commit_writes(World::standard().height, setup)
            .await
            .unwrap();
        let mut rng = rand_core::UnwrapErr(ChaCha20Rng::seed_from_u64(seed));
        let mut roots = Vec::new();
        for (bctx, offered, included) in blocks {
            let candidates: Vec<_> = verify_txs(offered, &mut rng)
                .into_iter()
                .filter_map(Result::ok)
                .collect();
            let proposal = ledger.propose(None, bctx, candidates).await.unwrap();
            assert_eq!(
                proposal.txs.iter().map(|t| t.hash()).collect::<Vec<_>>(),
                included.iter().map(SignedTx::hash).collect::<Vec<_>>(),
                "the ledger includes exactly what in-memory execution did"
            );
            if included.is_empty() {
                let empty = ledger.propose(None, bctx, Vec::new()).await.unwrap();
                assert_eq!(proposal.state.root(), empty.state.root());
            }
            let root = ledger.commit(&proposal.state).await.unwrap();
            assert_eq!(root, proposal.state.root());
            roots.push(root);
        }
        roots
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn random_transactions_never_break_invariants(ops in prop::collection::vec(op(), 1..80)) {
        let blocks = run_world(&ops);
        let a = run_ledger(1, blocks.clone());
        let b = run_ledger(2, blocks);
        prop_assert_eq!(a, b);
    }
}
