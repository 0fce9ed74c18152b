//! End to end, with real processes: a 4-validator devnet, the demo data
//! service and `dirchain gateway` in front of it for the land registry
//! (`tax`); the police fetch through `dirchain gateway fetch`.
//!
//! - A permitted request is served, with the unpermitted fields stripped,
//!   and recorded (requester, fields, subjects' pseudonyms).
//! - Expired, revoked, unknown permissions and a key of another agency are
//!   refused, and each refusal is recorded.
//! - The gateway's node is killed: requests are still served (recent state)
//!   and held in the outbox, which refuses more once full; after the node
//!   is back, every held access is on the ledger.
//! - The subject view then lists exactly the accesses to the person's data.

mod support;

use commonware_cryptography::Signer as _;
use dirchain_client::keys;
use dirchain_gateway::demo;
use rustix::process::{Pid, Signal, kill_process};
use serde_json::{Value, json};
use std::{collections::BTreeSet, path::Path, thread::sleep, time::Duration};
use support::{
    Devnet,
    cli::Cli,
    now_ms,
    registry::{PERMITTED, Registry, WAIT_TIMEOUT, gateway_status},
};

const VALIDATORS: u16 = 4;
const STARTUP_TIMEOUT: Duration = Duration::from_secs(180);
/// The devnet restarts a killed node after this long: the outage.
const RESTART_DELAY: Duration = Duration::from_secs(8);
/// The outbox holds this many accesses at most while the node is away.
const OUTBOX_MAX_ENTRIES: u64 = 3;

/// The access record `id` as node 2's index shows it, once it is there.
fn access_record(devnet: &Devnet, id: &str) -> Value {
    let mut found = None;
    devnet.wait_until(WAIT_TIMEOUT, &format!("access {id} on the ledger"), |d| {
        found = d
            .get(2, &format!("/v1/access/{id}"))
            .filter(|(s, _)| *s == 200);
        found.is_some()
    });
    found.unwrap().1
}

/// The public key (hex) of the key file `name` in the working folder.
fn public_key(cli: &Cli, name: &str) -> String {
    keys::read_key(Path::new(&cli.key(name)))
        .unwrap()
        .public_key()
        .to_string()
}

#[test]
fn the_gateway_serves_under_live_permissions_and_records_everything() {
    let devnet = Devnet::start(VALIDATORS, RESTART_DELAY);
    let cli = Cli::new(&devnet);
    devnet.wait_for_first_blocks(STARTUP_TIMEOUT);
    let registry = Registry::start(&cli, OUTBOX_MAX_ENTRIES);
    let (gateway, live, revoked, expiring, expires_at) = (
        registry.gateway.clone(),
        registry.live.clone(),
        registry.revoked.clone(),
        registry.expiring.clone(),
        registry.expires_at,
    );

    // Served: only the permitted fields leave; address and price are withheld.
    let north = cli.served(&gateway, "police-consumer", &live, "?district=North");
    assert_eq!(north["record_count"], 12);
    let permitted: BTreeSet<&str> = PERMITTED.split(',').collect();
    for record in north["records"].as_array().unwrap() {
        let keys: BTreeSet<&str> = record
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, permitted, "{record}");
        assert_eq!(record["district"], "North");
    }
    assert_eq!(
        north["withheld"],
        json!(["address", "area_m2", "price_eur", "registered_on"])
    );
    let recorded = access_record(&devnet, north["access"].as_str().unwrap());
    assert_eq!(recorded["refusal"], Value::Null);
    assert_eq!(recorded["record_count"], 12);
    assert_eq!(recorded["recorder_org"], "tax");
    assert_eq!(recorded["consumer_org"], "police");
    assert_eq!(recorded["requester"], public_key(&cli, "police-consumer"));
    // Twelve parcels, owned by distinct persons in the North district.
    assert_eq!(recorded["subject_refs"].as_array().unwrap().len(), 5);

    // Refused, and recorded as refused.
    sleep(Duration::from_millis(
        expires_at.saturating_sub(now_ms()) + 500,
    ));
    let unknown = "ab".repeat(32);
    for (key, permission, code, label) in [
        ("police-consumer", expiring.as_str(), "expired", "expired"),
        ("police-consumer", revoked.as_str(), "revoked", "revoked"),
        (
            "police-consumer",
            unknown.as_str(),
            "unknown_permission",
            "unknown-permission",
        ),
        (
            "health-consumer",
            live.as_str(),
            "not_consumer",
            "not-consumer",
        ),
    ] {
        let id = cli.refused(&gateway, key, permission, code);
        let record = access_record(&devnet, &id);
        assert_eq!(record["refusal"], label, "{record}");
        assert_eq!(record["record_count"], 0);
        assert_eq!(record["subject_refs"], json!([]));
        assert_eq!(record["requester"], public_key(&cli, key));
    }

    // The gateway's node goes away: the outbox holds what is served meanwhile.
    devnet.wait_until(WAIT_TIMEOUT, "the outbox to drain", |d| {
        gateway_status(d, &gateway).is_some_and(|s| s["outbox"]["pending"] == 0)
    });
    let pid = devnet.pid(0).expect("node 0 runs");
    kill_process(Pid::from_raw(pid).unwrap(), Signal::KILL).unwrap();
    let mut held = Vec::new();
    for parcel in ["/P-2026-0001", "/P-2026-0002", "/P-2026-0021"] {
        let served = cli.served(&gateway, "police-consumer", &live, parcel);
        assert_eq!(served["record_count"], 1);
        held.push(served["access"].as_str().unwrap().to_string());
    }
    let status = gateway_status(&devnet, &gateway).unwrap();
    assert_eq!(status["outbox"]["pending"], OUTBOX_MAX_ENTRIES, "{status}");
    assert_eq!(status["serving"], false);
    let out = cli.fetch(&gateway, "police-consumer", &live, "/P-2026-0003");
    assert!(String::from_utf8_lossy(&out.stderr).contains("(recording_backlog)"));

    // The devnet restarts the node; the outbox drains onto the ledger.
    devnet.wait_until(WAIT_TIMEOUT, "the outbox to drain after the restart", |d| {
        gateway_status(d, &gateway)
            .is_some_and(|s| s["outbox"]["pending"] == 0 && s["serving"] == true)
    });
    for id in &held {
        let record = access_record(&devnet, id);
        assert_eq!(record["refusal"], Value::Null);
        assert_eq!(record["record_count"], 1);
    }

    // Exactly the accesses made under the live permission are on the ledger.
    let page = devnet
        .get(2, &format!("/v1/access?permission={live}&limit=100"))
        .unwrap()
        .1;
    let ids: BTreeSet<String> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect();
    let refused_other_org = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["refusal"] == "not-consumer")
        .count();
    assert_eq!(refused_other_org, 1);
    let mut expected: BTreeSet<String> = held.iter().cloned().collect();
    expected.insert(north["access"].as_str().unwrap().to_string());
    assert_eq!(ids.len(), expected.len() + 1, "{page}");
    assert!(expected.is_subset(&ids));

    // The person who owns parcels 1 and 21 (and others in the North) sees
    // exactly the exchanges that returned their records.
    let reply = devnet
        .http
        .post(format!("{}/v1/subjects/accesses", devnet.apis[2]))
        .json(&json!({ "subject": demo::owner_id(0) }))
        .send()
        .unwrap();
    let view = support::json(reply).unwrap();
    let seen: BTreeSet<String> = view["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect();
    let theirs: BTreeSet<String> = [north["access"].as_str().unwrap(), &held[0], &held[2]]
        .into_iter()
        .map(str::to_string)
        .collect();
    assert_eq!(seen, theirs, "{view}");
}
