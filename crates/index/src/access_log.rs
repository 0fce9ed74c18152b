//! Access records, read from the chain's access log rather than the state.
//!
//! Every `record-access` transaction of a finalized block appends exactly one
//! encoded [LoggedAccess] to the log, granted or refused. A block that
//! appends `k > 0` records appends them in transaction order, then one
//! block-closing commit, so it takes `k + 1` locations; a block with none
//! appends nothing. The log opens with a commit at location 0.
//!
//! The index keeps a cursor, the next location to read: the log's size as of
//! the last indexed block, written in the same SQLite transaction as the
//! indexed height. The follower reads the locations a batch of blocks takes
//! in one read (a few while catching up: at most [ACCESS_LOG_READ] each),
//! then hands each block its `k` records, checking that they are those of its
//! transactions (id, height, channel), in order, and that the block's commit
//! follows. A log that disagrees stops the follower with
//! [FollowError::AccessLogMismatch]: it never attributes a record to the
//! wrong transaction.

use crate::{
    changes::{Change, position},
    error::FollowError,
    follow::ChainSource,
    sql::decode,
};
use dirchain_types::{
    ids::{ChannelId, Digest},
    records::LoggedAccess,
    tx::{Payload, SignedTx},
};
use std::collections::VecDeque;

/// Where genesis leaves the cursor: after the log's initial commit.
pub(crate) const FIRST_LOCATION: u64 = 1;

/// Most locations the follower asks one [ChainSource::access_records] for:
/// what a node serves at once (`dirchain_state::access_log::MAX_READ_RECORDS`).
pub const ACCESS_LOG_READ: u64 = 10_000;

/// Locations of the access log as a source read them
/// ([ChainSource::access_records]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccessLogRead {
    /// The log's size when it was read (operations, block-closing commits
    /// included): the locations asked for from it on were not there yet.
    pub log_size: u64,
    /// The records among the locations asked for, in order, each with its
    /// location. A location asked for below `log_size` that has no record
    /// holds a block-closing commit.
    pub records: Vec<(u64, Vec<u8>)>,
}

/// Whether a transaction of a finalized block appended an access record: a
/// `record-access` always does, granted or refused.
pub(crate) fn appends_access(tx: &SignedTx) -> bool {
    matches!(tx.tx.payload, Payload::RecordAccess(_))
}

/// A transaction whose access record its block appended: what the record
/// must match.
#[derive(Clone, Debug)]
pub(crate) struct Expected {
    hash: Digest,
    channel: ChannelId,
    /// Its index in the block.
    index: u32,
}

/// The access records the transactions of a block appended (`hashes` are
/// theirs), in the order the log holds them.
pub(crate) fn expected(txs: &[SignedTx], hashes: &[Digest]) -> Vec<Expected> {
    txs.iter()
        .zip(hashes)
        .enumerate()
        .filter(|(_, (tx, _))| appends_access(tx))
        .map(|(i, (tx, hash))| Expected {
            hash: *hash,
            channel: tx.tx.channel.clone(),
            index: i as u32,
        })
        .collect()
}

/// The locations a block that appended `records` access records takes.
pub(crate) fn span(records: usize) -> u64 {
    match records {
        0 => 0,
        k => k as u64 + 1,
    }
}

/// The log read ahead for a batch of blocks, handed out block by block.
/// After an error it is of no further use.
pub(crate) struct LogReader {
    /// The next location to hand out.
    cursor: u64,
    /// Locations `cursor..read_to` are read: their records are `records`.
    read_to: u64,
    records: VecDeque<(u64, Vec<u8>)>,
}

impl LogReader {
    pub(crate) fn new(cursor: u64) -> Self {
        Self {
            cursor,
            read_to: cursor,
            records: VecDeque::new(),
        }
    }

    /// The next location to read once the blocks handed out are indexed.
    pub(crate) fn cursor(&self) -> u64 {
        self.cursor
    }

    /// Reads the `count` locations from the cursor on, as far as the log
    /// goes, in reads of at most [ACCESS_LOG_READ]. `height` is the first
    /// block they are for, named in errors. An error after a first read ends
    /// the reading: the blocks it leaves out are not ready, and the error
    /// comes back when they are next read.
    pub(crate) async fn read<S: ChainSource>(
        &mut self,
        source: &S,
        height: u64,
        count: u64,
    ) -> Result<(), FollowError> {
        let end = self.cursor.saturating_add(count);
        while self.read_to < end {
            let from = self.read_to;
            let count = (end - from).min(ACCESS_LOG_READ);
            let covered = match read_once(source, height, from, count).await {
                Ok((covered, records)) => {
                    self.records.extend(records);
                    covered
                }
                Err(e) if from == self.cursor => return Err(e),
                Err(_) => break,
            };
            self.read_to = covered;
            if covered < from + count {
                break; // The log ends there (for now).
            }
        }
        Ok(())
    }

    /// The access records of block `height`, whose transactions appended
    /// `expected`; moves the cursor past them and the block's commit.
    /// `Unavailable` if the log does not reach that far yet.
    pub(crate) fn take(
        &mut self,
        height: u64,
        expected: &[Expected],
    ) -> Result<Vec<Change>, FollowError> {
        let mismatch = |location: u64, message: String| FollowError::AccessLogMismatch {
            height,
            location,
            message,
        };
        let end = self.cursor + span(expected.len());
        let unavailable = |cursor: u64| FollowError::Unavailable {
            height,
            what: format!("access records at locations {cursor}..{end} of the access log"),
        };
        let mut changes = Vec::with_capacity(expected.len());
        for (location, want) in (self.cursor..).zip(expected) {
            if location >= self.read_to {
                return Err(unavailable(self.cursor));
            }
            // Records are in order from the cursor on: this one, or a commit.
            let Some((_, bytes)) = self.records.pop_front_if(|(at, _)| *at == location) else {
                return Err(mismatch(
                    location,
                    format!(
                        "the block has {} access records, the log closes it after {}",
                        expected.len(),
                        location - self.cursor
                    ),
                ));
            };
            let logged: LoggedAccess = decode(&bytes).map_err(|e| FollowError::Malformed {
                height,
                what: format!("access record at location {location} of the access log"),
                message: e.to_string(),
            })?;
            if logged.record.id != want.hash {
                return Err(mismatch(
                    location,
                    format!(
                        "the record of transaction {} is where that of transaction {} (index {}) belongs",
                        logged.record.id, want.hash, want.index
                    ),
                ));
            }
            if logged.record.height != height {
                return Err(mismatch(
                    location,
                    format!(
                        "the record of transaction {} says height {}",
                        want.hash, logged.record.height
                    ),
                ));
            }
            if logged.channel != want.channel {
                return Err(mismatch(
                    location,
                    format!(
                        "the record of transaction {} is in channel {}, the transaction in {}",
                        want.hash, logged.channel, want.channel
                    ),
                ));
            }
            changes.push(Change::Access {
                channel: logged.channel,
                position: position(height, want.index),
                location,
                record: logged.record,
            });
        }
        if !expected.is_empty() {
            let commit = end - 1;
            if commit >= self.read_to {
                return Err(unavailable(self.cursor));
            }
            if matches!(self.records.front(), Some((at, _)) if *at == commit) {
                return Err(mismatch(
                    commit,
                    format!(
                        "the block has {} access records, the log has more",
                        expected.len()
                    ),
                ));
            }
        }
        self.cursor = end;
        Ok(changes)
    }
}

/// One read of locations `from..from + count`: how far it covered (up to the
/// log's end) and the records there, checked to be in that range and in
/// order.
async fn read_once<S: ChainSource>(
    source: &S,
    height: u64,
    from: u64,
    count: u64,
) -> Result<(u64, Vec<(u64, Vec<u8>)>), FollowError> {
    let read = source
        .access_records(from, count)
        .await
        .map_err(|e| FollowError::Source {
            height,
            message: e.to_string(),
        })?;
    let covered = (from + count).min(read.log_size).max(from);
    let mut next = from;
    for (location, _) in &read.records {
        if *location < next || *location >= covered {
            return Err(FollowError::Malformed {
                height,
                what: "read of the access log".into(),
                message: format!(
                    "location {location} for a read of {from}..{covered} (log size {})",
                    read.log_size
                ),
            });
        }
        next = location + 1;
    }
    Ok((covered, read.records))
}

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_codec::Encode;
    use dirchain_state::testkit::{self, World};
    use dirchain_types::{
        ids::sha256,
        records::{AccessRecord, Refusal},
        samples,
    };

    /// A log of `blocks` (each its records' ids), as a node lays it out.
    struct Log {
        ops: Vec<Option<Vec<u8>>>,
        /// Most locations served at once.
        cap: u64,
        reads: std::sync::Mutex<Vec<(u64, u64)>>,
    }

    fn record(id: Digest, height: u64) -> Vec<u8> {
        LoggedAccess {
            channel: World::main(),
            record: AccessRecord {
                id,
                permission: Digest([2; 32]),
                recorder: dirchain_types::ids::KeyBytes::new([3; 32]),
                recorder_org: testkit::id("police"),
                requester: None,
                owner_org: None,
                consumer_org: None,
                item: None,
                subject_refs: Default::default(),
                fields: Default::default(),
                query_digest: Digest([4; 32]),
                response_digest: Digest([5; 32]),
                record_count: 0,
                height,
                at: 0,
                refusal: Some(Refusal::UnknownPermission),
            },
        }
        .encode()
        .to_vec()
    }

    impl Log {
        fn new(blocks: &[(u64, Vec<Digest>)]) -> Self {
            let mut ops = vec![None];
            for (height, ids) in blocks {
                if !ids.is_empty() {
                    ops.extend(ids.iter().map(|id| Some(record(*id, *height))));
                    ops.push(None);
                }
            }
            Self {
                ops,
                cap: u64::MAX,
                reads: Default::default(),
            }
        }
    }

    impl ChainSource for Log {
        type Error = String;
        type Block = dirchain_types::block::Block;

        fn height(&self) -> u64 {
            0
        }

        async fn block(&self, _: u64) -> Result<Option<Self::Block>, String> {
            Ok(None)
        }

        async fn records(
            &self,
            _: Vec<dirchain_types::keys::StateKey>,
        ) -> Result<Vec<Option<Vec<u8>>>, String> {
            Ok(Vec::new())
        }

        async fn access_records(&self, from: u64, count: u64) -> Result<AccessLogRead, String> {
            assert!(count <= ACCESS_LOG_READ, "{count} locations asked at once");
            self.reads.lock().unwrap().push((from, count));
            let size = self.ops.len() as u64;
            let end = (from + count.min(self.cap)).min(size);
            Ok(AccessLogRead {
                log_size: size,
                records: (from..end)
                    .filter_map(|at| self.ops[at as usize].clone().map(|r| (at, r)))
                    .collect(),
            })
        }
    }

    fn ids(n: u8) -> Vec<Digest> {
        (0..n).map(|i| sha256(&[&[n, i]])).collect()
    }

    fn want(hashes: &[Digest]) -> Vec<Expected> {
        hashes
            .iter()
            .enumerate()
            .map(|(i, hash)| Expected {
                hash: *hash,
                channel: World::main(),
                index: i as u32 * 2,
            })
            .collect()
    }

    fn locations(changes: &[Change]) -> Vec<u64> {
        changes
            .iter()
            .map(|c| match c {
                Change::Access { location, .. } => *location,
                other => panic!("{other:?}"),
            })
            .collect()
    }

    fn ready<F: std::future::Future>(f: F) -> F::Output {
        let mut f = std::pin::pin!(f);
        let waker = std::task::Waker::noop();
        match f.as_mut().poll(&mut std::task::Context::from_waker(waker)) {
            std::task::Poll::Ready(out) => out,
            std::task::Poll::Pending => panic!("the log never waits"),
        }
    }

    #[test]
    fn only_accesses_append_and_a_block_takes_its_records_and_a_commit() {
        for tx in samples::signed_txs() {
            let hashes = [tx.hash()];
            let expected = expected(std::slice::from_ref(&tx), &hashes);
            assert_eq!(expected.len(), usize::from(appends_access(&tx)));
        }
        assert_eq!(span(0), 0);
        assert_eq!(span(3), 4);
    }

    #[test]
    fn blocks_are_handed_their_records_from_one_read() {
        let (a, b) = (ids(2), ids(3));
        let log = Log::new(&[(1, a.clone()), (2, vec![]), (3, b.clone())]);
        let mut reader = LogReader::new(FIRST_LOCATION);
        ready(reader.read(&log, 1, span(2) + span(0) + span(3))).unwrap();
        assert_eq!(*log.reads.lock().unwrap(), [(1, 7)], "one read");
        assert_eq!(locations(&reader.take(1, &want(&a)).unwrap()), [1, 2]);
        assert_eq!(reader.cursor(), 4);
        assert!(reader.take(2, &[]).unwrap().is_empty());
        assert_eq!(reader.cursor(), 4);
        let changes = reader.take(3, &want(&b)).unwrap();
        assert_eq!(locations(&changes), [4, 5, 6]);
        assert!(matches!(
            &changes[2],
            Change::Access { position: at, record, .. }
                if *at == position(3, 4) && record.id == b[2]
        ));
        assert_eq!(reader.cursor(), 8);
    }

    #[test]
    fn a_long_span_is_read_in_pieces() {
        let n = ACCESS_LOG_READ as usize + 500;
        let many: Vec<Digest> = (0..n as u64).map(|i| sha256(&[&i.to_be_bytes()])).collect();
        let log = Log::new(&[(1, many.clone()), (2, ids(1))]);
        let mut reader = LogReader::new(FIRST_LOCATION);
        ready(reader.read(&log, 1, span(n) + span(1))).unwrap();
        assert_eq!(
            *log.reads.lock().unwrap(),
            [(1, ACCESS_LOG_READ), (1 + ACCESS_LOG_READ, 503)]
        );
        let first = locations(&reader.take(1, &want(&many)).unwrap());
        assert_eq!(first.len(), n);
        assert_eq!(first.last(), Some(&(n as u64)));
        let next = n as u64 + 2;
        assert_eq!(locations(&reader.take(2, &want(&ids(1))).unwrap()), [next]);
        assert_eq!(reader.cursor(), next + 2);
    }

    /// A source that serves fewer locations than asked breaks the contract
    /// of [ChainSource::access_records]; the records it left out read as
    /// commits, which stops the follower rather than misattribute anything.
    #[test]
    fn a_source_that_serves_less_than_asked_is_a_mismatch() {
        let a = ids(5);
        let mut log = Log::new(&[(1, a.clone())]);
        log.cap = 3;
        let mut reader = LogReader::new(FIRST_LOCATION);
        ready(reader.read(&log, 1, span(5))).unwrap();
        assert!(matches!(
            reader.take(1, &want(&a)),
            Err(FollowError::AccessLogMismatch { location: 4, .. })
        ));
    }

    #[test]
    fn a_log_behind_the_blocks_is_waited_for() {
        let a = ids(2);
        let log = Log::new(&[(1, a.clone())]);
        let mut reader = LogReader::new(FIRST_LOCATION);
        ready(reader.read(&log, 1, span(2) + span(1))).unwrap();
        reader.take(1, &want(&a)).unwrap();
        let err = reader.take(2, &want(&ids(1))).unwrap_err();
        assert!(err.is_retryable(), "{err}");
        assert!(matches!(err, FollowError::Unavailable { height: 2, .. }));
    }

    #[test]
    fn a_log_that_disagrees_with_the_block_is_an_error() {
        let (a, b) = (ids(2), ids(3));
        let check = |blocks: &[(u64, Vec<Digest>)], expected: &[Digest]| {
            let log = Log::new(blocks);
            let mut reader = LogReader::new(FIRST_LOCATION);
            ready(reader.read(&log, 1, span(expected.len()) + 10)).unwrap();
            match reader.take(1, &want(expected)) {
                Err(e @ FollowError::AccessLogMismatch { .. }) => {
                    assert!(!e.is_retryable());
                    e
                }
                other => panic!("expected a mismatch, got {other:?}"),
            }
        };
        // Another transaction's record.
        let mut swapped = a.clone();
        swapped.swap(0, 1);
        assert!(matches!(
            check(&[(1, swapped)], &a),
            FollowError::AccessLogMismatch {
                height: 1,
                location: 1,
                ..
            }
        ));
        // Fewer records than the block has accesses: a commit, then the next
        // block's.
        assert!(matches!(
            check(
                &[(1, a.clone()), (2, b.clone())],
                &[a.clone(), vec![b[0]]].concat()
            ),
            FollowError::AccessLogMismatch { location: 3, .. }
        ));
        // More: a record where the block's commit belongs.
        assert!(matches!(
            check(&[(1, b.clone())], &b[..2]),
            FollowError::AccessLogMismatch { location: 3, .. }
        ));
        // The right id at another height.
        assert!(matches!(
            check(&[(2, a.clone())], &a),
            FollowError::AccessLogMismatch { location: 1, .. }
        ));
    }

    #[test]
    fn records_outside_the_read_are_malformed() {
        struct Stray;
        impl ChainSource for Stray {
            type Error = String;
            type Block = dirchain_types::block::Block;
            fn height(&self) -> u64 {
                0
            }
            async fn block(&self, _: u64) -> Result<Option<Self::Block>, String> {
                Ok(None)
            }
            async fn records(
                &self,
                _: Vec<dirchain_types::keys::StateKey>,
            ) -> Result<Vec<Option<Vec<u8>>>, String> {
                Ok(Vec::new())
            }
            async fn access_records(&self, from: u64, _: u64) -> Result<AccessLogRead, String> {
                Ok(AccessLogRead {
                    log_size: 100,
                    records: vec![(from + 50, Vec::new())],
                })
            }
        }
        let mut reader = LogReader::new(FIRST_LOCATION);
        assert!(matches!(
            ready(reader.read(&Stray, 4, 3)),
            Err(FollowError::Malformed { height: 4, .. })
        ));
    }
}
