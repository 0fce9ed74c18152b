//! A real ledger behind the index routes' tests: records of every kind made
//! by the state crate's rules over the test consortium, the blocks that made
//! them, and a query index built from those blocks in a temporary
//! directory, through `ChainSource` as the node's follower builds it.

use commonware_codec::Encode as _;
use commonware_cryptography::Signer as _;
use dirchain_index::{AccessLogRead, ChainSource, Index, Queries, catch_up};
use dirchain_state::testkit::*;
use dirchain_types::{
    block::Block,
    domain::{Role, ShareClass},
    ids::{Digest, SubjectKey, SubjectRef, sha256, subject_ref},
    keys::StateKey,
    tx::*,
};
use std::{collections::BTreeMap, convert::Infallible, sync::LazyLock};
use tempfile::TempDir;

const DAY_MS: u64 = 24 * HOUR_MS;

/// How long the permission of [Made::births_request] is valid after its grant.
pub const BIRTHS_VALIDITY_MS: u64 = 10 * DAY_MS;

/// Raw identifiers of persons the scenario's accesses concern.
pub const ANNA: &str = "19900307-2345";
pub const BEN: &str = "19851224-1111";

/// The consortium's subject key in the tests.
pub fn subject_key() -> SubjectKey {
    SubjectKey::from_bytes([0x5a; 32])
}

/// The pseudonym access records hold for a raw identifier.
pub fn pseudonym(raw: &str) -> SubjectRef {
    subject_ref(&subject_key(), raw)
}

/// What the scenario made, for the assertions.
pub struct Made {
    /// Approved: its permission is live until `granted + BIRTHS_VALIDITY_MS`.
    pub births_request: Digest,
    pub births_expires_at: u64,
    /// Denied.
    pub denied_request: Digest,
    /// Still pending.
    pub pending_request: Digest,
    /// Granted at once (unconditional item), then revoked.
    pub stats_permission: Digest,
    /// Within `births_request`, naming Anna and Ben.
    pub allowed_access: Digest,
    /// Outside it (a field not granted), naming Anna.
    pub refused_access: Digest,
    pub notarized: Digest,
    /// Applied by a second vote.
    pub added_org: Digest,
    pub open_proposal: Digest,
    /// Every transaction, in order.
    pub txs: Vec<Digest>,
}

/// The chain: its blocks after genesis, the state they leave, and the time
/// of the last one.
pub struct Scenario {
    blocks: Vec<Block>,
    state: BTreeMap<StateKey, Vec<u8>>,
    /// The access log as a node lays it out: encoded records, `None` for the
    /// initial commit (at 0) and each block's closing commit.
    access_log: Vec<Option<Vec<u8>>>,
    pub now: u64,
    pub made: Made,
}

pub static SCENARIO: LazyLock<Scenario> = LazyLock::new(Scenario::build);

struct Builder {
    world: World,
    blocks: Vec<Block>,
    access_log: Vec<Option<Vec<u8>>>,
    txs: Vec<Digest>,
}

impl Builder {
    fn tx(&self, signer: &str, payload: impl Into<Payload>) -> SignedTx {
        self.world.tx(signer, payload)
    }

    /// `txs` as the next block (at most one per signer); every one must apply.
    fn block(&mut self, txs: Vec<SignedTx>) -> Vec<Digest> {
        let logged = self.world.access_log.len();
        let (results, included) = self.world.block_included(txs);
        let appended = &self.world.access_log[logged..];
        if !appended.is_empty() {
            self.access_log
                .extend(appended.iter().map(|a| Some(a.encode().to_vec())));
            self.access_log.push(None);
        }
        let hashes: Vec<Digest> = results
            .into_iter()
            .map(|r| r.expect("the scenario's transactions apply").0)
            .collect();
        let height = self.world.height;
        let parent = self
            .blocks
            .last()
            .map_or(sha256(&[b"engine genesis block"]), Block::digest);
        self.blocks.push(Block {
            parent,
            height,
            epoch: 0,
            view: height,
            parent_view: height - 1,
            proposer: key_for("validator-0").public_key(),
            timestamp_ms: self.world.now,
            state_root: Digest([0; 32]),
            txs: list(included.into_iter().map(|t| t.into_inner()).collect()),
        });
        self.txs.extend(&hashes);
        hashes
    }

    fn one(&mut self, signer: &str, payload: impl Into<Payload>) -> Digest {
        let tx = self.tx(signer, payload);
        self.block(vec![tx])[0]
    }
}

fn record_access(permission: Digest, field_names: &[&str], subjects: &[&str]) -> RecordAccess {
    RecordAccess {
        permission,
        subject_refs: list(subjects.iter().map(|s| pseudonym(s)).collect()),
        fields: fields(field_names),
        query_digest: sha256(&[b"query"]),
        response_digest: sha256(&[b"response"]),
        record_count: subjects.len() as u32,
        requester: None,
        refusal: None,
    }
}

impl Scenario {
    fn build() -> Self {
        let mut b = Builder {
            world: World::new(),
            blocks: Vec::new(),
            access_log: vec![None],
            txs: Vec::new(),
        };
        for role in [Role::Publisher, Role::Steward, Role::Consumer, Role::Notary] {
            let expires_at = b.world.now + 365 * DAY_MS;
            let txs = ORGS
                .iter()
                .map(|org| {
                    b.tx(
                        &format!("{org}.admin"),
                        Enroll {
                            org: id(org),
                            member_key: key_for(&format!("{org}.{}", role.label())).public_key(),
                            role,
                            expires_at,
                        },
                    )
                })
                .collect();
            b.block(txs);
        }
        let duties = vec![
            b.tx("health.publisher", duty("health/vaccination")),
            b.tx("police.publisher", duty("police/investigation")),
            b.tx("tax.publisher", duty("tax/assessment")),
        ];
        b.block(duties);
        b.one(
            "health.publisher",
            item("health/births", ShareClass::Conditional, 1),
        );
        b.one(
            "health.publisher",
            item("health/stats", ShareClass::Unconditional, 1),
        );
        b.one(
            "health.publisher",
            item("health/secret", ShareClass::None, 1),
        );
        let mut births_v2 = item("health/births", ShareClass::Conditional, 2);
        births_v2.title = text("Births by district and month");
        b.one("health.publisher", births_v2);
        b.one(
            "health.publisher",
            RetireCatalogItem {
                id: id("health/secret"),
                reason: text("superseded"),
            },
        );

        let births = b.tx(
            "police.consumer",
            request("health/births", &["district"], "police/investigation"),
        );
        let stats = b.tx(
            "tax.consumer",
            request("health/stats", &["district", "count"], "tax/assessment"),
        );
        let (births_request, stats_permission) = (births.hash(), stats.hash());
        b.block(vec![births, stats]);
        let denied_request = b.one(
            "tax.consumer",
            request("health/births", &["birth_date"], "tax/assessment"),
        );
        let pending_request = b.one(
            "tax.consumer",
            request("health/births", &["district"], "tax/assessment"),
        );
        let births_expires_at = b.world.now + 1_000 + BIRTHS_VALIDITY_MS;
        b.one(
            "health.steward",
            DecideAccess {
                request: births_request,
                approve: true,
                reason: text("lawful investigation"),
                expires_at: births_expires_at,
            },
        );
        b.one(
            "health.steward",
            DecideAccess {
                request: denied_request,
                approve: false,
                reason: text("no legal basis for birth dates"),
                expires_at: 0,
            },
        );
        let allowed_access = b.one(
            "police.consumer",
            record_access(births_request, &["district"], &[ANNA, BEN]),
        );
        let refused_access = b.one(
            "police.consumer",
            record_access(births_request, &["birth_date"], &[ANNA]),
        );
        b.one(
            "health.steward",
            RevokePermission {
                permission: stats_permission,
                reason: text("audit finding"),
            },
        );

        let notarized = sha256(&[b"lease contract"]);
        b.one(
            "tax.notary",
            Notarize {
                digest: notarized,
                kind: id("contract"),
                meta: text("lease of the town hall"),
            },
        );
        b.one(
            "health.publisher",
            RegisterAsset {
                id: id("asset/births"),
                name: text("Births register"),
                description: text("The births dataset as an asset"),
                item: Some(id("health/births")),
            },
        );
        b.one(
            "health.steward",
            AppraiseAsset {
                asset: id("asset/births"),
                value: 125_000,
                currency: id("EUR"),
                method: text("cost approach"),
            },
        );
        b.one(
            "health.publisher",
            TransferAsset {
                asset: id("asset/births"),
                to: id("police"),
            },
        );

        let added_org = b.one(
            "health.admin",
            Propose {
                action: Action::AddOrg {
                    org: id("transport"),
                    name: text("Transport agency"),
                    admin_key: key_for("transport.admin").public_key(),
                },
            },
        );
        b.one(
            "police.admin",
            Vote {
                proposal: added_org,
                approve: true,
            },
        );
        let open_proposal = b.one(
            "tax.admin",
            Propose {
                action: Action::SetThreshold { threshold: 3 },
            },
        );
        Self {
            now: b.world.now,
            state: b.world.state,
            blocks: b.blocks,
            access_log: b.access_log,
            made: Made {
                births_request,
                births_expires_at,
                denied_request,
                pending_request,
                stats_permission,
                allowed_access,
                refused_access,
                notarized,
                added_org,
                open_proposal,
                txs: b.txs,
            },
        }
    }

    /// The height of the last block.
    pub fn height(&self) -> u64 {
        self.blocks.len() as u64
    }
}

/// The scenario as the follower reads a chain.
struct Source(&'static Scenario);

impl ChainSource for Source {
    type Error = Infallible;
    type Block = Block;

    fn height(&self) -> u64 {
        self.0.height()
    }

    async fn block(&self, height: u64) -> Result<Option<Block>, Infallible> {
        Ok(height
            .checked_sub(1)
            .and_then(|i| self.0.blocks.get(i as usize))
            .cloned())
    }

    async fn records(&self, keys: Vec<StateKey>) -> Result<Vec<Option<Vec<u8>>>, Infallible> {
        Ok(keys.iter().map(|k| self.0.state.get(k).cloned()).collect())
    }

    async fn access_records(&self, from: u64, count: u64) -> Result<AccessLogRead, Infallible> {
        let log = &self.0.access_log;
        let end = from.saturating_add(count).min(log.len() as u64);
        Ok(AccessLogRead {
            log_size: log.len() as u64,
            records: (from..end)
                .filter_map(|at| log[at as usize].clone().map(|bytes| (at, bytes)))
                .collect(),
        })
    }
}

/// A query index in a directory of its own, removed with it.
pub struct TestIndex {
    _dir: TempDir,
    pub queries: Queries,
}

impl TestIndex {
    /// An index of the test consortium's genesis that has applied nothing.
    pub fn empty() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let index = Index::open(dir.path().join("index.sqlite"), &genesis()).expect("an index");
        let queries = index.queries().expect("query connections");
        Self { _dir: dir, queries }
    }

    /// An index that has applied the whole scenario.
    pub async fn of_scenario() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut index = Index::open(dir.path().join("index.sqlite"), &genesis()).expect("an index");
        let height = catch_up(&mut index, &Source(&SCENARIO))
            .await
            .expect("the scenario indexes");
        assert_eq!(height, SCENARIO.height());
        let queries = index.queries().expect("query connections");
        Self { _dir: dir, queries }
    }
}
