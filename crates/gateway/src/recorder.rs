//! Moves the outbox onto the ledger: submits the waiting transactions to a
//! node that answers, follows final blocks to see which of them are in, and
//! removes those from the outbox. Submitting is idempotent (the same signed
//! transaction), so a resubmission after a node restart or a lost answer
//! cannot record an access twice.
//!
//! Transactions go out in nonce order in batches (`POST /v1/txs`, at most
//! [MAX_SUBMIT_BATCH] transactions and [MAX_SUBMIT_BATCH_BYTES] each), one
//! batch after another: the node admits a batch in order, so the key's
//! consecutive nonces arrive in order, and one request carries many records.
//! The node judges each transaction of a batch on its own; the recorder acts
//! on each verdict as on the answer to a submission of that one alone.

use crate::{
    ledger::Ledger,
    outbox::{Outbox, Pending},
};
use commonware_codec::EncodeSize;
use dirchain_client::{
    Client, ClientError, codes,
    schema::{
        chain::{ErrorBody, TxState},
        hex,
    },
};
use dirchain_types::{
    ids::Digest,
    limits::{MAX_SUBMIT_BATCH, MAX_SUBMIT_BATCH_BYTES, MAX_TX_BYTES},
    tx::SignedTx,
};
use std::{
    collections::{BTreeMap, HashSet},
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};
use tokio::sync::Notify;

/// Transactions submitted ahead of the last final one: the node keeps at
/// most this many pending per signer (`MAX_SIGNER_PENDING`).
pub const SUBMIT_WINDOW: usize = 1_024;
/// Blocks read per round when catching up.
pub const MAX_BLOCKS_PER_ROUND: u64 = 256;
/// Longest pause between rounds when nothing wakes the recorder.
pub const ROUND_INTERVAL: Duration = Duration::from_millis(50);
/// A transaction submitted this long ago and still not final is submitted
/// again (the node may have restarted and lost its mempool).
pub const RESUBMIT_AFTER: Duration = Duration::from_secs(5);

/// What the recorder tells the server.
#[derive(Debug, Default)]
pub struct RecorderState {
    /// Access records seen final since the gateway started.
    pub recorded: AtomicU64,
    /// Set when the ledger refuses the gateway's transactions for good
    /// (revoked key, nonce used elsewhere): serving must stop.
    pub fault: Mutex<Option<String>>,
}

impl RecorderState {
    pub fn fault(&self) -> Option<String> {
        self.fault.lock().expect("fault lock").clone()
    }

    fn set_fault(&self, reason: String) {
        tracing::error!(%reason, "the ledger refuses the gateway's access records; refusing requests");
        *self.fault.lock().expect("fault lock") = Some(reason);
    }
}

pub struct Recorder {
    pub outbox: Outbox,
    pub ledger: Arc<Ledger>,
    pub state: Arc<RecorderState>,
    pub wake: Arc<Notify>,
}

/// What the recorder does about the node's refusal of one of its
/// transactions, by the refusal's code (a verdict in a batch carries no HTTP
/// status: the codes say everything).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Refusal {
    /// `nonce_taken`, `stale_nonce`: the nonce is used, by this very
    /// transaction (pending or final) or by another one of the key.
    NonceUsed,
    /// The node may take it later: its mempool (or the key's share of it) is
    /// full, it is stopping or its storage failed, the nonce is beyond its
    /// window, a quota is spent. The codes `POST /v1/tx` answers with 429 or
    /// 5xx, and `future_nonce`.
    Transient,
    /// The ledger will never take it (revoked key, malformed...).
    Permanent,
}

impl Refusal {
    fn of(code: &str) -> Self {
        match code {
            codes::NONCE_TAKEN | codes::STALE_NONCE => Self::NonceUsed,
            "busy" | "signer_busy" | "unavailable" | "storage" | "corrupt_state"
            | "future_nonce" | "quota_exceeded" => Self::Transient,
            _ => Self::Permanent,
        }
    }
}

/// Whether a request the node failed as a whole is worth sending again as
/// it is (otherwise the recorder itself is at fault, e.g. a batch the node
/// finds too large).
fn transient(error: &ClientError) -> bool {
    match error {
        ClientError::Api { status, code, .. } => {
            *status == 429 || *status >= 500 || Refusal::of(code) == Refusal::Transient
        }
        _ => true,
    }
}

/// A transaction as large as the node takes fits a batch on its own.
const _: () = assert!(MAX_TX_BYTES + 16 <= MAX_SUBMIT_BATCH_BYTES);

/// The lengths of the consecutive batches that carry transactions of
/// encoded sizes `sizes`, in order: each at most [MAX_SUBMIT_BATCH]
/// transactions, and a request body of at most [MAX_SUBMIT_BATCH_BYTES].
/// The body is what `encode_submission` makes (a varint count, then each
/// transaction behind its varint length) and what the node bounds, so the
/// framing counts as well as the transactions. A transaction larger than the
/// bound (none: a signed transaction is at most [MAX_TX_BYTES]) would go
/// alone.
fn batch_lengths(sizes: impl IntoIterator<Item = usize>) -> Vec<usize> {
    let mut lengths = Vec::new();
    // The batch being filled: its transactions and their framed bytes.
    let (mut count, mut framed) = (0usize, 0usize);
    for size in sizes {
        let this = size.encode_size() + size;
        let fits = count < MAX_SUBMIT_BATCH
            && (count + 1).encode_size() + framed + this <= MAX_SUBMIT_BATCH_BYTES;
        if count > 0 && !fits {
            lengths.push(count);
            (count, framed) = (0, 0);
        }
        count += 1;
        framed += this;
    }
    if count > 0 {
        lengths.push(count);
    }
    lengths
}

/// How a refusal reads in the log, the outbox and the fault.
fn refused(error: &ErrorBody) -> String {
    format!("the node refused it ({}): {}", error.code, error.message)
}

/// A waiting transaction as the recorder holds it: read from the outbox
/// (and decoded) once.
struct InFlight {
    pending: Pending,
    /// When this run last submitted it.
    submitted: Option<Instant>,
}

/// Where the recorder stands between rounds.
struct Progress {
    /// The last block height read for our transactions.
    confirmed: u64,
    /// The outbox rows not yet final, by nonce, up to [SUBMIT_WINDOW].
    window: BTreeMap<u64, InFlight>,
    /// The last outbox row taken into the window.
    last_seq: i64,
    /// Whether the outbox has been empty since start: rows of an earlier
    /// run, submitted who knows when, are gone.
    caught_up: bool,
}

impl Progress {
    /// At start, having read the blocks up to `confirmed`.
    fn new(confirmed: u64) -> Self {
        Self {
            confirmed,
            window: BTreeMap::new(),
            last_seq: 0,
            caught_up: false,
        }
    }
}

impl Recorder {
    pub async fn run(self, confirmed: u64) {
        let mut progress = Progress::new(confirmed);
        loop {
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(ROUND_INTERVAL) => {}
            }
            if let Err(e) = self.round(&mut progress).await {
                tracing::debug!(error = %e, "recording round incomplete; retrying");
            }
        }
    }

    /// Takes the rows written since the last round into the window.
    async fn refill(&self, progress: &mut Progress) -> Result<(), String> {
        let room = SUBMIT_WINDOW - progress.window.len();
        if room == 0 {
            return Ok(());
        }
        let fresh = self
            .outbox
            .pending_after(progress.last_seq, room)
            .await
            .map_err(|e| e.to_string())?;
        for pending in fresh {
            progress.last_seq = pending.seq;
            progress.window.insert(
                pending.nonce,
                InFlight {
                    pending,
                    submitted: None,
                },
            );
        }
        Ok(())
    }

    /// Removes final transactions from the outbox and the window.
    async fn confirm(
        &self,
        progress: &mut Progress,
        hashes: Vec<Digest>,
        height: u64,
    ) -> Result<(), String> {
        let done: HashSet<Digest> = hashes.iter().copied().collect();
        let removed = self
            .outbox
            .confirm(hashes, height)
            .await
            .map_err(|e| e.to_string())?;
        self.state.recorded.fetch_add(removed, Ordering::Relaxed);
        progress
            .window
            .retain(|_, f| !done.contains(&f.pending.hash));
        Ok(())
    }

    async fn round(&self, progress: &mut Progress) -> Result<(), String> {
        self.refill(progress).await?;
        if progress.window.is_empty() {
            progress.caught_up = true;
            return Ok(());
        }
        let (node, height) = self.reachable_node().await?;
        // Nothing of ours is in flight: what is submitted from now on lands
        // above `height`, so the blocks up to it need not be read (an idle
        // gateway would otherwise read every block since it last recorded).
        if progress.caught_up && progress.window.values().all(|f| f.submitted.is_none()) {
            progress.confirmed = progress.confirmed.max(height);
        }

        // Which of ours are final: read every block since the last round.
        let waiting: HashSet<Digest> = progress.window.values().map(|f| f.pending.hash).collect();
        let mut in_blocks = Vec::new();
        let until = height.min(progress.confirmed + MAX_BLOCKS_PER_ROUND);
        let mut read_to = progress.confirmed;
        for h in progress.confirmed + 1..=until {
            let block = node.block(h).await.map_err(|e| e.to_string())?;
            in_blocks.extend(
                block
                    .txs
                    .iter()
                    .filter_map(|tx| hex::digest(tx))
                    .filter(|hash| waiting.contains(hash)),
            );
            read_to = h;
        }
        if read_to > progress.confirmed {
            self.confirm(progress, in_blocks, read_to).await?;
            progress.confirmed = read_to;
        }

        self.submit(&node, progress).await
    }

    /// Submits what is not final and not recently submitted, in nonce order,
    /// one batch after another. A batch the node does not take as a whole
    /// (unreachable, stopping, ...), or one with a refusal worth retrying,
    /// ends this round's submissions: later nonces cannot be final before
    /// the refused one anyway, and what is left goes out next round.
    async fn submit(&self, node: &Client, progress: &mut Progress) -> Result<(), String> {
        let (due, txs): (Vec<(u64, Digest)>, Vec<SignedTx>) = progress
            .window
            .iter()
            .filter(|(_, f)| f.submitted.is_none_or(|at| at.elapsed() > RESUBMIT_AFTER))
            .map(|(nonce, f)| ((*nonce, f.pending.hash), f.pending.tx.clone()))
            .unzip();
        let mut start = 0;
        for length in batch_lengths(txs.iter().map(EncodeSize::encode_size)) {
            let end = start + length;
            let answer = match node.submit_batch(&txs[start..end]).await {
                Ok(answer) => answer,
                Err(e) => {
                    if !transient(&e) {
                        tracing::warn!(
                            error = %e,
                            txs = length,
                            "a node refuses a whole batch of access records"
                        );
                    }
                    return Err(e.to_string());
                }
            };
            if answer.results.len() != length {
                return Err(format!(
                    "{} answered {} verdicts for {length} transactions",
                    node.base_url(),
                    answer.results.len()
                ));
            }
            let mut retry = None;
            for (&(nonce, hash), verdict) in due[start..end].iter().zip(answer.results) {
                if let Some(reason) = self
                    .settle(node, progress, nonce, hash, verdict.error)
                    .await?
                {
                    retry = Some(reason);
                }
            }
            if let Some(reason) = retry {
                return Err(reason);
            }
            start = end;
        }
        Ok(())
    }

    /// Acts on the node's verdict on the transaction of `nonce` (`refusal`
    /// `None`: taken). Answers why it must be sent again, if it must.
    async fn settle(
        &self,
        node: &Client,
        progress: &mut Progress,
        nonce: u64,
        hash: Digest,
        refusal: Option<ErrorBody>,
    ) -> Result<Option<String>, String> {
        let mark_submitted = |progress: &mut Progress| {
            if let Some(f) = progress.window.get_mut(&nonce) {
                f.submitted = Some(Instant::now());
            }
        };
        let Some(refusal) = refusal else {
            mark_submitted(progress);
            return Ok(None);
        };
        match Refusal::of(&refusal.code) {
            // Ours, already pending or final? Otherwise the nonce was used
            // by another transaction of this key.
            Refusal::NonceUsed => match node.tx_status(&hash).await {
                Ok(s) if s.status == TxState::Pending => mark_submitted(progress),
                Ok(s) if s.status == TxState::Finalized => {
                    // Final in a block already read past: clear it now.
                    let confirmed = progress.confirmed;
                    self.confirm(progress, vec![hash], confirmed).await?;
                }
                Ok(_) => self.state.set_fault(format!(
                    "nonce {nonce} of the gateway key was used by another transaction: \
                     the gateway key must be used by this gateway only"
                )),
                Err(e) => return Ok(Some(e.to_string())),
            },
            Refusal::Transient => {
                return Ok(Some(format!("nonce {nonce}: {}", refused(&refusal))));
            }
            Refusal::Permanent => {
                let reason = refused(&refusal);
                tracing::error!(tx = %hash, %reason, "the ledger refuses an access record");
                if let Some(f) = progress.window.remove(&nonce) {
                    self.outbox
                        .fail(f.pending.seq, reason.clone())
                        .await
                        .map_err(|e| e.to_string())?;
                }
                self.state.set_fault(reason);
            }
        }
        Ok(None)
    }

    /// The first node (the one that answered last first) whose status answers.
    async fn reachable_node(&self) -> Result<(Client, u64), String> {
        let mut last = String::from("no node configured");
        for node in self.ledger.nodes() {
            match node.status().await {
                Ok(status) => return Ok((node.clone(), status.height)),
                Err(e) => last = e.to_string(),
            }
        }
        Err(last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Limits;
    use axum::{
        Json, Router,
        body::Bytes,
        extract::{DefaultBodyLimit, Path, State},
        http::StatusCode,
        response::{IntoResponse, Response},
        routing::{get, post},
    };
    use commonware_codec::Encode;
    use commonware_cryptography::Signer as _;
    use dirchain_client::{
        Signer, Verifier,
        schema::chain::{
            BlockInfo, Header, Mempool, Status, TxBatchResults, TxStatus, TxSubmitted,
        },
    };
    use dirchain_types::{
        bounded::{Ident, List},
        ids::{PrivateKey, sha256},
        limits::MAX_SUBJECTS_PER_ACCESS,
        tx::{RecordAccess, SubmissionError, decode_submission},
    };
    use std::collections::{HashMap, VecDeque};

    /// What the fake node holds and what it was sent.
    #[derive(Default)]
    struct Chain {
        /// Each `POST /v1/txs`: the nonces it carried, in order.
        batches: Vec<Vec<u64>>,
        /// Taken, not yet in a block.
        pending: Vec<Digest>,
        /// The final blocks from height 1: their transactions.
        blocks: Vec<Vec<Digest>>,
        /// Refusals answered instead of taking the transaction of a nonce,
        /// one per submission, in turn.
        refusals: HashMap<u64, VecDeque<&'static str>>,
    }

    impl Chain {
        fn height_of(&self, hash: &Digest) -> Option<u64> {
            let index = self.blocks.iter().position(|b| b.contains(hash))?;
            Some(index as u64 + 1)
        }

        /// The verdict on one transaction of a batch. Taking is idempotent,
        /// as on a real node.
        fn take(&mut self, tx: &SignedTx) -> TxSubmitted {
            let (nonce, hash) = (tx.tx.nonce, tx.hash());
            if let Some(code) = self.refusals.get_mut(&nonce).and_then(VecDeque::pop_front) {
                return TxSubmitted {
                    hash: None,
                    error: Some(ErrorBody {
                        code: code.into(),
                        message: format!("the fake node refuses nonce {nonce}"),
                    }),
                };
            }
            if !self.pending.contains(&hash) && self.height_of(&hash).is_none() {
                self.pending.push(hash);
            }
            TxSubmitted {
                hash: Some(hash.to_string()),
                error: None,
            }
        }
    }

    type Shared = Arc<Mutex<Chain>>;

    fn error(status: StatusCode, code: &str) -> Response {
        let body = ErrorBody {
            code: code.into(),
            message: format!("the fake node answers {code}"),
        };
        (status, Json(body)).into_response()
    }

    async fn status(State(chain): State<Shared>) -> Json<Status> {
        let height = chain.lock().unwrap().blocks.len() as u64;
        Json(Status {
            chain_id: "devnet".into(),
            genesis: String::new(),
            role: "validator".into(),
            public_key: String::new(),
            validators: Vec::new(),
            height,
            block: String::new(),
            block_timestamp_ms: 0,
            state_root: String::new(),
            mempool: Mempool { txs: 0, bytes: 0 },
            peers: 0,
            query_index: true,
            indexed_height: height,
        })
    }

    async fn block(State(chain): State<Shared>, Path(height): Path<u64>) -> Response {
        let chain = chain.lock().unwrap();
        let Some(txs) = (height as usize)
            .checked_sub(1)
            .and_then(|i| chain.blocks.get(i))
        else {
            return error(StatusCode::NOT_FOUND, "not_found");
        };
        let header = Header {
            digest: String::new(),
            parent: String::new(),
            height,
            epoch: 0,
            view: height,
            parent_view: height - 1,
            proposer: String::new(),
            timestamp_ms: 0,
            state_root: String::new(),
            txs_digest: String::new(),
        };
        Json(BlockInfo {
            header,
            header_hex: String::new(),
            certificate_hex: None,
            txs: txs.iter().map(ToString::to_string).collect(),
        })
        .into_response()
    }

    /// `POST /v1/txs`, with the node's own bounds on the request.
    async fn submit_batch(State(chain): State<Shared>, body: Bytes) -> Response {
        let framed = match decode_submission(&body) {
            Ok(framed) => framed,
            Err(SubmissionError::TooLarge) => {
                return error(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
            }
            Err(SubmissionError::TooMany(_)) => {
                return error(StatusCode::PAYLOAD_TOO_LARGE, "too_many_txs");
            }
            Err(SubmissionError::Malformed(_)) => {
                return error(StatusCode::BAD_REQUEST, "bad_body");
            }
        };
        let txs: Vec<SignedTx> = framed
            .iter()
            .map(|tx| SignedTx::decode_untrusted(tx).unwrap())
            .collect();
        let mut chain = chain.lock().unwrap();
        chain
            .batches
            .push(txs.iter().map(|tx| tx.tx.nonce).collect());
        let results: Vec<TxSubmitted> = txs.iter().map(|tx| chain.take(tx)).collect();
        let accepted = results.iter().filter(|r| r.error.is_none()).count();
        Json(TxBatchResults {
            accepted,
            refused: results.len() - accepted,
            results,
        })
        .into_response()
    }

    async fn tx_status(State(chain): State<Shared>, Path(hash): Path<String>) -> Response {
        let chain = chain.lock().unwrap();
        let digest = hex::digest(&hash).unwrap();
        let (code, status, height) = match chain.height_of(&digest) {
            Some(height) => (StatusCode::OK, TxState::Finalized, Some(height)),
            None if chain.pending.contains(&digest) => (StatusCode::OK, TxState::Pending, None),
            None => (StatusCode::NOT_FOUND, TxState::Unknown, None),
        };
        let status = TxStatus {
            hash,
            status,
            height,
            index: None,
            outcome: None,
            error: None,
        };
        (code, Json(status)).into_response()
    }

    /// A node on a local port answering what the recorder asks, from `chain`.
    async fn fake_node(chain: Shared) -> String {
        let app = Router::new()
            .route("/v1/status", get(status))
            .route("/v1/blocks/{height}", get(block))
            .route("/v1/txs", post(submit_batch))
            .route("/v1/tx/{hash}", get(tx_status))
            .layer(DefaultBodyLimit::disable())
            .with_state(chain);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        url
    }

    /// An access naming `subjects` persons.
    fn access(n: usize, subjects: usize) -> RecordAccess {
        let subject_refs = (0..subjects)
            .map(|s| sha256(&[&n.to_le_bytes(), &s.to_le_bytes()]))
            .collect();
        RecordAccess {
            permission: sha256(&[&n.to_le_bytes()]),
            subject_refs: List::new(subject_refs).unwrap(),
            fields: List::new(vec![Ident::new("district").unwrap()]).unwrap(),
            query_digest: sha256(&[b"q"]),
            response_digest: sha256(&[b"r"]),
            record_count: subjects as u32,
            requester: None,
            refusal: None,
        }
    }

    /// A recorder over an outbox of `accesses` (nonces from 0) and a fake node.
    struct Test {
        recorder: Recorder,
        progress: Progress,
        chain: Shared,
        /// The outbox's transactions, in nonce order.
        txs: Vec<Pending>,
        _dir: tempfile::TempDir,
    }

    impl Test {
        async fn start(accesses: impl IntoIterator<Item = RecordAccess>) -> Self {
            let dir = tempfile::tempdir().unwrap();
            let signer = Signer::new(PrivateKey::from_seed(9), "devnet").unwrap();
            let outbox = Outbox::start(dir.path(), signer, 0).unwrap();
            // Appended together: the outbox commits them in a few groups.
            let appends: Vec<_> = accesses
                .into_iter()
                .map(|access| {
                    let outbox = outbox.clone();
                    tokio::spawn(async move { outbox.append(access, 1).await.unwrap() })
                })
                .collect();
            for append in appends {
                append.await.unwrap();
            }
            let txs = outbox.pending_after(0, 100_000).await.unwrap();
            let chain = Shared::default();
            let node = Client::new(&fake_node(chain.clone()).await).unwrap();
            let verifier =
                Verifier::from_validators(b"fake", [PrivateKey::from_seed(1).public_key()]);
            let ledger = Ledger::new(vec![node], verifier, &Limits::default());
            Self {
                recorder: Recorder {
                    outbox,
                    ledger: Arc::new(ledger),
                    state: Default::default(),
                    wake: Default::default(),
                },
                progress: Progress::new(0),
                chain,
                txs,
                _dir: dir,
            }
        }

        async fn round(&mut self) -> Result<(), String> {
            self.recorder.round(&mut self.progress).await
        }

        /// The nonces of each batch the node was sent, in order.
        fn batches(&self) -> Vec<Vec<u64>> {
            self.chain.lock().unwrap().batches.clone()
        }

        /// Makes a final block of everything pending.
        fn finalize(&self) {
            let mut chain = self.chain.lock().unwrap();
            let block = std::mem::take(&mut chain.pending);
            chain.blocks.push(block);
        }

        fn refuse(&self, nonce: u64, codes: &[&'static str]) {
            let mut chain = self.chain.lock().unwrap();
            chain
                .refusals
                .insert(nonce, codes.iter().copied().collect());
        }

        fn outbox_pending(&self) -> u64 {
            self.recorder.outbox.stats.pending.load(Ordering::Relaxed)
        }

        fn outbox_failed(&self) -> u64 {
            self.recorder.outbox.stats.failed.load(Ordering::Relaxed)
        }

        fn recorded(&self) -> u64 {
            self.recorder.state.recorded.load(Ordering::Relaxed)
        }

        /// How many times the final blocks hold each of the outbox's
        /// transactions, by nonce.
        fn times_final(&self) -> Vec<usize> {
            let chain = self.chain.lock().unwrap();
            self.txs
                .iter()
                .map(|p| {
                    chain
                        .blocks
                        .iter()
                        .flatten()
                        .filter(|h| **h == p.hash)
                        .count()
                })
                .collect()
        }
    }

    fn nonces(range: std::ops::Range<u64>) -> Vec<u64> {
        range.collect()
    }

    /// The body `POST /v1/txs` carries for transactions of these sizes.
    fn body_len(sizes: &[usize]) -> usize {
        let txs: Vec<Vec<u8>> = sizes.iter().map(|&size| vec![0; size]).collect();
        txs.encode_size()
    }

    #[test]
    fn batches_hold_at_most_the_node_s_count_and_bytes() {
        assert_eq!(batch_lengths([]), Vec::<usize>::new());
        assert_eq!(batch_lengths([200; 2_500]), [1_000, 1_000, 500]);

        // A body of exactly the bound is one batch; a byte more is two.
        let (a, b) = (MAX_SUBMIT_BATCH_BYTES / 2, MAX_SUBMIT_BATCH_BYTES / 2 - 8);
        assert_eq!(body_len(&[a, b]), MAX_SUBMIT_BATCH_BYTES);
        assert_eq!(batch_lengths([a, b]), [2]);
        assert_eq!(batch_lengths([a, b + 1]), [1, 1]);

        // Transactions as large as the node takes: every batch is within
        // the bound, and the next transaction would not have fitted.
        let sizes = vec![MAX_TX_BYTES; 300];
        let lengths = batch_lengths(sizes.iter().copied());
        assert!(lengths.len() > 1, "{lengths:?}");
        assert_eq!(lengths.iter().sum::<usize>(), sizes.len());
        let mut start = 0;
        for &length in &lengths {
            let end = start + length;
            assert!(body_len(&sizes[start..end]) <= MAX_SUBMIT_BATCH_BYTES);
            if end < sizes.len() {
                assert!(body_len(&sizes[start..=end]) > MAX_SUBMIT_BATCH_BYTES);
            }
            start = end;
        }
    }

    #[test]
    fn refusals_are_classified_by_their_code() {
        use Refusal::{NonceUsed, Permanent, Transient};
        for (code, refusal) in [
            ("nonce_taken", NonceUsed),
            ("stale_nonce", NonceUsed),
            ("busy", Transient),
            ("signer_busy", Transient),
            ("unavailable", Transient),
            ("storage", Transient),
            ("corrupt_state", Transient),
            ("future_nonce", Transient),
            ("quota_exceeded", Transient),
            ("key_revoked", Permanent),
            ("unknown_signer", Permanent),
            ("bad_signature", Permanent),
            ("malformed", Permanent),
            ("wrong_chain", Permanent),
        ] {
            assert_eq!(Refusal::of(code), refusal, "{code}");
        }
    }

    /// More than a window of transactions: the window goes out in two
    /// batches, in nonce order, the rest once the window has room; each
    /// transaction is sent once and final once, and the outbox empties.
    #[tokio::test(flavor = "multi_thread")]
    async fn an_outbox_larger_than_a_batch_goes_out_in_batches_and_lands_once() {
        let total = SUBMIT_WINDOW + 100;
        let mut t = Test::start((0..total).map(|n| access(n, 1))).await;
        assert_eq!(t.outbox_pending(), total as u64);

        t.round().await.unwrap();
        assert_eq!(t.batches(), [nonces(0..1_000), nonces(1_000..1_024)]);
        t.finalize();
        // Clears the window; the rest of the outbox comes in next round.
        t.round().await.unwrap();
        assert_eq!(t.outbox_pending(), 100);
        assert_eq!(t.recorded(), SUBMIT_WINDOW as u64);
        t.round().await.unwrap();
        assert_eq!(t.batches()[2], nonces(1_024..total as u64));
        t.finalize();
        t.round().await.unwrap();

        assert_eq!(t.outbox_pending(), 0);
        assert_eq!(t.outbox_failed(), 0);
        assert_eq!(t.recorded(), total as u64);
        assert!(t.times_final().iter().all(|&n| n == 1));
        let mut sent: Vec<u64> = t.batches().concat();
        sent.sort_unstable();
        assert_eq!(sent, nonces(0..total as u64), "each sent once");
        // Nothing is left to send.
        t.round().await.unwrap();
        assert_eq!(t.batches().len(), 3);
        assert_eq!(t.recorder.state.fault(), None);
    }

    /// Large transactions: the batches keep within the node's byte bound
    /// (the fake node refuses a larger body as the node does).
    #[tokio::test(flavor = "multi_thread")]
    async fn large_transactions_go_out_in_batches_within_the_byte_bound() {
        let mut t = Test::start((0..300).map(|n| access(n, MAX_SUBJECTS_PER_ACCESS))).await;
        let sizes: Vec<usize> = t.txs.iter().map(|p| p.tx.encode_size()).collect();
        assert!(sizes.iter().all(|&s| s > 32 * 1024), "{sizes:?}");

        t.round().await.unwrap();
        let batches = t.batches();
        assert!(batches.len() > 1, "{batches:?}");
        assert_eq!(batches.concat(), nonces(0..300));
        let encoded: Vec<_> = t.txs.iter().map(|p| p.tx.encode()).collect();
        let mut start = 0;
        for batch in &batches {
            let end = start + batch.len();
            let body = dirchain_types::tx::encode_submission(encoded[start..end].to_vec());
            assert!(body.len() <= MAX_SUBMIT_BATCH_BYTES);
            start = end;
        }
        t.finalize();
        t.round().await.unwrap();
        assert_eq!(t.outbox_pending(), 0);
        assert_eq!(t.recorded(), 300);
    }

    /// In one batch: a transaction refused for good fails its row and sets
    /// the fault; ones refused for now (`busy`) are sent again, alone; the
    /// others are not.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_batch_s_refusals_fail_their_row_or_are_sent_again() {
        let mut t = Test::start((0..10).map(|n| access(n, 1))).await;
        t.refuse(3, &["busy"]);
        t.refuse(6, &["busy", "signer_busy"]);
        t.refuse(5, &["key_revoked"]);

        let retry = t.round().await.unwrap_err();
        assert!(retry.contains("busy"), "{retry}");
        assert_eq!(t.batches(), [nonces(0..10)]);
        let fault = t.recorder.state.fault().expect("a fault");
        assert!(fault.contains("key_revoked"), "{fault}");
        assert_eq!(t.outbox_failed(), 1);
        assert_eq!(t.outbox_pending(), 9);

        t.round().await.unwrap_err();
        t.round().await.unwrap();
        assert_eq!(t.batches()[1..], [vec![3, 6], vec![6]]);
        t.finalize();
        t.round().await.unwrap();
        assert_eq!(t.outbox_pending(), 0);
        assert_eq!(t.outbox_failed(), 1);
        assert_eq!(t.recorded(), 9);
        let final_times = t.times_final();
        assert_eq!(final_times[5], 0);
        assert!(
            final_times
                .iter()
                .enumerate()
                .all(|(n, &k)| n == 5 || k == 1)
        );
        assert_eq!(t.batches().len(), 3, "the refused one is not sent again");
    }

    /// A nonce the node says is used: ours when the transaction is pending
    /// or final (then cleared at once), another transaction of the key's
    /// otherwise, which is a fault.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_used_nonce_is_ours_when_pending_or_final_and_a_fault_otherwise() {
        let mut t = Test::start((0..4).map(|n| access(n, 1))).await;
        {
            let mut chain = t.chain.lock().unwrap();
            // Nonce 0 final in a block already read; nonce 1 pending; nonce
            // 2 taken by a transaction the node knows nothing of here.
            chain.blocks.push(vec![t.txs[0].hash]);
            chain.pending.push(t.txs[1].hash);
        }
        t.progress = Progress::new(1);
        t.refuse(0, &["stale_nonce"]);
        t.refuse(1, &["nonce_taken"]);
        t.refuse(2, &["nonce_taken"]);

        t.round().await.unwrap();
        assert_eq!(t.batches(), [nonces(0..4)]);
        assert_eq!(t.recorded(), 1, "nonce 0 is cleared");
        assert_eq!(t.outbox_pending(), 3);
        assert_eq!(t.outbox_failed(), 0);
        let fault = t.recorder.state.fault().expect("a fault");
        assert!(fault.contains("nonce 2"), "{fault}");
        // Nonces 1 and 3 were taken: not sent again; 2 is.
        t.round().await.unwrap();
        assert_eq!(t.batches()[1], [2]);
    }
}
