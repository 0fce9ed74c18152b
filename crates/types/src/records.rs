//! The values held in the authenticated state. A client that fetches one with
//! its proof decodes it with these types.

use crate::{
    bounded::{Ident, List, Text},
    domain::{FieldSpec, OpenClass, Role, ShareClass, UpdateFrequency},
    ids::{
        AssetId, ChannelId, Digest, DutyId, ItemId, KeyBytes, OrgId, PublicKey, RecordId,
        SubjectRef, Timestamp, key_bytes,
    },
    limits::*,
    tx::{Action, Fields, LongText, Title},
    wire_enum, wire_struct,
};
use bytes::BufMut;
use commonware_codec::{Buf, EncodeSize, Error, Read, ReadExt, Write};

/// Consortium parameters, changeable by governance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    /// How long a proposal stays open for votes.
    pub proposal_ttl_ms: u64,
    /// Longest validity a permission may be requested or granted for.
    pub max_permission_validity_ms: u64,
}
wire_struct!(Params {
    proposal_ttl_ms,
    max_permission_validity_ms
});

impl Default for Params {
    fn default() -> Self {
        const DAY_MS: u64 = 24 * 60 * 60 * 1000;
        Self {
            proposal_ttl_ms: 7 * DAY_MS,
            max_permission_validity_ms: 366 * DAY_MS,
        }
    }
}

/// The consortium as a whole: who validates, how many organisations decide.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Consortium {
    pub validators: List<KeyBytes, MAX_VALIDATORS>,
    /// Yes votes of distinct member organisations needed to apply a proposal.
    pub threshold: u32,
    /// Active member organisations.
    pub org_count: u32,
    pub params: Params,
}
wire_struct!(Consortium {
    validators,
    threshold,
    org_count,
    params
});

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Org {
    /// First on the wire, so [Org::read_active] needs only this byte.
    pub active: bool,
    pub id: OrgId,
    pub name: Title,
    pub joined_at: Timestamp,
}
wire_struct!(Org {
    active,
    id,
    name,
    joined_at
});

impl Org {
    /// Whether an encoded organisation is active, without decoding the rest:
    /// every transaction checks its signer's organisation.
    pub fn read_active(encoded: &[u8]) -> Result<bool, Error> {
        bool::read(&mut commonware_codec::Copying(encoded))
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revocation {
    pub at: Timestamp,
    pub by: KeyBytes,
    pub reason: Title,
}
wire_struct!(Revocation { at, by, reason });

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub key: KeyBytes,
    pub org: OrgId,
    pub role: Role,
    pub expires_at: Timestamp,
    pub enrolled_at: Timestamp,
    /// Set when the key is revoked or rotated away.
    pub revoked: Option<Revocation>,
}
wire_struct!(Member {
    key,
    org,
    role,
    expires_at,
    enrolled_at,
    revoked
});

impl Member {
    /// The admin key an organisation joins the consortium with.
    pub fn founding_admin(org: &OrgId, key: &PublicKey, now: Timestamp) -> Self {
        Self {
            key: key_bytes(key),
            org: org.clone(),
            role: Role::Admin,
            expires_at: Timestamp::MAX,
            enrolled_at: now,
            revoked: None,
        }
    }
}

/// The next nonce a signer must use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Account {
    pub next_nonce: u64,
}
wire_struct!(Account { next_nonce });

wire_enum! {
    pub enum ProposalStatus {
        Open = 0 => "open",
        Applied = 1 => "applied",
        Rejected = 2 => "rejected",
        /// Approved, but the action could no longer be applied (see `note`).
        Failed = 3 => "failed",
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proposal {
    pub id: RecordId,
    pub action: Action,
    pub proposer: KeyBytes,
    pub proposer_org: OrgId,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub yes: List<OrgId, MAX_ORGS>,
    pub no: List<OrgId, MAX_ORGS>,
    pub status: ProposalStatus,
    pub note: Title,
}
wire_struct!(Proposal {
    id,
    action,
    proposer,
    proposer_org,
    created_at,
    expires_at,
    yes,
    no,
    status,
    note
});

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Channel {
    pub id: ChannelId,
    pub members: List<OrgId, MAX_ORGS>,
    /// Quota: transactions of this channel in one block (0 = unlimited).
    pub max_txs_per_block: u32,
    /// Quota: bytes of channel records in the state (0 = unlimited).
    pub max_bytes: u64,
    pub bytes_used: u64,
    pub created_at: Timestamp,
}
wire_struct!(Channel {
    id,
    members,
    max_txs_per_block,
    max_bytes,
    bytes_used,
    created_at
});

/// Per-block usage of a channel's transaction quota.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChannelUsage {
    pub height: u64,
    pub txs: u32,
}
wire_struct!(ChannelUsage { height, txs });

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Duty {
    pub id: DutyId,
    pub org: OrgId,
    pub title: Title,
    pub legal_basis: LongText,
    pub declared_at: Timestamp,
}
wire_struct!(Duty {
    id,
    org,
    title,
    legal_basis,
    declared_at
});

/// One published version of a catalog item; every version is kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemVersion {
    pub id: ItemId,
    pub version: u32,
    pub org: OrgId,
    pub publisher: KeyBytes,
    pub published_at: Timestamp,
    pub title: Title,
    pub description: LongText,
    pub duties: List<DutyId, MAX_ITEM_DUTIES>,
    pub fields: List<FieldSpec, MAX_FIELDS>,
    pub share_class: ShareClass,
    pub open_class: OpenClass,
    pub update_frequency: UpdateFrequency,
    pub format: Ident,
}
wire_struct!(ItemVersion {
    id,
    version,
    org,
    publisher,
    published_at,
    title,
    description,
    duties,
    fields,
    share_class,
    open_class,
    update_frequency,
    format
});

impl ItemVersion {
    pub fn has_field(&self, name: &Ident) -> bool {
        self.fields.iter().any(|f| &f.name == name)
    }
}

/// The current state of a catalog item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    /// First on the wire, so [Item::read_retired] needs only this prefix.
    pub retired: Option<Revocation>,
    pub current: ItemVersion,
}
wire_struct!(Item { retired, current });

impl Item {
    /// Whether an encoded item is retired, without decoding the rest of it:
    /// every access checks this.
    pub fn read_retired(encoded: &[u8]) -> Result<bool, Error> {
        let mut buf = commonware_codec::Copying(encoded);
        Ok(Option::<Revocation>::read(&mut buf)?.is_some())
    }
}

wire_enum! {
    pub enum RequestStatus {
        Pending = 0 => "pending",
        Approved = 1 => "approved",
        Denied = 2 => "denied",
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub id: RecordId,
    pub item: ItemId,
    pub item_version: u32,
    pub owner_org: OrgId,
    pub consumer_org: OrgId,
    pub requester: KeyBytes,
    pub fields: Fields,
    pub purpose: Title,
    pub requester_duty: DutyId,
    pub valid_for_ms: u64,
    pub requested_at: Timestamp,
    pub status: RequestStatus,
    pub decided_by: Option<KeyBytes>,
    pub reason: Title,
}
wire_struct!(Request {
    id,
    item,
    item_version,
    owner_org,
    consumer_org,
    requester,
    fields,
    purpose,
    requester_duty,
    valid_for_ms,
    requested_at,
    status,
    decided_by,
    reason
});

/// A grant, named by the request it answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Permission {
    pub id: RecordId,
    pub item: ItemId,
    pub owner_org: OrgId,
    pub consumer_org: OrgId,
    pub fields: Fields,
    pub purpose: Title,
    pub requester_duty: DutyId,
    pub granted_at: Timestamp,
    pub expires_at: Timestamp,
    pub revoked: Option<Revocation>,
}
wire_struct!(Permission {
    id,
    item,
    owner_org,
    consumer_org,
    fields,
    purpose,
    requester_duty,
    granted_at,
    expires_at,
    revoked
});

impl Permission {
    pub fn is_live(&self, now: Timestamp) -> bool {
        self.revoked.is_none() && now < self.expires_at
    }
}

wire_enum! {
    /// Why an access attempt was refused. The attempt is recorded all the same.
    pub enum Refusal {
        UnknownPermission = 0 => "unknown-permission",
        Expired = 1 => "expired",
        Revoked = 2 => "revoked",
        FieldsNotPermitted = 3 => "fields-not-permitted",
        NotParty = 4 => "not-party",
        ItemRetired = 5 => "item-retired",
        /// The requester is not a live member of the consumer organisation.
        NotConsumer = 6 => "not-consumer",
        /// The request was for another item than the permission covers.
        WrongItem = 7 => "wrong-item",
    }
}

/// One data exchange, or one refused attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessRecord {
    pub id: RecordId,
    pub permission: RecordId,
    pub recorder: KeyBytes,
    pub recorder_org: OrgId,
    /// The consumer key that asked: named by a gateway, or the recorder
    /// itself when a consumer records.
    pub requester: Option<KeyBytes>,
    /// The permission's parties, when the permission exists.
    pub owner_org: Option<OrgId>,
    pub consumer_org: Option<OrgId>,
    pub item: Option<ItemId>,
    pub subject_refs: List<SubjectRef, MAX_SUBJECTS_PER_ACCESS>,
    pub fields: Fields,
    pub query_digest: Digest,
    pub response_digest: Digest,
    pub record_count: u32,
    pub height: u64,
    pub at: Timestamp,
    /// `None` when the access was within a live permission.
    pub refusal: Option<Refusal>,
}
wire_struct!(AccessRecord {
    id,
    permission,
    recorder,
    recorder_org,
    requester,
    owner_org,
    consumer_org,
    item,
    subject_refs,
    fields,
    query_digest,
    response_digest,
    record_count,
    height,
    at,
    refusal
});

/// An access record as the access log holds it: the record and the channel
/// it was recorded in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoggedAccess {
    pub channel: ChannelId,
    pub record: AccessRecord,
}
wire_struct!(LoggedAccess { channel, record });

/// The state's commitment to the access log, rewritten by every block that
/// appends to it: the log's size (operations, its block-closing commits
/// included) and its Merkle root. A proof of this value against a block's
/// state root, and of a record against `root`, proves the record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccessLogHead {
    pub size: u64,
    pub root: Digest,
}
wire_struct!(AccessLogHead { size, root });

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotaryRecord {
    pub digest: Digest,
    pub kind: Ident,
    pub meta: Text<MAX_META_BYTES>,
    pub org: OrgId,
    pub signer: KeyBytes,
    pub tx: RecordId,
    pub height: u64,
    pub at: Timestamp,
}
wire_struct!(NotaryRecord {
    digest,
    kind,
    meta,
    org,
    signer,
    tx,
    height,
    at
});

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Appraisal {
    pub value: u64,
    pub currency: Ident,
    pub method: Title,
    pub appraiser_org: OrgId,
    pub at: Timestamp,
}
wire_struct!(Appraisal {
    value,
    currency,
    method,
    appraiser_org,
    at
});

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Licence {
    pub licensee: OrgId,
    pub terms: LongText,
    pub granted_at: Timestamp,
    pub expires_at: Timestamp,
}
wire_struct!(Licence {
    licensee,
    terms,
    granted_at,
    expires_at
});

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Asset {
    pub id: AssetId,
    pub name: Title,
    pub description: LongText,
    pub item: Option<ItemId>,
    pub owner_org: OrgId,
    pub registered_at: Timestamp,
    pub appraisal: Option<Appraisal>,
    /// Number of entries in the asset's history (see [AssetEvent]).
    pub events: u32,
}
wire_struct!(Asset {
    id,
    name,
    description,
    item,
    owner_org,
    registered_at,
    appraisal,
    events
});

/// One entry of an asset's history, stored under (asset, sequence number).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AssetEvent {
    Registered {
        owner_org: OrgId,
        at: Timestamp,
    },
    Appraised(Appraisal),
    Transferred {
        from: OrgId,
        to: OrgId,
        at: Timestamp,
    },
    Licensed(Licence),
}

impl Write for AssetEvent {
    fn write(&self, buf: &mut impl BufMut) {
        match self {
            AssetEvent::Registered { owner_org, at } => {
                buf.put_u8(0);
                owner_org.write(buf);
                at.write(buf);
            }
            AssetEvent::Appraised(a) => {
                buf.put_u8(1);
                a.write(buf);
            }
            AssetEvent::Transferred { from, to, at } => {
                buf.put_u8(2);
                from.write(buf);
                to.write(buf);
                at.write(buf);
            }
            AssetEvent::Licensed(l) => {
                buf.put_u8(3);
                l.write(buf);
            }
        }
    }
}

impl EncodeSize for AssetEvent {
    fn encode_size(&self) -> usize {
        1 + match self {
            AssetEvent::Registered { owner_org, at } => owner_org.encode_size() + at.encode_size(),
            AssetEvent::Appraised(a) => a.encode_size(),
            AssetEvent::Transferred { from, to, at } => {
                from.encode_size() + to.encode_size() + at.encode_size()
            }
            AssetEvent::Licensed(l) => l.encode_size(),
        }
    }
}

impl Read for AssetEvent {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        Ok(match u8::read(buf)? {
            0 => AssetEvent::Registered {
                owner_org: ReadExt::read(buf)?,
                at: ReadExt::read(buf)?,
            },
            1 => AssetEvent::Appraised(ReadExt::read(buf)?),
            2 => AssetEvent::Transferred {
                from: ReadExt::read(buf)?,
                to: ReadExt::read(buf)?,
                at: ReadExt::read(buf)?,
            },
            3 => AssetEvent::Licensed(ReadExt::read(buf)?),
            other => return Err(Error::InvalidEnum(other)),
        })
    }
}
