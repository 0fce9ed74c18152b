//! The durable outbox: every access, served or refused, is signed as a
//! `record-access` transaction and written here (SQLite, synchronous
//! commits) before the consumer gets an answer. Rows leave only once their
//! transaction is final on the ledger, so a node that is down, or a gateway
//! that crashes, loses nothing.
//!
//! One writer thread owns the database and the signer's nonce sequence; it
//! commits whatever arrived together in one transaction (group commit), so
//! the cost of a disk flush is shared by concurrent requests.

use commonware_codec::{Copying, DecodeExt, Encode};
use dirchain_client::Signer;
use dirchain_types::{
    ids::{Digest, Timestamp},
    tx::{RecordAccess, SignedTx},
};
use rusqlite::{Connection, OptionalExtension, params};
use std::{
    path::Path,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    thread,
};
use tokio::sync::{mpsc, oneshot};

/// Commands waiting for the writer; callers wait when it is this far behind.
pub const MAX_QUEUED_COMMANDS: usize = 4_096;
/// Commands one database transaction takes together.
pub const MAX_COMMANDS_PER_COMMIT: usize = 512;
pub const FILE_NAME: &str = "outbox.sqlite";

const DDL: &str = "
CREATE TABLE IF NOT EXISTS outbox (
    -- Never reused, even once the table empties: the recorder reads on
    -- from the last row it took.
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    created_ms INTEGER NOT NULL,
    nonce INTEGER NOT NULL,
    hash BLOB NOT NULL,
    tx BLOB NOT NULL,
    -- Why the ledger will not take it; such rows stay for the operator.
    failed TEXT
);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
";

#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    #[error("outbox database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("cannot create {path}: {source}")]
    Dir {
        path: String,
        source: std::io::Error,
    },
    #[error("the outbox stopped")]
    Stopped,
    #[error("a stored transaction does not decode: {0}")]
    Corrupt(String),
    #[error("the outbox could not write: {0}")]
    WriteFailed(String),
}

/// A signed access waiting to be final.
#[derive(Clone, Debug)]
pub struct Pending {
    pub seq: i64,
    pub nonce: u64,
    pub hash: Digest,
    pub tx: SignedTx,
    pub created_ms: Timestamp,
}

/// Counters the server reads on every request without asking the writer.
#[derive(Debug, Default)]
pub struct Stats {
    pub pending: AtomicU64,
    /// Creation time of the oldest pending row (0 when none).
    pub oldest_ms: AtomicU64,
    pub failed: AtomicU64,
}

enum Command {
    Append {
        access: RecordAccess,
        now_ms: Timestamp,
        reply: oneshot::Sender<Result<Digest, OutboxError>>,
    },
    Confirm {
        hashes: Vec<Digest>,
        height: u64,
        reply: oneshot::Sender<Result<u64, OutboxError>>,
    },
    Fail {
        seq: i64,
        reason: String,
        reply: oneshot::Sender<Result<(), OutboxError>>,
    },
    Pending {
        after_seq: i64,
        limit: usize,
        reply: oneshot::Sender<Result<Vec<Pending>, OutboxError>>,
    },
}

/// A handle on the outbox; cheap to clone.
#[derive(Clone)]
pub struct Outbox {
    commands: mpsc::Sender<Command>,
    pub stats: Arc<Stats>,
}

/// What the outbox remembered from its last run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Resume {
    /// The next nonce it would have signed with, if it ever signed.
    pub next_nonce: Option<u64>,
    /// The last block height it matched transactions against.
    pub confirmed_height: Option<u64>,
}

impl Outbox {
    /// Opens (or creates) the outbox in `dir` and what it remembers.
    pub fn resume(dir: &Path) -> Result<Resume, OutboxError> {
        let db = open(dir)?;
        Ok(Resume {
            next_nonce: next_nonce_on_disk(&db)?,
            confirmed_height: meta(&db, "confirmed_height")?,
        })
    }

    /// Starts the writer thread, signing with `signer` from `next_nonce`.
    pub fn start(dir: &Path, signer: Signer, next_nonce: u64) -> Result<Self, OutboxError> {
        let db = open(dir)?;
        let stats = Arc::new(Stats::default());
        count_rows(&db, &stats)?;
        let (commands, inbox) = mpsc::channel(MAX_QUEUED_COMMANDS);
        let writer = Writer {
            db,
            signer,
            next_nonce,
            stats: stats.clone(),
        };
        thread::Builder::new()
            .name("gateway-outbox".into())
            .spawn(move || writer.run(inbox))
            .map_err(|source| OutboxError::Dir {
                path: dir.display().to_string(),
                source,
            })?;
        Ok(Self { commands, stats })
    }

    async fn ask<T>(
        &self,
        command: impl FnOnce(oneshot::Sender<Result<T, OutboxError>>) -> Command,
    ) -> Result<T, OutboxError> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(command(reply))
            .await
            .map_err(|_| OutboxError::Stopped)?;
        answer.await.map_err(|_| OutboxError::Stopped)?
    }

    /// Signs `access` with the next nonce and stores it durably; answers the
    /// transaction's hash once it is on disk.
    pub async fn append(
        &self,
        access: RecordAccess,
        now_ms: Timestamp,
    ) -> Result<Digest, OutboxError> {
        self.ask(|reply| Command::Append {
            access,
            now_ms,
            reply,
        })
        .await
    }

    /// Removes the rows whose transactions are in `hashes` (final at or
    /// before `height`) and remembers `height`; answers how many it removed.
    pub async fn confirm(&self, hashes: Vec<Digest>, height: u64) -> Result<u64, OutboxError> {
        self.ask(|reply| Command::Confirm {
            hashes,
            height,
            reply,
        })
        .await
    }

    /// Marks a row as refused by the ledger: it stays for the operator.
    pub async fn fail(&self, seq: i64, reason: String) -> Result<(), OutboxError> {
        self.ask(|reply| Command::Fail { seq, reason, reply }).await
    }

    /// Up to `limit` waiting rows written after row `after_seq` (0: from
    /// the first), in the order they were written (which is nonce order).
    pub async fn pending_after(
        &self,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<Pending>, OutboxError> {
        self.ask(|reply| Command::Pending {
            after_seq,
            limit,
            reply,
        })
        .await
    }
}

fn open(dir: &Path) -> Result<Connection, OutboxError> {
    std::fs::create_dir_all(dir).map_err(|source| OutboxError::Dir {
        path: dir.display().to_string(),
        source,
    })?;
    let db = Connection::open(dir.join(FILE_NAME))?;
    // FULL: a committed row survives power loss, which is the point.
    db.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;")?;
    db.execute_batch(DDL)?;
    Ok(db)
}

fn meta(db: &Connection, name: &str) -> Result<Option<u64>, OutboxError> {
    Ok(db
        .query_row("SELECT value FROM meta WHERE name = ?1", [name], |r| {
            r.get::<_, i64>(0)
        })
        .optional()?
        .map(|v| v as u64))
}

fn set_meta(db: &Connection, name: &str, value: u64) -> Result<(), OutboxError> {
    db.execute(
        "INSERT INTO meta (name, value) VALUES (?1, ?2)
         ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        params![name, value as i64],
    )?;
    Ok(())
}

fn next_nonce_on_disk(db: &Connection) -> Result<Option<u64>, OutboxError> {
    let highest_row: Option<i64> =
        db.query_row("SELECT MAX(nonce) FROM outbox", [], |r| r.get(0))?;
    let stored = meta(db, "next_nonce")?;
    Ok(match (stored, highest_row) {
        (Some(n), Some(h)) => Some(n.max(h as u64 + 1)),
        (n, h) => n.or(h.map(|h| h as u64 + 1)),
    })
}

/// Counts the rows once, when the outbox opens; the writer keeps the counts
/// up to date from then on.
fn count_rows(db: &Connection, stats: &Stats) -> Result<(), OutboxError> {
    let (pending, failed): (i64, i64) = db.query_row(
        "SELECT COUNT(*) FILTER (WHERE failed IS NULL), COUNT(*) FILTER (WHERE failed IS NOT NULL)
         FROM outbox",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    stats.pending.store(pending as u64, Ordering::Relaxed);
    stats.failed.store(failed as u64, Ordering::Relaxed);
    note_oldest(db, stats)
}

/// The oldest waiting row is the first in insertion order that has not
/// failed: found without a scan.
fn note_oldest(db: &Connection, stats: &Stats) -> Result<(), OutboxError> {
    let oldest: Option<i64> = db
        .query_row(
            "SELECT created_ms FROM outbox WHERE failed IS NULL ORDER BY seq LIMIT 1",
            [],
            |r| r.get(0),
        )
        .optional()?;
    stats
        .oldest_ms
        .store(oldest.unwrap_or(0) as u64, Ordering::Relaxed);
    Ok(())
}

struct Writer {
    db: Connection,
    signer: Signer,
    next_nonce: u64,
    stats: Arc<Stats>,
}

/// A reply to send once the batch is committed, or has failed.
enum Reply {
    Hash(oneshot::Sender<Result<Digest, OutboxError>>, Digest),
    Count(oneshot::Sender<Result<u64, OutboxError>>, u64),
    Done(oneshot::Sender<Result<(), OutboxError>>),
}

impl Reply {
    fn send(self, failure: Option<&str>) {
        fn result<T>(ok: T, failure: Option<&str>) -> Result<T, OutboxError> {
            match failure {
                None => Ok(ok),
                Some(e) => Err(OutboxError::WriteFailed(e.to_string())),
            }
        }
        // A caller that stopped waiting needs no answer.
        match self {
            Reply::Hash(r, hash) => drop(r.send(result(hash, failure))),
            Reply::Count(r, n) => drop(r.send(result(n, failure))),
            Reply::Done(r) => drop(r.send(result((), failure))),
        }
    }
}

/// How one batch changes the counts.
#[derive(Default)]
struct Delta {
    appended: u64,
    removed: u64,
    failed: u64,
}

impl Writer {
    fn run(mut self, mut inbox: mpsc::Receiver<Command>) {
        while let Some(first) = inbox.blocking_recv() {
            let mut batch = vec![first];
            while batch.len() < MAX_COMMANDS_PER_COMMIT {
                match inbox.try_recv() {
                    Ok(command) => batch.push(command),
                    Err(_) => break,
                }
            }
            self.apply(batch);
        }
    }

    fn apply(&mut self, batch: Vec<Command>) {
        let nonce_before = self.next_nonce;
        let mut replies = Vec::with_capacity(batch.len());
        let mut delta = Delta::default();
        let result = self.write(batch, &mut replies, &mut delta);
        let failure = match result {
            Ok(()) => {
                let stats = &self.stats;
                stats.failed.fetch_add(delta.failed, Ordering::Relaxed);
                let pending = stats.pending.load(Ordering::Relaxed) + delta.appended
                    - delta.removed
                    - delta.failed;
                stats.pending.store(pending, Ordering::Relaxed);
                note_oldest(&self.db, stats).err().map(|e| e.to_string())
            }
            Err(e) => {
                // Nothing of the batch is on disk: its nonces are free again.
                self.next_nonce = nonce_before;
                tracing::error!(error = %e, "outbox write failed");
                Some(e.to_string())
            }
        };
        for reply in replies {
            reply.send(failure.as_deref());
        }
    }

    /// Applies the batch in one database transaction.
    fn write(
        &mut self,
        batch: Vec<Command>,
        replies: &mut Vec<Reply>,
        delta: &mut Delta,
    ) -> Result<(), OutboxError> {
        let nonce_before = self.next_nonce;
        let db = self.db.transaction()?;
        for command in batch {
            match command {
                Command::Append {
                    access,
                    now_ms,
                    reply,
                } => {
                    let tx = self.signer.sign(access, self.next_nonce);
                    let hash = tx.hash();
                    db.execute(
                        "INSERT INTO outbox (created_ms, nonce, hash, tx) VALUES (?1, ?2, ?3, ?4)",
                        params![
                            now_ms as i64,
                            self.next_nonce as i64,
                            hash.as_ref(),
                            tx.encode().as_ref()
                        ],
                    )?;
                    self.next_nonce += 1;
                    delta.appended += 1;
                    replies.push(Reply::Hash(reply, hash));
                }
                Command::Confirm {
                    hashes,
                    height,
                    reply,
                } => {
                    let mut removed = 0;
                    let mut delete =
                        db.prepare_cached("DELETE FROM outbox WHERE hash = ?1 AND failed IS NULL")?;
                    for hash in &hashes {
                        removed += delete.execute([hash.as_ref()])? as u64;
                    }
                    drop(delete);
                    set_meta(&db, "confirmed_height", height)?;
                    delta.removed += removed;
                    replies.push(Reply::Count(reply, removed));
                }
                Command::Fail { seq, reason, reply } => {
                    delta.failed += db.execute(
                        "UPDATE outbox SET failed = ?2 WHERE seq = ?1 AND failed IS NULL",
                        params![seq, reason],
                    )? as u64;
                    replies.push(Reply::Done(reply));
                }
                Command::Pending {
                    after_seq,
                    limit,
                    reply,
                } => {
                    // A read: answered now, from this transaction's view.
                    let _ = reply.send(read_pending(&db, after_seq, limit));
                }
            }
        }
        if self.next_nonce != nonce_before {
            set_meta(&db, "next_nonce", self.next_nonce)?;
        }
        db.commit()?;
        Ok(())
    }
}

fn read_pending(
    db: &Connection,
    after_seq: i64,
    limit: usize,
) -> Result<Vec<Pending>, OutboxError> {
    let mut select = db.prepare_cached(
        "SELECT seq, nonce, hash, tx, created_ms FROM outbox
         WHERE failed IS NULL AND seq > ?1 ORDER BY seq LIMIT ?2",
    )?;
    let rows = select.query_map(params![after_seq, limit as i64], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, Vec<u8>>(2)?,
            r.get::<_, Vec<u8>>(3)?,
            r.get::<_, i64>(4)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (seq, nonce, hash, tx, created_ms) = row?;
        let tx = SignedTx::decode(Copying(tx.as_slice()))
            .map_err(|e| OutboxError::Corrupt(e.to_string()))?;
        let hash = Digest::decode(Copying(hash.as_slice()))
            .map_err(|e| OutboxError::Corrupt(e.to_string()))?;
        out.push(Pending {
            seq,
            nonce: nonce as u64,
            hash,
            tx,
            created_ms: created_ms as Timestamp,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_cryptography::Signer as _;
    use dirchain_types::ids::{PrivateKey, sha256};

    fn access(n: u8) -> RecordAccess {
        RecordAccess {
            permission: sha256(&[&[n]]),
            subject_refs: Default::default(),
            fields: dirchain_types::bounded::List::new(vec![
                dirchain_types::bounded::Ident::new("district").unwrap(),
            ])
            .unwrap(),
            query_digest: sha256(&[b"q"]),
            response_digest: sha256(&[b"r"]),
            record_count: 0,
            requester: None,
            refusal: None,
        }
    }

    fn signer() -> Signer {
        Signer::new(PrivateKey::from_seed(9), "devnet").unwrap()
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn rows_survive_a_restart_in_nonce_order_until_confirmed() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Outbox::resume(dir.path()).unwrap(), Resume::default());
        let outbox = Outbox::start(dir.path(), signer(), 7).unwrap();
        let mut hashes = Vec::new();
        for n in 0..5 {
            hashes.push(outbox.append(access(n), 1_000 + n as u64).await.unwrap());
        }
        assert_eq!(outbox.stats.pending.load(Ordering::Relaxed), 5);
        assert_eq!(outbox.stats.oldest_ms.load(Ordering::Relaxed), 1_000);
        assert_eq!(outbox.confirm(hashes[..2].to_vec(), 40).await.unwrap(), 2);
        drop(outbox);

        // A new run resumes where the last one stopped.
        let resume = Outbox::resume(dir.path()).unwrap();
        assert_eq!(resume.next_nonce, Some(12));
        assert_eq!(resume.confirmed_height, Some(40));
        let outbox = Outbox::start(dir.path(), signer(), 12).unwrap();
        let pending = outbox.pending_after(0, 100).await.unwrap();
        assert_eq!(
            pending.iter().map(|p| p.nonce).collect::<Vec<_>>(),
            [9, 10, 11]
        );
        let later = outbox.pending_after(pending[0].seq, 100).await.unwrap();
        assert_eq!(later.iter().map(|p| p.nonce).collect::<Vec<_>>(), [10, 11]);
        assert_eq!(pending[0].hash, hashes[2]);
        assert_eq!(pending[0].tx.hash(), hashes[2]);
        assert_eq!(outbox.stats.oldest_ms.load(Ordering::Relaxed), 1_002);

        outbox
            .fail(pending[0].seq, "key_revoked".into())
            .await
            .unwrap();
        assert_eq!(outbox.stats.failed.load(Ordering::Relaxed), 1);
        assert_eq!(outbox.stats.pending.load(Ordering::Relaxed), 2);
        let next = outbox.append(access(9), 2_000).await.unwrap();
        let pending = outbox.pending_after(0, 100).await.unwrap();
        assert_eq!(pending.last().unwrap().hash, next);
        assert_eq!(pending.last().unwrap().nonce, 12);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn rows_are_found_after_the_last_one_taken_even_once_the_outbox_empties() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::start(dir.path(), signer(), 0).unwrap();
        let first = outbox.append(access(1), 5).await.unwrap();
        let taken = outbox.pending_after(0, 10).await.unwrap();
        assert_eq!(outbox.confirm(vec![first], 3).await.unwrap(), 1);
        let second = outbox.append(access(2), 6).await.unwrap();
        let next = outbox.pending_after(taken[0].seq, 10).await.unwrap();
        assert_eq!(next.iter().map(|p| p.hash).collect::<Vec<_>>(), [second]);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn concurrent_appends_get_distinct_consecutive_nonces() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::start(dir.path(), signer(), 0).unwrap();
        let tasks: Vec<_> = (0..200u8)
            .map(|n| {
                let outbox = outbox.clone();
                tokio::spawn(async move { outbox.append(access(n), 5).await.unwrap() })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        let nonces: Vec<u64> = outbox
            .pending_after(0, 1_000)
            .await
            .unwrap()
            .iter()
            .map(|p| p.nonce)
            .collect();
        assert_eq!(nonces, (0..200).collect::<Vec<_>>());
    }
}
