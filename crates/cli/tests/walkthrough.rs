//! End to end: the README's walk-through on a real four-validator devnet,
//! driven through the `dirchain` command line and the HTTP API, each step
//! sent to a different node so gossip and every node's index are exercised.
//!
//! Members are enrolled; an item is published under a duty; a consumer
//! requests access and a steward approves; an access is recorded with a
//! pseudonymised subject and shows in that person's view; a file is stamped
//! and checked against the certificate locally. Then the refusals: an access
//! under an expired permission is recorded as refused, and every class of bad
//! input (bad JSON, wrong types, huge bodies, unknown ids, bad signatures, a
//! wrong role) gets a clear 4xx and leaves the state unchanged.

mod support;

use commonware_codec::Encode;
use dirchain_client::{
    Signer, input, keys,
    types::tx::{RevokePermission, Title},
};
use serde_json::{Value, json};
use std::{
    fs,
    path::Path,
    thread::sleep,
    time::{Duration, Instant},
};
use support::{CHAIN_ID, Devnet, POLL_INTERVAL, cli::Cli, metric_value, now_ms};

const VALIDATORS: u16 = 4;
const STARTUP_TIMEOUT: Duration = Duration::from_secs(180);
/// How long the query index may take to show what is final.
const INDEX_TIMEOUT: Duration = Duration::from_secs(20);
/// The devnet never restarts a node during this test.
const NO_RESTART: Duration = Duration::from_secs(3600);
/// The second permission's lifetime: short enough to see it expire.
const SHORT_PERMISSION_MS: u64 = 4_000;
/// A person's identifier as agencies hold it; it must never leave the client.
const SUBJECT: &str = "110101199003072345";
/// Two good rows and one naming a duty nobody declared.
const CATALOG_CSV: &str = "\
id,title,description,duties,fields,share_class,open_class,update_frequency,format,version
health/deaths,Deaths,Registered deaths by district,health/statistics,death_date:date:personal;district:text:public,conditional,closed,monthly,csv,1
health/clinics,Clinics,Public clinics and their opening hours,health/statistics,name:text:public;hours:text:public,unconditional,open,yearly,json,1
health/rumours,Rumours,Not a duty of ours,health/gossip,text:text:public,conditional,closed,irregular,csv,1
";
/// One byte more than the API accepts: the node answers once it has read its
/// limit, so a much larger body would break the pipe before the answer is read.
const HUGE_BODY_BYTES: usize = dirchain_api::MAX_BODY_BYTES + 1;

/// Polls `GET path` on `node` until `done` holds for its 200 answer.
fn wait_for(devnet: &Devnet, node: usize, path: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + INDEX_TIMEOUT;
    loop {
        if let Some((200, body)) = devnet.get(node, path)
            && done(&body)
        {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "GET {path} on node {node} never showed what was expected: {:?}",
            devnet.get(node, path)
        );
        sleep(POLL_INTERVAL);
    }
}

/// Every error of the API: a JSON `{code, message}` and the expected status.
fn assert_error(reply: reqwest::blocking::Response, status: u16, code: &str) {
    let got = reply.status().as_u16();
    let body: Value = serde_json::from_slice(&reply.bytes().unwrap()).expect("a JSON error");
    assert_eq!((got, body["code"].as_str()), (status, Some(code)), "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}

#[test]
fn the_readme_walkthrough_works_end_to_end() {
    let mut devnet = Devnet::start(VALIDATORS, NO_RESTART);
    let cli = Cli::new(&devnet);
    devnet.wait_for_first_blocks(STARTUP_TIMEOUT);

    // Each organisation's admin enrols its people.
    let members = [
        ("health-publisher", "health", "publisher"),
        ("health-steward", "health", "steward"),
        ("health-notary", "health", "notary"),
        ("police-publisher", "police", "publisher"),
        ("police-consumer", "police", "consumer"),
    ];
    for (name, org, role) in members {
        cli.enroll(0, name, org, role);
    }

    // Publish an item under a duty.
    cli.applied(
        1,
        &[
            "duty",
            "declare",
            "health/statistics",
            "--title",
            "Health statistics",
            "--legal-basis",
            "Health Act s.12",
            "--key",
            &cli.key("health-publisher"),
        ],
    );
    cli.applied(
        1,
        &[
            "catalog",
            "publish",
            "--id",
            "health/births",
            "--title",
            "Births",
            "--description",
            "Registered births by district",
            "--duty",
            "health/statistics",
            "--field",
            "birth_date:date:personal",
            "--field",
            "district:text:public",
            "--format",
            "csv",
            "--key",
            &cli.key("health-publisher"),
        ],
    );
    // Another node's index finds it by free text.
    let found = wait_for(&devnet, 2, "/v1/catalog?q=birth", |page| {
        page["items"]
            .as_array()
            .is_some_and(|items| !items.is_empty())
    });
    assert_eq!(found["items"][0]["id"], "health/births");

    // Bulk import: the good rows are published, the bad one reported; a rerun
    // publishes nothing again.
    fs::write(cli.work.join("items.csv"), CATALOG_CSV).unwrap();
    let import = |expected_published: u64| {
        let out = cli.run(
            1,
            &[
                "catalog",
                "import",
                "items.csv",
                "--json",
                "--key",
                &cli.key("health-publisher"),
            ],
        );
        assert_eq!(out.status.code(), Some(1), "one row is bad");
        let summary: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "no JSON summary ({e}): {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        assert_eq!(summary["published"], expected_published, "{summary}");
        assert_eq!(
            summary["failed"].as_array().map(Vec::len),
            Some(1),
            "{summary}"
        );
        assert_eq!(summary["failed"][0]["row"], 3, "{summary}");
        summary
    };
    import(2);
    wait_for(&devnet, 3, "/v1/catalog?org=health", |page| {
        page["items"]
            .as_array()
            .is_some_and(|items| items.len() == 3)
    });
    let rerun = import(0);
    assert_eq!(rerun["skipped"], 2, "{rerun}");

    // Request, for a purpose under the consumer's duty; the owner's steward approves.
    cli.applied(
        2,
        &[
            "duty",
            "declare",
            "police/investigation",
            "--title",
            "Criminal investigation",
            "--legal-basis",
            "Police Act s.3",
            "--key",
            &cli.key("police-publisher"),
        ],
    );
    let request = cli.applied(
        2,
        &[
            "permission",
            "request",
            "health/births",
            "--fields",
            "birth_date,district",
            "--purpose",
            "Missing person case 17",
            "--duty",
            "police/investigation",
            "--key",
            &cli.key("police-consumer"),
        ],
    );
    let permission = request["request"]
        .as_str()
        .expect("the request id")
        .to_string();
    cli.applied(
        3,
        &[
            "permission",
            "decide",
            &permission,
            "--approve",
            "--reason",
            "within the police's duty",
            "--expires-in-days",
            "30",
            "--key",
            &cli.key("health-steward"),
        ],
    );
    wait_for(&devnet, 0, "/v1/permissions?consumer=police", |page| {
        page["items"][0]["status"] == "live" && page["items"][0]["id"] == permission.as_str()
    });

    // Record an access: the identifier is pseudonymised here, never sent.
    let subject_key = devnet.devnet_dir().join("subject.key");
    let access = cli.applied(
        3,
        &[
            "access",
            "record",
            "--permission",
            &permission,
            "--fields",
            "birth_date",
            "--subject",
            SUBJECT,
            "--subject-key",
            &subject_key.display().to_string(),
            "--query",
            "district=3",
            "--response",
            "[{\"birth_date\": \"1990-03-07\"}]",
            "--records",
            "1",
            "--key",
            &cli.key("police-consumer"),
        ],
    );
    let access_id = access["access"]
        .as_str()
        .expect("the access id")
        .to_string();

    // The person's view, on another node: every access to their data.
    let deadline = Instant::now() + INDEX_TIMEOUT;
    let view = loop {
        let view = cli.json(0, &["access", "subject", SUBJECT]);
        if view["items"].as_array().is_some_and(|i| !i.is_empty()) || Instant::now() > deadline {
            break view;
        }
        sleep(POLL_INTERVAL);
    };
    assert_eq!(view["items"].as_array().map(Vec::len), Some(1), "{view}");
    assert_eq!(view["items"][0]["id"], access_id.as_str());
    assert_eq!(view["items"][0]["permission"], permission.as_str());
    assert!(
        !view.to_string().contains(SUBJECT),
        "the raw identifier must never come back"
    );
    let (status, other) = subject_view(&devnet, 1, "19800101-0000");
    assert_eq!(
        (status, other["items"].as_array().map(Vec::len)),
        (200, Some(0))
    );

    // Stamp a file; check it and a file never stamped, verifying locally.
    let contract = cli.work.join("contract.txt");
    fs::write(&contract, "Lease of the district office, 2026-2030").unwrap();
    cli.applied(
        0,
        &[
            "notary",
            "stamp",
            "contract.txt",
            "--kind",
            "contract",
            "--key",
            &cli.key("health-notary"),
        ],
    );
    let checked = cli.run(1, &["notary", "check", "contract.txt"]);
    assert_eq!(
        checked.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&checked.stderr)
    );
    fs::write(
        cli.work.join("forged.txt"),
        "Lease of the district office, 2026-2040",
    )
    .unwrap();
    assert_eq!(
        cli.run(1, &["notary", "check", "forged.txt"]).status.code(),
        Some(2),
        "a file never stamped is verifiably absent"
    );
    let verified = cli.run(2, &["verify", "--record", "item", "health/births"]);
    assert!(verified.status.success(), "verify an item");

    metrics_report_the_chain(&devnet);
    expired_permission_is_refused_and_recorded(&devnet, &cli);
    bad_inputs_get_a_clear_4xx_and_change_nothing(&devnet, &cli);

    let status = devnet.stop();
    assert!(status.success(), "the devnet exited with {status}");
}

/// `GET /metrics`: what an operator graphs and alerts on.
fn metrics_report_the_chain(devnet: &Devnet) {
    let text = devnet
        .http
        .get(format!("{}/metrics", devnet.apis[0]))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let sample = |suffix: &str| {
        text.lines()
            .filter(|line| !line.starts_with('#'))
            .filter_map(|line| line.split([' ', '{']).next())
            .any(|name| name.ends_with(suffix))
    };
    for metric in [
        "_height",
        "_finality_seconds_bucket",
        "_block_interval_seconds_bucket",
        "_mempool_txs",
        "_backlog_limit_txs",
        "_submitted_txs_total",
        "_finalized_txs_total",
        "_peers",
        "dirchain_api_requests_total",
    ] {
        assert!(sample(metric), "no {metric} in /metrics:\n{text}");
    }
    assert!(
        text.contains("kind=\"publish-item\"") && text.contains("result=\"accepted\""),
        "transactions are counted by kind and result"
    );
    let metric = |name: &str| -> u64 {
        metric_value(&text, name).unwrap_or_else(|| panic!("no {name} in /metrics:\n{text}"))
    };
    assert_eq!(
        metric("chain_node_executor_refused_finalized_blocks_total"),
        0,
        "the node voted for every block the network finalized"
    );
    // The allocator's view, which tells a growing heap from memory the allocator keeps: live,
    // and never more than it holds resident.
    let (allocated, resident) = (
        metric("allocator_allocated_bytes"),
        metric("allocator_resident_bytes"),
    );
    assert!(
        allocated > 0 && allocated <= resident,
        "allocated {allocated}, resident {resident}"
    );
    assert!(
        metric("sqlite_memory_bytes") > 0,
        "the index's SQLite holds memory"
    );
}

/// An access under a permission that has expired is included as a refusal:
/// the attempt is on the record.
fn expired_permission_is_refused_and_recorded(devnet: &Devnet, cli: &Cli) {
    let request = cli.applied(
        1,
        &[
            "permission",
            "request",
            "health/births",
            "--fields",
            "district",
            "--purpose",
            "Statistics for the annual report",
            "--duty",
            "police/investigation",
            "--key",
            &cli.key("police-consumer"),
        ],
    );
    let permission = request["request"].as_str().unwrap().to_string();
    let expires_at = now_ms() + SHORT_PERMISSION_MS;
    cli.grant_until(2, "health-steward", &permission, expires_at);

    // Past the expiry, by block time.
    sleep(Duration::from_millis(SHORT_PERMISSION_MS));
    devnet.wait_until(INDEX_TIMEOUT, "a block after the expiry", |d| {
        d.status(0)
            .and_then(|s| s["block_timestamp_ms"].as_u64())
            .is_some_and(|t| t > expires_at)
    });
    let refused = cli.json(
        3,
        &[
            "access",
            "record",
            "--permission",
            &permission,
            "--fields",
            "district",
            "--subject-ref",
            &"ab".repeat(32),
            "--query",
            "all districts",
            "--response",
            "[]",
            "--records",
            "0",
            "--key",
            &cli.key("police-consumer"),
        ],
    );
    assert_eq!(refused["status"], "finalized", "{refused}");
    assert_eq!(refused["outcome"]["result"], "access_refused", "{refused}");
    assert_eq!(refused["outcome"]["refusal"], "expired", "{refused}");
    let page = wait_for(
        devnet,
        0,
        "/v1/access?consumer=police&refused=true",
        |page| page["items"].as_array().is_some_and(|i| i.len() == 1),
    );
    assert_eq!(page["items"][0]["refusal"], "expired");

    // The record is proven from the access log, here, against the genesis
    // validators: found by id through the index, or by its location alone.
    let id = refused["hash"].as_str().unwrap();
    let location = page["items"][0]["location"].as_u64().unwrap();
    let by_id = cli.json(1, &["verify", "--record", "access", id]);
    assert_eq!(by_id["location"], location, "{by_id}");
    assert_eq!(by_id["record"]["id"], id, "{by_id}");
    assert_eq!(by_id["record"]["refusal"], "expired", "{by_id}");
    let by_location = cli.json(
        2,
        &["verify", "--record", "access-log", &location.to_string()],
    );
    assert_eq!(by_location["record"], by_id["record"], "{by_location}");
    let beyond = cli.run(
        0,
        &["verify", "--record", "access-log", &u64::MAX.to_string()],
    );
    assert_eq!(beyond.status.code(), Some(1), "nothing is recorded there");
    assert!(
        String::from_utf8_lossy(&beyond.stderr).contains("no_access_record"),
        "{}",
        String::from_utf8_lossy(&beyond.stderr)
    );

    let (_, permission_view) = devnet
        .get(0, &format!("/v1/permissions/{permission}"))
        .unwrap();
    assert_eq!(permission_view["status"], "expired", "{permission_view}");
}

fn bad_inputs_get_a_clear_4xx_and_change_nothing(devnet: &Devnet, cli: &Cli) {
    let consumer = keys::read_key(Path::new(&cli.key("police-consumer"))).unwrap();
    let signer = Signer::new(consumer, CHAIN_ID).unwrap();
    let account = format!("/v1/accounts/{}", signer.public_key());
    let state = |devnet: &Devnet| {
        let (_, account) = devnet.get(0, &account).unwrap();
        let (_, catalog) = devnet.get(0, "/v1/catalog?limit=500").unwrap();
        let (_, access) = devnet.get(0, "/v1/access?limit=500").unwrap();
        (
            account["next_nonce"].clone(),
            catalog["items"].clone(),
            access["items"].clone(),
        )
    };
    let before = state(devnet);
    let api = &devnet.apis[0];
    let post = |body: Vec<u8>, content_type: &str| {
        devnet
            .http
            .post(format!("{api}/v1/tx"))
            .header("content-type", content_type)
            .body(body)
            .send()
            .unwrap()
    };

    // Bad JSON, wrong types, unknown fields, bad hex, garbage bytes.
    assert_error(
        post(b"{\"tx\": ".to_vec(), "application/json"),
        400,
        "bad_json",
    );
    assert_error(
        post(json!({"tx": 12}).to_string().into(), "application/json"),
        400,
        "bad_json",
    );
    assert_error(
        post(
            json!({"tx": "00", "extra": 1}).to_string().into(),
            "application/json",
        ),
        400,
        "bad_json",
    );
    assert_error(
        post(json!({"tx": "zz"}).to_string().into(), "application/json"),
        400,
        "bad_hex",
    );
    assert_error(
        post(vec![0xff; 64], "application/octet-stream"),
        400,
        "malformed",
    );
    assert_error(
        post(b"tx".to_vec(), "text/plain"),
        415,
        "unsupported_media_type",
    );
    // A huge body.
    assert_error(
        post(vec![0; HUGE_BODY_BYTES], "application/octet-stream"),
        413,
        "payload_too_large",
    );
    // A bad signature: a real transaction with one signature byte changed.
    let nonce = before.0.as_u64().unwrap();
    let tx = signer.sign(
        RevokePermission {
            permission: input::digest("permission", &"00".repeat(32)).unwrap(),
            reason: Title::new("test").unwrap(),
        },
        nonce,
    );
    let mut bytes = tx.encode().to_vec();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    assert_error(
        post(bytes, "application/octet-stream"),
        400,
        "bad_signature",
    );

    // Unknown ids and malformed ones.
    let get = |path: &str| devnet.http.get(format!("{api}{path}")).send().unwrap();
    assert_error(get("/v1/catalog/health%2Fnothing"), 404, "not_found");
    assert_error(
        get(&format!("/v1/permissions/{}", "00".repeat(32))),
        404,
        "not_found",
    );
    assert_error(get("/v1/permissions/not-an-id"), 400, "bad_id");
    assert_error(get("/v1/catalog?limit=abc"), 400, "bad_query");
    assert_error(get("/v1/proof/xyz"), 400, "bad_key");
    assert_error(get("/v1/blocks/99999999"), 404, "not_found");
    assert_error(get("/v1/nowhere"), 404, "unknown_route");

    // A transaction the ledger refuses: a consumer cannot decide requests.
    let wrong_role = cli.run(
        0,
        &[
            "permission",
            "decide",
            &"00".repeat(32),
            "--deny",
            "--reason",
            "not mine to decide",
            "--key",
            &cli.key("police-consumer"),
        ],
    );
    assert_eq!(wrong_role.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&wrong_role.stderr).contains("wrong_role"),
        "{}",
        String::from_utf8_lossy(&wrong_role.stderr)
    );

    assert_eq!(state(devnet), before, "bad input changed the state");
}

/// `POST /v1/subjects/accesses`: the identifier travels in the body only.
fn subject_view(devnet: &Devnet, node: usize, subject: &str) -> (u16, Value) {
    let reply = devnet
        .http
        .post(format!("{}/v1/subjects/accesses", devnet.apis[node]))
        .json(&json!({ "subject": subject }))
        .send()
        .unwrap();
    let status = reply.status().as_u16();
    (
        status,
        serde_json::from_slice(&reply.bytes().unwrap()).unwrap(),
    )
}
