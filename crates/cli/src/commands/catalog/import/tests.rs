//! A whole import against a scripted chain: checking, resuming, reporting.

use super::*;
use crate::client::output::Output;
use commonware_cryptography::Signer as _;
use dirchain_types::ids::{PrivateKey, system_channel};
use fake::{FakeChain, draft, ids, item};

fn signer() -> Signer {
    Signer::new(PrivateKey::from_seed(1), "test-chain").unwrap()
}

fn options(dry_run: bool) -> Options {
    Options {
        dry_run,
        window: 16,
        pace: Pace {
            poll: Duration::from_millis(1),
            backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(2),
            stall: Duration::from_secs(5),
        },
        settle_timeout: Duration::from_secs(5),
    }
}

struct Quiet;

impl Progress for Quiet {
    fn start(&mut self, _: usize) {}
    fn done(&mut self, _: &Outcome) {}
}

fn rows(count: usize) -> Vec<Row> {
    (0..count)
        .map(|i| {
            let draft = draft(&format!("health/item-{i}"), 1);
            Row {
                number: i + 1,
                id: Some(draft.id.clone()),
                draft: Ok(draft),
            }
        })
        .collect()
}

async fn import_rows(chain: &FakeChain, rows: Vec<Row>, dry_run: bool) -> Summary {
    import(chain, &signer(), rows, &options(dry_run), &mut Quiet)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_rerun_skips_everything_already_on_chain() {
    let chain = FakeChain::new("health", &["health/statistics"]);
    let first = import_rows(&chain, rows(40), false).await;
    assert_eq!(first.published, 40);
    assert_eq!(first.skipped, 0);
    assert!(first.failed.is_empty());
    let sent = chain.state().accepted;

    let again = import_rows(&chain, rows(40), false).await;
    assert_eq!(again.published, 0);
    assert_eq!(again.skipped, 40);
    assert!(again.failed.is_empty());
    assert_eq!(chain.state().accepted, sent, "nothing is sent again");
}

#[tokio::test]
async fn an_interrupted_import_resumes_where_it_stopped() {
    let chain = FakeChain::new("health", &["health/statistics"]);
    // The first run sent rows 1-4 and was stopped before they were final.
    for i in 0..4 {
        let tx = signer().sign(item(&format!("health/item-{i}"), 1), i);
        chain.state().mempool.insert(i, tx);
    }
    let summary = import_rows(&chain, rows(10), false).await;
    assert_eq!(summary.skipped, 4);
    assert_eq!(summary.published, 6);
    assert!(summary.failed.is_empty());
    assert_eq!(chain.state().published.len(), 10, "each item once");
}

#[tokio::test]
async fn bad_rows_are_reported_and_the_good_ones_published() {
    let chain = FakeChain::new("health", &["health/statistics"]);
    chain.holds("tax", item("health/item-5", 1), false);
    let mut rows = rows(20);
    let mut long_title = draft("health/x", 1);
    long_title.title = "t".repeat(300);
    rows[16].draft = Ok(long_title);
    rows[16].id = Some("health/x".into());
    rows[2].draft = Err("2 cells; the header has 10".into());
    rows[2].id = None;
    let summary = import_rows(&chain, rows, false).await;
    assert_eq!(summary.published, 17);
    let failed: Vec<String> = summary.failed.iter().map(ToString::to_string).collect();
    assert_eq!(
        failed,
        [
            "row 3: 2 cells; the header has 10",
            "row 6 (id health/item-5): item health/item-5 belongs to tax",
            "row 17 (id health/x): title is 300 bytes; at most 256",
        ]
    );
    let text = Output::new(false).render(&summary).unwrap();
    assert!(text.starts_with("rows       20\npublished  17\n"), "{text}");
    assert!(
        text.ends_with("failed rows:\n  row 3: 2 cells; the header has 10\n  row 6 (id health/item-5): item health/item-5 belongs to tax\n  row 17 (id health/x): title is 300 bytes; at most 256"),
        "{text}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&Output::new(true).render(&summary).unwrap()).unwrap();
    assert_eq!(json["published"], 17);
    assert_eq!(json["failed"][2]["row"], 17);
    assert_eq!(json["failed"][2]["id"], "health/x");
}

#[tokio::test]
async fn a_dry_run_sends_nothing() {
    let chain = FakeChain::new("health", &["health/statistics"]);
    chain.holds("health", item("health/item-0", 1), false);
    let summary = import_rows(&chain, rows(3), true).await;
    assert_eq!(summary.published, 2);
    assert_eq!(summary.skipped, 1);
    assert!(summary.dry_run);
    assert_eq!(chain.state().accepted, 0);
    assert!(
        Output::new(false)
            .render(&summary)
            .unwrap()
            .contains("to publish  2")
    );
}

#[tokio::test]
async fn the_chain_view_pages_through_the_org_catalog() {
    let chain = FakeChain::new("health", &["health/statistics", "health/registry"]);
    chain
        .state()
        .duties
        .push(("tax/collection".into(), "tax".into()));
    for i in 0..1_200 {
        chain.holds("health", item(&format!("health/item-{i}"), 2), i == 7);
    }
    chain.holds("tax", item("tax/returns", 1), false);
    let named: Vec<Ident> = ["health/statistics", "tax/collection", "health/unknown"]
        .iter()
        .map(|d| Ident::new(*d).unwrap())
        .collect();
    let view = chain_view(&chain, signer().public_key(), &system_channel(), &named)
        .await
        .unwrap();
    assert_eq!(view.org, "health");
    // Only the named duties the signer's organisation declared.
    assert_eq!(view.duties, ["health/statistics".to_string()].into());
    assert_eq!(view.items.len(), 1_200);
    assert!(view.items["health/item-7"].retired);
    assert_eq!(view.items["health/item-8"].version, 2);
    assert!(!view.items.contains_key("tax/returns"));
    assert_eq!(ids(&chain).len(), 1_201);
}
