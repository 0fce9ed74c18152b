//! Query latency at the scale of issue 4: a synthetic index of 44,000
//! catalog items and 1,000,000 access records (with 8,000 permissions, 50
//! organisations and 200,000 persons), written through the index's own write
//! path ([Index::apply_all]: full blocks of 10,000 transactions, as many per
//! SQLite transaction as the follower takes while catching up), then every
//! query type run [RUNS] times with varying parameters; prints the median
//! and 99th percentile of each.
//!
//! `cargo bench -p dirchain-index --bench queries`

use commonware_cryptography::Signer as _;
use dirchain_index::{BlockChanges, CATCH_UP_TXS, Change, Index, Queries, TxEntry, position};
use dirchain_schema::records::*;
use dirchain_state::testkit::key_for;
use dirchain_types::{
    bounded::{Ident, List, Text},
    domain::{FieldSpec, FieldType, OpenClass, Sensitivity, ShareClass, UpdateFrequency},
    genesis::{Genesis, GenesisOrg},
    ids::{Digest, KeyBytes, sha256},
    limits::MAX_BLOCK_TXS,
    records::*,
    tx::TxKind,
};
use std::time::{Duration, Instant};

const ORGS: usize = 50;
const DUTIES_PER_ORG: usize = 4;
const ITEMS: usize = 44_000;
const PERMISSIONS: usize = 8_000;
const ACCESSES: usize = 1_000_000;
const PERSONS: u64 = 200_000;
/// Access records per block: as many as a block may hold.
const ACCESSES_PER_BLOCK: usize = MAX_BLOCK_TXS;
const ITEMS_PER_BLOCK: usize = 2_000;
const _: () = assert!(ITEMS_PER_BLOCK <= MAX_BLOCK_TXS && PERMISSIONS <= MAX_BLOCK_TXS);
/// One refused attempt in this many.
const REFUSED_EVERY: u64 = 50;
const RUNS: usize = 200;
/// Runs of the queries that read most of the index (counts over a month).
const HEAVY_RUNS: usize = 20;
const WARM_RUNS: usize = 10;
const START_MS: u64 = 1_700_000_000_000;
const BLOCK_MS: u64 = 60_000;
const DAY_MS: u64 = 86_400_000;

const WORDS: &[&str] = &[
    "population",
    "register",
    "births",
    "deaths",
    "marriages",
    "tax",
    "income",
    "property",
    "vehicle",
    "traffic",
    "accidents",
    "school",
    "pupils",
    "teachers",
    "hospital",
    "patients",
    "vaccination",
    "water",
    "quality",
    "air",
    "noise",
    "permits",
    "building",
    "housing",
    "rent",
    "social",
    "benefits",
    "unemployment",
    "business",
    "licences",
    "inspections",
    "restaurants",
    "waste",
    "recycling",
    "parks",
    "trees",
    "library",
    "loans",
    "museum",
    "visitors",
    "police",
    "incidents",
    "fire",
    "emergency",
    "ambulance",
    "elections",
    "voters",
    "budget",
    "spending",
    "procurement",
    "contracts",
    "grants",
    "energy",
    "consumption",
    "transport",
    "passengers",
    "parking",
    "cycling",
    "roads",
    "maintenance",
];
const FIELD_NAMES: &[&str] = &[
    "district",
    "year",
    "month",
    "count",
    "age_group",
    "sex",
    "address",
    "postcode",
    "birth_date",
    "national_id",
    "amount",
    "currency",
    "category",
    "status",
    "latitude",
    "longitude",
    "start_date",
    "end_date",
    "name",
    "phone",
    "email",
    "score",
    "rate",
];

/// xorshift64*: reproducible parameters without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn words(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| WORDS[self.below(WORDS.len())])
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn id(s: &str) -> Ident {
    Ident::new(s).unwrap()
}
fn text<const N: usize>(s: &str) -> Text<N> {
    Text::new(s).unwrap()
}
fn org(i: usize) -> Ident {
    id(&format!("org-{i:02}"))
}
fn duty(org: usize, d: usize) -> Ident {
    id(&format!("org-{org:02}/duty-{d}"))
}
fn item_id(i: usize) -> Ident {
    id(&format!("org-{:02}/item-{i:05}", i % ORGS))
}
fn key(i: u64) -> KeyBytes {
    KeyBytes::new(sha256(&[b"key", &i.to_be_bytes()]).0)
}
fn person(i: u64) -> Digest {
    sha256(&[b"person", &i.to_be_bytes()])
}
fn permission_id(i: usize) -> Digest {
    sha256(&[b"permission", &(i as u64).to_be_bytes()])
}

struct Builder {
    index: Index,
    height: u64,
    parent: Digest,
    /// The next location of the access log.
    access_cursor: u64,
    /// Time spent in [Index::apply], as opposed to making up the records.
    writing: Duration,
}

impl Builder {
    /// The block's changes; its access records must be at the access log
    /// locations from the cursor on, which moves past them and the block's
    /// commit.
    fn changes(&mut self, txs: Vec<TxEntry>, changes: Vec<Change>) -> BlockChanges {
        let digest = sha256(&[b"block", &self.height.to_be_bytes()]);
        let accesses = changes
            .iter()
            .filter(|c| matches!(c, Change::Access { .. }))
            .count() as u64;
        if accesses > 0 {
            // The records, then the block's commit.
            self.access_cursor += accesses + 1;
        }
        let block = BlockChanges {
            height: self.height,
            digest,
            parent: self.parent,
            timestamp_ms: START_MS + self.height * BLOCK_MS,
            access_cursor: self.access_cursor,
            txs,
            changes,
        };
        self.parent = digest;
        self.height += 1;
        block
    }

    fn apply(&mut self, blocks: &[BlockChanges]) {
        let started = Instant::now();
        self.index.apply_all(blocks).unwrap();
        self.writing += started.elapsed();
    }

    fn block(&mut self, txs: Vec<TxEntry>, changes: Vec<Change>) {
        let block = self.changes(txs, changes);
        self.apply(&[block]);
    }

    fn now(&self) -> u64 {
        START_MS + self.height * BLOCK_MS
    }
}

fn tx(hash: Digest, index: usize, kind: TxKind, refusal: Option<Refusal>) -> TxEntry {
    TxEntry {
        hash,
        index: index as u32,
        kind,
        signer: key(index as u64 % 500),
        channel: id("main"),
        refusal,
    }
}

fn build(dir: &std::path::Path) -> (Index, Duration) {
    let genesis = Genesis {
        chain_id: id("bench"),
        timestamp_ms: START_MS,
        orgs: List::new(
            (0..ORGS)
                .map(|i| GenesisOrg {
                    id: org(i),
                    name: text(&format!("Agency {i}")),
                    admin_key: key_for(&format!("org-{i}.admin")).public_key(),
                })
                .collect(),
        )
        .unwrap(),
        validators: List::default(),
        threshold: 1,
        params: Params::default(),
    };
    let started = Instant::now();
    let mut b = Builder {
        index: Index::open(dir.join("index.sqlite"), &genesis).unwrap(),
        height: 0,
        parent: Digest([0; 32]),
        // After the log's initial commit.
        access_cursor: 1,
        writing: Duration::ZERO,
    };
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let main = id("main");

    // Genesis: organisations, their admins, their duties.
    let mut changes = Vec::new();
    for i in 0..ORGS {
        changes.push(Change::Org(Org {
            active: true,
            id: org(i),
            name: text(&format!("Agency {i}")),
            joined_at: START_MS,
        }));
        changes.push(Change::Member(Member {
            key: key(i as u64),
            org: org(i),
            role: dirchain_types::domain::Role::Admin,
            expires_at: u64::MAX,
            enrolled_at: START_MS,
            revoked: None,
        }));
        for d in 0..DUTIES_PER_ORG {
            changes.push(Change::Duty {
                channel: main.clone(),
                duty: Duty {
                    id: duty(i, d),
                    org: org(i),
                    title: text(&rng.words(3)),
                    legal_basis: text("Public Administration Act, section 12"),
                    declared_at: START_MS,
                },
            });
        }
    }
    b.block(Vec::new(), changes);

    // The catalog.
    for chunk in (0..ITEMS).collect::<Vec<_>>().chunks(ITEMS_PER_BLOCK) {
        let now = b.now();
        let mut txs = Vec::new();
        let mut changes = Vec::new();
        for (n, &i) in chunk.iter().enumerate() {
            let owner = i % ORGS;
            let share_class = ShareClass::ALL[i % 3];
            let fields = (0..3 + rng.below(10))
                .map(|f| FieldSpec {
                    name: id(&format!(
                        "{}_{f}",
                        FIELD_NAMES[rng.below(FIELD_NAMES.len())]
                    )),
                    field_type: FieldType::Text,
                    sensitivity: if share_class == ShareClass::Unconditional {
                        Sensitivity::Public
                    } else {
                        Sensitivity::Personal
                    },
                })
                .collect();
            let version = ItemVersion {
                id: item_id(i),
                version: 1,
                org: org(owner),
                publisher: key(owner as u64),
                published_at: now,
                title: text(&rng.words(4)),
                description: text(&rng.words(15)),
                duties: List::new(vec![duty(owner, i % DUTIES_PER_ORG)]).unwrap(),
                fields: List::new(fields).unwrap(),
                share_class,
                open_class: OpenClass::Closed,
                update_frequency: UpdateFrequency::Monthly,
                format: id("CSV"),
            };
            let retired = (i % 100 == 99).then(|| Revocation {
                at: now,
                by: key(owner as u64),
                reason: text("superseded"),
            });
            changes.push(Change::ItemVersion {
                channel: main.clone(),
                version: version.clone(),
            });
            changes.push(Change::Item {
                channel: main.clone(),
                item: Item {
                    retired,
                    current: version,
                },
            });
            txs.push(tx(
                sha256(&[b"publish", &(i as u64).to_be_bytes()]),
                n,
                TxKind::PublishCatalogItem,
                None,
            ));
        }
        b.block(txs, changes);
    }

    println!("  catalog: {:.1} s", started.elapsed().as_secs_f64());

    // Requests and the permissions granted for them.
    let mut permissions = Vec::with_capacity(PERMISSIONS);
    let mut changes = Vec::new();
    let mut txs = Vec::new();
    let now = b.now();
    for p in 0..PERMISSIONS {
        let item = rng.below(ITEMS);
        let owner = item % ORGS;
        let consumer = (owner + 1 + rng.below(ORGS - 1)) % ORGS;
        let fields: Vec<Ident> = vec![id("district_0"), id("year_1")];
        let permission = Permission {
            id: permission_id(p),
            item: item_id(item),
            owner_org: org(owner),
            consumer_org: org(consumer),
            fields: List::new(fields.clone()).unwrap(),
            purpose: text("statistics"),
            requester_duty: duty(consumer, 0),
            granted_at: now - (PERMISSIONS - p) as u64 * 1_000,
            expires_at: now + (p as u64 % 400) * 24 * 3_600_000,
            revoked: (p % 40 == 0).then(|| Revocation {
                at: now,
                by: key(owner as u64),
                reason: text("audit"),
            }),
        };
        changes.push(Change::Request {
            channel: main.clone(),
            request: Request {
                id: permission.id,
                item: permission.item.clone(),
                item_version: 1,
                owner_org: permission.owner_org.clone(),
                consumer_org: permission.consumer_org.clone(),
                requester: key(consumer as u64),
                fields: permission.fields.clone(),
                purpose: permission.purpose.clone(),
                requester_duty: permission.requester_duty.clone(),
                valid_for_ms: 30 * 24 * 3_600_000,
                requested_at: permission.granted_at,
                status: RequestStatus::Approved,
                decided_by: Some(key(owner as u64)),
                reason: text("ok"),
            },
        });
        changes.push(Change::Permission {
            channel: main.clone(),
            permission: permission.clone(),
        });
        txs.push(tx(permission.id, p, TxKind::RequestAccess, None));
        permissions.push(permission);
    }
    b.block(txs, changes);

    println!("  permissions: {:.1} s", started.elapsed().as_secs_f64());

    // The exchange audit, in full blocks, as many per SQLite transaction as
    // the follower takes while catching up.
    let mut a = 0u64;
    let mut batch = Vec::new();
    while (a as usize) < ACCESSES {
        let height = b.height;
        let at = b.now();
        let mut txs = Vec::with_capacity(ACCESSES_PER_BLOCK);
        let mut changes = Vec::with_capacity(ACCESSES_PER_BLOCK);
        for n in 0..ACCESSES_PER_BLOCK {
            let p = &permissions[rng.below(PERMISSIONS)];
            let refusal = a
                .is_multiple_of(REFUSED_EVERY)
                .then_some(Refusal::FieldsNotPermitted);
            let subjects = (0..1 + rng.below(3))
                .map(|_| person(rng.next() % PERSONS))
                .collect();
            let record = AccessRecord {
                id: sha256(&[b"access", &a.to_be_bytes()]),
                permission: p.id,
                recorder: key(a % 500),
                recorder_org: p.consumer_org.clone(),
                requester: None,
                owner_org: Some(p.owner_org.clone()),
                consumer_org: Some(p.consumer_org.clone()),
                item: Some(p.item.clone()),
                subject_refs: List::new(subjects).unwrap(),
                fields: p.fields.clone(),
                query_digest: sha256(&[b"q", &a.to_be_bytes()]),
                response_digest: sha256(&[b"r", &a.to_be_bytes()]),
                record_count: 1,
                height,
                at,
                refusal,
            };
            txs.push(tx(record.id, n, TxKind::RecordAccess, refusal));
            changes.push(Change::Access {
                channel: main.clone(),
                position: position(height, n as u32),
                location: b.access_cursor + n as u64,
                record,
            });
            a += 1;
        }
        batch.push(b.changes(txs, changes));
        if batch.len() * ACCESSES_PER_BLOCK >= CATCH_UP_TXS || a as usize == ACCESSES {
            b.apply(&batch);
            batch.clear();
        }
    }
    println!("  access records: {:.1} s", started.elapsed().as_secs_f64());
    let optimizing = Instant::now();
    b.index.optimize().unwrap();
    b.writing += optimizing.elapsed();
    (b.index, b.writing)
}

struct Measured {
    name: &'static str,
    median: Duration,
    p99: Duration,
    rows: usize,
}

fn measure(name: &'static str, results: &mut Vec<Measured>, run: impl FnMut(usize) -> usize) {
    measure_runs(name, RUNS, results, run);
}

/// [measure] with `runs` runs, for queries that read most of the index.
fn measure_runs(
    name: &'static str,
    runs: usize,
    results: &mut Vec<Measured>,
    mut run: impl FnMut(usize) -> usize,
) {
    // Warm the statement cache and the pages touched.
    for i in 0..WARM_RUNS.min(runs) {
        run(i);
    }
    let mut times = Vec::with_capacity(runs);
    let mut rows = 0;
    for i in 0..runs {
        let started = Instant::now();
        rows += run(i);
        times.push(started.elapsed());
    }
    times.sort();
    results.push(Measured {
        name,
        median: times[runs / 2],
        p99: times[runs * 99 / 100],
        rows: rows / runs,
    });
}

fn run_queries(q: &Queries, now: u64) -> Vec<Measured> {
    let mut r = Vec::new();
    let orgs = |i: usize| Some(format!("org-{:02}", i % ORGS));
    let item = |i: usize| Some(item_id((i * 7919) % ITEMS).to_string());
    let word = |i: usize| WORDS[i % WORDS.len()];
    let page = PageQuery::default();

    measure("orgs (first page)", &mut r, |_| {
        q.orgs(&page).unwrap().items.len()
    });
    measure("org detail (members, duties)", &mut r, |i| {
        q.org(&orgs(i).unwrap())
            .unwrap()
            .map_or(0, |o| o.duties.len())
    });
    measure("catalog: browse first page", &mut r, |_| {
        q.catalog(&CatalogQuery::default()).unwrap().items.len()
    });
    let mut listed = 0;
    let mut cursor = None;
    loop {
        let page = q
            .catalog(&CatalogQuery {
                cursor,
                limit: Some(MAX_LIMIT),
                ..Default::default()
            })
            .unwrap();
        listed += page.items.len();
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(listed, ITEMS - ITEMS / 100, "every item not retired, once");
    let mid = q
        .catalog(&CatalogQuery {
            limit: Some(MAX_LIMIT),
            ..Default::default()
        })
        .unwrap()
        .next_cursor;
    measure("catalog: browse next page (cursor)", &mut r, |_| {
        q.catalog(&CatalogQuery {
            cursor: mid.clone(),
            ..Default::default()
        })
        .unwrap()
        .items
        .len()
    });
    measure("catalog: text, one common word", &mut r, |i| {
        q.catalog(&CatalogQuery {
            q: Some(word(i).into()),
            ..Default::default()
        })
        .unwrap()
        .items
        .len()
    });
    measure("catalog: text, two words + prefix", &mut r, |i| {
        q.catalog(&CatalogQuery {
            q: Some(format!("{} {}", word(i), &word(i * 13 + 5)[..3])),
            ..Default::default()
        })
        .unwrap()
        .items
        .len()
    });
    measure("catalog: text, field name", &mut r, |i| {
        q.catalog(&CatalogQuery {
            q: Some(FIELD_NAMES[i % FIELD_NAMES.len()].into()),
            ..Default::default()
        })
        .unwrap()
        .items
        .len()
    });
    measure("catalog: text + org + share class", &mut r, |i| {
        q.catalog(&CatalogQuery {
            q: Some(word(i).into()),
            org: orgs(i),
            share_class: Some("conditional".into()),
            ..Default::default()
        })
        .unwrap()
        .items
        .len()
    });
    measure("catalog: org + share class", &mut r, |i| {
        q.catalog(&CatalogQuery {
            org: orgs(i),
            share_class: Some("none".into()),
            ..Default::default()
        })
        .unwrap()
        .items
        .len()
    });
    measure("catalog: duty", &mut r, |i| {
        q.catalog(&CatalogQuery {
            duty: Some(duty(i % ORGS, i % DUTIES_PER_ORG).to_string()),
            ..Default::default()
        })
        .unwrap()
        .items
        .len()
    });
    measure("catalog: hostile text", &mut r, |i| {
        let hostile = ["\"", "NEAR(", "'); DROP TABLE items; --", "* OR *"];
        q.catalog(&CatalogQuery {
            q: Some(hostile[i % hostile.len()].into()),
            ..Default::default()
        })
        .unwrap()
        .items
        .len()
    });
    measure("item detail (versions)", &mut r, |i| {
        q.item("main", &item(i).unwrap())
            .unwrap()
            .map_or(0, |d| d.versions.len())
    });
    measure("permissions: consumer, live", &mut r, |i| {
        q.permissions(
            &PermissionQuery {
                consumer: orgs(i),
                status: Some(PermissionStatus::Live),
                ..Default::default()
            },
            now,
        )
        .unwrap()
        .items
        .len()
    });
    measure("permissions: owner, expired", &mut r, |i| {
        q.permissions(
            &PermissionQuery {
                owner: orgs(i),
                status: Some(PermissionStatus::Expired),
                ..Default::default()
            },
            now + 200 * 24 * 3_600_000,
        )
        .unwrap()
        .items
        .len()
    });
    measure("permission by id", &mut r, |i| {
        q.permission(&permission_id(i * 31 % PERMISSIONS), now)
            .unwrap()
            .map_or(0, |_| 1)
    });
    measure("requests: owner, approved", &mut r, |i| {
        q.requests(&RequestQuery {
            owner: orgs(i),
            status: Some("approved".into()),
            ..Default::default()
        })
        .unwrap()
        .items
        .len()
    });
    measure("access: newest", &mut r, |_| {
        q.accesses(&AccessQuery::default()).unwrap().items.len()
    });
    measure("access: consumer", &mut r, |i| {
        q.accesses(&AccessQuery {
            consumer: orgs(i),
            ..Default::default()
        })
        .unwrap()
        .items
        .len()
    });
    let span = (ACCESSES / ACCESSES_PER_BLOCK) as u64 * BLOCK_MS;
    let access_start = now - span;
    measure("access: provider + time range", &mut r, |i| {
        let from = access_start + (i as u64 * 7_919 % span);
        q.accesses(&AccessQuery {
            provider: orgs(i),
            from_ms: Some(from),
            to_ms: Some(from + 10 * BLOCK_MS),
            ..Default::default()
        })
        .unwrap()
        .items
        .len()
    });
    measure("access: item", &mut r, |i| {
        q.accesses(&AccessQuery {
            item: item(i),
            ..Default::default()
        })
        .unwrap()
        .items
        .len()
    });
    measure("access: permission", &mut r, |i| {
        q.accesses(&AccessQuery {
            permission: Some(permission_id(i * 17 % PERMISSIONS).to_string()),
            ..Default::default()
        })
        .unwrap()
        .items
        .len()
    });
    measure("access: refused only", &mut r, |_| {
        q.accesses(&AccessQuery {
            refused: Some(true),
            ..Default::default()
        })
        .unwrap()
        .items
        .len()
    });
    measure("access: consumer + refused", &mut r, |i| {
        q.accesses(&AccessQuery {
            consumer: orgs(i),
            refused: Some(true),
            ..Default::default()
        })
        .unwrap()
        .items
        .len()
    });
    let deep_access = {
        let mut cursor = None;
        for _ in 0..100 {
            cursor = q
                .accesses(&AccessQuery {
                    consumer: Some("org-07".into()),
                    cursor,
                    ..Default::default()
                })
                .unwrap()
                .next_cursor;
        }
        cursor
    };
    measure("access: consumer, page 101 (cursor)", &mut r, |_| {
        q.accesses(&AccessQuery {
            consumer: Some("org-07".into()),
            cursor: deep_access.clone(),
            ..Default::default()
        })
        .unwrap()
        .items
        .len()
    });
    measure("access by id", &mut r, |i| {
        q.access(&sha256(&[b"access", &(i as u64 * 4_999).to_be_bytes()]))
            .unwrap()
            .map_or(0, |_| 1)
    });
    measure("subject accesses", &mut r, |i| {
        q.subject_accesses(&person(i as u64 * 997 % PERSONS), &page)
            .unwrap()
            .items
            .len()
    });
    measure("tx by hash", &mut r, |i| {
        q.tx(&sha256(&[b"access", &(i as u64 * 3_001).to_be_bytes()]))
            .unwrap()
            .map_or(0, |_| 1)
    });
    measure("txs: newest", &mut r, |_| {
        q.txs(&TxQuery::default()).unwrap().items.len()
    });
    let blocks = (ACCESSES / ACCESSES_PER_BLOCK) as u64;
    measure("txs: one block (first page)", &mut r, |i| {
        q.txs(&TxQuery {
            height: Some((now - START_MS) / BLOCK_MS - 1 - i as u64 % blocks),
            ..Default::default()
        })
        .unwrap()
        .items
        .len()
    });
    measure("txs: kind", &mut r, |_| {
        q.txs(&TxQuery {
            kind: Some("publish-item".into()),
            ..Default::default()
        })
        .unwrap()
        .items
        .len()
    });
    let month = AccessFilter {
        from_ms: Some(now - 30 * DAY_MS),
        to_ms: Some(now),
        ..Default::default()
    };
    measure_runs(
        "access daily: a month, every record",
        HEAVY_RUNS,
        &mut r,
        |_| q.access_daily(&month, now).unwrap().days.len(),
    );
    measure_runs(
        "access daily: a month, one consumer",
        HEAVY_RUNS,
        &mut r,
        |i| {
            let filter = AccessFilter {
                consumer: orgs(i),
                ..month.clone()
            };
            q.access_daily(&filter, now).unwrap().days.len()
        },
    );
    measure("access daily: a month, one item", &mut r, |i| {
        let filter = AccessFilter {
            item: item(i),
            ..month.clone()
        };
        q.access_daily(&filter, now).unwrap().days.len()
    });
    measure_runs(
        "access count: one consumer (export)",
        HEAVY_RUNS,
        &mut r,
        |i| {
            let filter = AccessFilter {
                consumer: orgs(i),
                ..Default::default()
            };
            q.access_count(&filter).unwrap() as usize
        },
    );
    measure("indexed height", &mut r, |_| {
        q.indexed_height().unwrap() as usize
    });
    r
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    println!(
        "building an index of {ITEMS} items, {PERMISSIONS} permissions, {ACCESSES} access records..."
    );
    let (index, took) = build(dir.path());
    let size: u64 = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum();
    let now = START_MS + (index.indexed_height().unwrap().unwrap() + 1) * BLOCK_MS;
    println!(
        "written in {:.1} s ({:.0} access records/s incl. items and permissions); files {:.0} MiB",
        took.as_secs_f64(),
        ACCESSES as f64 / took.as_secs_f64(),
        size as f64 / (1024.0 * 1024.0)
    );
    let q = index.queries().unwrap();
    let results = run_queries(&q, now);
    println!();
    println!(
        "{:<40} {:>10} {:>10} {:>6}",
        "query", "median", "p99", "rows"
    );
    for m in &results {
        println!(
            "{:<40} {:>7.3} ms {:>7.3} ms {:>6}",
            m.name,
            m.median.as_secs_f64() * 1e3,
            m.p99.as_secs_f64() * 1e3,
            m.rows
        );
    }
    println!("({RUNS} runs each, one thread, parameters varying per run)");
}
