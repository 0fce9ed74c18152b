//! End to end, with real processes: a two-validator devnet whose second
//! validator runs without the query index (`dirchain devnet --query-nodes
//! 1`, which writes `query_index = false` into its config). It votes, takes
//! transactions and finalizes them like the other; it answers its status,
//! blocks and transactions from the chain; it refuses the list and record
//! routes with 503 `query_index_off`, which the first node answers; and it
//! keeps no index file.

mod support;

use std::time::Duration;
use support::{Devnet, cli::Cli};

const VALIDATORS: u16 = 2;
/// The node run without the index.
const WITHOUT: usize = 1;
const STARTUP_TIMEOUT: Duration = Duration::from_secs(180);
const NO_RESTART: Duration = Duration::from_secs(3600);
const INDEX_TIMEOUT: Duration = Duration::from_secs(60);

#[test]
fn a_validator_without_the_query_index_finalizes_and_refuses_only_the_index_routes() {
    let mut devnet = Devnet::start_with(VALIDATORS, NO_RESTART, &["--query-nodes", "1"]);
    devnet.wait_for_first_blocks(STARTUP_TIMEOUT);
    let cli = Cli::new(&devnet);

    let status = devnet.status(WITHOUT).expect("the status answers");
    assert_eq!(status["query_index"], false, "{status}");
    assert_eq!(status["indexed_height"], 0, "{status}");
    assert_eq!(devnet.status(0).unwrap()["query_index"], true);

    // A transaction through the node without the index: taken, gossiped,
    // finalized, and reported final by that node's `wait=final`.
    cli.enroll(WITHOUT, "analyst", "health", "consumer");
    let height = devnet.height(WITHOUT).unwrap();
    let (code, block) = devnet
        .get(WITHOUT, &format!("/v1/blocks/{height}"))
        .unwrap();
    assert_eq!(code, 200, "{block}");

    // The record routes: refused here, in the one error shape, and by the
    // command line with the node's own words; answered by the first node.
    let (code, refusal) = devnet.get(WITHOUT, "/v1/orgs/health").unwrap();
    assert_eq!(code, 503, "{refusal}");
    assert_eq!(refusal["code"], "query_index_off", "{refusal}");
    let out = cli.run(WITHOUT, &["org", "show", "health"]);
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("query_index_off"), "{said}");
    assert!(said.contains("no query index"), "{said}");
    devnet.wait_until(INDEX_TIMEOUT, "the first node indexed the enrolment", |d| {
        d.get(0, "/v1/orgs/health").is_some_and(|(code, org)| {
            code == 200 && org["members"].as_array().is_some_and(|m| m.len() >= 2)
        })
    });

    let out = cli.run(WITHOUT, &["status"]);
    assert!(out.status.success());
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains("no query index on this node"), "{shown}");

    let status = devnet.stop();
    assert!(status.success(), "the devnet exited with {status}");
    let storage = |node: usize| devnet.node_dir(node).join("data");
    assert!(storage(0).join("index.sqlite").exists());
    assert!(storage(WITHOUT).exists());
    assert!(!storage(WITHOUT).join("index.sqlite").exists());
}
