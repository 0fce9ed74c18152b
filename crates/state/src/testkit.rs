//! A small consortium in memory, for tests, property tests and benchmarks:
//! named keys, a genesis, and one-transaction blocks applied to a plain map.

use crate::{
    error::TxError,
    exec::{BlockWrites, Executor, Outcome, VerifiedTx, verify_txs},
    genesis::genesis_writes,
};
use commonware_codec::{DecodeExt, Read};
use commonware_cryptography::Signer;
use dirchain_types::{
    block::BlockContext,
    bounded::{Ident, List, Text},
    domain::{FieldSpec, FieldType, OpenClass, Role, Sensitivity, ShareClass, UpdateFrequency},
    genesis::{Genesis, GenesisOrg},
    ids::{Digest, PrivateKey, PublicKey, sha256, system_channel},
    keys::{self, StateKey},
    records::{Account, LoggedAccess, Params},
    tx::{
        DeclareDuty, Enroll, Payload, PublishCatalogItem, RecordAccess, RequestAccess, SignedTx,
        Transaction,
    },
};
use std::collections::BTreeMap;

pub const CHAIN_ID: &str = "dirchain-test";
pub const GENESIS_TIME: u64 = 1_700_000_000_000;
pub const HOUR_MS: u64 = 60 * 60 * 1000;
/// The organisations of the test consortium; two of three decide.
pub const ORGS: [&str; 3] = ["health", "police", "tax"];

pub fn id(s: &str) -> Ident {
    Ident::new(s).expect("test identifier")
}

pub fn text<const N: usize>(s: &str) -> Text<N> {
    Text::new(s).expect("test text")
}

pub fn list<T, const N: usize>(items: Vec<T>) -> List<T, N> {
    List::new(items).expect("test list")
}

pub fn fields(names: &[&str]) -> List<Ident, { dirchain_types::limits::MAX_FIELDS }> {
    list(names.iter().map(|n| id(n)).collect())
}

/// Deterministic key for a name, so runs are reproducible.
pub fn key_for(name: &str) -> PrivateKey {
    let seed = u64::from_be_bytes(
        sha256(&[name.as_bytes()]).0[..8]
            .try_into()
            .expect("8 bytes"),
    );
    PrivateKey::from_seed(seed)
}

pub fn genesis() -> Genesis {
    Genesis {
        chain_id: id(CHAIN_ID),
        timestamp_ms: GENESIS_TIME,
        orgs: list(
            ORGS.iter()
                .map(|org| GenesisOrg {
                    id: id(org),
                    name: text(&format!("Agency {org}")),
                    admin_key: key_for(&format!("{org}.admin")).public_key(),
                })
                .collect(),
        ),
        validators: list(vec![key_for("validator-0").public_key()]),
        threshold: 2,
        params: Params::default(),
    }
}

/// Per transaction: its hash and outcome, or why it was refused.
pub type TxResults = Vec<Result<(Digest, Outcome), TxError>>;

pub struct World {
    pub state: BTreeMap<StateKey, Vec<u8>>,
    /// The access log's records, in order (without the log's block-closing commits).
    pub access_log: Vec<LoggedAccess>,
    pub height: u64,
    pub now: u64,
}

impl Default for World {
    fn default() -> Self {
        Self::new()
    }
}

impl World {
    /// Genesis only: three organisations with their admins.
    pub fn new() -> Self {
        let mut state = BTreeMap::new();
        for (k, v) in genesis_writes(&genesis()).expect("valid genesis") {
            state.insert(k, v.expect("genesis only sets"));
        }
        Self {
            state,
            access_log: Vec::new(),
            height: 0,
            now: GENESIS_TIME,
        }
    }

    /// Members with every role, two duties and three catalog items:
    /// `health/births` (conditional, with personal fields),
    /// `health/stats` (unconditional) and `health/secret` (not shared).
    pub fn standard() -> Self {
        let mut w = Self::new();
        for org in ORGS {
            for role in Role::ALL.iter().filter(|r| **r != Role::Admin) {
                w.enroll(org, role.label(), *role);
            }
        }
        w.ok("health.publisher", duty("health/vaccination"));
        w.ok("police.publisher", duty("police/investigation"));
        w.ok("tax.publisher", duty("tax/assessment"));
        w.ok(
            "health.publisher",
            item("health/births", ShareClass::Conditional, 1),
        );
        w.ok(
            "health.publisher",
            item("health/stats", ShareClass::Unconditional, 1),
        );
        w.ok(
            "health.publisher",
            item("health/secret", ShareClass::None, 1),
        );
        w
    }

    /// The key of the member (or stranger) called `name`.
    pub fn key(&self, name: &str) -> PrivateKey {
        key_for(name)
    }

    pub fn public(&self, name: &str) -> PublicKey {
        self.key(name).public_key()
    }

    /// Enrolls `{org}.{name}` with `role`, signed by the organisation's admin.
    pub fn enroll(&mut self, org: &str, name: &str, role: Role) -> PublicKey {
        self.enroll_with(&format!("{org}.admin"), org, name, role)
    }

    /// Enrolls `{org}.{name}` with `role`, signed by the key named `admin`.
    pub fn enroll_with(&mut self, admin: &str, org: &str, name: &str, role: Role) -> PublicKey {
        let public = key_for(&format!("{org}.{name}")).public_key();
        let expires_at = self.now + 365 * 24 * HOUR_MS;
        self.ok(
            admin,
            Enroll {
                org: id(org),
                member_key: public.clone(),
                role,
                expires_at,
            },
        );
        public
    }

    /// The public key of someone not enrolled anywhere.
    pub fn stranger(&self, name: &str) -> PublicKey {
        key_for(name).public_key()
    }

    pub fn next_nonce(&self, signer: &PublicKey) -> u64 {
        self.get::<Account>(&keys::account_key(signer))
            .unwrap_or_default()
            .next_nonce
    }

    /// A signed transaction in `channel` with the signer's next nonce.
    pub fn tx_in(&self, signer: &str, channel: &str, payload: impl Into<Payload>) -> SignedTx {
        self.tx_in_signed_by(&self.key(signer), channel, payload)
    }

    /// A system-channel transaction signed by `key`, which the world need not know.
    pub fn tx_signed_by(&self, key: &PrivateKey, payload: impl Into<Payload>) -> SignedTx {
        self.tx_in_signed_by(key, dirchain_types::ids::SYSTEM_CHANNEL, payload)
    }

    fn tx_in_signed_by(
        &self,
        key: &PrivateKey,
        channel: &str,
        payload: impl Into<Payload>,
    ) -> SignedTx {
        Transaction {
            chain_id: id(CHAIN_ID),
            channel: id(channel),
            signer: key.public_key(),
            nonce: self.next_nonce(&key.public_key()),
            payload: payload.into(),
        }
        .sign(key)
    }

    pub fn tx(&self, signer: &str, payload: impl Into<Payload>) -> SignedTx {
        self.tx_in(signer, dirchain_types::ids::SYSTEM_CHANNEL, payload)
    }

    /// Applies `txs` as the next block (1 s after the previous one). Only the
    /// transactions that succeed leave writes.
    pub fn block(&mut self, txs: Vec<SignedTx>) -> TxResults {
        self.block_included(txs).0
    }

    /// Like [World::block], also returning the transactions that applied, in
    /// order: the content of the block a proposer would make.
    pub fn block_included(&mut self, txs: Vec<SignedTx>) -> (TxResults, Vec<VerifiedTx>) {
        self.height += 1;
        self.now += 1_000;
        let ctx = BlockContext {
            height: self.height,
            timestamp_ms: self.now,
        };
        let verified = verify_txs(txs, &mut rand_core::UnwrapErr(batch_rng()));
        let mut executor = Executor::new(&self.state, id(CHAIN_ID), ctx);
        let mut results = Vec::new();
        let mut included = Vec::new();
        for tx in verified {
            let result = match tx {
                Ok(tx) => {
                    let result = futures::executor::block_on(executor.apply(&tx))
                        .map(|r| (tx.hash(), r.outcome));
                    if result.is_ok() {
                        included.push(tx);
                    }
                    result
                }
                Err(e) => Err(e),
            };
            results.push(result);
        }
        let BlockWrites { writes, appends } = executor.finish();
        for (k, v) in writes {
            match v {
                Some(v) => self.state.insert(k, v),
                None => self.state.remove(&k),
            };
        }
        self.access_log.extend(appends.iter().map(|bytes| {
            LoggedAccess::decode(commonware_codec::Copying(bytes.as_slice()))
                .expect("logged access decodes")
        }));
        (results, included)
    }

    /// The context of the last block applied.
    pub fn context(&self) -> BlockContext {
        BlockContext {
            height: self.height,
            timestamp_ms: self.now,
        }
    }

    pub fn submit_tx(&mut self, tx: SignedTx) -> Result<(Digest, Outcome), TxError> {
        self.block(vec![tx]).pop().expect("one result")
    }

    pub fn submit(
        &mut self,
        signer: &str,
        payload: impl Into<Payload>,
    ) -> Result<(Digest, Outcome), TxError> {
        let tx = self.tx(signer, payload);
        self.submit_tx(tx)
    }

    /// Submits and expects success; returns the transaction hash.
    #[track_caller]
    pub fn ok(&mut self, signer: &str, payload: impl Into<Payload>) -> Digest {
        match self.submit(signer, payload) {
            Ok((hash, Outcome::Applied)) => hash,
            other => panic!("expected success, got {other:?}"),
        }
    }

    /// Submits and expects a rejection that changes nothing.
    #[track_caller]
    pub fn err(&mut self, signer: &str, payload: impl Into<Payload>) -> TxError {
        let before = self.state.clone();
        let logged = self.access_log.len();
        match self.submit(signer, payload) {
            Err(e) => {
                assert_eq!(
                    before, self.state,
                    "a rejected transaction changed the state"
                );
                assert_eq!(
                    logged,
                    self.access_log.len(),
                    "a rejected transaction appended to the access log"
                );
                e
            }
            Ok(outcome) => panic!("expected rejection, got {outcome:?}"),
        }
    }

    pub fn get<T: Read<Cfg = ()>>(&self, key: &StateKey) -> Option<T> {
        self.state.get(key).map(|bytes| {
            T::decode(commonware_codec::Copying(bytes.as_slice())).expect("stored record decodes")
        })
    }

    /// The access record transaction `tx` appended, if any.
    pub fn access(&self, tx: &Digest) -> Option<&LoggedAccess> {
        self.access_log
            .iter()
            .find(|logged| logged.record.id == *tx)
    }

    pub fn advance(&mut self, ms: u64) {
        self.now += ms;
    }

    pub fn main() -> Ident {
        system_channel()
    }
}

/// A fixed-seed RNG for batch verification, so test runs repeat exactly. A
/// node must seed from the OS: predictable batch coefficients let a forger
/// craft a batch that passes with bad signatures.
fn batch_rng() -> rand_chacha::ChaCha20Rng {
    use rand_core::SeedableRng;
    rand_chacha::ChaCha20Rng::from_seed(sha256(&[b"testkit-batch"]).0)
}

pub fn duty(id_: &str) -> DeclareDuty {
    DeclareDuty {
        id: id(id_),
        title: text(&format!("Duty {id_}")),
        legal_basis: text("Public Administration Act, section 12"),
    }
}

/// A catalog item owned by the publisher's organisation, serving its first duty.
pub fn item(id_: &str, share_class: ShareClass, version: u32) -> PublishCatalogItem {
    let org = id_.split('/').next().expect("org prefix");
    let duty = match org {
        "health" => "health/vaccination",
        "police" => "police/investigation",
        _ => "tax/assessment",
    };
    let personal = share_class != ShareClass::Unconditional;
    let mut specs = vec![
        FieldSpec {
            name: id("district"),
            field_type: FieldType::Text,
            sensitivity: Sensitivity::Public,
        },
        FieldSpec {
            name: id("count"),
            field_type: FieldType::Integer,
            sensitivity: Sensitivity::Internal,
        },
    ];
    if personal {
        specs.push(FieldSpec {
            name: id("birth_date"),
            field_type: FieldType::Date,
            sensitivity: Sensitivity::Personal,
        });
    }
    PublishCatalogItem {
        id: id(id_),
        title: text(&format!("Item {id_}")),
        description: text("Registered births by district"),
        duties: list(vec![id(duty)]),
        fields: list(specs),
        share_class,
        open_class: OpenClass::Closed,
        update_frequency: UpdateFrequency::Monthly,
        format: id("JSON"),
        version,
    }
}

pub fn request(item_: &str, field_names: &[&str], duty_: &str) -> RequestAccess {
    RequestAccess {
        item: id(item_),
        fields: fields(field_names),
        purpose: text("Vaccination follow-up"),
        requester_duty: id(duty_),
        valid_for_ms: 30 * 24 * HOUR_MS,
    }
}

/// An access naming a permission that does not exist: always recorded, as
/// refused, so it appends to the access log with no setup. `response` varies
/// the record.
pub fn unknown_permission_access(response: &[u8]) -> RecordAccess {
    RecordAccess {
        permission: sha256(&[b"no such permission"]),
        subject_refs: list(vec![sha256(&[b"a person"])]),
        fields: fields(&["district"]),
        query_digest: sha256(&[b"the query"]),
        response_digest: sha256(&[response]),
        record_count: 1,
        requester: None,
        refusal: None,
    }
}
