//! Which state records a block's transactions touched, derived from the
//! rules of `dirchain-state` (`exec/*.rs`) and the key layout of
//! `dirchain_types::keys`. (Access records are not in the state: they are
//! read from the access log, `access_log.rs`.)
//!
//! The state serves current values, possibly newer than the block at hand,
//! so derivation runs in two phases: the keys named by the transactions
//! themselves, then the keys that follow from the records read (what an
//! applied proposal's action touched; the asset history entries the index
//! lacks).

use crate::{changes::Change, sql::decode};
use dirchain_types::{
    genesis::Genesis,
    ids::{AssetId, ChannelId, Digest, DutyId, ItemId, OrgId, PublicKey},
    keys::{self, StateKey},
    records::{Asset, ProposalStatus},
    tx::{Action, Payload, SignedTx},
};
use std::collections::HashSet;

/// A record the index wants, named by where it lives.
#[derive(Clone, Debug)]
pub(crate) enum Want {
    Consortium,
    Org(OrgId),
    Member(PublicKey),
    Proposal(Digest),
    Duty(ChannelId, DutyId),
    Item(ChannelId, ItemId),
    ItemVersion(ChannelId, ItemId, u32),
    Request(ChannelId, Digest),
    /// Asked for at every request, since an unconditional item is granted on
    /// request: absent when the request is pending or was denied.
    MaybePermission(ChannelId, Digest),
    Permission(ChannelId, Digest),
    Notary(ChannelId, Digest),
    Asset(ChannelId, AssetId),
    AssetEvent(ChannelId, AssetId, u32),
}

impl Want {
    pub(crate) fn key(&self) -> StateKey {
        match self {
            Want::Consortium => keys::consortium_key(),
            Want::Org(org) => keys::org_key(org),
            Want::Member(key) => keys::member_key(key),
            Want::Proposal(id) => keys::proposal_key(id),
            Want::Duty(ch, id) => keys::duty_key(ch, id),
            Want::Item(ch, id) => keys::item_key(ch, id),
            Want::ItemVersion(ch, id, v) => keys::item_version_key(ch, id, *v),
            Want::Request(ch, id) => keys::request_key(ch, id),
            Want::MaybePermission(ch, id) | Want::Permission(ch, id) => {
                keys::permission_key(ch, id)
            }
            Want::Notary(ch, digest) => keys::notary_key(ch, digest),
            Want::Asset(ch, id) => keys::asset_key(ch, id),
            Want::AssetEvent(ch, id, seq) => keys::asset_event_key(ch, id, *seq),
        }
    }

    /// Whether the record must exist once the block is final: every record a
    /// transaction of a final block wrote does, since no rule deletes.
    pub(crate) fn required(&self) -> bool {
        !matches!(self, Want::MaybePermission(..))
    }

    /// Decodes the record's current value.
    pub(crate) fn decode(&self, bytes: &[u8]) -> Result<Change, commonware_codec::Error> {
        Ok(match self {
            Want::Consortium => Change::Consortium(decode(bytes)?),
            Want::Org(_) => Change::Org(decode(bytes)?),
            Want::Member(_) => Change::Member(decode(bytes)?),
            Want::Proposal(_) => Change::Proposal(decode(bytes)?),
            Want::Duty(channel, _) => Change::Duty {
                channel: channel.clone(),
                duty: decode(bytes)?,
            },
            Want::Item(channel, _) => Change::Item {
                channel: channel.clone(),
                item: decode(bytes)?,
            },
            Want::ItemVersion(channel, _, _) => Change::ItemVersion {
                channel: channel.clone(),
                version: decode(bytes)?,
            },
            Want::Request(channel, _) => Change::Request {
                channel: channel.clone(),
                request: decode(bytes)?,
            },
            Want::MaybePermission(channel, _) | Want::Permission(channel, _) => {
                Change::Permission {
                    channel: channel.clone(),
                    permission: decode(bytes)?,
                }
            }
            Want::Notary(channel, _) => Change::Notary {
                channel: channel.clone(),
                record: decode(bytes)?,
            },
            Want::Asset(channel, _) => Change::Asset {
                channel: channel.clone(),
                asset: decode(bytes)?,
            },
            Want::AssetEvent(channel, asset, seq) => Change::AssetEvent {
                channel: channel.clone(),
                asset: asset.clone(),
                seq: *seq,
                event: decode(bytes)?,
            },
        })
    }
}

/// The records wanted for one block, each once.
#[derive(Default)]
pub(crate) struct Wants {
    seen: HashSet<StateKey>,
    list: Vec<Want>,
}

impl Wants {
    pub(crate) fn add(&mut self, want: Want) {
        if self.seen.insert(want.key()) {
            self.list.push(want);
        }
    }

    /// The wants added since the last call, leaving the set of keys seen.
    pub(crate) fn take(&mut self) -> Vec<Want> {
        std::mem::take(&mut self.list)
    }
}

/// What genesis writes (see `dirchain_state::genesis`): the consortium, each
/// organisation and its admin key.
pub(crate) fn genesis_wants(genesis: &Genesis, wants: &mut Wants) {
    wants.add(Want::Consortium);
    for org in genesis.orgs.iter() {
        wants.add(Want::Org(org.id.clone()));
        wants.add(Want::Member(org.admin_key.clone()));
    }
}

/// Phase one: the state records a transaction wrote, as far as its payload
/// names them.
pub(crate) fn tx_wants(tx: &SignedTx, hash: Digest, wants: &mut Wants) {
    let ch = &tx.tx.channel;
    match &tx.tx.payload {
        // Whether the proposal applied, and so what its action touched, is
        // known once the proposal is read (phase two).
        Payload::Propose(_) => wants.add(Want::Proposal(hash)),
        Payload::Vote(v) => wants.add(Want::Proposal(v.proposal)),
        Payload::Enroll(e) => wants.add(Want::Member(e.member_key.clone())),
        Payload::RevokeMember(r) => wants.add(Want::Member(r.member_key.clone())),
        Payload::RotateKey(r) => {
            wants.add(Want::Member(tx.tx.signer.clone()));
            wants.add(Want::Member(r.new_key.clone()));
        }
        Payload::DeclareDuty(d) => wants.add(Want::Duty(ch.clone(), d.id.clone())),
        Payload::PublishCatalogItem(p) => {
            wants.add(Want::Item(ch.clone(), p.id.clone()));
            wants.add(Want::ItemVersion(ch.clone(), p.id.clone(), p.version));
        }
        Payload::RetireCatalogItem(r) => wants.add(Want::Item(ch.clone(), r.id.clone())),
        // Requests and the permissions answering them are named by the
        // request transaction's hash.
        Payload::RequestAccess(_) => {
            wants.add(Want::Request(ch.clone(), hash));
            wants.add(Want::MaybePermission(ch.clone(), hash));
        }
        Payload::DecideAccess(d) => {
            wants.add(Want::Request(ch.clone(), d.request));
            // A denial writes no permission.
            wants.add(Want::MaybePermission(ch.clone(), d.request));
        }
        Payload::RevokePermission(r) => wants.add(Want::Permission(ch.clone(), r.permission)),
        // Its record is appended to the access log, not written to the
        // state (only the channel's usage, which the index does not keep).
        Payload::RecordAccess(_) => {}
        Payload::Notarize(n) => wants.add(Want::Notary(ch.clone(), n.digest)),
        Payload::RegisterAsset(r) => wants.add(Want::Asset(ch.clone(), r.id.clone())),
        Payload::AppraiseAsset(a) => wants.add(Want::Asset(ch.clone(), a.asset.clone())),
        Payload::TransferAsset(t) => wants.add(Want::Asset(ch.clone(), t.asset.clone())),
        Payload::LicenseAsset(l) => wants.add(Want::Asset(ch.clone(), l.asset.clone())),
    }
}

/// Phase two: the records that follow from one read in phase one.
/// `known_events` says how many history entries of an asset the index holds.
pub(crate) fn follow_up_wants<E>(
    change: &Change,
    known_events: impl Fn(&ChannelId, &AssetId) -> Result<u32, E>,
    wants: &mut Wants,
) -> Result<(), E> {
    match change {
        Change::Proposal(p) if p.status == ProposalStatus::Applied => {
            action_wants(&p.action, wants)
        }
        Change::Asset { channel, asset } => asset_event_wants(channel, asset, known_events, wants)?,
        _ => {}
    }
    Ok(())
}

/// What applying `action` writes (`governance::apply_action`): always the
/// consortium record, and the organisations and keys it adds or removes.
fn action_wants(action: &Action, wants: &mut Wants) {
    wants.add(Want::Consortium);
    match action {
        Action::AddOrg { org, admin_key, .. } => {
            wants.add(Want::Org(org.clone()));
            wants.add(Want::Member(admin_key.clone()));
        }
        Action::RemoveOrg { org } => wants.add(Want::Org(org.clone())),
        Action::AddValidator { .. }
        | Action::RemoveValidator { .. }
        | Action::SetThreshold { .. }
        | Action::SetParam { .. }
        | Action::CreateChannel { .. } => {}
    }
}

/// History entries are numbered from 0 and never change: fetch those the
/// index lacks, up to the asset's current count.
fn asset_event_wants<E>(
    channel: &ChannelId,
    asset: &Asset,
    known_events: impl Fn(&ChannelId, &AssetId) -> Result<u32, E>,
    wants: &mut Wants,
) -> Result<(), E> {
    for seq in known_events(channel, &asset.id)?..asset.events {
        wants.add(Want::AssetEvent(channel.clone(), asset.id.clone(), seq));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access_log::appends_access;
    use dirchain_state::testkit::*;
    use dirchain_types::{
        domain::{Role, ShareClass},
        ids::{SYSTEM_CHANNEL, sha256},
        samples,
        tx::*,
    };
    use std::collections::BTreeSet;

    /// Every transaction kind names at least one state record, except an
    /// access, whose record is in the access log.
    #[test]
    fn every_kind_names_a_record() {
        for tx in samples::signed_txs() {
            let mut wants = Wants::default();
            tx_wants(&tx, tx.hash(), &mut wants);
            let kind = tx.tx.payload.kind();
            assert_eq!(wants.take().is_empty(), appends_access(&tx), "{kind:?}");
        }
    }

    #[test]
    fn wants_are_deduplicated_across_phases() {
        let mut wants = Wants::default();
        wants.add(Want::Consortium);
        wants.add(Want::Org(id("health")));
        assert_eq!(wants.take().len(), 2);
        action_wants(&Action::RemoveOrg { org: id("health") }, &mut wants);
        assert!(wants.take().is_empty(), "both keys were already wanted");
    }

    /// Applies one transaction as a block and checks that the two phases
    /// derive every key the rules changed, except those the index does not
    /// keep (nonces, channels and their usage); that each required record
    /// exists and decodes; and that the transaction appended to the access
    /// log exactly when the follower expects it to, its own record.
    fn derives_what_changed(
        w: &mut World,
        signer: &str,
        channel: &str,
        payload: impl Into<Payload>,
    ) {
        let before = w.state.clone();
        let logged = w.access_log.len();
        let tx = w.tx_in(signer, channel, payload);
        let kind = tx.tx.payload.kind();
        let hash = tx.hash();
        let (results, _) = w.block_included(vec![tx.clone()]);
        results[0]
            .as_ref()
            .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
        let changed: BTreeSet<StateKey> = w
            .state
            .iter()
            .filter(|(k, v)| before.get(*k) != Some(*v))
            .map(|(k, _)| *k)
            .collect();
        let appended = &w.access_log[logged..];
        if appends_access(&tx) {
            assert_eq!(appended.len(), 1, "{kind:?} appends one record");
            assert_eq!(appended[0].record.id, hash);
            assert_eq!(appended[0].record.height, w.height);
            assert_eq!(appended[0].channel, tx.tx.channel);
        } else {
            assert!(appended.is_empty(), "{kind:?} appended to the access log");
        }

        let mut wants = Wants::default();
        tx_wants(&tx, hash, &mut wants);
        let mut all = wants.take();
        let mut changes = Vec::new();
        for want in &all {
            match w.state.get(&want.key()) {
                Some(bytes) => changes.push(want.decode(bytes).expect("decodes")),
                None => assert!(!want.required(), "{kind:?}: {want:?} is missing"),
            }
        }
        for change in &changes {
            follow_up_wants(change, |_, _| Ok::<u32, ()>(0), &mut wants).unwrap();
        }
        all.extend(wants.take());
        let derived: BTreeSet<StateKey> = all.iter().map(Want::key).collect();

        let ch = id(channel);
        let not_indexed: BTreeSet<StateKey> = [
            keys::account_key(&tx.tx.signer),
            keys::channel_key(&ch),
            keys::channel_usage_key(&ch),
            keys::channel_key(&id("research")),
        ]
        .into();
        for key in changed.difference(&not_indexed) {
            assert!(derived.contains(key), "{kind:?} changed {key}, not derived");
        }
    }

    #[test]
    fn derivation_covers_what_every_rule_writes() {
        let mut w = World::standard();
        let main = SYSTEM_CHANNEL;
        let d = |w: &mut World, signer: &str, payload: Payload| {
            derives_what_changed(w, signer, main, payload)
        };
        let newcomer = w.stranger("health.newcomer");
        let notary2 = w.stranger("tax.notary2");
        let later = w.now + HOUR_MS;
        d(
            &mut w,
            "health.admin",
            Enroll {
                org: id("health"),
                member_key: newcomer.clone(),
                role: Role::Auditor,
                expires_at: later,
            }
            .into(),
        );
        d(
            &mut w,
            "health.admin",
            RevokeMember {
                member_key: newcomer,
                reason: text("left"),
            }
            .into(),
        );
        d(&mut w, "tax.notary", RotateKey { new_key: notary2 }.into());
        d(&mut w, "health.publisher", duty("health/screening").into());
        d(
            &mut w,
            "health.publisher",
            item("health/deaths", ShareClass::Conditional, 1).into(),
        );
        d(
            &mut w,
            "health.publisher",
            item("health/deaths", ShareClass::Conditional, 2).into(),
        );
        d(
            &mut w,
            "health.publisher",
            RetireCatalogItem {
                id: id("health/deaths"),
                reason: text("gone"),
            }
            .into(),
        );
        let conditional = w
            .tx(
                "police.consumer",
                request("health/births", &["district"], "police/investigation"),
            )
            .hash();
        d(
            &mut w,
            "police.consumer",
            request("health/births", &["district"], "police/investigation").into(),
        );
        let unconditional = w
            .tx(
                "tax.consumer",
                request("health/stats", &["district"], "tax/assessment"),
            )
            .hash();
        d(
            &mut w,
            "tax.consumer",
            request("health/stats", &["district"], "tax/assessment").into(),
        );
        let expires_at = w.now + 24 * HOUR_MS;
        d(
            &mut w,
            "health.steward",
            DecideAccess {
                request: conditional,
                approve: true,
                reason: text("ok"),
                expires_at,
            }
            .into(),
        );
        let denied = w
            .tx(
                "tax.consumer",
                request("health/births", &["district"], "tax/assessment"),
            )
            .hash();
        d(
            &mut w,
            "tax.consumer",
            request("health/births", &["district"], "tax/assessment").into(),
        );
        d(
            &mut w,
            "health.steward",
            DecideAccess {
                request: denied,
                approve: false,
                reason: text("no"),
                expires_at: 0,
            }
            .into(),
        );
        let access = |permission, field: &str| RecordAccess {
            permission,
            subject_refs: list(vec![sha256(&[b"subject"])]),
            fields: fields(&[field]),
            query_digest: sha256(&[b"q"]),
            response_digest: sha256(&[b"r"]),
            record_count: 1,
            requester: None,
            refusal: None,
        };
        d(
            &mut w,
            "police.consumer",
            access(conditional, "district").into(),
        );
        d(
            &mut w,
            "police.consumer",
            access(conditional, "birth_date").into(),
        );
        d(
            &mut w,
            "health.steward",
            RevokePermission {
                permission: unconditional,
                reason: text("audit"),
            }
            .into(),
        );
        d(
            &mut w,
            "tax.notary2",
            Notarize {
                digest: sha256(&[b"doc"]),
                kind: id("deed"),
                meta: text(""),
            }
            .into(),
        );
        d(
            &mut w,
            "health.publisher",
            RegisterAsset {
                id: id("asset/a"),
                name: text("A"),
                description: text(""),
                item: None,
            }
            .into(),
        );
        d(
            &mut w,
            "health.steward",
            AppraiseAsset {
                asset: id("asset/a"),
                value: 1,
                currency: id("EUR"),
                method: text("m"),
            }
            .into(),
        );
        d(
            &mut w,
            "health.publisher",
            TransferAsset {
                asset: id("asset/a"),
                to: id("tax"),
            }
            .into(),
        );
        d(
            &mut w,
            "tax.publisher",
            LicenseAsset {
                asset: id("asset/a"),
                licensee: id("police"),
                terms: text("t"),
                expires_at: later,
            }
            .into(),
        );
        // Governance: proposals applied by a vote, each kind of action.
        let actions = [
            Action::AddOrg {
                org: id("transport"),
                name: text("Transport"),
                admin_key: w.stranger("transport.admin"),
            },
            Action::SetParam {
                param: Param::ProposalTtl,
                value: 1_000_000,
            },
            Action::AddValidator {
                key: w.stranger("validator-1"),
            },
            Action::CreateChannel {
                channel: id("research"),
                members: list(vec![id("health")]),
                max_txs_per_block: 5,
                max_bytes: 1 << 20,
            },
            Action::RemoveOrg {
                org: id("transport"),
            },
        ];
        for action in actions {
            let proposal = w
                .tx(
                    "health.admin",
                    Propose {
                        action: action.clone(),
                    },
                )
                .hash();
            d(&mut w, "health.admin", Propose { action }.into());
            d(
                &mut w,
                "police.admin",
                Vote {
                    proposal,
                    approve: true,
                }
                .into(),
            );
        }
        // In a channel with quotas.
        derives_what_changed(
            &mut w,
            "health.publisher",
            "research",
            duty("health/research"),
        );
    }
}
