//! One test per rule and per refusal. `World::err` also asserts that a
//! rejected transaction left the state byte-for-byte unchanged.

use super::Outcome;
use crate::{error::TxError, testkit::*};
use commonware_cryptography::Signer;
use dirchain_types::{
    domain::{Role, ShareClass},
    ids::{Digest, sha256},
    keys,
    records::*,
    tx::*,
};

const DAY: u64 = 24 * HOUR_MS;

fn w() -> World {
    World::standard()
}

fn main_ch() -> dirchain_types::ids::ChannelId {
    World::main()
}

/// A live permission of police on `health/births` fields district+count.
fn approved(w: &mut World) -> Digest {
    let req = w.ok(
        "police.consumer",
        request(
            "health/births",
            &["district", "count"],
            "police/investigation",
        ),
    );
    let expires_at = w.now + 10 * DAY;
    w.ok(
        "health.steward",
        DecideAccess {
            request: req,
            approve: true,
            reason: text("lawful investigation"),
            expires_at,
        },
    );
    req
}

fn access(permission: Digest, field_names: &[&str]) -> RecordAccess {
    RecordAccess {
        permission,
        subject_refs: list(vec![sha256(&[b"subject-1"])]),
        fields: fields(field_names),
        query_digest: sha256(&[b"query"]),
        response_digest: sha256(&[b"response"]),
        record_count: 1,
        requester: None,
        refusal: None,
    }
}

fn propose(action: Action) -> Propose {
    Propose { action }
}

fn vote(proposal: Digest, approve: bool) -> Vote {
    Vote { proposal, approve }
}

fn proposal(w: &World, id_: Digest) -> Proposal {
    w.get(&keys::proposal_key(&id_)).expect("proposal stored")
}

// ---------------------------------------------------------------- envelope

#[test]
fn bad_signature_is_rejected_without_change() {
    let mut w = w();
    let mut tx = w.tx("health.publisher", duty("health/other"));
    tx.signature = w.key("police.admin").sign(TX_NAMESPACE, b"something else");
    let before = w.state.clone();
    assert!(matches!(w.submit_tx(tx), Err(TxError::BadSignature)));
    assert_eq!(before, w.state);
}

#[test]
fn transaction_for_another_chain_is_rejected() {
    let mut w = w();
    let key = w.key("health.publisher");
    let tx = Transaction {
        chain_id: id("other-chain"),
        channel: main_ch(),
        signer: key.public_key(),
        nonce: w.next_nonce(&key.public_key()),
        payload: duty("health/other").into(),
    }
    .sign(&key);
    assert!(matches!(w.submit_tx(tx), Err(TxError::WrongChain { .. })));
}

#[test]
fn stale_and_future_nonces_are_rejected() {
    let mut w = w();
    let first = w.tx("health.publisher", duty("health/a"));
    w.submit_tx(first.clone()).unwrap();
    // Replaying the exact same transaction is refused.
    assert!(matches!(
        w.submit_tx(first),
        Err(TxError::StaleNonce { .. })
    ));
    let key = w.key("health.publisher");
    let tx = Transaction {
        chain_id: id(CHAIN_ID),
        channel: main_ch(),
        signer: key.public_key(),
        nonce: w.next_nonce(&key.public_key()) + 1,
        payload: duty("health/b").into(),
    }
    .sign(&key);
    assert!(matches!(
        w.submit_tx(tx),
        Err(TxError::FutureNonce { expected, got }) if got == expected + 1
    ));
}

#[test]
fn nonces_order_transactions_within_a_block() {
    let mut w = w();
    let key = w.key("health.publisher");
    let nonce = w.next_nonce(&key.public_key());
    let make = |n: u64, d: &str| {
        Transaction {
            chain_id: id(CHAIN_ID),
            channel: main_ch(),
            signer: key.public_key(),
            nonce: n,
            payload: duty(d).into(),
        }
        .sign(&key)
    };
    let results = w.block(vec![make(nonce, "health/a"), make(nonce + 1, "health/b")]);
    assert!(results.iter().all(|r| r.is_ok()), "{results:?}");
    assert_eq!(w.next_nonce(&key.public_key()), nonce + 2);
}

#[test]
fn malformed_and_oversized_input_is_a_typed_error() {
    use commonware_codec::Encode;
    let w = w();
    let tx = w.tx("health.publisher", duty("health/x"));
    let bytes = tx.encode();
    assert_eq!(crate::decode_tx(&bytes).unwrap(), tx);
    assert!(matches!(
        crate::decode_tx(&bytes[..bytes.len() - 1]),
        Err(TxError::Malformed(_))
    ));
    let huge = vec![0u8; dirchain_types::limits::MAX_TX_BYTES + 1];
    let err = crate::decode_tx(&huge).unwrap_err();
    assert_eq!(err.code(), "malformed");
}

#[test]
fn unknown_signer_is_rejected() {
    let mut w = w();
    w.stranger("mallory");
    assert!(matches!(
        w.err("mallory", duty("health/x")),
        TxError::UnknownSigner
    ));
}

#[test]
fn wrong_role_is_rejected() {
    let mut w = w();
    assert!(matches!(
        w.err("police.consumer", duty("police/x")),
        TxError::WrongRole {
            role: Role::Consumer,
            ..
        }
    ));
    assert!(matches!(
        w.err(
            "health.publisher",
            propose(Action::SetThreshold { threshold: 1 })
        ),
        TxError::WrongRole { .. }
    ));
}

#[test]
fn governance_belongs_to_the_system_channel() {
    let mut w = w();
    let tx = w.tx_in(
        "health.admin",
        "research",
        propose(Action::SetThreshold { threshold: 1 }),
    );
    assert!(matches!(w.submit_tx(tx), Err(TxError::WrongChannel { .. })));
}

#[test]
fn unknown_channel_is_rejected() {
    let mut w = w();
    let tx = w.tx_in("health.publisher", "nowhere", duty("health/x"));
    assert!(matches!(w.submit_tx(tx), Err(TxError::UnknownChannel(_))));
}

// -------------------------------------------------------------- governance

#[test]
fn one_organisation_cannot_change_membership_alone() {
    let mut w = w();
    let newcomer = key_for("customs.admin").public_key();
    let pid = w.ok(
        "health.admin",
        propose(Action::AddOrg {
            org: id("customs"),
            name: text("Customs"),
            admin_key: newcomer.clone(),
        }),
    );
    assert_eq!(proposal(&w, pid).status, ProposalStatus::Open);
    assert!(w.get::<Org>(&keys::org_key(&id("customs"))).is_none());
    // A second key of the same organisation does not count twice.
    w.enroll("health", "admin2", Role::Admin);
    assert!(matches!(
        w.err("health.admin2", vote(pid, true)),
        TxError::AlreadyVoted(_)
    ));
    // A second organisation reaches the threshold of two.
    w.ok("police.admin", vote(pid, true));
    assert_eq!(proposal(&w, pid).status, ProposalStatus::Applied);
    let org: Org = w.get(&keys::org_key(&id("customs"))).unwrap();
    assert!(org.active);
    let consortium: Consortium = w.get(&keys::consortium_key()).unwrap();
    assert_eq!(consortium.org_count, 4);
    // The new organisation's admin can act at once.
    let member: Member = w.get(&keys::member_key(&newcomer)).unwrap();
    assert_eq!(member.role, Role::Admin);
}

#[test]
fn proposals_expire() {
    let mut w = w();
    let pid = w.ok(
        "health.admin",
        propose(Action::SetThreshold { threshold: 3 }),
    );
    w.advance(Params::default().proposal_ttl_ms);
    assert!(matches!(
        w.err("police.admin", vote(pid, true)),
        TxError::ProposalExpired { .. }
    ));
}

#[test]
fn enough_no_votes_reject_a_proposal() {
    let mut w = w();
    let pid = w.ok(
        "health.admin",
        propose(Action::SetThreshold { threshold: 3 }),
    );
    w.ok("police.admin", vote(pid, false));
    assert_eq!(proposal(&w, pid).status, ProposalStatus::Open);
    w.ok("tax.admin", vote(pid, false));
    assert_eq!(proposal(&w, pid).status, ProposalStatus::Rejected);
    // Health proposed (a yes); nobody else may still vote on a closed proposal.
    w.enroll("health", "admin2", Role::Admin);
    assert!(matches!(
        w.err("health.admin2", vote(pid, true)),
        TxError::ProposalClosed(_)
    ));
    let consortium: Consortium = w.get(&keys::consortium_key()).unwrap();
    assert_eq!(consortium.threshold, 2);
}

#[test]
fn vote_on_unknown_proposal_is_rejected() {
    let mut w = w();
    assert!(matches!(
        w.err("police.admin", vote(sha256(&[b"nope"]), true)),
        TxError::NotFound { .. }
    ));
}

#[test]
fn removed_organisation_loses_its_keys() {
    let mut w = w();
    let pid = w.ok(
        "health.admin",
        propose(Action::RemoveOrg { org: id("tax") }),
    );
    w.ok("police.admin", vote(pid, true));
    assert_eq!(proposal(&w, pid).status, ProposalStatus::Applied);
    assert!(matches!(
        w.err("tax.publisher", duty("tax/x")),
        TxError::OrgInactive(_)
    ));
    // Two organisations remain with a threshold of two: removing another is refused.
    assert!(matches!(
        w.err(
            "health.admin",
            propose(Action::RemoveOrg { org: id("police") })
        ),
        TxError::InvalidAction(_)
    ));
}

#[test]
fn validators_and_threshold_change_only_within_bounds() {
    let mut w = w();
    let v1 = key_for("validator-1").public_key();
    let pid = w.ok(
        "health.admin",
        propose(Action::AddValidator { key: v1.clone() }),
    );
    w.ok("tax.admin", vote(pid, true));
    let consortium: Consortium = w.get(&keys::consortium_key()).unwrap();
    assert!(
        consortium
            .validators
            .contains(&dirchain_types::ids::key_bytes(&v1))
    );
    assert_eq!(consortium.validators.len(), 2);
    assert!(matches!(
        w.err(
            "health.admin",
            propose(Action::AddValidator { key: v1.clone() })
        ),
        TxError::InvalidAction(_)
    ));
    let pid = w.ok("health.admin", propose(Action::RemoveValidator { key: v1 }));
    w.ok("tax.admin", vote(pid, true));
    let last = key_for("validator-0").public_key();
    assert!(matches!(
        w.err(
            "health.admin",
            propose(Action::RemoveValidator { key: last })
        ),
        TxError::InvalidAction(_)
    ));
    assert!(matches!(
        w.err(
            "health.admin",
            propose(Action::SetThreshold { threshold: 4 })
        ),
        TxError::InvalidAction(_)
    ));
    assert!(matches!(
        w.err(
            "health.admin",
            propose(Action::SetThreshold { threshold: 0 })
        ),
        TxError::InvalidAction(_)
    ));
}

#[test]
fn parameters_change_by_vote() {
    let mut w = w();
    let pid = w.ok(
        "health.admin",
        propose(Action::SetParam {
            param: Param::MaxPermissionValidity,
            value: DAY,
        }),
    );
    w.ok("police.admin", vote(pid, true));
    let consortium: Consortium = w.get(&keys::consortium_key()).unwrap();
    assert_eq!(consortium.params.max_permission_validity_ms, DAY);
    // Requests are now held to the new limit.
    assert!(matches!(
        w.err(
            "police.consumer",
            request("health/births", &["district"], "police/investigation")
        ),
        TxError::InvalidField(_)
    ));
}

#[test]
fn an_approved_action_that_no_longer_applies_fails_visibly() {
    let mut w = w();
    let action = Action::AddOrg {
        org: id("customs"),
        name: text("Customs"),
        admin_key: key_for("customs.admin").public_key(),
    };
    let first = w.ok("health.admin", propose(action.clone()));
    let second = w.ok("police.admin", propose(action));
    w.ok("tax.admin", vote(first, true));
    w.ok("tax.admin", vote(second, true));
    let p = proposal(&w, second);
    assert_eq!(p.status, ProposalStatus::Failed);
    assert!(p.note.contains("already exists"), "{:?}", p.note);
}

fn create_channel(w: &mut World, name: &str, members: &[&str], max_txs: u32, max_bytes: u64) {
    let pid = w.ok(
        "health.admin",
        propose(Action::CreateChannel {
            channel: id(name),
            members: list(members.iter().map(|m| id(m)).collect()),
            max_txs_per_block: max_txs,
            max_bytes,
        }),
    );
    w.ok("police.admin", vote(pid, true));
    assert_eq!(proposal(w, pid).status, ProposalStatus::Applied);
}

#[test]
fn channels_isolate_members_and_state() {
    let mut w = w();
    create_channel(&mut w, "research", &["health", "police"], 0, 0);
    let tx = w.tx_in("health.publisher", "research", duty("health/vaccination"));
    w.submit_tx(tx).unwrap();
    // The same id in another channel is a different record.
    let research = id("research");
    let in_research: Duty = w
        .get(&keys::duty_key(&research, &id("health/vaccination")))
        .unwrap();
    assert_eq!(in_research.org, id("health"));
    let tx = w.tx_in("tax.publisher", "research", duty("tax/x"));
    assert!(matches!(
        w.submit_tx(tx),
        Err(TxError::NotChannelMember { .. })
    ));
}

#[test]
fn channel_quotas_are_enforced() {
    let mut w = w();
    create_channel(&mut w, "small", &["health"], 2, 0);
    let key = w.key("health.publisher");
    let nonce = w.next_nonce(&key.public_key());
    let make = |n: u64| {
        Transaction {
            chain_id: id(CHAIN_ID),
            channel: id("small"),
            signer: key.public_key(),
            nonce: nonce + n,
            payload: duty(&format!("health/d{n}")).into(),
        }
        .sign(&key)
    };
    let results = w.block(vec![make(0), make(1), make(2)]);
    assert!(results[0].is_ok() && results[1].is_ok());
    assert!(matches!(results[2], Err(TxError::QuotaExceeded { .. })));
    // The quota is per block.
    let results = w.block(vec![make(2)]);
    assert!(results[0].is_ok());

    create_channel(&mut w, "tiny", &["health"], 0, 120);
    let tx = w.tx_in("health.publisher", "tiny", duty("health/a"));
    w.submit_tx(tx).unwrap();
    let tx = w.tx_in("health.publisher", "tiny", duty("health/b"));
    assert!(matches!(
        w.submit_tx(tx),
        Err(TxError::QuotaExceeded {
            what: "bytes stored",
            ..
        })
    ));
}

// ---------------------------------------------------------------- identity

#[test]
fn enrolment_is_by_the_organisations_admin_only() {
    let mut w = w();
    let k = key_for("x").public_key();
    let enroll = |org: &str| Enroll {
        org: id(org),
        member_key: k.clone(),
        role: Role::Consumer,
        expires_at: GENESIS_TIME + 400 * DAY,
    };
    assert!(matches!(
        w.err("health.admin", enroll("police")),
        TxError::NotOwner { .. }
    ));
    assert!(matches!(
        w.err("health.steward", enroll("health")),
        TxError::WrongRole { .. }
    ));
    let mut past = enroll("health");
    past.expires_at = w.now;
    assert!(matches!(
        w.err("health.admin", past),
        TxError::InvalidField(_)
    ));
    w.ok("health.admin", enroll("health"));
    assert!(matches!(
        w.err("health.admin", enroll("health")),
        TxError::AlreadyExists { .. }
    ));
}

#[test]
fn expired_keys_are_refused() {
    let mut w = w();
    w.advance(366 * DAY);
    assert!(matches!(
        w.err("health.publisher", duty("health/x")),
        TxError::KeyExpired { .. }
    ));
}

#[test]
fn revoked_keys_are_refused() {
    let mut w = w();
    let k = w.public("health.publisher");
    assert!(matches!(
        w.err(
            "police.admin",
            RevokeMember {
                member_key: k.clone(),
                reason: text("left")
            }
        ),
        TxError::NotOwner { .. }
    ));
    let revoke = RevokeMember {
        member_key: k,
        reason: text("left the agency"),
    };
    w.ok("health.admin", revoke.clone());
    assert!(matches!(
        w.err("health.publisher", duty("health/x")),
        TxError::KeyRevoked
    ));
    assert!(matches!(
        w.err("health.admin", revoke),
        TxError::AlreadyRevoked { .. }
    ));
}

#[test]
fn rotating_the_admin_key_keeps_the_organisation() {
    let mut w = w();
    let new_admin = w.stranger("health.admin.new");
    w.ok(
        "health.admin",
        RotateKey {
            new_key: new_admin.clone(),
        },
    );
    assert!(matches!(
        w.err(
            "health.admin",
            propose(Action::SetThreshold { threshold: 3 })
        ),
        TxError::KeyRevoked
    ));
    let member: Member = w.get(&keys::member_key(&new_admin)).unwrap();
    assert_eq!((member.org.as_str(), member.role), ("health", Role::Admin));
    // The new admin governs the same organisation and its existing records.
    w.enroll_with("health.admin.new", "health", "publisher2", Role::Publisher);
    w.ok(
        "health.publisher2",
        item("health/births", ShareClass::Conditional, 2),
    );
    let item: Item = w
        .get(&keys::item_key(&main_ch(), &id("health/births")))
        .unwrap();
    assert_eq!(item.current.version, 2);
}

// --------------------------------------------------------------- directory

#[test]
fn duties_belong_to_their_organisation() {
    let mut w = w();
    assert!(matches!(
        w.err("police.publisher", duty("health/vaccination")),
        TxError::NotOwner { .. }
    ));
    let mut empty = duty("health/x");
    empty.legal_basis = text(" ");
    assert!(matches!(
        w.err("health.publisher", empty),
        TxError::InvalidField(_)
    ));
}

#[test]
fn catalog_versions_keep_history() {
    let mut w = w();
    let mut v2 = item("health/births", ShareClass::Conditional, 2);
    v2.title = text("Births, revised");
    w.ok("health.publisher", v2);
    let ch = main_ch();
    let item_id = id("health/births");
    let v1: ItemVersion = w.get(&keys::item_version_key(&ch, &item_id, 1)).unwrap();
    let v2: ItemVersion = w.get(&keys::item_version_key(&ch, &item_id, 2)).unwrap();
    assert_eq!(v1.title.as_str(), "Item health/births");
    assert_eq!(v2.title.as_str(), "Births, revised");
    let current: Item = w.get(&keys::item_key(&ch, &item_id)).unwrap();
    assert_eq!(current.current, v2);
    assert!(matches!(
        w.err(
            "health.publisher",
            item("health/births", ShareClass::Conditional, 2)
        ),
        TxError::StaleVersion {
            current: 2,
            got: 2,
            ..
        }
    ));
}

#[test]
fn publishing_rules_are_enforced() {
    let mut w = w();
    // Another organisation cannot publish a version of health's item.
    let mut foreign = item("health/births", ShareClass::Conditional, 9);
    foreign.duties = list(vec![id("police/investigation")]);
    assert!(matches!(
        w.err("police.publisher", foreign),
        TxError::NotOwner { .. }
    ));
    // Nor may an item serve another organisation's duty.
    let mut borrowed = item("health/new", ShareClass::Conditional, 1);
    borrowed.duties = list(vec![id("police/investigation")]);
    assert!(matches!(
        w.err("health.publisher", borrowed),
        TxError::NotOwner { .. }
    ));
    let mut unknown = item("health/new", ShareClass::Conditional, 1);
    unknown.duties = list(vec![id("health/none")]);
    assert!(matches!(
        w.err("health.publisher", unknown),
        TxError::NotFound { .. }
    ));
    // Personal data is never shared unconditionally.
    let mut leaky = item("health/new", ShareClass::Conditional, 1);
    leaky.share_class = ShareClass::Unconditional;
    assert!(matches!(
        w.err("health.publisher", leaky),
        TxError::PersonalDataUnconditional(_)
    ));
    let mut twice = item("health/new", ShareClass::Conditional, 1);
    let mut specs = twice.fields.clone().into_vec();
    specs.push(specs[0].clone());
    twice.fields = list(specs);
    assert!(matches!(
        w.err("health.publisher", twice),
        TxError::InvalidField(_)
    ));
    assert!(matches!(
        w.err(
            "health.publisher",
            item("health/new", ShareClass::Conditional, 0)
        ),
        TxError::InvalidField(_)
    ));
}

#[test]
fn retired_items_cannot_be_requested_or_republished() {
    let mut w = w();
    let retire = RetireCatalogItem {
        id: id("health/births"),
        reason: text("replaced by health/births-2"),
    };
    assert!(matches!(
        w.err("police.publisher", retire.clone()),
        TxError::NotOwner { .. }
    ));
    w.ok("health.publisher", retire.clone());
    assert!(matches!(
        w.err("health.publisher", retire),
        TxError::ItemRetired(_)
    ));
    assert!(matches!(
        w.err(
            "police.consumer",
            request("health/births", &["district"], "police/investigation")
        ),
        TxError::ItemRetired(_)
    ));
    assert!(matches!(
        w.err(
            "health.publisher",
            item("health/births", ShareClass::Conditional, 2)
        ),
        TxError::ItemRetired(_)
    ));
}

// ------------------------------------------------------------- permissions

#[test]
fn conditional_items_wait_for_the_owners_steward() {
    let mut w = w();
    let req = w.ok(
        "police.consumer",
        request("health/births", &["district"], "police/investigation"),
    );
    let ch = main_ch();
    let r: Request = w.get(&keys::request_key(&ch, &req)).unwrap();
    assert_eq!(r.status, RequestStatus::Pending);
    assert!(
        w.get::<Permission>(&keys::permission_key(&ch, &req))
            .is_none()
    );
    let decide = |approve| DecideAccess {
        request: req,
        approve,
        reason: text("ok"),
        expires_at: GENESIS_TIME + 100 * DAY,
    };
    assert!(matches!(
        w.err("police.steward", decide(true)),
        TxError::NotOwner { .. }
    ));
    assert!(matches!(
        w.err("health.consumer", decide(true)),
        TxError::WrongRole { .. }
    ));
    let mut late = decide(true);
    late.expires_at = w.now;
    assert!(matches!(
        w.err("health.steward", late),
        TxError::InvalidField(_)
    ));
    w.ok("health.steward", decide(true));
    let p: Permission = w.get(&keys::permission_key(&ch, &req)).unwrap();
    assert_eq!(p.owner_org, id("health"));
    assert_eq!(p.consumer_org, id("police"));
    assert_eq!(p.expires_at, GENESIS_TIME + 100 * DAY);
    assert!(matches!(
        w.err("health.steward", decide(false)),
        TxError::AlreadyDecided(_)
    ));
}

#[test]
fn denial_needs_a_reason_and_grants_nothing() {
    let mut w = w();
    let req = w.ok(
        "police.consumer",
        request("health/births", &["district"], "police/investigation"),
    );
    let mut deny = DecideAccess {
        request: req,
        approve: false,
        reason: text(""),
        expires_at: 0,
    };
    assert!(matches!(
        w.err("health.steward", deny.clone()),
        TxError::InvalidField(_)
    ));
    deny.reason = text("purpose not covered by the legal basis");
    w.ok("health.steward", deny);
    let ch = main_ch();
    let r: Request = w.get(&keys::request_key(&ch, &req)).unwrap();
    assert_eq!(r.status, RequestStatus::Denied);
    assert!(
        w.get::<Permission>(&keys::permission_key(&ch, &req))
            .is_none()
    );
}

#[test]
fn unconditional_items_are_granted_and_none_items_refused() {
    let mut w = w();
    let req = w.ok(
        "police.consumer",
        request(
            "health/stats",
            &["district", "count"],
            "police/investigation",
        ),
    );
    let p: Permission = w.get(&keys::permission_key(&main_ch(), &req)).unwrap();
    assert!(p.is_live(w.now));
    assert!(matches!(
        w.err(
            "police.consumer",
            request("health/secret", &["district"], "police/investigation")
        ),
        TxError::NotShareable(_)
    ));
}

#[test]
fn requests_are_checked() {
    let mut w = w();
    assert!(matches!(
        w.err(
            "police.consumer",
            request("health/births", &["salary"], "police/investigation")
        ),
        TxError::NotFound { what: "field", .. }
    ));
    assert!(matches!(
        w.err(
            "police.consumer",
            request("health/births", &["district"], "tax/assessment")
        ),
        TxError::NotOwner { .. }
    ));
    assert!(matches!(
        w.err(
            "health.consumer",
            request("health/births", &["district"], "health/vaccination")
        ),
        TxError::InvalidField(_)
    ));
    let mut long = request("health/births", &["district"], "police/investigation");
    long.valid_for_ms = Params::default().max_permission_validity_ms + 1;
    assert!(matches!(
        w.err("police.consumer", long),
        TxError::InvalidField(_)
    ));
    assert!(matches!(
        w.err(
            "police.consumer",
            request("health/unknown", &["district"], "police/investigation")
        ),
        TxError::NotFound { .. }
    ));
}

#[test]
fn permissions_are_revoked_by_the_owner_or_given_up_by_the_consumer() {
    let mut w = w();
    let pid = approved(&mut w);
    let revoke = RevokePermission {
        permission: pid,
        reason: text("investigation closed"),
    };
    assert!(matches!(
        w.err("tax.steward", revoke.clone()),
        TxError::NotOwner { .. }
    ));
    assert!(matches!(
        w.err("tax.consumer", revoke.clone()),
        TxError::NotOwner { .. }
    ));
    w.ok("health.steward", revoke.clone());
    assert!(matches!(
        w.err("health.steward", revoke),
        TxError::AlreadyRevoked { .. }
    ));
    let other = approved(&mut w);
    w.ok(
        "police.consumer",
        RevokePermission {
            permission: other,
            reason: text("no longer needed"),
        },
    );
}

// ------------------------------------------------------------------ access

fn record_of(w: &World, tx: Digest) -> AccessRecord {
    let logged = w.access(&tx).expect("the access is recorded");
    assert_eq!(logged.channel, main_ch(), "in its transaction's channel");
    logged.record.clone()
}

#[test]
fn access_within_a_live_permission_is_recorded() {
    let mut w = w();
    let pid = approved(&mut w);
    let tx = w.ok("police.consumer", access(pid, &["district"]));
    let r = record_of(&w, tx);
    assert_eq!(r.refusal, None);
    assert_eq!(r.owner_org, Some(id("health")));
    assert_eq!(r.consumer_org, Some(id("police")));
    assert_eq!(r.height, w.height);
    // The providing agency's gateway records too.
    let tx = w.ok("health.gateway", access(pid, &["count"]));
    assert_eq!(record_of(&w, tx).recorder_org, id("health"));
}

fn refused(w: &mut World, signer: &str, a: RecordAccess) -> (Digest, Refusal) {
    match w.submit(signer, a) {
        Ok((tx, Outcome::AccessRefused(refusal))) => {
            assert_eq!(record_of(w, tx).refusal, Some(refusal));
            (tx, refusal)
        }
        other => panic!("expected a recorded refusal, got {other:?}"),
    }
}

#[test]
fn access_outside_the_permission_is_recorded_as_refused() {
    let mut w = w();
    let pid = approved(&mut w);
    let signer = w.public("police.consumer");
    let nonce = w.next_nonce(&signer);
    assert_eq!(
        refused(&mut w, "police.consumer", access(pid, &["birth_date"])).1,
        Refusal::FieldsNotPermitted
    );
    // A refused access is a valid transaction: it is included and uses its nonce.
    assert_eq!(w.next_nonce(&signer), nonce + 1);
    assert_eq!(
        refused(
            &mut w,
            "police.consumer",
            access(sha256(&[b"x"]), &["district"])
        )
        .1,
        Refusal::UnknownPermission
    );
    assert_eq!(
        refused(&mut w, "tax.consumer", access(pid, &["district"])).1,
        Refusal::NotParty
    );
    assert_eq!(
        refused(&mut w, "police.gateway", access(pid, &["district"])).1,
        Refusal::NotParty
    );
}

#[test]
fn access_under_an_expired_or_revoked_permission_is_refused() {
    let mut w = w();
    let pid = approved(&mut w);
    w.advance(10 * DAY);
    assert_eq!(
        refused(&mut w, "police.consumer", access(pid, &["district"])).1,
        Refusal::Expired
    );
    let pid = approved(&mut w);
    w.ok(
        "health.steward",
        RevokePermission {
            permission: pid,
            reason: text("stop"),
        },
    );
    assert_eq!(
        refused(&mut w, "police.consumer", access(pid, &["district"])).1,
        Refusal::Revoked
    );
    let pid = approved(&mut w);
    w.ok(
        "health.publisher",
        RetireCatalogItem {
            id: id("health/births"),
            reason: text("withdrawn"),
        },
    );
    assert_eq!(
        refused(&mut w, "police.consumer", access(pid, &["district"])).1,
        Refusal::ItemRetired
    );
}

#[test]
fn a_gateway_names_the_requester_and_its_own_refusal() {
    let mut w = w();
    let pid = approved(&mut w);
    let requester = dirchain_types::ids::key_bytes(&w.public("police.consumer"));
    let served = RecordAccess {
        requester: Some(requester.clone()),
        ..access(pid, &["district"])
    };
    let tx = w.ok("health.gateway", served.clone());
    let r = record_of(&w, tx);
    assert_eq!((r.requester, r.refusal), (Some(requester.clone()), None));
    // Refused at the gateway: the record says so though the permission is live.
    let declined = RecordAccess {
        refusal: Some(Refusal::NotConsumer),
        ..served.clone()
    };
    assert_eq!(
        refused(&mut w, "health.gateway", declined).1,
        Refusal::NotConsumer
    );
    // The ledger's own judgment wins over a declared reason.
    w.advance(10 * DAY);
    let late = RecordAccess {
        refusal: Some(Refusal::WrongItem),
        ..served
    };
    assert_eq!(refused(&mut w, "health.gateway", late).1, Refusal::Expired);
}

#[test]
fn a_consumer_records_only_its_own_accesses() {
    let mut w = w();
    let pid = approved(&mut w);
    let tx = w.ok("police.consumer", access(pid, &["district"]));
    let own = dirchain_types::ids::key_bytes(&w.public("police.consumer"));
    assert_eq!(record_of(&w, tx).requester, Some(own));
    let someone_else = RecordAccess {
        requester: Some(dirchain_types::ids::key_bytes(&w.public("tax.consumer"))),
        ..access(pid, &["district"])
    };
    assert!(matches!(
        w.err("police.consumer", someone_else),
        TxError::InvalidField(_)
    ));
}

#[test]
fn access_without_fields_is_malformed() {
    let mut w = w();
    let pid = approved(&mut w);
    assert!(matches!(
        w.err("police.consumer", access(pid, &[])),
        TxError::InvalidField(_)
    ));
}

// ------------------------------------------------------------------ notary

#[test]
fn a_digest_is_notarized_once() {
    let mut w = w();
    let digest = sha256(&[b"judgment 2026/113"]);
    let stamp = Notarize {
        digest,
        kind: id("court-judgment"),
        meta: text("Case 2026/113"),
    };
    assert!(matches!(
        w.err("health.publisher", stamp.clone()),
        TxError::WrongRole { .. }
    ));
    w.ok("police.notary", stamp.clone());
    let height = w.height;
    let record: NotaryRecord = w.get(&keys::notary_key(&main_ch(), &digest)).unwrap();
    assert_eq!((record.height, record.at), (height, w.now));
    assert_eq!(record.org, id("police"));
    assert!(matches!(
        w.err("health.notary", stamp),
        TxError::AlreadyNotarized { height: h, .. } if h == height
    ));
}

// ------------------------------------------------------------------ assets

#[test]
fn assets_are_registered_appraised_transferred_and_licensed_by_their_owner() {
    let mut w = w();
    let ch = main_ch();
    let register = RegisterAsset {
        id: id("asset/births-dataset"),
        name: text("Births dataset"),
        description: text("Monthly births by district since 2001"),
        item: Some(id("health/births")),
    };
    let mut foreign = register.clone();
    foreign.id = id("asset/foreign");
    assert!(matches!(
        w.err("police.publisher", foreign),
        TxError::NotOwner { .. }
    ));
    w.ok("health.publisher", register.clone());
    assert!(matches!(
        w.err("health.publisher", register),
        TxError::AlreadyExists { .. }
    ));
    w.ok(
        "tax.auditor",
        AppraiseAsset {
            asset: id("asset/births-dataset"),
            value: 125_000_000,
            currency: id("EUR"),
            method: text("cost approach"),
        },
    );
    let asset: Asset = w
        .get(&keys::asset_key(&ch, &id("asset/births-dataset")))
        .unwrap();
    let appraisal = asset.appraisal.clone().unwrap();
    assert_eq!(
        (appraisal.value, appraisal.appraiser_org.as_str()),
        (125_000_000, "tax")
    );

    let transfer = TransferAsset {
        asset: id("asset/births-dataset"),
        to: id("police"),
    };
    assert!(matches!(
        w.err("police.publisher", transfer.clone()),
        TxError::NotOwner { .. }
    ));
    w.ok("health.publisher", transfer);
    let licence = |expires_at| LicenseAsset {
        asset: id("asset/births-dataset"),
        licensee: id("tax"),
        terms: text("Statistical use only"),
        expires_at,
    };
    let later = w.now + 30 * DAY;
    assert!(matches!(
        w.err("health.publisher", licence(later)),
        TxError::NotOwner { .. }
    ));
    let now = w.now;
    assert!(matches!(
        w.err("police.publisher", licence(now)),
        TxError::InvalidField(_)
    ));
    w.ok("police.publisher", licence(later));
    let asset: Asset = w
        .get(&keys::asset_key(&ch, &id("asset/births-dataset")))
        .unwrap();
    assert_eq!(asset.owner_org, id("police"));
    assert_eq!(asset.events, 4);
    let history: Vec<AssetEvent> = (0..asset.events)
        .map(|i| {
            w.get(&keys::asset_event_key(&ch, &asset.id, i))
                .expect("event stored")
        })
        .collect();
    assert!(matches!(history[0], AssetEvent::Registered { .. }));
    assert!(matches!(history[1], AssetEvent::Appraised(_)));
    assert!(matches!(history[2], AssetEvent::Transferred { .. }));
    assert!(matches!(history[3], AssetEvent::Licensed(_)));
}

#[test]
fn transfer_to_an_unknown_organisation_is_rejected() {
    let mut w = w();
    w.ok(
        "health.publisher",
        RegisterAsset {
            id: id("asset/a"),
            name: text("A"),
            description: text(""),
            item: None,
        },
    );
    assert!(matches!(
        w.err(
            "health.publisher",
            TransferAsset {
                asset: id("asset/a"),
                to: id("nobody")
            }
        ),
        TxError::NotFound { .. }
    ));
}

// ------------------------------------------------------------- node faults

/// A state whose storage has failed.
struct BrokenStore;

impl super::StateRead for BrokenStore {
    async fn read(
        &self,
        _: &dirchain_types::keys::StateKey,
    ) -> Result<Option<Vec<u8>>, crate::store::StoreError> {
        Err(crate::store::StoreError::Unusable)
    }
}

#[test]
fn a_storage_failure_is_the_nodes_fault_not_the_transactions() {
    let w = w();
    let tx = w.tx("health.publisher", duty("health/x"));
    let verified: Vec<_> = crate::verify_txs(vec![tx], &mut rand_core::UnwrapErr(rng()))
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let ctx = dirchain_types::block::BlockContext {
        height: 1,
        timestamp_ms: GENESIS_TIME,
    };
    let result = futures::executor::block_on(super::execute_block(
        &BrokenStore,
        id(CHAIN_ID),
        ctx,
        &verified,
    ));
    let (index, err) = result.expect_err("nothing can execute");
    assert_eq!(index, 0);
    assert!(err.is_internal(), "{err}");
    assert_eq!(err.code(), "storage");
}

fn rng() -> rand_chacha::ChaCha20Rng {
    use rand_core::SeedableRng;
    rand_chacha::ChaCha20Rng::from_seed([1; 32])
}
