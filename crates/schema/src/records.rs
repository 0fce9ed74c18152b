//! Views of the ledger's records and the query filters over them.
//!
//! The node's query index answers with these documents; each view is built
//! from the record the chain holds (`from_record`), so a client that fetched
//! a record with its proof can show it exactly as the API does.
//!
//! Labels are the wire labels of the domain enums (`share_class`
//! "conditional", `refusal` "fields-not-permitted", `role` "steward");
//! digests, keys and record ids are lowercase hex; times are milliseconds
//! since the Unix epoch. No view holds a raw personal identifier: subjects
//! appear only as their keyed pseudonyms (`subject_refs`).

use dirchain_types::{
    domain::FieldSpec,
    ids::{ChannelId, KeyBytes},
    records::{
        AccessRecord, Appraisal, Asset, AssetEvent, Consortium, Duty, Item, ItemVersion, Licence,
        Member, NotaryRecord, Org, Permission, Proposal, Request, Revocation,
    },
    tx::Action,
};
use serde::{Deserialize, Serialize};

/// Entries of a page when the client names no `limit`.
pub const DEFAULT_LIMIT: u32 = 50;
/// Most entries one page may hold. The node's API refuses a larger `limit`
/// (a client asking for more has a bug to see); [page_limit] cuts it.
pub const MAX_LIMIT: u32 = 500;

/// The effective page size for a requested `limit`: the default when none is
/// given, at least 1 and at most [MAX_LIMIT].
pub fn page_limit(limit: Option<u32>) -> u32 {
    limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT)
}

/// One page of a list. Pass `next_cursor` back as `cursor` for the next
/// page; it is absent on the last one. `indexed_height` is the last block
/// the answer reflects.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
    pub indexed_height: u64,
}

/// Why a key, an item or a permission was withdrawn.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RevocationView {
    pub at: u64,
    /// The member key that withdrew it (hex).
    pub by: String,
    pub reason: String,
}

impl RevocationView {
    pub fn from_record(r: &Revocation) -> Self {
        Self {
            at: r.at,
            by: r.by.to_string(),
            reason: r.reason.to_string(),
        }
    }
}

fn revocation(r: &Option<Revocation>) -> Option<RevocationView> {
    r.as_ref().map(RevocationView::from_record)
}

fn strings<T: ToString>(items: &[T]) -> Vec<String> {
    items.iter().map(ToString::to_string).collect()
}

/// The consortium as a whole: validators, decision threshold, parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConsortiumView {
    /// Validator public keys (hex).
    pub validators: Vec<String>,
    /// Yes votes of distinct member organisations a proposal needs.
    pub threshold: u32,
    pub org_count: u32,
    pub proposal_ttl_ms: u64,
    pub max_permission_validity_ms: u64,
}

impl ConsortiumView {
    pub fn from_record(c: &Consortium) -> Self {
        Self {
            validators: strings(&c.validators),
            threshold: c.threshold,
            org_count: c.org_count,
            proposal_ttl_ms: c.params.proposal_ttl_ms,
            max_permission_validity_ms: c.params.max_permission_validity_ms,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrgView {
    pub id: String,
    pub name: String,
    /// False once governance removed the organisation.
    pub active: bool,
    pub joined_at: u64,
}

impl OrgView {
    pub fn from_record(o: &Org) -> Self {
        Self {
            id: o.id.to_string(),
            name: o.name.to_string(),
            active: o.active,
            joined_at: o.joined_at,
        }
    }
}

/// An enrolled key of an organisation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberView {
    /// The member's public key (hex).
    pub key: String,
    pub org: String,
    /// "admin", "publisher", "steward", "consumer", "auditor", "notary" or "gateway".
    pub role: String,
    pub enrolled_at: u64,
    pub expires_at: u64,
    /// Set once the key is revoked or rotated away.
    pub revoked: Option<RevocationView>,
}

impl MemberView {
    pub fn from_record(m: &Member) -> Self {
        Self {
            key: m.key.to_string(),
            org: m.org.to_string(),
            role: m.role.label().to_string(),
            enrolled_at: m.enrolled_at,
            expires_at: m.expires_at,
            revoked: revocation(&m.revoked),
        }
    }
}

/// A legal duty an organisation performs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DutyView {
    pub channel: String,
    pub id: String,
    pub org: String,
    pub title: String,
    pub legal_basis: String,
    pub declared_at: u64,
}

impl DutyView {
    pub fn from_record(channel: &ChannelId, d: &Duty) -> Self {
        Self {
            channel: channel.to_string(),
            id: d.id.to_string(),
            org: d.org.to_string(),
            title: d.title.to_string(),
            legal_basis: d.legal_basis.to_string(),
            declared_at: d.declared_at,
        }
    }
}

/// An organisation with its member keys and its duties.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrgDetail {
    pub org: OrgView,
    /// Oldest enrolment first.
    pub members: Vec<MemberView>,
    /// By channel, then id.
    pub duties: Vec<DutyView>,
}

/// One column of a catalog item.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldView {
    pub name: String,
    /// "text", "integer", "decimal", "boolean", "date", "datetime",
    /// "identifier", "geometry" or "binary".
    pub field_type: String,
    /// "public", "internal", "personal" or "special".
    pub sensitivity: String,
}

impl FieldView {
    pub fn from_record(f: &FieldSpec) -> Self {
        Self {
            name: f.name.to_string(),
            field_type: f.field_type.label().to_string(),
            sensitivity: f.sensitivity.label().to_string(),
        }
    }
}

/// One published version of a catalog item.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemVersionView {
    pub version: u32,
    pub org: String,
    /// The publisher's key (hex).
    pub publisher: String,
    pub published_at: u64,
    pub title: String,
    pub description: String,
    pub duties: Vec<String>,
    pub fields: Vec<FieldView>,
    /// "unconditional", "conditional" or "none".
    pub share_class: String,
    /// "open", "conditional" or "closed".
    pub open_class: String,
    pub update_frequency: String,
    pub format: String,
}

impl ItemVersionView {
    pub fn from_record(v: &ItemVersion) -> Self {
        Self {
            version: v.version,
            org: v.org.to_string(),
            publisher: v.publisher.to_string(),
            published_at: v.published_at,
            title: v.title.to_string(),
            description: v.description.to_string(),
            duties: strings(&v.duties),
            fields: v.fields.iter().map(FieldView::from_record).collect(),
            share_class: v.share_class.label().to_string(),
            open_class: v.open_class.label().to_string(),
            update_frequency: v.update_frequency.label().to_string(),
            format: v.format.to_string(),
        }
    }
}

/// A catalog item as it stands: its current version, owner and state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemView {
    pub channel: String,
    pub id: String,
    /// The owning organisation.
    pub org: String,
    pub retired: bool,
    /// When, by whom and why the item was retired.
    pub retirement: Option<RevocationView>,
    /// The current version.
    pub current: ItemVersionView,
}

impl ItemView {
    pub fn from_record(channel: &ChannelId, item: &Item) -> Self {
        Self {
            channel: channel.to_string(),
            id: item.current.id.to_string(),
            org: item.current.org.to_string(),
            retired: item.retired.is_some(),
            retirement: revocation(&item.retired),
            current: ItemVersionView::from_record(&item.current),
        }
    }
}

/// A catalog item with every version it was published in, oldest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemDetail {
    pub item: ItemView,
    pub versions: Vec<ItemVersionView>,
}

/// A request for purpose-bound access to fields of an item.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequestView {
    pub channel: String,
    /// The hash of the request transaction (hex); also the id of the
    /// permission that answers it.
    pub id: String,
    pub item: String,
    pub item_version: u32,
    pub owner_org: String,
    pub consumer_org: String,
    /// The requesting key (hex).
    pub requester: String,
    pub fields: Vec<String>,
    pub purpose: String,
    pub requester_duty: String,
    pub valid_for_ms: u64,
    pub requested_at: u64,
    /// "pending", "approved" or "denied".
    pub status: String,
    /// The steward key that decided (hex); absent when pending or granted on
    /// request.
    pub decided_by: Option<String>,
    pub reason: String,
}

impl RequestView {
    pub fn from_record(channel: &ChannelId, r: &Request) -> Self {
        Self {
            channel: channel.to_string(),
            id: r.id.to_string(),
            item: r.item.to_string(),
            item_version: r.item_version,
            owner_org: r.owner_org.to_string(),
            consumer_org: r.consumer_org.to_string(),
            requester: r.requester.to_string(),
            fields: strings(&r.fields),
            purpose: r.purpose.to_string(),
            requester_duty: r.requester_duty.to_string(),
            valid_for_ms: r.valid_for_ms,
            requested_at: r.requested_at,
            status: r.status.label().to_string(),
            decided_by: r.decided_by.as_ref().map(KeyBytes::to_string),
            reason: r.reason.to_string(),
        }
    }
}

/// Whether a permission may be used at a given time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PermissionStatus {
    Live,
    Expired,
    Revoked,
}

impl PermissionStatus {
    /// The status at `now_ms`, by the rule execution applies.
    pub fn of(p: &Permission, now_ms: u64) -> Self {
        if p.revoked.is_some() {
            PermissionStatus::Revoked
        } else if p.is_live(now_ms) {
            PermissionStatus::Live
        } else {
            PermissionStatus::Expired
        }
    }
}

/// A grant of access to fields of an item, for a purpose, until a time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PermissionView {
    pub channel: String,
    /// The id of the request it answers (hex).
    pub id: String,
    pub item: String,
    pub owner_org: String,
    pub consumer_org: String,
    pub fields: Vec<String>,
    pub purpose: String,
    pub requester_duty: String,
    pub granted_at: u64,
    pub expires_at: u64,
    pub revoked: Option<RevocationView>,
    /// Computed at the time of the query.
    pub status: PermissionStatus,
}

impl PermissionView {
    pub fn from_record(channel: &ChannelId, p: &Permission, now_ms: u64) -> Self {
        Self {
            channel: channel.to_string(),
            id: p.id.to_string(),
            item: p.item.to_string(),
            owner_org: p.owner_org.to_string(),
            consumer_org: p.consumer_org.to_string(),
            fields: strings(&p.fields),
            purpose: p.purpose.to_string(),
            requester_duty: p.requester_duty.to_string(),
            granted_at: p.granted_at,
            expires_at: p.expires_at,
            revoked: revocation(&p.revoked),
            status: PermissionStatus::of(p, now_ms),
        }
    }
}

/// One recorded data exchange, or one refused attempt.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccessView {
    pub channel: String,
    /// The hash of the recording transaction (hex).
    pub id: String,
    /// Where the record is in the access log: ask
    /// `GET /v1/access-log/{location}` for its proof.
    pub location: u64,
    /// The permission it names (hex), which may not exist.
    pub permission: String,
    /// The recording key (hex).
    pub recorder: String,
    pub recorder_org: String,
    /// The consumer key that asked (hex): named by the providing agency's
    /// gateway, or the recorder itself when a consumer recorded.
    pub requester: Option<String>,
    /// The permission's parties and item, when the permission exists.
    pub owner_org: Option<String>,
    pub consumer_org: Option<String>,
    pub item: Option<String>,
    /// Keyed pseudonyms of the persons concerned (hex), never raw identifiers.
    pub subject_refs: Vec<String>,
    pub fields: Vec<String>,
    pub query_digest: String,
    pub response_digest: String,
    pub record_count: u32,
    pub height: u64,
    pub at: u64,
    /// Why the attempt was refused ("unknown-permission", "expired",
    /// "revoked", "fields-not-permitted", "not-party", "item-retired",
    /// "not-consumer", "wrong-item"), or null when it was within a live
    /// permission.
    pub refusal: Option<String>,
}

impl AccessView {
    /// The view of `a`, recorded in `channel`, at `location` of the access log.
    pub fn from_record(channel: &ChannelId, a: &AccessRecord, location: u64) -> Self {
        Self {
            channel: channel.to_string(),
            id: a.id.to_string(),
            location,
            permission: a.permission.to_string(),
            recorder: a.recorder.to_string(),
            recorder_org: a.recorder_org.to_string(),
            requester: a.requester.as_ref().map(ToString::to_string),
            owner_org: a.owner_org.as_ref().map(ToString::to_string),
            consumer_org: a.consumer_org.as_ref().map(ToString::to_string),
            item: a.item.as_ref().map(ToString::to_string),
            subject_refs: strings(&a.subject_refs),
            fields: strings(&a.fields),
            query_digest: a.query_digest.to_string(),
            response_digest: a.response_digest.to_string(),
            record_count: a.record_count,
            height: a.height,
            at: a.at,
            refusal: a.refusal.map(|r| r.label().to_string()),
        }
    }
}

/// A notarized digest: proof that it was on the ledger at a height and time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NotaryView {
    pub channel: String,
    pub digest: String,
    pub kind: String,
    pub meta: String,
    pub org: String,
    /// The notary key (hex).
    pub signer: String,
    /// The notarizing transaction (hex).
    pub tx: String,
    pub height: u64,
    pub at: u64,
}

impl NotaryView {
    pub fn from_record(channel: &ChannelId, n: &NotaryRecord) -> Self {
        Self {
            channel: channel.to_string(),
            digest: n.digest.to_string(),
            kind: n.kind.to_string(),
            meta: n.meta.to_string(),
            org: n.org.to_string(),
            signer: n.signer.to_string(),
            tx: n.tx.to_string(),
            height: n.height,
            at: n.at,
        }
    }
}

/// A valuation of an asset; `value` is in minor units of `currency`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AppraisalView {
    pub value: u64,
    pub currency: String,
    pub method: String,
    pub appraiser_org: String,
    pub at: u64,
}

impl AppraisalView {
    pub fn from_record(a: &Appraisal) -> Self {
        Self {
            value: a.value,
            currency: a.currency.to_string(),
            method: a.method.to_string(),
            appraiser_org: a.appraiser_org.to_string(),
            at: a.at,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LicenceView {
    pub licensee: String,
    pub terms: String,
    pub granted_at: u64,
    pub expires_at: u64,
}

impl LicenceView {
    pub fn from_record(l: &Licence) -> Self {
        Self {
            licensee: l.licensee.to_string(),
            terms: l.terms.to_string(),
            granted_at: l.granted_at,
            expires_at: l.expires_at,
        }
    }
}

/// A registered data asset as it stands.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssetView {
    pub channel: String,
    pub id: String,
    pub name: String,
    pub description: String,
    /// The catalog item the asset is made of, if any.
    pub item: Option<String>,
    pub owner_org: String,
    pub registered_at: u64,
    /// The latest appraisal.
    pub appraisal: Option<AppraisalView>,
    /// Entries in the asset's history.
    pub events: u32,
}

impl AssetView {
    pub fn from_record(channel: &ChannelId, a: &Asset) -> Self {
        Self {
            channel: channel.to_string(),
            id: a.id.to_string(),
            name: a.name.to_string(),
            description: a.description.to_string(),
            item: a.item.as_ref().map(ToString::to_string),
            owner_org: a.owner_org.to_string(),
            registered_at: a.registered_at,
            appraisal: a.appraisal.as_ref().map(AppraisalView::from_record),
            events: a.events,
        }
    }
}

/// One entry of an asset's history. `kind` says which of the optional
/// fields is set: "registered" (`owner_org`), "appraised" (`appraisal`),
/// "transferred" (`from`, `to`) or "licensed" (`licence`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssetEventView {
    /// Position in the asset's history, from 0.
    pub seq: u32,
    pub kind: String,
    pub at: u64,
    pub owner_org: Option<String>,
    pub appraisal: Option<AppraisalView>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub licence: Option<LicenceView>,
}

impl AssetEventView {
    pub fn from_record(seq: u32, e: &AssetEvent) -> Self {
        let empty = Self {
            seq,
            kind: String::new(),
            at: 0,
            owner_org: None,
            appraisal: None,
            from: None,
            to: None,
            licence: None,
        };
        match e {
            AssetEvent::Registered { owner_org, at } => Self {
                kind: "registered".into(),
                at: *at,
                owner_org: Some(owner_org.to_string()),
                ..empty
            },
            AssetEvent::Appraised(a) => Self {
                kind: "appraised".into(),
                at: a.at,
                appraisal: Some(AppraisalView::from_record(a)),
                ..empty
            },
            AssetEvent::Transferred { from, to, at } => Self {
                kind: "transferred".into(),
                at: *at,
                from: Some(from.to_string()),
                to: Some(to.to_string()),
                ..empty
            },
            AssetEvent::Licensed(l) => Self {
                kind: "licensed".into(),
                at: l.granted_at,
                licence: Some(LicenceView::from_record(l)),
                ..empty
            },
        }
    }
}

/// An asset with its history, oldest entry first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssetDetail {
    pub asset: AssetView,
    pub events: Vec<AssetEventView>,
}

/// A change of the consortium put to a vote; `kind` names it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ActionView {
    AddOrg {
        org: String,
        name: String,
        /// The new organisation's admin key (hex).
        admin_key: String,
    },
    RemoveOrg {
        org: String,
    },
    AddValidator {
        key: String,
    },
    RemoveValidator {
        key: String,
    },
    SetThreshold {
        threshold: u32,
    },
    SetParam {
        /// "proposal-ttl-ms" or "max-permission-validity-ms".
        param: String,
        value: u64,
    },
    CreateChannel {
        channel: String,
        members: Vec<String>,
        max_txs_per_block: u32,
        max_bytes: u64,
    },
}

impl ActionView {
    pub fn from_record(a: &Action) -> Self {
        match a {
            Action::AddOrg {
                org,
                name,
                admin_key,
            } => ActionView::AddOrg {
                org: org.to_string(),
                name: name.to_string(),
                admin_key: admin_key.to_string(),
            },
            Action::RemoveOrg { org } => ActionView::RemoveOrg {
                org: org.to_string(),
            },
            Action::AddValidator { key } => ActionView::AddValidator {
                key: key.to_string(),
            },
            Action::RemoveValidator { key } => ActionView::RemoveValidator {
                key: key.to_string(),
            },
            Action::SetThreshold { threshold } => ActionView::SetThreshold {
                threshold: *threshold,
            },
            Action::SetParam { param, value } => ActionView::SetParam {
                param: param.label().to_string(),
                value: *value,
            },
            Action::CreateChannel {
                channel,
                members,
                max_txs_per_block,
                max_bytes,
            } => ActionView::CreateChannel {
                channel: channel.to_string(),
                members: strings(members),
                max_txs_per_block: *max_txs_per_block,
                max_bytes: *max_bytes,
            },
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProposalView {
    /// The hash of the proposing transaction (hex).
    pub id: String,
    pub action: ActionView,
    /// The proposing key (hex).
    pub proposer: String,
    pub proposer_org: String,
    pub created_at: u64,
    pub expires_at: u64,
    /// Organisations that voted yes (the proposer's first) and no.
    pub yes: Vec<String>,
    pub no: Vec<String>,
    /// "open", "applied", "rejected" or "failed".
    pub status: String,
    /// Why an approved proposal could not be applied.
    pub note: String,
}

impl ProposalView {
    pub fn from_record(p: &Proposal) -> Self {
        Self {
            id: p.id.to_string(),
            action: ActionView::from_record(&p.action),
            proposer: p.proposer.to_string(),
            proposer_org: p.proposer_org.to_string(),
            created_at: p.created_at,
            expires_at: p.expires_at,
            yes: strings(&p.yes),
            no: strings(&p.no),
            status: p.status.label().to_string(),
            note: p.note.to_string(),
        }
    }
}

/// What a finalized transaction did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TxOutcome {
    Applied,
    /// An access attempt outside its permission: included, and recorded as refused.
    AccessRefused,
}

/// A finalized transaction.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TxView {
    pub hash: String,
    pub height: u64,
    /// Position in its block, from 0.
    pub index: u32,
    /// The block time.
    pub at: u64,
    /// The kind's label ("publish-item", "record-access", ...).
    pub kind: String,
    /// The signing key (hex).
    pub signer: String,
    /// The signer's organisation.
    pub signer_org: Option<String>,
    pub channel: String,
    pub outcome: TxOutcome,
    /// The refusal's label when `outcome` is "access_refused".
    pub refusal: Option<String>,
}

/// A page of any list: `limit` (default [DEFAULT_LIMIT], at most
/// [MAX_LIMIT]) and the `cursor` a previous page returned.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "openapi",
    derive(utoipa::ToSchema, utoipa::IntoParams),
    into_params(parameter_in = Query)
)]
#[serde(default, deny_unknown_fields)]
pub struct PageQuery {
    /// Entries per page: 1 to 500 ([MAX_LIMIT]); 50 ([DEFAULT_LIMIT]) when absent.
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page; the first page when absent.
    pub cursor: Option<String>,
}

/// Catalog search. Results come in publication order (first published
/// first); every filter narrows them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "openapi",
    derive(utoipa::ToSchema, utoipa::IntoParams),
    into_params(parameter_in = Query)
)]
#[serde(default, deny_unknown_fields)]
pub struct CatalogQuery {
    /// Free text over titles, descriptions and field names. Every word must
    /// match; the last one may be the start of a word. Punctuation is ignored.
    pub q: Option<String>,
    /// Owning organisation.
    pub org: Option<String>,
    /// "unconditional", "conditional" or "none".
    pub share_class: Option<String>,
    /// Items that serve this duty.
    pub duty: Option<String>,
    /// Only this channel; every channel when absent.
    pub channel: Option<String>,
    /// Also list retired items (default false).
    pub include_retired: Option<bool>,
    /// Entries per page: 1 to 500 ([MAX_LIMIT]); 50 ([DEFAULT_LIMIT]) when absent.
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page; the first page when absent.
    pub cursor: Option<String>,
}

/// Permissions, most recently granted first.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "openapi",
    derive(utoipa::ToSchema, utoipa::IntoParams),
    into_params(parameter_in = Query)
)]
#[serde(default, deny_unknown_fields)]
pub struct PermissionQuery {
    /// The organisation granted the permission.
    pub consumer: Option<String>,
    /// The organisation owning the item.
    pub owner: Option<String>,
    pub item: Option<String>,
    /// Status at the time of the query.
    pub status: Option<PermissionStatus>,
    /// Only this channel; every channel when absent.
    pub channel: Option<String>,
    /// Entries per page: 1 to 500 ([MAX_LIMIT]); 50 ([DEFAULT_LIMIT]) when absent.
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page; the first page when absent.
    pub cursor: Option<String>,
}

/// Access requests, most recent first.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "openapi",
    derive(utoipa::ToSchema, utoipa::IntoParams),
    into_params(parameter_in = Query)
)]
#[serde(default, deny_unknown_fields)]
pub struct RequestQuery {
    /// The requesting organisation.
    pub consumer: Option<String>,
    /// The organisation owning the item.
    pub owner: Option<String>,
    pub item: Option<String>,
    /// "pending", "approved" or "denied".
    pub status: Option<String>,
    /// Only this channel; every channel when absent.
    pub channel: Option<String>,
    /// Entries per page: 1 to 500 ([MAX_LIMIT]); 50 ([DEFAULT_LIMIT]) when absent.
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page; the first page when absent.
    pub cursor: Option<String>,
}

/// Access records, newest first.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "openapi",
    derive(utoipa::ToSchema, utoipa::IntoParams),
    into_params(parameter_in = Query)
)]
#[serde(default, deny_unknown_fields)]
pub struct AccessQuery {
    /// The organisation the permission was granted to.
    pub consumer: Option<String>,
    /// The organisation that provided the data (the item's owner).
    pub provider: Option<String>,
    pub item: Option<String>,
    /// The permission named (hex).
    pub permission: Option<String>,
    /// From this time on (inclusive, ms since the Unix epoch).
    pub from_ms: Option<u64>,
    /// Before this time (exclusive).
    pub to_ms: Option<u64>,
    /// `true`: only refused attempts; `false`: only exchanges within a live
    /// permission; both when absent.
    pub refused: Option<bool>,
    /// Entries per page: 1 to 500 ([MAX_LIMIT]); 50 ([DEFAULT_LIMIT]) when absent.
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page; the first page when absent.
    pub cursor: Option<String>,
}

impl AccessQuery {
    /// The query's filters, without its paging.
    pub fn filter(&self) -> AccessFilter {
        AccessFilter {
            consumer: self.consumer.clone(),
            provider: self.provider.clone(),
            item: self.item.clone(),
            permission: self.permission.clone(),
            from_ms: self.from_ms,
            to_ms: self.to_ms,
            refused: self.refused,
        }
    }
}

/// Governance proposals, newest first.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "openapi",
    derive(utoipa::ToSchema, utoipa::IntoParams),
    into_params(parameter_in = Query)
)]
#[serde(default, deny_unknown_fields)]
pub struct ProposalQuery {
    /// "open", "applied", "rejected" or "failed".
    pub status: Option<String>,
    /// Entries per page: 1 to 500 ([MAX_LIMIT]); 50 ([DEFAULT_LIMIT]) when absent.
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page; the first page when absent.
    pub cursor: Option<String>,
}

/// The body of the "who used my data" query: the raw identifier of a
/// person. It travels only in a request body, and the node turns it into its
/// pseudonym at once; it is never logged (its `Debug` hides it). `subject`
/// is required, and unknown fields are refused: a misspelt field must not
/// turn into a query about nobody.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SubjectAccessQuery {
    /// The person's raw identifier (e.g. a national identity number).
    pub subject: String,
    /// Entries per page: 1 to 500 ([MAX_LIMIT]); 50 ([DEFAULT_LIMIT]) when absent.
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page; the first page when absent.
    pub cursor: Option<String>,
}

impl std::fmt::Debug for SubjectAccessQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SubjectAccessQuery")
            .field("subject", &"<redacted>")
            .field("limit", &self.limit)
            .field("cursor", &self.cursor)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dirchain_types::{
        bounded::{Ident, List, Text},
        ids::Digest,
        records::{Params, Refusal},
    };

    fn id(s: &str) -> Ident {
        Ident::new(s).unwrap()
    }

    fn key() -> KeyBytes {
        KeyBytes::new([7; 32])
    }

    #[test]
    fn page_limit_defaults_and_is_bounded() {
        assert_eq!(page_limit(None), DEFAULT_LIMIT);
        assert_eq!(page_limit(Some(0)), 1);
        assert_eq!(page_limit(Some(7)), 7);
        assert_eq!(page_limit(Some(u32::MAX)), MAX_LIMIT);
    }

    #[test]
    fn access_view_is_hex_and_labels() {
        let record = AccessRecord {
            id: Digest([1; 32]),
            permission: Digest([2; 32]),
            recorder: key(),
            recorder_org: id("police"),
            requester: None,
            owner_org: None,
            consumer_org: None,
            item: None,
            subject_refs: List::new(vec![Digest([0xab; 32])]).unwrap(),
            fields: List::new(vec![id("district")]).unwrap(),
            query_digest: Digest([3; 32]),
            response_digest: Digest([4; 32]),
            record_count: 2,
            height: 9,
            at: 1_000,
            refusal: Some(Refusal::UnknownPermission),
        };
        let json = serde_json::to_value(AccessView::from_record(&id("main"), &record, 7)).unwrap();
        assert_eq!(json["id"], "01".repeat(32));
        assert_eq!(json["location"], 7);
        assert_eq!(json["subject_refs"][0], "ab".repeat(32));
        assert_eq!(json["refusal"], "unknown-permission");
        assert_eq!(json["owner_org"], serde_json::Value::Null);
        assert_eq!(json["at"], 1_000);
    }

    #[test]
    fn permission_status_follows_the_execution_rule() {
        let mut p = Permission {
            id: Digest([1; 32]),
            item: id("health/births"),
            owner_org: id("health"),
            consumer_org: id("police"),
            fields: List::default(),
            purpose: Text::new("p").unwrap(),
            requester_duty: id("police/investigation"),
            granted_at: 0,
            expires_at: 100,
            revoked: None,
        };
        assert_eq!(PermissionStatus::of(&p, 99), PermissionStatus::Live);
        assert_eq!(PermissionStatus::of(&p, 100), PermissionStatus::Expired);
        p.revoked = Some(Revocation {
            at: 5,
            by: key(),
            reason: Text::new("r").unwrap(),
        });
        assert_eq!(PermissionStatus::of(&p, 0), PermissionStatus::Revoked);
        let json = serde_json::to_value(PermissionView::from_record(&id("main"), &p, 0)).unwrap();
        assert_eq!(json["status"], "revoked");
        assert_eq!(json["revoked"]["reason"], "r");
    }

    #[test]
    fn actions_are_tagged_with_their_kind() {
        let view = ActionView::from_record(&Action::SetThreshold { threshold: 2 });
        let json = serde_json::to_value(&view).unwrap();
        assert_eq!(json["kind"], "set-threshold");
        assert_eq!(json["threshold"], 2);
        let back: ActionView = serde_json::from_value(json).unwrap();
        assert_eq!(back, view);
        let consortium = Consortium {
            validators: List::new(vec![key()]).unwrap(),
            threshold: 2,
            org_count: 3,
            params: Params::default(),
        };
        let view = ConsortiumView::from_record(&consortium);
        assert_eq!(view.validators, vec![key().to_string()]);
    }

    #[test]
    fn filters_parse_from_partial_documents() {
        let q: AccessQuery = serde_json::from_str(r#"{"refused":true,"limit":10}"#).unwrap();
        assert_eq!(q.refused, Some(true));
        assert_eq!(q.consumer, None);
        let q: PermissionQuery = serde_json::from_str(r#"{"status":"expired"}"#).unwrap();
        assert_eq!(q.status, Some(PermissionStatus::Expired));
        assert!(serde_json::from_str::<PermissionQuery>(r#"{"status":"gone"}"#).is_err());
    }

    #[cfg(feature = "openapi")]
    #[test]
    fn openapi_documents_pages_and_filters() {
        use utoipa::{IntoParams, PartialSchema};
        let page = serde_json::to_value(<Page<AccessView> as PartialSchema>::schema()).unwrap();
        assert!(page.to_string().contains("next_cursor"), "{page}");
        let params: Vec<String> = AccessQuery::into_params(|| None)
            .into_iter()
            .map(|p| p.name)
            .collect();
        assert!(params.contains(&"from_ms".to_string()), "{params:?}");
        let action = serde_json::to_value(ActionView::schema()).unwrap();
        assert!(action.to_string().contains("add-org"), "{action}");
    }

    #[test]
    fn filters_refuse_unknown_fields() {
        assert!(serde_json::from_str::<AccessQuery>(r#"{"refused":true,"subject":"x"}"#).is_err());
        assert!(serde_json::from_str::<PageQuery>(r#"{"limit":1,"offset":2}"#).is_err());
        assert!(serde_json::from_str::<CatalogQuery>(r#"{"query":"births"}"#).is_err());
    }

    #[test]
    fn the_subject_query_requires_its_subject_and_nothing_else() {
        let q: SubjectAccessQuery = serde_json::from_str(r#"{"subject":"a","limit":3}"#).unwrap();
        assert_eq!(
            (q.subject.as_str(), q.limit, q.cursor),
            ("a", Some(3), None)
        );
        for bad in [r#"{}"#, r#"{"limit":3}"#, r#"{"subject":"a","subjet":"b"}"#] {
            assert!(
                serde_json::from_str::<SubjectAccessQuery>(bad).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_raw_subject_never_reaches_debug_output() {
        let q = SubjectAccessQuery {
            subject: "110101199003072345".into(),
            ..Default::default()
        };
        assert!(!format!("{q:?}").contains("110101199003072345"));
    }
}

/// Finalized transactions, newest first (chain order).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "openapi",
    derive(utoipa::ToSchema, utoipa::IntoParams),
    into_params(parameter_in = Query)
)]
#[serde(default, deny_unknown_fields)]
pub struct TxQuery {
    /// Only the transactions of this block.
    pub height: Option<u64>,
    /// Only this kind ("publish-item", "record-access", ...).
    pub kind: Option<String>,
    /// Entries per page: 1 to 500 ([MAX_LIMIT]); 50 ([DEFAULT_LIMIT]) when absent.
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page; the first page when absent.
    pub cursor: Option<String>,
}

/// Most days one `GET /v1/access/daily` answer covers: a year and a day, so
/// a leap year fits.
pub const MAX_DAILY_DAYS: u64 = 367;

/// Most rows one `GET /v1/access/export` answers; a larger export is refused
/// whole (never cut short), so the filters must narrow it.
pub const MAX_EXPORT_ROWS: u64 = 100_000;

/// The filters of [AccessQuery] without paging, for the routes that take
/// every matching access at once: `GET /v1/access/daily` (counts per UTC
/// day, over the whole days that cover `from_ms..to_ms`, at most
/// [MAX_DAILY_DAYS] of them: the last 30 days when `from_ms` is absent, up to
/// now when `to_ms` is) and `GET /v1/access/export` (CSV, at most
/// [MAX_EXPORT_ROWS] rows).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "openapi",
    derive(utoipa::ToSchema, utoipa::IntoParams),
    into_params(parameter_in = Query)
)]
#[serde(default, deny_unknown_fields)]
pub struct AccessFilter {
    /// The organisation the permission was granted to.
    pub consumer: Option<String>,
    /// The organisation that provided the data (the item's owner).
    pub provider: Option<String>,
    pub item: Option<String>,
    /// The permission named (hex).
    pub permission: Option<String>,
    /// From this time on (inclusive, ms since the Unix epoch).
    pub from_ms: Option<u64>,
    /// Before this time (exclusive).
    pub to_ms: Option<u64>,
    /// `true`: only refused attempts; `false`: only exchanges within a live
    /// permission; both when absent.
    pub refused: Option<bool>,
}

impl AccessFilter {
    /// The page of the list these filters select that starts after `cursor`.
    pub fn page(&self, limit: u32, cursor: Option<String>) -> AccessQuery {
        AccessQuery {
            consumer: self.consumer.clone(),
            provider: self.provider.clone(),
            item: self.item.clone(),
            permission: self.permission.clone(),
            from_ms: self.from_ms,
            to_ms: self.to_ms,
            refused: self.refused,
            limit: Some(limit),
            cursor,
        }
    }
}

/// Accesses of one day (UTC) by one consuming organisation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccessDay {
    /// `YYYY-MM-DD`, UTC.
    pub day: String,
    /// The consuming organisation; null for attempts under a permission that
    /// does not exist.
    pub consumer_org: Option<String>,
    /// Exchanges within a live permission.
    pub accepted: u64,
    /// Refused attempts.
    pub refused: u64,
}

/// `GET /v1/access/daily`: days in order, organisations by id within a day;
/// days without accesses are absent. `from_ms` and `to_ms` are the range
/// counted: the asked one widened to whole UTC days.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccessDaily {
    pub from_ms: u64,
    pub to_ms: u64,
    pub days: Vec<AccessDay>,
    /// The last block the answer reflects.
    pub indexed_height: u64,
}
