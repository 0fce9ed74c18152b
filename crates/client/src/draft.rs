//! Payloads as people and files write them: plain strings, hex and labels,
//! one draft per transaction kind. [Draft::build] checks every field against
//! the wire format's limits and names the first one that does not fit.
//!
//! Drafts are serde documents (field names as in the payload, enums as their
//! labels, digests and keys as hex), so a bulk import can read them straight
//! from JSON and report a bad row without stopping the good ones.

use crate::input::{self, FieldError};
use dirchain_types::{
    domain::{FieldSpec, FieldType, OpenClass, Role, Sensitivity, ShareClass, UpdateFrequency},
    ids::key_bytes,
    limits::{MAX_FIELDS, MAX_ITEM_DUTIES, MAX_META_BYTES, MAX_ORGS, MAX_SUBJECTS_PER_ACCESS},
    records::Refusal,
    tx::{
        Action, AppraiseAsset, DecideAccess, DeclareDuty, Enroll, LicenseAsset, LongText, Notarize,
        Param, Payload, Propose, PublishCatalogItem, RecordAccess, RegisterAsset, RequestAccess,
        RetireCatalogItem, RevokeMember, RevokePermission, RotateKey, Title, TransferAsset, Vote,
    },
};
use serde::{Deserialize, Serialize};

/// An unchecked payload of one kind.
pub trait Draft {
    type Payload: Into<Payload>;

    /// The payload, or the first field that does not fit.
    fn build(&self) -> Result<Self::Payload, FieldError>;
}

fn title(field: &str, value: &str) -> Result<Title, FieldError> {
    input::text(field, value)
}

fn long_text(field: &str, value: &str) -> Result<LongText, FieldError> {
    input::text(field, value)
}

/// Declares the draft struct of a payload: every field public, serde with
/// unknown fields refused (a misspelt column is an error, not a silent default).
macro_rules! draft {
    ($(#[$meta:meta])* $name:ident { $($(#[$fmeta:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $name { $($(#[$fmeta])* pub $field: $ty),* }
    };
}

/// A change of the consortium, for [ProposeDraft]; tagged by `action`
/// (`{"action": "add_org", "org": ..., "name": ..., "admin_key": ...}`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum ActionDraft {
    AddOrg {
        org: String,
        name: String,
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
    /// `param` is a [Param] label: `proposal-ttl-ms`, `max-permission-validity-ms`.
    SetParam {
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

impl ActionDraft {
    pub fn build(&self) -> Result<Action, FieldError> {
        Ok(match self {
            ActionDraft::AddOrg {
                org,
                name,
                admin_key,
            } => Action::AddOrg {
                org: input::ident("org", org)?,
                name: title("name", name)?,
                admin_key: input::public_key("admin_key", admin_key)?,
            },
            ActionDraft::RemoveOrg { org } => Action::RemoveOrg {
                org: input::ident("org", org)?,
            },
            ActionDraft::AddValidator { key } => Action::AddValidator {
                key: input::public_key("key", key)?,
            },
            ActionDraft::RemoveValidator { key } => Action::RemoveValidator {
                key: input::public_key("key", key)?,
            },
            ActionDraft::SetThreshold { threshold } => Action::SetThreshold {
                threshold: *threshold,
            },
            ActionDraft::SetParam { param, value } => Action::SetParam {
                param: input::label("param", param, Param::ALL, Param::label)?,
                value: *value,
            },
            ActionDraft::CreateChannel {
                channel,
                members,
                max_txs_per_block,
                max_bytes,
            } => Action::CreateChannel {
                channel: input::ident("channel", channel)?,
                members: input::idents::<MAX_ORGS>("members", members)?,
                max_txs_per_block: *max_txs_per_block,
                max_bytes: *max_bytes,
            },
        })
    }
}

draft!(
    /// Put a change of the consortium to a vote.
    ProposeDraft { action: Option<ActionDraft> }
);

impl Draft for ProposeDraft {
    type Payload = Propose;
    fn build(&self) -> Result<Propose, FieldError> {
        let action = self.action.as_ref().ok_or_else(|| FieldError::Empty {
            field: "action".into(),
        })?;
        Ok(Propose {
            action: action.build()?,
        })
    }
}

draft!(
    /// An organisation's vote on a proposal (its id in hex).
    VoteDraft { proposal: String, approve: bool }
);

impl Draft for VoteDraft {
    type Payload = Vote;
    fn build(&self) -> Result<Vote, FieldError> {
        Ok(Vote {
            proposal: input::digest("proposal", &self.proposal)?,
            approve: self.approve,
        })
    }
}

draft!(
    /// Admit a key to an organisation; `role` is a [Role] label.
    EnrollDraft { org: String, member_key: String, role: String, expires_at: u64 }
);

impl Draft for EnrollDraft {
    type Payload = Enroll;
    fn build(&self) -> Result<Enroll, FieldError> {
        Ok(Enroll {
            org: input::ident("org", &self.org)?,
            member_key: input::public_key("member_key", &self.member_key)?,
            role: input::label("role", &self.role, Role::ALL, Role::label)?,
            expires_at: self.expires_at,
        })
    }
}

draft!(RevokeMemberDraft {
    member_key: String,
    reason: String
});

impl Draft for RevokeMemberDraft {
    type Payload = RevokeMember;
    fn build(&self) -> Result<RevokeMember, FieldError> {
        Ok(RevokeMember {
            member_key: input::public_key("member_key", &self.member_key)?,
            reason: title("reason", &self.reason)?,
        })
    }
}

draft!(RotateKeyDraft { new_key: String });

impl Draft for RotateKeyDraft {
    type Payload = RotateKey;
    fn build(&self) -> Result<RotateKey, FieldError> {
        Ok(RotateKey {
            new_key: input::public_key("new_key", &self.new_key)?,
        })
    }
}

draft!(DeclareDutyDraft {
    id: String,
    title: String,
    legal_basis: String
});

impl Draft for DeclareDutyDraft {
    type Payload = DeclareDuty;
    fn build(&self) -> Result<DeclareDuty, FieldError> {
        Ok(DeclareDuty {
            id: input::ident("id", &self.id)?,
            title: title("title", &self.title)?,
            legal_basis: long_text("legal_basis", &self.legal_basis)?,
        })
    }
}

draft!(
    /// One column of a catalog item; `field_type` is a [FieldType] label,
    /// `sensitivity` a [Sensitivity] label.
    FieldDraft { name: String, field_type: String, sensitivity: String }
);

impl FieldDraft {
    /// `field` names the column in errors (`fields[3]`).
    fn build(&self, field: &str) -> Result<FieldSpec, FieldError> {
        Ok(FieldSpec {
            name: input::ident(&format!("{field}.name"), &self.name)?,
            field_type: input::label(
                &format!("{field}.field_type"),
                &self.field_type,
                FieldType::ALL,
                FieldType::label,
            )?,
            sensitivity: input::label(
                &format!("{field}.sensitivity"),
                &self.sensitivity,
                Sensitivity::ALL,
                Sensitivity::label,
            )?,
        })
    }
}

draft!(
    /// Publish a catalog item or a new version of it. `share_class`,
    /// `open_class` and `update_frequency` are labels of [ShareClass],
    /// [OpenClass] and [UpdateFrequency].
    PublishItemDraft {
        id: String,
        title: String,
        description: String,
        duties: Vec<String>,
        fields: Vec<FieldDraft>,
        share_class: String,
        open_class: String,
        update_frequency: String,
        format: String,
        version: u32,
    }
);

impl Draft for PublishItemDraft {
    type Payload = PublishCatalogItem;
    fn build(&self) -> Result<PublishCatalogItem, FieldError> {
        if self.fields.len() > MAX_FIELDS {
            return Err(FieldError::TooMany {
                field: "fields".into(),
                len: self.fields.len(),
                max: MAX_FIELDS,
            });
        }
        let fields = self
            .fields
            .iter()
            .enumerate()
            .map(|(i, f)| f.build(&format!("fields[{i}]")))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(PublishCatalogItem {
            id: input::ident("id", &self.id)?,
            title: title("title", &self.title)?,
            description: long_text("description", &self.description)?,
            duties: input::idents::<MAX_ITEM_DUTIES>("duties", &self.duties)?,
            fields: input::list("fields", fields)?,
            share_class: input::label(
                "share_class",
                &self.share_class,
                ShareClass::ALL,
                ShareClass::label,
            )?,
            open_class: input::label(
                "open_class",
                &self.open_class,
                OpenClass::ALL,
                OpenClass::label,
            )?,
            update_frequency: input::label(
                "update_frequency",
                &self.update_frequency,
                UpdateFrequency::ALL,
                UpdateFrequency::label,
            )?,
            format: input::ident("format", &self.format)?,
            version: self.version,
        })
    }
}

draft!(RetireItemDraft {
    id: String,
    reason: String
});

impl Draft for RetireItemDraft {
    type Payload = RetireCatalogItem;
    fn build(&self) -> Result<RetireCatalogItem, FieldError> {
        Ok(RetireCatalogItem {
            id: input::ident("id", &self.id)?,
            reason: title("reason", &self.reason)?,
        })
    }
}

draft!(RequestAccessDraft {
    item: String,
    fields: Vec<String>,
    purpose: String,
    requester_duty: String,
    valid_for_ms: u64,
});

impl Draft for RequestAccessDraft {
    type Payload = RequestAccess;
    fn build(&self) -> Result<RequestAccess, FieldError> {
        Ok(RequestAccess {
            item: input::ident("item", &self.item)?,
            fields: input::idents("fields", &self.fields)?,
            purpose: title("purpose", &self.purpose)?,
            requester_duty: input::ident("requester_duty", &self.requester_duty)?,
            valid_for_ms: self.valid_for_ms,
        })
    }
}

draft!(DecideAccessDraft {
    request: String,
    approve: bool,
    reason: String,
    expires_at: u64,
});

impl Draft for DecideAccessDraft {
    type Payload = DecideAccess;
    fn build(&self) -> Result<DecideAccess, FieldError> {
        Ok(DecideAccess {
            request: input::digest("request", &self.request)?,
            approve: self.approve,
            reason: title("reason", &self.reason)?,
            expires_at: self.expires_at,
        })
    }
}

draft!(RevokePermissionDraft {
    permission: String,
    reason: String
});

impl Draft for RevokePermissionDraft {
    type Payload = RevokePermission;
    fn build(&self) -> Result<RevokePermission, FieldError> {
        Ok(RevokePermission {
            permission: input::digest("permission", &self.permission)?,
            reason: title("reason", &self.reason)?,
        })
    }
}

draft!(
    /// One exchange of data under a permission: pseudonyms (`subject_refs`,
    /// hex) and digests only, never the data or a raw identifier.
    RecordAccessDraft {
        permission: String,
        subject_refs: Vec<String>,
        fields: Vec<String>,
        query_digest: String,
        response_digest: String,
        record_count: u32,
        /// A gateway names the consumer key that asked (hex).
        #[serde(default)]
        requester: Option<String>,
        /// Set when the recorder refused before serving: a refusal label
        /// (`expired`, `not-consumer`, ...).
        #[serde(default)]
        refusal: Option<String>,
    }
);

impl Draft for RecordAccessDraft {
    type Payload = RecordAccess;
    fn build(&self) -> Result<RecordAccess, FieldError> {
        Ok(RecordAccess {
            permission: input::digest("permission", &self.permission)?,
            subject_refs: input::digests::<MAX_SUBJECTS_PER_ACCESS>(
                "subject_refs",
                &self.subject_refs,
            )?,
            fields: input::idents("fields", &self.fields)?,
            query_digest: input::digest("query_digest", &self.query_digest)?,
            response_digest: input::digest("response_digest", &self.response_digest)?,
            record_count: self.record_count,
            requester: self
                .requester
                .as_deref()
                .map(|key| input::public_key("requester", key).map(|k| key_bytes(&k)))
                .transpose()?,
            refusal: self
                .refusal
                .as_deref()
                .map(|r| input::label("refusal", r, Refusal::ALL, Refusal::label))
                .transpose()?,
        })
    }
}

draft!(
    /// Anchor a document digest (hex; see [crate::notary::hash_file]).
    NotarizeDraft { digest: String, kind: String, meta: String }
);

impl Draft for NotarizeDraft {
    type Payload = Notarize;
    fn build(&self) -> Result<Notarize, FieldError> {
        Ok(Notarize {
            digest: input::digest("digest", &self.digest)?,
            kind: input::ident("kind", &self.kind)?,
            meta: input::text::<MAX_META_BYTES>("meta", &self.meta)?,
        })
    }
}

draft!(RegisterAssetDraft {
    id: String,
    name: String,
    description: String,
    #[serde(default)]
    item: Option<String>,
});

impl Draft for RegisterAssetDraft {
    type Payload = RegisterAsset;
    fn build(&self) -> Result<RegisterAsset, FieldError> {
        Ok(RegisterAsset {
            id: input::ident("id", &self.id)?,
            name: title("name", &self.name)?,
            description: long_text("description", &self.description)?,
            item: self
                .item
                .as_deref()
                .map(|item| input::ident("item", item))
                .transpose()?,
        })
    }
}

draft!(
    /// `value` in minor units of `currency` (cents for EUR).
    AppraiseAssetDraft { asset: String, value: u64, currency: String, method: String }
);

impl Draft for AppraiseAssetDraft {
    type Payload = AppraiseAsset;
    fn build(&self) -> Result<AppraiseAsset, FieldError> {
        Ok(AppraiseAsset {
            asset: input::ident("asset", &self.asset)?,
            value: self.value,
            currency: input::ident("currency", &self.currency)?,
            method: title("method", &self.method)?,
        })
    }
}

draft!(TransferAssetDraft {
    asset: String,
    to: String
});

impl Draft for TransferAssetDraft {
    type Payload = TransferAsset;
    fn build(&self) -> Result<TransferAsset, FieldError> {
        Ok(TransferAsset {
            asset: input::ident("asset", &self.asset)?,
            to: input::ident("to", &self.to)?,
        })
    }
}

draft!(LicenseAssetDraft {
    asset: String,
    licensee: String,
    terms: String,
    expires_at: u64,
});

impl Draft for LicenseAssetDraft {
    type Payload = LicenseAsset;
    fn build(&self) -> Result<LicenseAsset, FieldError> {
        Ok(LicenseAsset {
            asset: input::ident("asset", &self.asset)?,
            licensee: input::ident("licensee", &self.licensee)?,
            terms: long_text("terms", &self.terms)?,
            expires_at: self.expires_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_cryptography::Signer as _;
    use dirchain_types::{
        ids::{PrivateKey, sha256},
        limits::{MAX_TEXT_BYTES, MAX_TITLE_BYTES},
        tx::TxKind,
    };
    use std::collections::BTreeSet;

    fn hex_digest(seed: &[u8]) -> String {
        sha256(&[seed]).to_string()
    }

    fn key_hex(seed: u64) -> String {
        PrivateKey::from_seed(seed).public_key().to_string()
    }

    fn item() -> PublishItemDraft {
        PublishItemDraft {
            id: "health/births".into(),
            title: "Births".into(),
            description: "Registered births".into(),
            duties: vec!["health/statistics".into()],
            fields: vec![FieldDraft {
                name: "birth_date".into(),
                field_type: "date".into(),
                sensitivity: "personal".into(),
            }],
            share_class: "conditional".into(),
            open_class: "closed".into(),
            update_frequency: "monthly".into(),
            format: "csv".into(),
            version: 1,
        }
    }

    /// One good draft of every kind, built.
    fn every_kind() -> Vec<Payload> {
        vec![
            ProposeDraft {
                action: Some(ActionDraft::AddOrg {
                    org: "culture".into(),
                    name: "Culture".into(),
                    admin_key: key_hex(1),
                }),
            }
            .build()
            .unwrap()
            .into(),
            VoteDraft {
                proposal: hex_digest(b"p"),
                approve: true,
            }
            .build()
            .unwrap()
            .into(),
            EnrollDraft {
                org: "health".into(),
                member_key: key_hex(2),
                role: "steward".into(),
                expires_at: 1,
            }
            .build()
            .unwrap()
            .into(),
            RevokeMemberDraft {
                member_key: key_hex(2),
                reason: "left".into(),
            }
            .build()
            .unwrap()
            .into(),
            RotateKeyDraft {
                new_key: key_hex(3),
            }
            .build()
            .unwrap()
            .into(),
            DeclareDutyDraft {
                id: "health/statistics".into(),
                title: "Statistics".into(),
                legal_basis: "Act 1".into(),
            }
            .build()
            .unwrap()
            .into(),
            item().build().unwrap().into(),
            RetireItemDraft {
                id: "health/births".into(),
                reason: "replaced".into(),
            }
            .build()
            .unwrap()
            .into(),
            RequestAccessDraft {
                item: "health/births".into(),
                fields: vec!["birth_date".into()],
                purpose: "planning".into(),
                requester_duty: "tax/planning".into(),
                valid_for_ms: 1000,
            }
            .build()
            .unwrap()
            .into(),
            DecideAccessDraft {
                request: hex_digest(b"r"),
                approve: true,
                reason: "ok".into(),
                expires_at: 5,
            }
            .build()
            .unwrap()
            .into(),
            RevokePermissionDraft {
                permission: hex_digest(b"perm"),
                reason: "misuse".into(),
            }
            .build()
            .unwrap()
            .into(),
            RecordAccessDraft {
                permission: hex_digest(b"perm"),
                subject_refs: vec![hex_digest(b"s1"), hex_digest(b"s2")],
                fields: vec!["birth_date".into()],
                query_digest: hex_digest(b"q"),
                response_digest: hex_digest(b"a"),
                record_count: 2,
                requester: None,
                refusal: Some("not-consumer".into()),
            }
            .build()
            .unwrap()
            .into(),
            NotarizeDraft {
                digest: hex_digest(b"doc"),
                kind: "contract".into(),
                meta: "{}".into(),
            }
            .build()
            .unwrap()
            .into(),
            RegisterAssetDraft {
                id: "asset-1".into(),
                name: "Births dataset".into(),
                description: String::new(),
                item: Some("health/births".into()),
            }
            .build()
            .unwrap()
            .into(),
            AppraiseAssetDraft {
                asset: "asset-1".into(),
                value: 100_000,
                currency: "EUR".into(),
                method: "cost".into(),
            }
            .build()
            .unwrap()
            .into(),
            TransferAssetDraft {
                asset: "asset-1".into(),
                to: "tax".into(),
            }
            .build()
            .unwrap()
            .into(),
            LicenseAssetDraft {
                asset: "asset-1".into(),
                licensee: "police".into(),
                terms: "internal use".into(),
                expires_at: 9,
            }
            .build()
            .unwrap()
            .into(),
        ]
    }

    #[test]
    fn every_kind_has_a_draft() {
        let kinds: BTreeSet<TxKind> = every_kind().iter().map(Payload::kind).collect();
        assert_eq!(kinds.len(), TxKind::ALL.len());
    }

    #[test]
    fn every_action_builds() {
        let actions = [
            ActionDraft::RemoveOrg { org: "tax".into() },
            ActionDraft::AddValidator { key: key_hex(4) },
            ActionDraft::RemoveValidator { key: key_hex(4) },
            ActionDraft::SetThreshold { threshold: 2 },
            ActionDraft::SetParam {
                param: "proposal-ttl-ms".into(),
                value: 10,
            },
            ActionDraft::CreateChannel {
                channel: "research".into(),
                members: vec!["health".into(), "tax".into()],
                max_txs_per_block: 10,
                max_bytes: 1 << 20,
            },
        ];
        for action in actions {
            action.build().unwrap();
        }
        assert!(matches!(
            ProposeDraft { action: None }.build(),
            Err(FieldError::Empty { field }) if field == "action"
        ));
    }

    #[test]
    fn the_first_bad_field_is_named_with_its_limit() {
        let mut draft = item();
        draft.title = "t".repeat(300);
        assert_eq!(
            draft.build().unwrap_err().to_string(),
            format!("title is 300 bytes; at most {MAX_TITLE_BYTES}")
        );
        let mut draft = item();
        draft.description = "d".repeat(MAX_TEXT_BYTES + 1);
        assert_eq!(draft.build().unwrap_err().field(), "description");
        let mut draft = item();
        draft.fields[0].sensitivity = "secret".into();
        assert_eq!(draft.build().unwrap_err().field(), "fields[0].sensitivity");
        let mut draft = item();
        draft.share_class = "sometimes".into();
        assert_eq!(
            draft.build().unwrap_err().to_string(),
            "share_class \"sometimes\" is not one of: unconditional, conditional, none"
        );
        let mut draft = item();
        draft.duties = vec!["d".into(); MAX_ITEM_DUTIES + 1];
        assert!(matches!(draft.build(), Err(FieldError::TooMany { .. })));
        let bad_key = EnrollDraft {
            org: "health".into(),
            member_key: "abcd".into(),
            role: "steward".into(),
            expires_at: 1,
        };
        assert_eq!(bad_key.build().unwrap_err().field(), "member_key");
    }

    #[test]
    fn drafts_read_from_json_and_refuse_unknown_fields() {
        let json = serde_json::to_string(&item()).unwrap();
        let read: PublishItemDraft = serde_json::from_str(&json).unwrap();
        assert_eq!(read, item());
        let typo = json.replace("\"title\"", "\"titel\"");
        assert!(serde_json::from_str::<PublishItemDraft>(&typo).is_err());
        let action: ActionDraft =
            serde_json::from_str(r#"{"action": "set_threshold", "threshold": 3}"#).unwrap();
        assert_eq!(action, ActionDraft::SetThreshold { threshold: 3 });
        let asset: RegisterAssetDraft =
            serde_json::from_str(r#"{"id": "a", "name": "A", "description": ""}"#).unwrap();
        assert_eq!(asset.item, None);
    }
}
