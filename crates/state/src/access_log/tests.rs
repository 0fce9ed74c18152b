use super::{AccessLog, AccessProof, AccessProofError, MAX_READ_RECORDS};
use crate::store::{Store, StoreError, WriteSet};
use commonware_codec::{DecodeExt as _, Encode as _};
use commonware_cryptography::{Hasher as _, Sha256};
use commonware_runtime::{Runner as _, Supervisor as _, deterministic};
use dirchain_types::{keys, records::AccessLogHead};

type TestLog = AccessLog<deterministic::Context>;

fn run<Fut: Future<Output = ()>>(test: impl FnOnce(deterministic::Context) -> Fut) {
    deterministic::Runner::default().start(test);
}

fn record(i: u64) -> Vec<u8> {
    format!("record-{i}").into_bytes()
}

fn records(range: std::ops::Range<u64>) -> Vec<Vec<u8>> {
    range.map(record).collect()
}

/// Appends `blocks` (the records `start..end` of each) one after another and commits each.
async fn append_blocks(log: &mut TestLog, blocks: &[(u64, u64)]) {
    for &(start, end) in blocks {
        let spec = log.speculate(None, records(start..end)).await.unwrap();
        log.commit(&spec).await.unwrap();
    }
}

#[test]
fn records_are_read_by_location_and_block_commits_are_skipped() {
    run(|ctx| async move {
        let mut log = TestLog::open(ctx.child("log"), "a", None).await.unwrap();
        assert_eq!(log.head().size, 1, "a new log holds its initial commit");
        // Two records then a commit (locations 1, 2, 3); one record then a commit (4, 5).
        append_blocks(&mut log, &[(0, 2), (2, 3)]).await;
        assert_eq!(log.head().size, 6);
        assert_eq!(
            log.read(0, 100).await.unwrap(),
            vec![(1, record(0)), (2, record(1)), (4, record(2))]
        );
        assert_eq!(log.read(3, 1).await.unwrap(), vec![]);
        assert_eq!(log.read(4, 1).await.unwrap(), vec![(4, record(2))]);
        assert_eq!(log.read(6, 10).await.unwrap(), vec![], "past the end");
        assert_eq!(log.read(u64::MAX, u64::MAX).await.unwrap(), vec![]);
    });
}

#[test]
fn a_read_returns_at_most_the_bound() {
    run(|ctx| async move {
        let mut log = TestLog::open(ctx.child("log"), "a", None).await.unwrap();
        append_blocks(&mut log, &[(0, MAX_READ_RECORDS + 5)]).await;
        let read = log.read(1, u64::MAX).await.unwrap();
        assert_eq!(read.len() as u64, MAX_READ_RECORDS);
        assert_eq!(read.last().unwrap().0, MAX_READ_RECORDS);
    });
}

#[test]
fn a_block_without_records_leaves_the_log_as_it_was() {
    run(|ctx| async move {
        let mut log = TestLog::open(ctx.child("log"), "a", None).await.unwrap();
        append_blocks(&mut log, &[(0, 2)]).await;
        let before = log.head();
        let empty = log.speculate(None, Vec::new()).await.unwrap();
        assert!(!empty.appended());
        assert_eq!(empty.head(), before);
        log.commit(&empty).await.unwrap();
        assert_eq!(log.head(), before);
    });
}

#[test]
fn speculative_blocks_chain_across_blocks_without_records_and_commit_in_order() {
    run(|ctx| async move {
        let mut log = TestLog::open(ctx.child("log"), "a", None).await.unwrap();
        let first = log.speculate(None, records(0..3)).await.unwrap();
        let quiet = log.speculate(Some(&first), Vec::new()).await.unwrap();
        let third = log.speculate(Some(&quiet), records(3..5)).await.unwrap();
        let sibling = log.speculate(None, records(10..11)).await.unwrap();
        assert_eq!(quiet.head(), first.head());
        assert_eq!(third.head().size, first.head().size + 3);

        log.commit(&first).await.unwrap();
        log.commit(&quiet).await.unwrap();
        log.commit(&third).await.unwrap();
        assert_eq!(log.head(), third.head());
        assert_eq!(log.read(0, 100).await.unwrap().len(), 5);

        // A sibling of what was committed is refused, and the log stays usable.
        assert!(log.commit(&sibling).await.is_err());
        assert_eq!(log.head(), third.head());
        assert_eq!(log.read(5, 1).await.unwrap(), vec![(5, record(3))]);

        // Committing blocks one by one gives the same log as committing them speculatively.
        let mut direct = TestLog::open(ctx.child("direct"), "b", None).await.unwrap();
        append_blocks(&mut direct, &[(0, 3), (3, 5)]).await;
        assert_eq!(direct.head(), log.head());
    });
}

#[test]
fn a_log_ahead_of_the_state_is_cut_back_on_reopen() {
    run(|ctx| async move {
        let mut log = TestLog::open(ctx.child("log"), "a", None).await.unwrap();
        append_blocks(&mut log, &[(0, 2)]).await;
        let recorded = log.head();
        // The next block's records reach the log, then the node stops before its state does.
        append_blocks(&mut log, &[(2, 4)]).await;
        let ahead = log.head();
        drop(log);

        let mut log = TestLog::open(ctx.child("reopened"), "a", Some(recorded))
            .await
            .unwrap();
        assert_eq!(log.head(), recorded);
        assert_eq!(log.read(0, 100).await.unwrap().len(), 2);
        // The block executes again once final, to the same log.
        append_blocks(&mut log, &[(2, 4)]).await;
        assert_eq!(log.head(), ahead);
    });
}

#[test]
fn a_log_behind_or_unlike_the_state_is_refused() {
    run(|ctx| async move {
        let mut log = TestLog::open(ctx.child("log"), "a", None).await.unwrap();
        append_blocks(&mut log, &[(0, 2)]).await;
        let head = log.head();
        drop(log);

        let behind = AccessLogHead {
            size: head.size + 3,
            root: head.root,
        };
        let result = TestLog::open(ctx.child("behind"), "a", Some(behind)).await;
        assert!(
            matches!(result, Err(StoreError::AccessLogMismatch { .. })),
            "{:?}",
            result.err()
        );
        let unlike = AccessLogHead {
            size: head.size,
            root: Sha256::hash(&[b"another log"]),
        };
        let result = TestLog::open(ctx.child("unlike"), "a", Some(unlike)).await;
        assert!(matches!(result, Err(StoreError::AccessLogMismatch { .. })));
    });
}

/// A log of two blocks and a state that records its head, as a ledger keeps them.
async fn ledger_like(ctx: &deterministic::Context) -> (TestLog, Store<deterministic::Context>) {
    let mut log = TestLog::open(ctx.child("log"), "a", None).await.unwrap();
    append_blocks(&mut log, &[(0, 3), (3, 4)]).await;
    let mut store = Store::open(ctx.child("state"), "s").await.unwrap();
    let writes = WriteSet::from([(keys::access_log_key(), Some(log.head().encode().to_vec()))]);
    store.commit(2, writes).await.unwrap();
    (log, store)
}

async fn access_proof(
    log: &TestLog,
    store: &Store<deterministic::Context>,
    location: u64,
) -> (Vec<u8>, AccessProof) {
    let (value, log_proof) = log.prove(location).await.unwrap().expect("a record");
    let head = store.prove(&keys::access_log_key()).await.unwrap();
    (value, AccessProof::new(head, log_proof))
}

#[test]
fn a_record_is_proven_at_its_location_against_the_state_root() {
    run(|ctx| async move {
        let (log, store) = ledger_like(&ctx).await;
        for location in [1, 2, 3, 5] {
            let (value, proof) = access_proof(&log, &store, location).await;
            // The proof travels over the wire and is checked against the root alone.
            let proof = AccessProof::decode(proof.encode()).unwrap();
            let expected = if location < 4 { location - 1 } else { 3 };
            assert_eq!(value, record(expected));
            assert_eq!(
                proof.verify(&store.root(), location, &value),
                Ok(log.head())
            );
        }
        // Commits (0, 4, 6) and the log's end hold no record.
        assert!(log.prove(4).await.unwrap().is_none());
        assert!(log.prove(0).await.unwrap().is_none());
        assert!(log.prove(6).await.unwrap().is_none());
        assert!(log.prove(7).await.unwrap().is_none());
        assert!(log.prove(u64::MAX).await.unwrap().is_none());
    });
}

#[test]
fn a_proof_holds_only_for_its_record_location_and_root() {
    run(|ctx| async move {
        let (log, store) = ledger_like(&ctx).await;
        let (value, proof) = access_proof(&log, &store, 2).await;
        let root = store.root();
        assert_eq!(
            proof.verify(&root, 2, b"another record"),
            Err(AccessProofError::NotAtLocation(2))
        );
        assert_eq!(
            proof.verify(&root, 1, &value),
            Err(AccessProofError::NotAtLocation(1))
        );
        assert_eq!(
            proof.verify(&root, 99, &value),
            Err(AccessProofError::PastEnd {
                location: 99,
                size: 7
            })
        );
        assert!(matches!(
            proof.verify(&Sha256::hash(&[b"another root"]), 2, &value),
            Err(AccessProofError::Head(_))
        ));
        // A proof of a record of another log (same shape, other records) does not hold here.
        let mut other = TestLog::open(ctx.child("other"), "o", None).await.unwrap();
        append_blocks(&mut other, &[(10, 13), (13, 14)]).await;
        let (forged_value, forged_log) = other.prove(2).await.unwrap().unwrap();
        let head = store.prove(&keys::access_log_key()).await.unwrap();
        let forged = AccessProof::new(head, forged_log);
        assert_eq!(
            forged.verify(&root, 2, &forged_value),
            Err(AccessProofError::NotAtLocation(2))
        );
    });
}

#[test]
fn a_state_without_a_log_proves_no_record() {
    run(|ctx| async move {
        let (log, _) = ledger_like(&ctx).await;
        let mut empty = Store::open(ctx.child("empty"), "e").await.unwrap();
        empty.commit(1, WriteSet::new()).await.unwrap();
        let (value, log_proof) = log.prove(1).await.unwrap().unwrap();
        let proof = AccessProof::new(
            empty.prove(&keys::access_log_key()).await.unwrap(),
            log_proof,
        );
        assert_eq!(
            proof.verify(&empty.root(), 1, &value),
            Err(AccessProofError::NoLog)
        );
    });
}

#[test]
fn garbage_does_not_decode_as_a_proof() {
    run(|ctx| async move {
        let (log, store) = ledger_like(&ctx).await;
        let (_, proof) = access_proof(&log, &store, 1).await;
        let bytes = proof.encode();
        for cut in [0, 1, bytes.len() / 2, bytes.len() - 1] {
            assert!(
                AccessProof::decode(commonware_codec::Copying(&bytes[..cut])).is_err(),
                "cut at {cut}"
            );
        }
        let mut extra = bytes.to_vec();
        extra.push(0);
        assert!(AccessProof::decode(commonware_codec::Copying(extra.as_slice())).is_err());
    });
}
