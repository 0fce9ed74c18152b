//! The index over a real ledger: every kind of transaction executed by the
//! state crate's rules, indexed through [ChainSource] as the node does, then
//! queried. Also: a rebuild from scratch answers the same, a restart
//! resumes (at the next block and access log location), pagination is
//! exact, hostile search text is harmless, and bad data from the chain (a
//! record that does not decode, an access log that disagrees with the
//! blocks) stops the follower with an error.

use commonware_codec::Encode as _;
use commonware_cryptography::Signer as _;
use dirchain_index::{
    ACCESS_LOG_READ, AccessLogRead, ChainSource, FollowError, Index, Queries, catch_up, follow,
    index_next,
};
use dirchain_schema::records::*;
use dirchain_state::{Outcome, testkit::*};
use dirchain_types::{
    block::Block,
    domain::{FieldSpec, FieldType, OpenClass, Role, Sensitivity, ShareClass, UpdateFrequency},
    ids::{Digest, SubjectRef, sha256},
    keys::StateKey,
    records::LoggedAccess,
    tx::*,
};
use serde::Serialize;
use std::{
    path::Path,
    sync::{Arc, Mutex},
    time::Duration,
};

const DAY: u64 = 24 * HOUR_MS;

/// A chain in memory: the testkit's state machine, the blocks it made, and
/// its access log laid out as a node's: the initial commit at 0, then per
/// block that recorded accesses its records and a block-closing commit.
#[derive(Clone)]
struct Chain {
    world: Arc<Mutex<World>>,
    blocks: Arc<Mutex<Vec<Block>>>,
    /// The encoded records; `None` for commits.
    log: Arc<Mutex<Vec<Option<Vec<u8>>>>>,
    /// The log's size after each block (height 1 first).
    log_sizes: Arc<Mutex<Vec<u64>>>,
}

impl Chain {
    fn new() -> Self {
        Self {
            world: Default::default(),
            blocks: Default::default(),
            log: Arc::new(Mutex::new(vec![None])),
            log_sizes: Default::default(),
        }
    }

    /// The log's size once block `height` is final (1 at genesis).
    fn log_size_at(&self, height: u64) -> u64 {
        match height.checked_sub(1) {
            None => 1,
            Some(i) => self.log_sizes.lock().unwrap()[i as usize],
        }
    }

    /// Where the log holds the access record of transaction `tx`.
    fn location(&self, tx: &Digest) -> u64 {
        let log = self.log.lock().unwrap();
        let at = log.iter().position(|op| {
            op.as_ref().is_some_and(|bytes| {
                let logged: LoggedAccess = decode(bytes);
                logged.record.id == *tx
            })
        });
        at.expect("the transaction recorded an access") as u64
    }

    /// Reads the log as a node does: every record of `from..from + count`
    /// below the log's size.
    fn read_log(&self, from: u64, count: u64) -> AccessLogRead {
        serve(&self.log.lock().unwrap(), from, count)
    }

    /// Signs `payload` as `signer` at the signer's next nonce.
    fn tx(&self, signer: &str, payload: impl Into<Payload>) -> SignedTx {
        self.world.lock().unwrap().tx(signer, payload)
    }

    /// Executes `txs` as the next block (each signer at most once) and
    /// finalizes it; every transaction must apply.
    fn finalize(&self, txs: Vec<SignedTx>) -> Vec<(Digest, Outcome)> {
        let mut world = self.world.lock().unwrap();
        let mut blocks = self.blocks.lock().unwrap();
        let logged = world.access_log.len();
        let (results, included) = world.block_included(txs);
        let mut log = self.log.lock().unwrap();
        let appended = &world.access_log[logged..];
        if !appended.is_empty() {
            log.extend(appended.iter().map(|a| Some(a.encode().to_vec())));
            log.push(None);
        }
        self.log_sizes.lock().unwrap().push(log.len() as u64);
        let results: Vec<_> = results
            .into_iter()
            .map(|r| r.expect("transaction applies"))
            .collect();
        let height = world.height;
        let parent = blocks
            .last()
            .map_or(sha256(&[b"engine genesis block"]), Block::digest);
        blocks.push(Block {
            parent,
            height,
            epoch: 0,
            view: height,
            parent_view: height - 1,
            proposer: key_for("validator-0").public_key(),
            timestamp_ms: world.now,
            state_root: Digest([0; 32]),
            txs: list(included.into_iter().map(|t| t.into_inner()).collect()),
        });
        results
    }

    fn now(&self) -> u64 {
        self.world.lock().unwrap().now
    }
}

impl ChainSource for Chain {
    type Error = String;
    type Block = Block;

    fn height(&self) -> u64 {
        self.blocks.lock().unwrap().len() as u64
    }

    async fn block(&self, height: u64) -> Result<Option<Block>, String> {
        let blocks = self.blocks.lock().unwrap();
        Ok(height
            .checked_sub(1)
            .and_then(|i| blocks.get(i as usize))
            .cloned())
    }

    async fn records(&self, keys: Vec<StateKey>) -> Result<Vec<Option<Vec<u8>>>, String> {
        let world = self.world.lock().unwrap();
        Ok(keys.iter().map(|k| world.state.get(k).cloned()).collect())
    }

    async fn access_records(&self, from: u64, count: u64) -> Result<AccessLogRead, String> {
        Ok(self.read_log(from, count))
    }
}

/// What a node answers for locations `from..from + count` of `log`.
fn serve(log: &[Option<Vec<u8>>], from: u64, count: u64) -> AccessLogRead {
    assert!(count <= ACCESS_LOG_READ, "{count} locations asked at once");
    let size = log.len() as u64;
    let end = from.saturating_add(count).min(size);
    AccessLogRead {
        log_size: size,
        records: (from..end)
            .filter_map(|at| log[at as usize].clone().map(|bytes| (at, bytes)))
            .collect(),
    }
}

fn decode<T: commonware_codec::Read<Cfg = ()>>(bytes: &[u8]) -> T {
    use commonware_codec::Decode as _;
    T::decode_cfg(commonware_codec::Copying(bytes), &()).unwrap()
}

/// What the scenario made, for the assertions.
struct Made {
    births_request: Digest,
    denied_request: Digest,
    stats_permission: Digest,
    allowed_access: Digest,
    refused_access: Digest,
    unknown_access: Digest,
    revoked_access: Digest,
    added_org: Digest,
    open_proposal: Digest,
    notarized: Digest,
    person: SubjectRef,
    all_txs: Vec<Digest>,
}

fn person(name: &str) -> SubjectRef {
    sha256(&[b"pseudonym of ", name.as_bytes()])
}

fn incidents() -> PublishCatalogItem {
    PublishCatalogItem {
        id: id("police/incidents"),
        title: text("Traffic incidents"),
        description: text("Road accidents per district, with their severity"),
        duties: list(vec![id("police/investigation")]),
        fields: list(vec![
            FieldSpec {
                name: id("district"),
                field_type: FieldType::Text,
                sensitivity: Sensitivity::Public,
            },
            FieldSpec {
                name: id("severity_level"),
                field_type: FieldType::Integer,
                sensitivity: Sensitivity::Internal,
            },
        ]),
        share_class: ShareClass::Conditional,
        open_class: OpenClass::Conditional,
        update_frequency: UpdateFrequency::Daily,
        format: id("CSV"),
        version: 1,
    }
}

fn access(permission: Digest, field_names: &[&str], subjects: &[&str]) -> RecordAccess {
    RecordAccess {
        permission,
        subject_refs: list(subjects.iter().map(|s| person(s)).collect()),
        fields: fields(field_names),
        query_digest: sha256(&[b"query"]),
        response_digest: sha256(&[b"response"]),
        record_count: subjects.len() as u32,
        requester: None,
        refusal: None,
    }
}

/// Runs every kind of transaction; `after_block` is called after each block.
fn scenario(chain: &Chain, mut after_block: impl FnMut()) -> Made {
    let mut all_txs = Vec::new();
    let mut block = |txs: Vec<SignedTx>| {
        let results = chain.finalize(txs);
        all_txs.extend(results.iter().map(|(h, _)| *h));
        after_block();
        results
    };
    // Every role in every organisation, one enrolment per admin and block.
    for role in Role::ALL.iter().filter(|r| **r != Role::Admin) {
        let txs = ORGS
            .iter()
            .map(|org| {
                chain.tx(
                    &format!("{org}.admin"),
                    Enroll {
                        org: id(org),
                        member_key: key_for(&format!("{org}.{}", role.label())).public_key(),
                        role: *role,
                        expires_at: GENESIS_TIME + 365 * DAY,
                    },
                )
            })
            .collect();
        block(txs);
    }
    block(vec![
        chain.tx("health.publisher", duty("health/vaccination")),
        chain.tx("police.publisher", duty("police/investigation")),
        chain.tx("tax.publisher", duty("tax/assessment")),
    ]);
    for payload in [
        item("health/births", ShareClass::Conditional, 1),
        item("health/stats", ShareClass::Unconditional, 1),
        item("health/secret", ShareClass::None, 1),
    ] {
        block(vec![chain.tx("health.publisher", payload)]);
    }
    block(vec![chain.tx("police.publisher", incidents())]);
    let mut births_v2 = item("health/births", ShareClass::Conditional, 2);
    births_v2.title = text("Births by district and month");
    block(vec![chain.tx("health.publisher", births_v2)]);
    block(vec![chain.tx(
        "health.publisher",
        RetireCatalogItem {
            id: id("health/secret"),
            reason: text("superseded"),
        },
    )]);

    // Requests: conditional (decided later), unconditional (granted at once).
    let births_tx = chain.tx(
        "police.consumer",
        request("health/births", &["district"], "police/investigation"),
    );
    let stats_tx = chain.tx(
        "tax.consumer",
        request("health/stats", &["district", "count"], "tax/assessment"),
    );
    let births_request = births_tx.hash();
    let stats_permission = stats_tx.hash();
    block(vec![births_tx, stats_tx]);
    let denied_request = block(vec![chain.tx(
        "tax.consumer",
        request("health/births", &["birth_date"], "tax/assessment"),
    )])[0]
        .0;
    block(vec![chain.tx(
        "health.steward",
        DecideAccess {
            request: births_request,
            approve: true,
            reason: text("lawful investigation"),
            expires_at: chain.now() + 10 * DAY,
        },
    )]);
    block(vec![chain.tx(
        "health.steward",
        DecideAccess {
            request: denied_request,
            approve: false,
            reason: text("no legal basis for birth dates"),
            expires_at: 0,
        },
    )]);

    // Accesses: allowed, refused (fields), refused (unknown permission).
    let allowed = chain.tx(
        "police.consumer",
        access(births_request, &["district"], &["anna", "ben"]),
    );
    let unknown = chain.tx(
        "tax.consumer",
        access(sha256(&[b"no such permission"]), &["district"], &["anna"]),
    );
    let allowed_access = allowed.hash();
    let unknown_access = unknown.hash();
    block(vec![allowed, unknown]);
    let refused_access = block(vec![chain.tx(
        "police.consumer",
        access(births_request, &["birth_date"], &["anna"]),
    )])[0]
        .0;
    // Revocation, then an access under the revoked permission.
    block(vec![chain.tx(
        "health.steward",
        RevokePermission {
            permission: stats_permission,
            reason: text("audit finding"),
        },
    )]);
    let revoked_access = block(vec![chain.tx(
        "tax.consumer",
        access(stats_permission, &["district"], &["carl"]),
    )])[0]
        .0;

    let notarized = sha256(&[b"lease contract"]);
    block(vec![chain.tx(
        "tax.notary",
        Notarize {
            digest: notarized,
            kind: id("contract"),
            meta: text("lease of the town hall"),
        },
    )]);

    // An asset through its whole life.
    block(vec![chain.tx(
        "health.publisher",
        RegisterAsset {
            id: id("asset/births"),
            name: text("Births register"),
            description: text("The births dataset as an asset"),
            item: Some(id("health/births")),
        },
    )]);
    block(vec![chain.tx(
        "health.steward",
        AppraiseAsset {
            asset: id("asset/births"),
            value: 125_000,
            currency: id("EUR"),
            method: text("cost approach"),
        },
    )]);
    block(vec![chain.tx(
        "health.publisher",
        TransferAsset {
            asset: id("asset/births"),
            to: id("police"),
        },
    )]);
    block(vec![chain.tx(
        "police.publisher",
        LicenseAsset {
            asset: id("asset/births"),
            licensee: id("tax"),
            terms: text("research only"),
            expires_at: chain.now() + 30 * DAY,
        },
    )]);

    // Governance: a proposal applied by a second vote, one left open.
    let added_org = block(vec![chain.tx(
        "health.admin",
        Propose {
            action: Action::AddOrg {
                org: id("transport"),
                name: text("Transport agency"),
                admin_key: key_for("transport.admin").public_key(),
            },
        },
    )])[0]
        .0;
    block(vec![chain.tx(
        "police.admin",
        Vote {
            proposal: added_org,
            approve: true,
        },
    )]);
    let open_proposal = block(vec![chain.tx(
        "tax.admin",
        Propose {
            action: Action::SetThreshold { threshold: 3 },
        },
    )])[0]
        .0;
    // A block with nothing in it.
    block(vec![]);
    Made {
        births_request,
        denied_request,
        stats_permission,
        allowed_access,
        refused_access,
        unknown_access,
        revoked_access,
        added_org,
        open_proposal,
        notarized,
        person: person("anna"),
        all_txs,
    }
}

fn open(path: &Path) -> Index {
    Index::open(path, &genesis()).unwrap()
}

fn all<T>(mut page: impl FnMut(Option<String>) -> Page<T>) -> Vec<T> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let p = page(cursor);
        out.extend(p.items);
        match p.next_cursor {
            Some(c) => cursor = Some(c),
            None => return out,
        }
    }
}

/// Every answer the index gives about the scenario, as JSON, for comparing
/// two indexes.
fn answers(q: &Queries, made: &Made, now: u64) -> Vec<serde_json::Value> {
    fn json(v: impl Serialize) -> serde_json::Value {
        serde_json::to_value(v).unwrap()
    }
    let mut out = vec![
        json(q.indexed_height().unwrap()),
        json(q.consortium().unwrap()),
        json(q.orgs(&PageQuery::default()).unwrap()),
        json(
            q.catalog(&CatalogQuery {
                include_retired: Some(true),
                ..Default::default()
            })
            .unwrap(),
        ),
        json(q.permissions(&PermissionQuery::default(), now).unwrap()),
        json(q.requests(&RequestQuery::default()).unwrap()),
        json(q.accesses(&AccessQuery::default()).unwrap()),
        json(
            q.subject_accesses(&made.person, &PageQuery::default())
                .unwrap(),
        ),
        json(q.proposals(&ProposalQuery::default()).unwrap()),
        json(q.asset("main", "asset/births").unwrap()),
        json(q.notary("main", &made.notarized).unwrap()),
    ];
    for text in ["item", "month", "district", "accid"] {
        out.push(json(
            q.catalog(&CatalogQuery {
                q: Some(text.into()),
                include_retired: Some(true),
                ..Default::default()
            })
            .unwrap(),
        ));
    }
    for org in ["health", "police", "tax", "transport"] {
        out.push(json(q.org(org).unwrap()));
    }
    for item in [
        "health/births",
        "health/stats",
        "health/secret",
        "police/incidents",
    ] {
        out.push(json(q.item("main", item).unwrap()));
    }
    for hash in &made.all_txs {
        out.push(json(q.tx(hash).unwrap()));
    }
    out
}

#[tokio::test]
async fn every_kind_of_transaction_is_indexed_and_queryable() {
    let dir = tempfile::tempdir().unwrap();
    let chain = Chain::new();
    let made = scenario(&chain, || {});
    let mut index = open(&dir.path().join("index.sqlite"));
    let height = catch_up(&mut index, &chain).await.unwrap();
    assert_eq!(height, chain.height());
    let q = index.queries().unwrap();
    let now = chain.now();
    assert_eq!(q.indexed_height().unwrap(), height);

    // Organisations, members, duties, consortium (genesis and governance).
    let orgs = q.orgs(&PageQuery::default()).unwrap();
    let ids: Vec<&str> = orgs.items.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(ids, ["health", "police", "tax", "transport"]);
    assert_eq!(orgs.indexed_height, height);
    let health = q.org("health").unwrap().unwrap();
    assert_eq!(health.org.name, "Agency health");
    assert_eq!(health.members.len(), Role::ALL.len());
    assert_eq!(health.members[0].role, "admin", "the founding admin first");
    assert_eq!(health.duties.len(), 1);
    assert_eq!(health.duties[0].id, "health/vaccination");
    let transport = q.org("transport").unwrap().unwrap();
    assert_eq!(transport.members.len(), 1);
    assert_eq!(
        transport.members[0].key,
        key_for("transport.admin").public_key().to_string()
    );
    assert_eq!(q.consortium().unwrap().unwrap().org_count, 4);
    assert!(q.org("nobody").unwrap().is_none());

    // Catalog: versions, retirement, filters, search.
    let births = q.item("main", "health/births").unwrap().unwrap();
    assert_eq!(births.item.current.version, 2);
    assert_eq!(births.item.current.title, "Births by district and month");
    let versions: Vec<u32> = births.versions.iter().map(|v| v.version).collect();
    assert_eq!(versions, [1, 2]);
    assert_eq!(births.versions[0].title, "Item health/births");
    let secret = q.item("main", "health/secret").unwrap().unwrap();
    assert!(secret.item.retired);
    assert_eq!(secret.item.retirement.unwrap().reason, "superseded");
    assert!(q.item("other", "health/births").unwrap().is_none());
    let search = |query: CatalogQuery| -> Vec<String> {
        q.catalog(&query)
            .unwrap()
            .items
            .into_iter()
            .map(|i| i.id)
            .collect()
    };
    assert_eq!(
        search(CatalogQuery::default()),
        ["health/births", "health/stats", "police/incidents"]
    );
    assert_eq!(
        search(CatalogQuery {
            include_retired: Some(true),
            ..Default::default()
        }),
        [
            "health/births",
            "health/stats",
            "health/secret",
            "police/incidents"
        ]
    );
    let text = |q: &str| {
        search(CatalogQuery {
            q: Some(q.into()),
            ..Default::default()
        })
    };
    assert_eq!(text("accidents"), ["police/incidents"]);
    assert_eq!(text("ROAD Accid"), ["police/incidents"], "prefix, any case");
    assert_eq!(text("severity_level"), ["police/incidents"], "field names");
    assert_eq!(
        text("month"),
        ["health/births"],
        "the current version's title"
    );
    assert_eq!(
        text("item"),
        ["health/stats"],
        "not the old version's title; not retired items"
    );
    assert_eq!(
        text("district"),
        ["health/births", "health/stats", "police/incidents"]
    );
    assert!(text("accidents births").is_empty(), "every word must match");
    for hostile in [
        "\"",
        "*",
        "NEAR(",
        "OR",
        "'); DROP TABLE items; --",
        "births\" OR \"x",
        "title:births",
        "(((",
        "-births",
        "births AND",
        "\u{0}",
        "ünïcödé ✓",
    ] {
        let found = q.catalog(&CatalogQuery {
            q: Some(hostile.into()),
            ..Default::default()
        });
        assert!(found.is_ok(), "{hostile:?}: {found:?}");
    }
    assert_eq!(text("births\" OR \"x"), Vec::<String>::new());
    assert_eq!(
        search(CatalogQuery {
            share_class: Some("unconditional".into()),
            ..Default::default()
        }),
        ["health/stats"]
    );
    assert_eq!(
        search(CatalogQuery {
            org: Some("police".into()),
            ..Default::default()
        }),
        ["police/incidents"]
    );
    assert_eq!(
        search(CatalogQuery {
            duty: Some("police/investigation".into()),
            q: Some("district".into()),
            ..Default::default()
        }),
        ["police/incidents"]
    );
    assert!(
        search(CatalogQuery {
            channel: Some("research".into()),
            ..Default::default()
        })
        .is_empty()
    );
    assert!(matches!(
        q.catalog(&CatalogQuery {
            share_class: Some("sometimes".into()),
            ..Default::default()
        }),
        Err(dirchain_index::QueryError::BadFilter {
            field: "share_class",
            ..
        })
    ));

    // Requests and permissions.
    let request = q.request(&made.births_request).unwrap().unwrap();
    assert_eq!(request.status, "approved");
    assert_eq!(request.consumer_org, "police");
    let denied = q.request(&made.denied_request).unwrap().unwrap();
    assert_eq!(denied.status, "denied");
    assert_eq!(denied.reason, "no legal basis for birth dates");
    let statuses = |status: &str| -> Vec<String> {
        q.requests(&RequestQuery {
            status: Some(status.into()),
            ..Default::default()
        })
        .unwrap()
        .items
        .into_iter()
        .map(|r| r.id)
        .collect()
    };
    assert!(statuses("pending").is_empty());
    assert_eq!(statuses("denied"), [made.denied_request.to_string()]);
    assert_eq!(statuses("approved").len(), 2);
    let stats = q.permission(&made.stats_permission, now).unwrap().unwrap();
    assert_eq!(stats.status, PermissionStatus::Revoked);
    assert_eq!(stats.revoked.unwrap().reason, "audit finding");
    assert!(q.permission(&made.denied_request, now).unwrap().is_none());
    let permissions = |query: PermissionQuery, now: u64| -> Vec<String> {
        q.permissions(&query, now)
            .unwrap()
            .items
            .into_iter()
            .map(|p| p.id)
            .collect()
    };
    let live = PermissionQuery {
        status: Some(PermissionStatus::Live),
        ..Default::default()
    };
    assert_eq!(
        permissions(live.clone(), now),
        [made.births_request.to_string()]
    );
    assert!(permissions(live, now + 11 * DAY).is_empty());
    assert_eq!(
        permissions(
            PermissionQuery {
                status: Some(PermissionStatus::Expired),
                ..Default::default()
            },
            now + 11 * DAY
        ),
        [made.births_request.to_string()]
    );
    assert_eq!(
        permissions(
            PermissionQuery {
                consumer: Some("tax".into()),
                owner: Some("health".into()),
                item: Some("health/stats".into()),
                ..Default::default()
            },
            now
        ),
        [made.stats_permission.to_string()]
    );

    // Access records: outcomes, filters, subjects.
    let allowed = q.access(&made.allowed_access).unwrap().unwrap();
    assert_eq!(allowed.refusal, None);
    assert_eq!(
        allowed.subject_refs,
        [person("anna").to_string(), person("ben").to_string()]
    );
    assert_eq!(allowed.owner_org.as_deref(), Some("health"));
    let refused = q.access(&made.refused_access).unwrap().unwrap();
    assert_eq!(refused.refusal.as_deref(), Some("fields-not-permitted"));
    let unknown = q.access(&made.unknown_access).unwrap().unwrap();
    assert_eq!(unknown.refusal.as_deref(), Some("unknown-permission"));
    assert_eq!(unknown.consumer_org, None);
    // Each at its location of the access log: the first two recorded in one
    // block, in transaction order; the first record of all at 1.
    assert_eq!(allowed.location, 1);
    assert_eq!(unknown.location, 2);
    let revoked = q.access(&made.revoked_access).unwrap().unwrap();
    for (view, id) in [
        (&allowed, made.allowed_access),
        (&refused, made.refused_access),
        (&unknown, made.unknown_access),
        (&revoked, made.revoked_access),
    ] {
        assert_eq!(view.location, chain.location(&id), "{id}");
    }
    assert_eq!(refused.location, 4, "after the first block's commit at 3");
    assert_eq!(
        q.accesses(&AccessQuery::default())
            .unwrap()
            .items
            .iter()
            .map(|a| a.location)
            .collect::<Vec<_>>(),
        [
            revoked.location,
            refused.location,
            unknown.location,
            allowed.location
        ]
    );
    let subject = q
        .subject_accesses(&made.person, &PageQuery::default())
        .unwrap();
    assert_eq!(subject.items.last().unwrap().location, allowed.location);
    let accesses = |query: AccessQuery| -> Vec<String> {
        q.accesses(&query)
            .unwrap()
            .items
            .into_iter()
            .map(|a| a.id)
            .collect()
    };
    // Newest first; within a block, the later transaction first.
    assert_eq!(
        accesses(AccessQuery::default()),
        [
            made.revoked_access.to_string(),
            made.refused_access.to_string(),
            made.unknown_access.to_string(),
            made.allowed_access.to_string()
        ]
    );
    assert_eq!(
        accesses(AccessQuery {
            refused: Some(true),
            ..Default::default()
        }),
        [
            made.revoked_access.to_string(),
            made.refused_access.to_string(),
            made.unknown_access.to_string()
        ]
    );
    assert_eq!(
        accesses(AccessQuery {
            consumer: Some("police".into()),
            ..Default::default()
        }),
        [
            made.refused_access.to_string(),
            made.allowed_access.to_string()
        ]
    );
    assert_eq!(
        accesses(AccessQuery {
            provider: Some("health".into()),
            item: Some("health/stats".into()),
            ..Default::default()
        }),
        [made.revoked_access.to_string()]
    );
    assert_eq!(
        accesses(AccessQuery {
            permission: Some(made.births_request.to_string()),
            ..Default::default()
        }),
        [
            made.refused_access.to_string(),
            made.allowed_access.to_string()
        ]
    );
    assert_eq!(
        accesses(AccessQuery {
            permission: Some(made.births_request.to_string()),
            refused: Some(false),
            ..Default::default()
        }),
        [made.allowed_access.to_string()],
        "refused=false keeps the exchanges within a live permission"
    );
    // The daily counts (kept as records are indexed, or counted from the
    // records under one permission) agree with the records themselves.
    let daily = |filter: AccessFilter| -> Vec<(String, Option<String>, u64, u64)> {
        let counted = q.access_daily(&filter, now).unwrap();
        counted
            .days
            .into_iter()
            .map(|d| (d.day, d.consumer_org, d.accepted, d.refused))
            .collect()
    };
    let by_hand = |query: AccessQuery| -> Vec<(String, Option<String>, u64, u64)> {
        let mut counts = std::collections::BTreeMap::<(String, Option<String>), (u64, u64)>::new();
        for a in q
            .accesses(&AccessQuery {
                limit: Some(500),
                ..query
            })
            .unwrap()
            .items
        {
            let day = time::OffsetDateTime::from_unix_timestamp((a.at / 1000) as i64)
                .unwrap()
                .date()
                .to_string();
            let entry = counts.entry((day, a.consumer_org.clone())).or_default();
            if a.refusal.is_some() {
                entry.1 += 1;
            } else {
                entry.0 += 1;
            }
        }
        counts
            .into_iter()
            .map(|((d, c), (a, r))| (d, c, a, r))
            .collect()
    };
    let month = |filter: AccessFilter| AccessFilter {
        from_ms: Some(now - 30 * 86_400_000),
        to_ms: Some(now),
        ..filter
    };
    for (filter, query) in [
        (AccessFilter::default(), AccessQuery::default()),
        (
            AccessFilter {
                consumer: Some("police".into()),
                ..Default::default()
            },
            AccessQuery {
                consumer: Some("police".into()),
                ..Default::default()
            },
        ),
        (
            AccessFilter {
                refused: Some(true),
                ..Default::default()
            },
            AccessQuery {
                refused: Some(true),
                ..Default::default()
            },
        ),
        (
            AccessFilter {
                refused: Some(false),
                provider: Some("health".into()),
                ..Default::default()
            },
            AccessQuery {
                refused: Some(false),
                provider: Some("health".into()),
                ..Default::default()
            },
        ),
        (
            AccessFilter {
                permission: Some(made.births_request.to_string()),
                ..Default::default()
            },
            AccessQuery {
                permission: Some(made.births_request.to_string()),
                ..Default::default()
            },
        ),
    ] {
        assert_eq!(daily(month(filter.clone())), by_hand(query), "{filter:?}");
    }
    assert!(
        daily(month(AccessFilter::default()))
            .iter()
            .any(|(_, consumer, ..)| consumer.is_none()),
        "an attempt under no permission is counted, with no consumer"
    );
    let refused_at = refused.at;
    assert_eq!(
        accesses(AccessQuery {
            from_ms: Some(refused_at),
            to_ms: Some(refused_at + 1),
            ..Default::default()
        }),
        [made.refused_access.to_string()]
    );
    assert!(matches!(
        q.accesses(&AccessQuery {
            permission: Some("not hex".into()),
            ..Default::default()
        }),
        Err(dirchain_index::QueryError::BadFilter {
            field: "permission",
            ..
        })
    ));
    let anna: Vec<String> = q
        .subject_accesses(&made.person, &PageQuery::default())
        .unwrap()
        .items
        .into_iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(
        anna,
        [
            made.refused_access.to_string(),
            made.unknown_access.to_string(),
            made.allowed_access.to_string()
        ]
    );
    assert!(
        q.subject_accesses(&person("nobody"), &PageQuery::default())
            .unwrap()
            .items
            .is_empty()
    );

    // Transactions and their outcomes.
    let tx = q.tx(&made.refused_access).unwrap().unwrap();
    assert_eq!(tx.outcome, TxOutcome::AccessRefused);
    assert_eq!(tx.refusal.as_deref(), Some("fields-not-permitted"));
    assert_eq!(tx.kind, "record-access");
    assert_eq!(tx.signer_org.as_deref(), Some("police"));
    assert_eq!(
        tx.signer,
        key_for("police.consumer").public_key().to_string()
    );
    let tx = q.tx(&made.births_request).unwrap().unwrap();
    assert_eq!(tx.outcome, TxOutcome::Applied);
    assert_eq!(tx.kind, "request-access");
    assert_eq!(tx.channel, "main");
    for hash in &made.all_txs {
        assert!(q.tx(hash).unwrap().is_some());
    }
    assert!(q.tx(&sha256(&[b"never sent"])).unwrap().is_none());

    // Notary, asset history, proposals.
    let stamp = q.notary("main", &made.notarized).unwrap().unwrap();
    assert_eq!(stamp.org, "tax");
    assert_eq!(stamp.meta, "lease of the town hall");
    assert!(q.notary("main", &sha256(&[b"other"])).unwrap().is_none());
    let asset = q.asset("main", "asset/births").unwrap().unwrap();
    assert_eq!(asset.asset.owner_org, "police");
    assert_eq!(asset.asset.appraisal.as_ref().unwrap().value, 125_000);
    let kinds: Vec<&str> = asset.events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        ["registered", "appraised", "transferred", "licensed"]
    );
    assert_eq!(asset.events[2].to.as_deref(), Some("police"));
    assert_eq!(
        asset.events[3].licence.as_ref().unwrap().terms,
        "research only"
    );
    let proposals = q.proposals(&ProposalQuery::default()).unwrap().items;
    assert_eq!(proposals.len(), 2);
    assert_eq!(proposals[0].id, made.open_proposal.to_string());
    assert_eq!(proposals[0].status, "open");
    let applied = q.proposal(&made.added_org).unwrap().unwrap();
    assert_eq!(applied.status, "applied");
    assert_eq!(applied.yes, ["health", "police"]);
    assert!(matches!(applied.action, ActionView::AddOrg { ref org, .. } if org == "transport"));
    let open_only = q
        .proposals(&ProposalQuery {
            status: Some("open".into()),
            ..Default::default()
        })
        .unwrap()
        .items;
    assert_eq!(open_only.len(), 1);
}

#[tokio::test]
async fn a_rebuild_from_scratch_answers_like_the_index_that_followed() {
    let dir = tempfile::tempdir().unwrap();
    let chain = Chain::new();
    // Indexed block by block, each with the state right after it.
    let mut followed = open(&dir.path().join("followed.sqlite"));
    let made = {
        let chain2 = chain.clone();
        let followed = &mut followed;
        scenario(&chain, move || {
            futures_ready(catch_up(followed, &chain2)).unwrap();
        })
    };
    // Indexed once at the end: every mutable record is already current.
    let mut rebuilt = open(&dir.path().join("rebuilt.sqlite"));
    catch_up(&mut rebuilt, &chain).await.unwrap();
    let now = chain.now();
    let a = answers(&followed.queries().unwrap(), &made, now);
    let b = answers(&rebuilt.queries().unwrap(), &made, now);
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x, y);
    }
}

/// Polls a future whose source never waits (the in-memory chain) to completion.
fn futures_ready<F: std::future::Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let waker = std::task::Waker::noop();
    match f.as_mut().poll(&mut std::task::Context::from_waker(waker)) {
        std::task::Poll::Ready(out) => out,
        std::task::Poll::Pending => panic!("the in-memory chain never waits"),
    }
}

#[tokio::test]
async fn a_restart_resumes_at_the_next_block() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index.sqlite");
    let chain = Chain::new();
    let made = scenario(&chain, || {});
    // Index half the chain, as if the node stopped there.
    let half = chain.height() / 2;
    {
        let mut index = open(&path);
        let first_half = Capped(chain.clone(), half);
        assert_eq!(catch_up(&mut index, &first_half).await.unwrap(), half);
    }
    let mut index = open(&path);
    assert_eq!(index.indexed_height().unwrap(), Some(half));
    assert_eq!(
        index.access_cursor().unwrap(),
        Some(chain.log_size_at(half))
    );
    assert_eq!(catch_up(&mut index, &chain).await.unwrap(), chain.height());
    assert_eq!(
        index.access_cursor().unwrap(),
        Some(chain.log_size_at(chain.height()))
    );
    let mut fresh = open(&dir.path().join("fresh.sqlite"));
    catch_up(&mut fresh, &chain).await.unwrap();
    let now = chain.now();
    assert_eq!(
        answers(&index.queries().unwrap(), &made, now),
        answers(&fresh.queries().unwrap(), &made, now)
    );
}

/// Stopped after every block, and again after each of several at once, the
/// follower resumes at the access log location where the last block it
/// indexed ended, whether or not that block recorded accesses.
#[tokio::test]
async fn a_restart_anywhere_resumes_at_the_right_location_of_the_access_log() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index.sqlite");
    let chain = Chain::new();
    let made = scenario(&chain, || {});
    // More accesses, several per block, and blocks without any between.
    for round in 0..3 {
        let txs = ["police.consumer", "health.gateway"]
            .iter()
            .map(|signer| {
                chain.tx(
                    signer,
                    access(made.births_request, &["district"], &[&format!("r{round}")]),
                )
            })
            .collect();
        chain.finalize(txs);
        chain.finalize(vec![]);
    }
    let mut height = 0;
    for step in [
        1, 1, 2, 3, 1, 5, 1, 1, 4, 1, 2, 1, 1, 1, 7, 1, 1, 2, 1, 1, 1,
    ] {
        let mut index = open(&path);
        height = (height + step).min(chain.height());
        catch_up(&mut index, &Capped(chain.clone(), height))
            .await
            .unwrap();
        assert_eq!(index.indexed_height().unwrap(), Some(height));
        assert_eq!(
            index.access_cursor().unwrap(),
            Some(chain.log_size_at(height)),
            "at {height}"
        );
    }
    let mut index = open(&path);
    catch_up(&mut index, &chain).await.unwrap();
    let mut fresh = open(&dir.path().join("fresh.sqlite"));
    catch_up(&mut fresh, &chain).await.unwrap();
    let now = chain.now();
    assert_eq!(
        answers(&index.queries().unwrap(), &made, now),
        answers(&fresh.queries().unwrap(), &made, now)
    );
    let locations = |index: &Index| -> Vec<u64> {
        all(|cursor| {
            index
                .queries()
                .unwrap()
                .accesses(&AccessQuery {
                    cursor,
                    ..Default::default()
                })
                .unwrap()
        })
        .into_iter()
        .map(|a| a.location)
        .collect()
    };
    let resumed = locations(&index);
    assert_eq!(resumed, locations(&fresh));
    assert_eq!(resumed.len(), 4 + 6);
    assert!(resumed.windows(2).all(|w| w[0] > w[1]), "{resumed:?}");
    // Every record the log holds, each once.
    let log = chain.read_log(0, 1_000);
    let mut held: Vec<u64> = log.records.iter().map(|(at, _)| *at).collect();
    held.reverse();
    assert_eq!(resumed, held);
}

#[tokio::test]
async fn pagination_returns_every_row_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let chain = Chain::new();
    let made = scenario(&chain, || {});
    // More accesses, several per block, so pages split ties in time.
    for round in 0..5 {
        // A consumer and the provider's gateway may both record.
        let txs = ["police.consumer", "health.gateway"]
            .iter()
            .map(|signer| {
                chain.tx(
                    signer,
                    access(
                        made.births_request,
                        &["district"],
                        &["anna", &format!("p{round}")],
                    ),
                )
            })
            .collect();
        chain.finalize(txs);
    }
    let mut index = open(&dir.path().join("index.sqlite"));
    catch_up(&mut index, &chain).await.unwrap();
    let q = index.queries().unwrap();
    let now = chain.now();

    let whole: Vec<String> = q
        .accesses(&AccessQuery::default())
        .unwrap()
        .items
        .into_iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(whole.len(), 14);
    for limit in [1, 2, 3, 5] {
        let paged: Vec<String> = all(|cursor| {
            q.accesses(&AccessQuery {
                limit: Some(limit),
                cursor,
                ..Default::default()
            })
            .unwrap()
        })
        .into_iter()
        .map(|a| a.id)
        .collect();
        assert_eq!(paged, whole, "limit {limit}");
        let anna = all(|cursor| {
            q.subject_accesses(
                &made.person,
                &PageQuery {
                    limit: Some(limit),
                    cursor,
                },
            )
            .unwrap()
        });
        assert_eq!(anna.len(), 13, "limit {limit}");
        let refused = all(|cursor| {
            q.accesses(&AccessQuery {
                refused: Some(true),
                consumer: Some("police".into()),
                limit: Some(limit),
                cursor,
                ..Default::default()
            })
            .unwrap()
        });
        assert_eq!(refused.len(), 1);
    }
    let catalog = all(|cursor| {
        q.catalog(&CatalogQuery {
            include_retired: Some(true),
            limit: Some(1),
            cursor,
            ..Default::default()
        })
        .unwrap()
    });
    assert_eq!(catalog.len(), 4);
    let searched = all(|cursor| {
        q.catalog(&CatalogQuery {
            q: Some("district".into()),
            limit: Some(1),
            cursor,
            ..Default::default()
        })
        .unwrap()
    });
    assert_eq!(searched.len(), 3);
    let orgs = all(|cursor| {
        q.orgs(&PageQuery {
            limit: Some(1),
            cursor,
        })
        .unwrap()
    });
    assert_eq!(orgs.len(), 4);
    let permissions = all(|cursor| {
        q.permissions(
            &PermissionQuery {
                limit: Some(1),
                cursor,
                ..Default::default()
            },
            now,
        )
        .unwrap()
    });
    assert_eq!(permissions.len(), 2);
    let requests = all(|cursor| {
        q.requests(&RequestQuery {
            limit: Some(1),
            cursor,
            ..Default::default()
        })
        .unwrap()
    });
    assert_eq!(requests.len(), 3);
    let proposals = all(|cursor| {
        q.proposals(&ProposalQuery {
            limit: Some(1),
            cursor,
            ..Default::default()
        })
        .unwrap()
    });
    assert_eq!(proposals.len(), 2);

    // A cursor from another list, or made up, is the client's mistake.
    let access_cursor = q
        .accesses(&AccessQuery {
            limit: Some(1),
            ..Default::default()
        })
        .unwrap()
        .next_cursor
        .unwrap();
    for bad in [access_cursor.as_str(), "garbage", "", "00"] {
        let err = q
            .catalog(&CatalogQuery {
                cursor: Some(bad.into()),
                ..Default::default()
            })
            .unwrap_err();
        assert!(
            matches!(err, dirchain_index::QueryError::BadCursor),
            "{bad:?}"
        );
        assert!(err.is_client_error());
    }
}

#[tokio::test]
async fn the_follower_keeps_up_and_stops_on_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    let chain = Chain::new();
    chain.finalize(vec![chain.tx(
        "health.admin",
        Enroll {
            org: id("health"),
            member_key: key_for("health.publisher").public_key(),
            role: Role::Publisher,
            expires_at: GENESIS_TIME + 365 * DAY,
        },
    )]);
    let index = open(&dir.path().join("index.sqlite"));
    let q = index.queries().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let follower = tokio::spawn(follow(index, chain.clone(), async move {
        let _ = stopped.await;
    }));
    let wait_for = |height: u64| {
        let q = q.clone();
        async move {
            tokio::time::timeout(Duration::from_secs(10), async {
                while q.indexed_height().unwrap() < height {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            })
            .await
            .expect("the follower catches up")
        }
    };
    wait_for(1).await;
    chain.finalize(vec![
        chain.tx("health.publisher", duty("health/vaccination")),
    ]);
    wait_for(2).await;
    let health = q.org("health").unwrap().unwrap();
    assert_eq!(health.duties.len(), 1);
    stop.send(()).unwrap();
    follower.await.unwrap().unwrap();
}

/// The chain as it was at an earlier height.
struct Capped(Chain, u64);

impl ChainSource for Capped {
    type Error = String;
    type Block = Block;

    fn height(&self) -> u64 {
        self.1
    }

    async fn block(&self, height: u64) -> Result<Option<Block>, String> {
        self.0.block(height).await
    }

    async fn records(&self, keys: Vec<StateKey>) -> Result<Vec<Option<Vec<u8>>>, String> {
        self.0.records(keys).await
    }

    /// The whole log: it may be ahead of the blocks being indexed.
    async fn access_records(&self, from: u64, count: u64) -> Result<AccessLogRead, String> {
        self.0.access_records(from, count).await
    }
}

/// A chain whose state returns garbage for every record.
struct Corrupt(Chain);

impl ChainSource for Corrupt {
    type Error = String;
    type Block = Block;

    fn height(&self) -> u64 {
        self.0.height()
    }

    async fn block(&self, height: u64) -> Result<Option<Block>, String> {
        self.0.block(height).await
    }

    async fn records(&self, keys: Vec<StateKey>) -> Result<Vec<Option<Vec<u8>>>, String> {
        Ok(keys.iter().map(|_| Some(vec![0xff; 3])).collect())
    }

    async fn access_records(&self, from: u64, count: u64) -> Result<AccessLogRead, String> {
        let mut read = self.0.read_log(from, count);
        for (_, bytes) in &mut read.records {
            *bytes = vec![0xff; 3];
        }
        Ok(read)
    }
}

#[tokio::test]
async fn a_record_that_does_not_decode_stops_the_follower_with_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let chain = Chain::new();
    chain.finalize(vec![]);
    let index = open(&dir.path().join("index.sqlite"));
    let result = follow(index, Corrupt(chain), std::future::pending()).await;
    match result {
        Err(e @ FollowError::Malformed { height: 0, .. }) => {
            assert!(!e.is_retryable());
            assert!(e.to_string().contains("malformed"), "{e}");
        }
        other => panic!("expected a malformed record error, got {other:?}"),
    }
}

/// A chain that has finalized blocks its state has not committed yet.
struct Lagging(Chain);

impl ChainSource for Lagging {
    type Error = String;
    type Block = Block;

    fn height(&self) -> u64 {
        self.0.height()
    }

    async fn block(&self, height: u64) -> Result<Option<Block>, String> {
        self.0.block(height).await
    }

    async fn records(&self, keys: Vec<StateKey>) -> Result<Vec<Option<Vec<u8>>>, String> {
        Ok(vec![None; keys.len()])
    }

    async fn access_records(&self, from: u64, count: u64) -> Result<AccessLogRead, String> {
        Ok(serve(&[None], from, count))
    }
}

#[tokio::test]
async fn a_record_not_yet_committed_is_waited_for() {
    let dir = tempfile::tempdir().unwrap();
    let chain = Chain::new();
    let mut index = open(&dir.path().join("index.sqlite"));
    let err = catch_up(&mut index, &Lagging(chain)).await.unwrap_err();
    assert!(err.is_retryable(), "{err}");
    assert_eq!(
        index.indexed_height().unwrap(),
        None,
        "nothing half-applied"
    );
}

/// A chain whose state is up to date but whose access log holds nothing
/// past its initial commit yet (the node appends a final block's records
/// before it commits its state, but a source may serve them later).
struct LogLagging(Chain);

impl ChainSource for LogLagging {
    type Error = String;
    type Block = Block;

    fn height(&self) -> u64 {
        self.0.height()
    }

    async fn block(&self, height: u64) -> Result<Option<Block>, String> {
        self.0.block(height).await
    }

    async fn records(&self, keys: Vec<StateKey>) -> Result<Vec<Option<Vec<u8>>>, String> {
        self.0.records(keys).await
    }

    async fn access_records(&self, from: u64, count: u64) -> Result<AccessLogRead, String> {
        Ok(serve(&[None], from, count))
    }
}

/// The first block that recorded accesses.
fn first_access_block(chain: &Chain) -> u64 {
    (1..=chain.height())
        .find(|h| chain.log_size_at(*h) > 1)
        .expect("the scenario records accesses")
}

#[tokio::test]
async fn access_records_not_yet_in_the_log_are_waited_for() {
    let dir = tempfile::tempdir().unwrap();
    let chain = Chain::new();
    let made = scenario(&chain, || {});
    let first = first_access_block(&chain);
    let mut index = open(&dir.path().join("index.sqlite"));
    let err = catch_up(&mut index, &LogLagging(chain.clone()))
        .await
        .unwrap_err();
    assert!(err.is_retryable(), "{err}");
    assert!(
        matches!(err, FollowError::Unavailable { height, .. } if height == first),
        "{err}"
    );
    assert_eq!(
        index.indexed_height().unwrap(),
        Some(first - 1),
        "the blocks before it are indexed, nothing of it"
    );
    assert_eq!(index.access_cursor().unwrap(), Some(1));
    assert!(
        index
            .queries()
            .unwrap()
            .access(&made.allowed_access)
            .unwrap()
            .is_none()
    );
    // Once the log has it, the follower goes on.
    assert_eq!(catch_up(&mut index, &chain).await.unwrap(), chain.height());
    assert_eq!(
        index.access_cursor().unwrap(),
        Some(chain.log_size_at(chain.height()))
    );
}

/// A chain whose access log holds the records of one block in another order
/// than the block's transactions.
struct Swapped(Chain, u64);

impl ChainSource for Swapped {
    type Error = String;
    type Block = Block;

    fn height(&self) -> u64 {
        self.0.height()
    }

    async fn block(&self, height: u64) -> Result<Option<Block>, String> {
        self.0.block(height).await
    }

    async fn records(&self, keys: Vec<StateKey>) -> Result<Vec<Option<Vec<u8>>>, String> {
        self.0.records(keys).await
    }

    async fn access_records(&self, from: u64, count: u64) -> Result<AccessLogRead, String> {
        let mut log = self.0.log.lock().unwrap().clone();
        let at = self.1 as usize;
        log.swap(at, at + 1);
        Ok(serve(&log, from, count))
    }
}

#[tokio::test]
async fn an_access_log_that_disagrees_with_the_blocks_stops_the_follower() {
    let dir = tempfile::tempdir().unwrap();
    let chain = Chain::new();
    let made = scenario(&chain, || {});
    let first = first_access_block(&chain);
    // The allowed and the unknown access, recorded in that order.
    let swapped = Swapped(chain.clone(), chain.location(&made.allowed_access));
    let index = open(&dir.path().join("index.sqlite"));
    let q = index.queries().unwrap();
    let result = follow(index, swapped, std::future::pending()).await;
    match result {
        Err(
            ref e @ FollowError::AccessLogMismatch {
                height, location, ..
            },
        ) => {
            assert!(!e.is_retryable());
            assert_eq!((height, location), (first, 1));
            assert!(e.to_string().contains("access log"), "{e}");
        }
        other => panic!("expected an access log mismatch, got {other:?}"),
    }
    assert_eq!(
        q.indexed_height().unwrap(),
        first - 1,
        "nothing of the block"
    );
    assert!(q.access(&made.allowed_access).unwrap().is_none());
    assert!(q.access(&made.unknown_access).unwrap().is_none());

    // A log whose records are right but whose block boundaries are not: a
    // commit missing after the first block, read as part of the next.
    let mut index = open(&dir.path().join("boundaries.sqlite"));
    let merged = Merged(chain.clone(), chain.log_size_at(first) - 1);
    let mut steps = 0;
    let err = loop {
        match index_next(&mut index, &merged).await {
            Ok(Some(_)) => steps += 1,
            Ok(None) => panic!("indexed a log that disagrees"),
            Err(e) => break e,
        }
        assert!(steps < 100);
    };
    assert!(
        matches!(err, FollowError::AccessLogMismatch { .. }),
        "{err}"
    );
    assert!(index.indexed_height().unwrap() < Some(chain.height()));
}

/// A chain whose access log lacks the block-closing commit at location `.1`.
struct Merged(Chain, u64);

impl ChainSource for Merged {
    type Error = String;
    type Block = Block;

    fn height(&self) -> u64 {
        self.0.height()
    }

    async fn block(&self, height: u64) -> Result<Option<Block>, String> {
        self.0.block(height).await
    }

    async fn records(&self, keys: Vec<StateKey>) -> Result<Vec<Option<Vec<u8>>>, String> {
        self.0.records(keys).await
    }

    async fn access_records(&self, from: u64, count: u64) -> Result<AccessLogRead, String> {
        let mut log = self.0.log.lock().unwrap().clone();
        assert_eq!(log.remove(self.1 as usize), None, "a commit");
        Ok(serve(&log, from, count))
    }
}
