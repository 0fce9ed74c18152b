//! End to end in a real browser: the web explorer of a 4-validator devnet
//! with data on it, driven by Debian's chromium through Playwright
//! (`crates/explorer/e2e/`, installed by its `setup.sh`).
//!
//! The devnet gets the land registry of the gateway test (the `tax`
//! registry's item, three police permissions, the demo data service behind
//! `dirchain gateway`), exchanges served and refused through the gateway,
//! and a notarized file. The browser script then checks each page against
//! what this test knows is on the ledger, and saves screenshots of the main
//! pages under `target/explorer-screenshots/`.

mod support;

use dirchain_gateway::demo;
use serde_json::{Value, json};
use std::{fs, path::PathBuf, process::Command, time::Duration};
use support::{
    Devnet,
    cli::Cli,
    registry::{ITEM, Registry, WAIT_TIMEOUT},
};

const VALIDATORS: u16 = 4;
const STARTUP_TIMEOUT: Duration = Duration::from_secs(180);
/// The devnet never restarts a node during this test.
const NO_RESTART: Duration = Duration::from_secs(3600);
/// The outbox never fills here.
const OUTBOX_MAX_ENTRIES: u64 = 1_000;
/// The node whose explorer the browser opens.
const NODE: usize = 0;

fn e2e_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../explorer/e2e")
}

/// Where the screenshots go: beside the build, so a CI run keeps them.
fn screenshot_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/explorer-screenshots")
}

/// Node `NODE`'s answer to `GET path`, once `done` holds for it.
fn indexed(devnet: &Devnet, path: &str, done: impl Fn(&Value) -> bool) -> Value {
    let mut found = None;
    devnet.wait_until(WAIT_TIMEOUT, &format!("{path} on node {NODE}"), |d| {
        found = d
            .get(NODE, path)
            .filter(|(status, body)| *status == 200 && done(body));
        found.is_some()
    });
    found.unwrap().1
}

#[test]
fn the_explorer_shows_the_chain_catalog_audit_trail_notary_and_subject_view() {
    let setup = Command::new(e2e_dir().join("setup.sh"))
        .status()
        .expect("run crates/explorer/e2e/setup.sh");
    assert!(setup.success(), "the browser test's set-up failed");

    let devnet = Devnet::start(VALIDATORS, NO_RESTART);
    let cli = Cli::new(&devnet);
    devnet.wait_for_first_blocks(STARTUP_TIMEOUT);
    let registry = Registry::start(&cli, OUTBOX_MAX_ENTRIES);
    let (gateway, live) = (registry.gateway.as_str(), registry.live.as_str());

    // Exchanges: two served (the North district, then parcel 1), one refused.
    let north = cli.served(gateway, "police-consumer", live, "?district=North");
    let parcel = cli.served(gateway, "police-consumer", live, "/P-2026-0001");
    let refused = cli.refused(gateway, "police-consumer", &registry.revoked, "revoked");

    // A second item, so a search has something to leave out.
    cli.applied(
        1,
        &[
            "catalog",
            "publish",
            "--id",
            "tax/income-statements",
            "--title",
            "Income statements",
            "--description",
            "Declared yearly incomes by taxpayer",
            "--duty",
            "tax/land-registry",
            "--field",
            "income_eur:integer:personal",
            "--format",
            "csv",
            "--key",
            &cli.key("tax-publisher"),
        ],
    );
    indexed(&devnet, "/v1/catalog/tax%2Fincome-statements", |_| true);

    // A notarized file, and one never notarized.
    cli.enroll(0, "tax-notary", "tax", "notary");
    let deed = cli.work.join("deed.txt");
    fs::write(&deed, "Deed of transfer, parcel P-2026-0001").unwrap();
    let stamped = cli.applied(
        1,
        &[
            "notary",
            "stamp",
            "deed.txt",
            "--kind",
            "deed",
            "--key",
            &cli.key("tax-notary"),
        ],
    );
    let forged = cli.work.join("forged.txt");
    fs::write(
        &forged,
        "Deed of transfer, parcel P-2026-0001, to someone else",
    )
    .unwrap();

    // Everything is in node 0's index before the browser looks.
    let (north_id, parcel_id) = (
        north["access"].as_str().unwrap(),
        parcel["access"].as_str().unwrap(),
    );
    for id in [north_id, parcel_id, refused.as_str()] {
        indexed(&devnet, &format!("/v1/access/{id}"), |_| true);
    }
    let notary_tx = stamped["hash"].as_str().unwrap();
    let digest = stamped["digest"].as_str().unwrap();
    let notary_height = indexed(&devnet, &format!("/v1/notary/{digest}"), |_| true)["height"]
        .as_u64()
        .unwrap();
    // A block with a certificate of its own, for the in-browser check.
    let latest = devnet.height(NODE).unwrap();
    let certified = (1..latest)
        .rev()
        .find(|h| {
            devnet
                .get(NODE, &format!("/v1/blocks/{h}"))
                .is_some_and(|(_, b)| b["certificate_hex"].is_string())
        })
        .expect("a block with its own certificate");

    let subject = demo::owner_id(0);
    let theirs = devnet
        .http
        .post(format!("{}/v1/subjects/accesses", devnet.apis[NODE]))
        .json(&json!({ "subject": subject }))
        .send()
        .unwrap();
    let theirs = support::json(theirs).unwrap();
    let subject_accesses: Vec<&str> = theirs["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        subject_accesses.len(),
        2,
        "parcel 1's owner is in both: {theirs}"
    );

    let police_accesses = indexed(&devnet, "/v1/access?consumer=police&limit=500", |_| true);
    let expectations = json!({
        "url": devnet.apis[NODE],
        "screenshots": screenshot_dir(),
        "validators": VALIDATORS,
        "item": { "id": ITEM, "title": "Property registrations", "fields": demo::CATALOG_FIELDS.len(),
                  "permissions": 3, "org": "tax" },
        "search": { "hit": "propert", "miss": "zebra crossing", "items": 2 },
        "orgs": ["health", "police", "tax"],
        "audit": {
            "consumer": "police",
            "accesses": police_accesses["items"].as_array().unwrap().len(),
            "refused": [refused],
        },
        "notary": { "file": deed, "other": forged, "org": "tax", "height": notary_height, "tx": notary_tx },
        "block": certified,
        "subject": { "id": subject, "accesses": subject_accesses, "purpose": "Fraud case 2026/88" },
    });
    let expectations_file = cli.work.join("explorer-expectations.json");
    fs::write(&expectations_file, expectations.to_string()).unwrap();

    let browser = Command::new("node")
        .arg(e2e_dir().join("explorer.test.mjs"))
        .arg(&expectations_file)
        .output()
        .expect("run node (Node.js 20 or later)");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&browser.stdout),
        String::from_utf8_lossy(&browser.stderr)
    );
    println!("{report}");
    assert!(
        browser.status.success(),
        "the browser test failed:\n{report}"
    );
}
