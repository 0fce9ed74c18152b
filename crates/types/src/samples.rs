//! One well-formed payload of every transaction kind: seeds for codec tests,
//! fuzzing corpora and benchmarks.

use crate::{
    bounded::{Ident, List, Text},
    domain::{FieldSpec, FieldType, OpenClass, Role, Sensitivity, ShareClass, UpdateFrequency},
    ids::{PrivateKey, sha256},
    tx::*,
};
use commonware_cryptography::Signer;

fn id(s: &str) -> Ident {
    Ident::new(s).expect("sample identifier")
}

fn text<const N: usize>(s: &str) -> Text<N> {
    Text::new(s).expect("sample text")
}

pub fn payloads() -> Vec<Payload> {
    let key = PrivateKey::from_seed(1).public_key();
    let digest = sha256(&[b"sample"]);
    vec![
        Propose {
            action: Action::CreateChannel {
                channel: id("research"),
                members: List::new(vec![id("health"), id("police")]).expect("fits"),
                max_txs_per_block: 100,
                max_bytes: 1 << 30,
            },
        }
        .into(),
        Vote {
            proposal: digest,
            approve: true,
        }
        .into(),
        Enroll {
            org: id("health"),
            member_key: key.clone(),
            role: Role::Steward,
            expires_at: 1_800_000_000_000,
        }
        .into(),
        RevokeMember {
            member_key: key.clone(),
            reason: text("left the agency"),
        }
        .into(),
        RotateKey { new_key: key }.into(),
        DeclareDuty {
            id: id("health/vaccination"),
            title: text("Vaccination programme"),
            legal_basis: text("Infection Protection Act §20"),
        }
        .into(),
        PublishCatalogItem {
            id: id("health/births"),
            title: text("Births by district"),
            description: text("Monthly registered births."),
            duties: List::new(vec![id("health/vaccination")]).expect("fits"),
            fields: List::new(vec![FieldSpec {
                name: id("district"),
                field_type: FieldType::Text,
                sensitivity: Sensitivity::Public,
            }])
            .expect("fits"),
            share_class: ShareClass::Conditional,
            open_class: OpenClass::Closed,
            update_frequency: UpdateFrequency::Monthly,
            format: id("JSON"),
            version: 1,
        }
        .into(),
        RetireCatalogItem {
            id: id("health/births"),
            reason: text("superseded"),
        }
        .into(),
        RequestAccess {
            item: id("health/births"),
            fields: List::new(vec![id("district")]).expect("fits"),
            purpose: text("Follow-up"),
            requester_duty: id("police/investigation"),
            valid_for_ms: 86_400_000,
        }
        .into(),
        DecideAccess {
            request: digest,
            approve: false,
            reason: text("no legal basis"),
            expires_at: 0,
        }
        .into(),
        RevokePermission {
            permission: digest,
            reason: text("closed"),
        }
        .into(),
        RecordAccess {
            permission: digest,
            subject_refs: List::new(vec![digest, sha256(&[b"other"])]).expect("fits"),
            fields: List::new(vec![id("district")]).expect("fits"),
            query_digest: digest,
            response_digest: digest,
            record_count: 2,
            requester: None,
            refusal: None,
        }
        .into(),
        Notarize {
            digest,
            kind: id("contract"),
            meta: text("Lease 2026-07"),
        }
        .into(),
        RegisterAsset {
            id: id("asset/births"),
            name: text("Births dataset"),
            description: text(""),
            item: Some(id("health/births")),
        }
        .into(),
        AppraiseAsset {
            asset: id("asset/births"),
            value: 1_000_000,
            currency: id("EUR"),
            method: text("cost"),
        }
        .into(),
        TransferAsset {
            asset: id("asset/births"),
            to: id("police"),
        }
        .into(),
        LicenseAsset {
            asset: id("asset/births"),
            licensee: id("tax"),
            terms: text("statistics only"),
            expires_at: 1_800_000_000_000,
        }
        .into(),
    ]
}

/// Every sample payload as a signed transaction.
pub fn signed_txs() -> Vec<SignedTx> {
    let key = PrivateKey::from_seed(7);
    payloads()
        .into_iter()
        .enumerate()
        .map(|(nonce, payload)| {
            Transaction {
                chain_id: id("dirchain-samples"),
                channel: id("main"),
                signer: key.public_key(),
                nonce: nonce as u64,
                payload,
            }
            .sign(&key)
        })
        .collect()
}
