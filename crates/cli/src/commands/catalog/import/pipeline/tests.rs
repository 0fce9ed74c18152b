//! The pipeline against a scripted chain: windows, gaps left by refused
//! transactions, busy nodes, refused keys, a stalled chain.

use super::*;
use crate::commands::catalog::import::fake::{FakeChain, ids, item};
use commonware_cryptography::Signer as _;
use dirchain_types::ids::PrivateKey;

fn signer() -> Signer {
    Signer::new(PrivateKey::from_seed(1), "test-chain").unwrap()
}

fn pace() -> Pace {
    Pace {
        poll: Duration::from_millis(1),
        backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(2),
        stall: Duration::from_secs(5),
    }
}

fn jobs(count: usize) -> Vec<Job> {
    (0..count)
        .map(|i| {
            let id = format!("health/item-{i}");
            Job {
                item: item(&id, 1),
                id,
            }
        })
        .collect()
}

/// Publishes `jobs` and returns what happened and what progress was told.
async fn run(chain: &FakeChain, jobs: Vec<Job>, window: usize) -> (Finished, Vec<Outcome>) {
    let mut told = Vec::new();
    let finished = publish(
        chain,
        &signer(),
        "health",
        jobs,
        window,
        pace(),
        &mut |_, outcome| told.push(outcome.clone()),
    )
    .await;
    (finished, told)
}

fn outcomes(finished: &Finished) -> Vec<Outcome> {
    finished
        .outcomes
        .iter()
        .map(|o| o.clone().unwrap())
        .collect()
}

#[tokio::test]
async fn every_row_is_published_through_a_small_window() {
    let chain = FakeChain::new("health", &[]);
    let (finished, told) = run(&chain, jobs(50), 8).await;
    assert!(finished.stopped.is_none());
    assert!(outcomes(&finished).iter().all(|o| *o == Outcome::Published));
    assert_eq!(told.len(), 50);
    let state = chain.state();
    assert_eq!(state.next_nonce, 50);
    assert_eq!(state.accepted, 50);
    assert!(state.mempool.is_empty());
}

#[tokio::test]
async fn an_item_of_another_org_fails_alone_and_the_gap_is_filled_with_the_next_row() {
    let chain = FakeChain::new("health", &[]);
    chain.holds("tax", item("health/item-3", 1), false);
    let (finished, _) = run(&chain, jobs(30), 8).await;
    assert!(finished.stopped.is_none());
    let outcomes = outcomes(&finished);
    assert_eq!(
        outcomes[3],
        Outcome::Failed("item health/item-3 belongs to tax".into())
    );
    for (i, outcome) in outcomes.iter().enumerate().filter(|(i, _)| *i != 3) {
        assert_eq!(*outcome, Outcome::Published, "row {i}");
    }
    let state = chain.state();
    // 29 published, each once; nothing left waiting behind a gap.
    assert_eq!(state.published.len(), 29);
    assert_eq!(state.next_nonce, 29);
    assert!(state.mempool.is_empty());
}

#[tokio::test]
async fn with_nothing_left_to_send_the_last_row_in_flight_fills_the_gap() {
    let chain = FakeChain::new("health", &[]);
    chain.holds("tax", item("health/item-2", 1), false);
    chain.holds("tax", item("health/item-9", 1), false);
    // The whole file fits in the window: no fresh row to fill a gap with.
    let (finished, _) = run(&chain, jobs(10), 64).await;
    assert!(finished.stopped.is_none());
    let outcomes = outcomes(&finished);
    for (i, outcome) in outcomes.iter().enumerate() {
        if i == 2 || i == 9 {
            assert!(matches!(outcome, Outcome::Failed(r) if r.contains("belongs to tax")));
        } else {
            assert_eq!(*outcome, Outcome::Published, "row {i}");
        }
    }
    let state = chain.state();
    assert_eq!(state.published.len(), 8);
    let mut published: Vec<_> = state.published.iter().map(|(id, _)| id.clone()).collect();
    published.sort();
    published.dedup();
    assert_eq!(published.len(), 8, "no row published twice");
    drop(state);
    assert_eq!(ids(&chain).len(), 10);
}

#[tokio::test]
async fn versions_of_one_item_apply_in_file_order() {
    let chain = FakeChain::new("health", &[]);
    let jobs = vec![
        Job {
            id: "health/a".into(),
            item: item("health/a", 1),
        },
        Job {
            id: "health/a".into(),
            item: item("health/a", 2),
        },
        Job {
            id: "health/b".into(),
            item: item("health/b", 1),
        },
    ];
    let (finished, _) = run(&chain, jobs, 8).await;
    assert!(outcomes(&finished).iter().all(|o| *o == Outcome::Published));
    let state = chain.state();
    let a: Vec<u32> = state
        .published
        .iter()
        .filter(|(id, _)| id == "health/a")
        .map(|(_, v)| *v)
        .collect();
    assert_eq!(a, [1, 2]);
}

#[tokio::test]
async fn a_busy_node_is_retried() {
    let chain = FakeChain::new("health", &[]);
    chain.state().busy = 5;
    let (finished, _) = run(&chain, jobs(5), 8).await;
    assert!(finished.stopped.is_none());
    assert!(outcomes(&finished).iter().all(|o| *o == Outcome::Published));
}

#[tokio::test]
async fn nonces_held_by_other_transactions_are_stepped_over() {
    let chain = FakeChain::new("health", &[]);
    // A transaction of this key from elsewhere holds nonce 2, behind a gap
    // at 1 that this import fills.
    let stray = signer().sign(item("health/stray", 1), 2);
    chain.state().mempool.insert(2, stray);
    chain.state().next_nonce = 1;
    let (finished, _) = run(&chain, jobs(4), 8).await;
    assert!(finished.stopped.is_none());
    assert!(outcomes(&finished).iter().all(|o| *o == Outcome::Published));
    assert!(ids(&chain).contains("health/stray"));
}

#[tokio::test]
async fn a_key_the_node_refuses_stops_the_import() {
    let chain = FakeChain::new("health", &[]);
    chain.state().refuse_all = Some("wrong_role");
    let (finished, told) = run(&chain, jobs(3), 8).await;
    let stopped = render_error(&finished.stopped.expect("stopped"));
    assert!(
        stopped.contains("refuses this key's transactions"),
        "{stopped}"
    );
    assert!(stopped.contains("(wrong_role)"), "{stopped}");
    assert!(told.is_empty());
    assert!(finished.outcomes.iter().all(Option::is_none));
}

#[tokio::test]
async fn a_row_the_node_refuses_fails_alone() {
    let chain = FakeChain::new("health", &[]);
    chain.state().refuse_all = Some("invalid_field");
    let (finished, _) = run(&chain, jobs(2), 8).await;
    assert!(finished.stopped.is_none());
    assert!(
        outcomes(&finished)
            .iter()
            .all(|o| matches!(o, Outcome::Failed(r) if r.ends_with("(invalid_field)")))
    );
}

#[tokio::test]
async fn a_stalled_chain_stops_the_import() {
    let chain = FakeChain::new("health", &[]);
    chain.state().frozen = true;
    let mut told = 0;
    let finished = publish(
        &chain,
        &signer(),
        "health",
        jobs(3),
        8,
        Pace {
            stall: Duration::from_millis(20),
            ..pace()
        },
        &mut |_, _| told += 1,
    )
    .await;
    let stopped = render_error(&finished.stopped.expect("stopped"));
    assert!(stopped.contains("was finalized"), "{stopped}");
    assert_eq!(told, 0);
}
