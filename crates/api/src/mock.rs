//! An in-memory node for the handlers' tests, and helpers to call the router.

use crate::{
    fixture::{SCENARIO, TestIndex, subject_key},
    node::NodeApi,
    router,
};
use axum::{
    body::Body,
    http::{HeaderMap, Request, StatusCode, header},
};
use commonware_codec::Encode;
use commonware_cryptography::Signer;
use commonware_runtime::{Runner as _, Supervisor as _, deterministic};
use dirchain_chain::{
    FinalizedBlock, NodeRole, Status, SubmitError, TxStatus,
    handle::{AccessRecordProof, CertifiedBlock, Nonces},
};
use dirchain_index::Queries;
use dirchain_state::{
    Ledger, TxError,
    access_log::AccessProof,
    store::StateProof,
    testkit::{self, World},
};
use dirchain_types::{
    block::Block,
    bounded::List,
    domain::Role,
    ids::{Digest, PublicKey, SubjectKey, SubjectRef, sha256, subject_ref},
    keys::{self, StateKey},
    tx::{Enroll, SignedTx},
};
use serde_json::Value;
use std::{
    collections::{BTreeMap, HashMap},
    future::{Future, ready},
    sync::{Arc, LazyLock, Mutex, OnceLock},
};
use tower::ServiceExt;

/// A short chain with real proofs: the genesis block, and block 1 whose
/// state root commits to a ledger of the test consortium (its genesis, an
/// enrolled consumer and two access records in the access log).
pub struct MockChain {
    pub(crate) blocks: Vec<CertifiedBlock>,
    values: BTreeMap<StateKey, Vec<u8>>,
    proofs: HashMap<StateKey, StateProof>,
    /// Every location of the access log and one past its end, each with the
    /// record there and its proof (`None` for a block-closing commit).
    access: BTreeMap<u64, Option<(Vec<u8>, AccessProof)>>,
}

/// A key the mock can prove absent.
pub fn absent_key() -> StateKey {
    sha256(&[b"nothing here"])
}

static CHAIN: LazyLock<MockChain> = LazyLock::new(MockChain::build);

/// Applies `tx` as the next block to the world and to the ledger alike.
async fn apply_block(world: &mut World, ledger: &mut Ledger<deterministic::Context>, tx: SignedTx) {
    let (results, included) = world.block_included(vec![tx]);
    assert!(results[0].is_ok(), "{results:?}");
    ledger.apply(world.context(), &included).await.unwrap();
}

impl MockChain {
    fn build() -> Self {
        let (root, values, proofs, access) =
            deterministic::Runner::default().start(|context| async move {
                let mut ledger = Ledger::open(context.child("ledger"), "mock", &testkit::genesis())
                    .await
                    .unwrap();
                let mut world = World::new();
                let consumer = testkit::key_for("police.consumer").public_key();
                let enroll = world.tx(
                    "police.admin",
                    Enroll {
                        org: testkit::id("police"),
                        member_key: consumer,
                        role: Role::Consumer,
                        expires_at: testkit::GENESIS_TIME + 365 * 24 * testkit::HOUR_MS,
                    },
                );
                // One block each: the access log closes every block with a commit.
                apply_block(&mut world, &mut ledger, enroll).await;
                let first = world.tx(
                    "police.consumer",
                    testkit::unknown_permission_access(b"first answer"),
                );
                apply_block(&mut world, &mut ledger, first).await;
                let second = world.tx(
                    "police.consumer",
                    testkit::unknown_permission_access(b"second answer"),
                );
                apply_block(&mut world, &mut ledger, second).await;
                let mut values = world.state.clone();
                let head = keys::access_log_key();
                values.insert(head, ledger.get(&head).await.unwrap().unwrap());
                let mut proofs = HashMap::new();
                for key in values.keys().copied().chain([absent_key()]) {
                    proofs.insert(key, ledger.prove(&key).await.unwrap());
                }
                let mut access = BTreeMap::new();
                for location in 0..=ledger.access_log_head().size {
                    access.insert(location, ledger.prove_access(location).await.unwrap());
                }
                (ledger.root(), values, proofs, access)
            });
        let proposer = testkit::key_for("validator-0").public_key();
        let genesis = Block {
            parent: Digest([0; 32]),
            height: 0,
            epoch: 0,
            view: 0,
            parent_view: 0,
            proposer: proposer.clone(),
            timestamp_ms: testkit::GENESIS_TIME,
            state_root: sha256(&[b"genesis"]),
            txs: List::default(),
        };
        let first = Block {
            parent: genesis.digest(),
            height: 1,
            epoch: 0,
            view: 1,
            parent_view: 0,
            proposer,
            timestamp_ms: testkit::GENESIS_TIME + 1_000,
            state_root: root,
            txs: List::new(vec![signed_tx()]).unwrap(),
        };
        Self {
            blocks: vec![
                CertifiedBlock {
                    block: genesis.into(),
                    finalization: None,
                },
                CertifiedBlock {
                    block: first.into(),
                    finalization: Some(b"the finalization of block 1".to_vec()),
                },
            ],
            values,
            proofs,
            access,
        }
    }

    pub fn block(&self, height: u64) -> CertifiedBlock {
        self.blocks[height as usize].clone()
    }

    pub fn value(&self, key: &StateKey) -> Vec<u8> {
        self.values[key].clone()
    }

    /// The locations of the access log that hold a record, in order.
    pub fn access_locations(&self) -> Vec<u64> {
        self.access
            .iter()
            .filter_map(|(location, record)| record.as_ref().map(|_| *location))
            .collect()
    }

    /// The encoded `LoggedAccess` at `location`, if one is there.
    pub fn access_record(&self, location: u64) -> Option<Vec<u8>> {
        self.access.get(&location)?.as_ref().map(|(r, _)| r.clone())
    }
}

/// Decodes and signature-checks what it is given, like the node, and keeps
/// what it accepted as pending. Its query index is real: empty (made on
/// first use), or the fixture's scenario ([MockNode::indexed]), or none
/// ([MockNode::without_query_index]).
#[derive(Clone)]
pub struct MockNode {
    inner: Arc<Mutex<Inner>>,
    index: Arc<OnceLock<TestIndex>>,
    keeps_index: bool,
}

struct Inner {
    /// The latest block's time, as `status` reports it.
    block_timestamp_ms: u64,
    subject_key: Option<SubjectKey>,
    submitted: Vec<Vec<u8>>,
    refuse_next: Option<SubmitError>,
    txs: HashMap<Digest, TxStatus>,
    nonces: HashMap<PublicKey, Nonces>,
    blocks: Vec<CertifiedBlock>,
    stopped: bool,
    storage_fails: bool,
}

impl Default for MockNode {
    fn default() -> Self {
        Self::new()
    }
}

impl MockNode {
    /// What `metrics` reports: the node's part of `/metrics`.
    pub const METRICS: &str = "# HELP chain_height Latest finalized and applied block.\n\
        # TYPE chain_height gauge\nchain_height 1\n# EOF\n";

    /// How long after its timestamp the mock applied each block.
    pub const FINALITY_MS: u64 = 25;

    pub fn new() -> Self {
        Self {
            inner: Arc::new(Mutex::new(Inner {
                block_timestamp_ms: testkit::GENESIS_TIME + 42_000,
                subject_key: Some(subject_key()),
                submitted: Vec::new(),
                refuse_next: None,
                txs: HashMap::new(),
                nonces: HashMap::new(),
                blocks: CHAIN.blocks.clone(),
                stopped: false,
                storage_fails: false,
            })),
            index: Arc::new(OnceLock::new()),
            keeps_index: true,
        }
    }

    /// A node run with `query_index = false`.
    pub fn without_query_index() -> Self {
        Self {
            keeps_index: false,
            ..Self::new()
        }
    }

    /// A node whose index has applied the fixture's whole scenario, and
    /// whose latest block is the scenario's last.
    pub async fn indexed() -> Self {
        let node = Self::new();
        let index = TestIndex::of_scenario().await;
        assert!(node.index.set(index).is_ok(), "a new node has no index");
        node.set_block_time(SCENARIO.now);
        node
    }

    /// The latest block's time from now on.
    pub fn set_block_time(&self, ms: u64) {
        self.inner.lock().unwrap().block_timestamp_ms = ms;
    }

    /// From now on the node holds no subject key.
    pub fn forget_subject_key(&self) {
        self.inner.lock().unwrap().subject_key = None;
    }

    /// The chain behind `block` and `prove`.
    pub fn chain(&self) -> &'static MockChain {
        &CHAIN
    }

    /// What `status` reports.
    pub fn snapshot(&self) -> Status {
        let block_timestamp_ms = self.inner.lock().unwrap().block_timestamp_ms;
        Self::status_at(block_timestamp_ms)
    }

    fn status_at(block_timestamp_ms: u64) -> Status {
        let validator = testkit::key_for("validator-0").public_key();
        Status {
            chain_id: testkit::CHAIN_ID.to_string(),
            genesis: sha256(&[b"genesis"]),
            role: NodeRole::Validator,
            public_key: validator.clone(),
            validators: vec![validator],
            height: 42,
            block: sha256(&[b"block 42"]),
            block_timestamp_ms,
            state_root: sha256(&[b"root 42"]),
            mempool_txs: 3,
            mempool_bytes: 1_234,
            peers: 2,
        }
    }

    /// From now on every call answers `Unavailable`, as a node shutting down.
    pub fn stop(&self) {
        self.inner.lock().unwrap().stopped = true;
    }

    /// Block `height` loses its certificate, as one finalized through its
    /// successor's.
    pub fn uncertify(&self, height: u64) {
        self.inner.lock().unwrap().blocks[height as usize].finalization = None;
    }

    /// From now on every read of the chain fails, as a node whose disk broke.
    pub fn fail_storage(&self) {
        self.inner.lock().unwrap().storage_fails = true;
    }

    /// Back to before the first finalized block.
    pub fn rewind_to_genesis(&self) {
        self.inner.lock().unwrap().blocks.truncate(1);
    }

    /// Block 1 claims another state root than the state it proves against.
    pub fn corrupt_state_root(&self) {
        let mut inner = self.inner.lock().unwrap();
        let mut block = (*inner.blocks[1].block).clone();
        block.state_root = sha256(&[b"another root"]);
        inner.blocks[1].block = block.into();
    }

    /// The next submission fails with `error`, whatever it is.
    pub fn refuse_next(&self, error: SubmitError) {
        self.inner.lock().unwrap().refuse_next = Some(error);
    }

    pub fn set_tx(&self, hash: Digest, status: TxStatus) {
        self.inner.lock().unwrap().txs.insert(hash, status);
    }

    pub fn set_nonces(&self, signer: PublicKey, next: u64, next_free: u64) {
        self.inner
            .lock()
            .unwrap()
            .nonces
            .insert(signer, Nonces { next, next_free });
    }

    /// The transactions accepted so far, as received.
    pub fn submitted(&self) -> Vec<Vec<u8>> {
        self.inner.lock().unwrap().submitted.clone()
    }

    fn accept(&self, tx: Vec<u8>) -> Result<Digest, SubmitError> {
        let mut inner = self.inner.lock().unwrap();
        if inner.stopped {
            return Err(SubmitError::Unavailable);
        }
        if let Some(error) = inner.refuse_next.take() {
            return Err(error);
        }
        let signed = dirchain_state::decode_tx(&tx)?;
        if !signed.verify_signature() {
            return Err(TxError::BadSignature.into());
        }
        let hash = signed.hash();
        inner.submitted.push(tx);
        inner.txs.entry(hash).or_insert(TxStatus::Pending);
        Ok(hash)
    }

    /// Answers from the node's state, as a running, stopping or failing node would.
    fn answer<T>(
        &self,
        answer: impl FnOnce(&Inner) -> Result<T, SubmitError>,
    ) -> Result<T, SubmitError> {
        let inner = self.inner.lock().unwrap();
        if inner.stopped {
            return Err(SubmitError::Unavailable);
        }
        if inner.storage_fails {
            return Err(SubmitError::Storage("the disk is gone".into()));
        }
        answer(&inner)
    }
}

impl Inner {
    fn height(&self) -> u64 {
        self.blocks.len() as u64 - 1
    }
}

impl NodeApi for MockNode {
    fn submit(&self, tx: Vec<u8>) -> impl Future<Output = Result<Digest, SubmitError>> + Send {
        ready(self.accept(tx))
    }

    fn submit_batch(
        &self,
        txs: Vec<Vec<u8>>,
    ) -> impl Future<Output = Result<Vec<Result<Digest, SubmitError>>, SubmitError>> + Send {
        let verdicts = if self.inner.lock().unwrap().stopped {
            Err(SubmitError::Unavailable)
        } else {
            Ok(txs.into_iter().map(|tx| self.accept(tx)).collect())
        };
        ready(verdicts)
    }

    fn status(&self) -> impl Future<Output = Result<Status, SubmitError>> + Send {
        ready(self.answer(|inner| Ok(Self::status_at(inner.block_timestamp_ms))))
    }

    fn tx_status(
        &self,
        hash: Digest,
    ) -> impl Future<Output = Result<TxStatus, SubmitError>> + Send {
        ready(self.answer(|inner| Ok(inner.txs.get(&hash).cloned().unwrap_or(TxStatus::Unknown))))
    }

    fn height(&self) -> u64 {
        self.inner.lock().unwrap().height()
    }

    fn block(
        &self,
        height: u64,
    ) -> impl Future<Output = Result<Option<CertifiedBlock>, SubmitError>> + Send {
        ready(self.answer(|inner| {
            Ok(usize::try_from(height)
                .ok()
                .and_then(|height| inner.blocks.get(height))
                .cloned())
        }))
    }

    fn recent_blocks(
        &self,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<FinalizedBlock>, SubmitError>> + Send {
        ready(self.answer(|inner| {
            Ok(inner
                .blocks
                .iter()
                .skip(1)
                .rev()
                .take(limit)
                .map(|certified| FinalizedBlock {
                    height: certified.block.height,
                    digest: certified.block.digest(),
                    state_root: certified.block.state_root,
                    txs: certified.block.txs.len(),
                    timestamp_ms: certified.block.timestamp_ms,
                    applied_at_ms: certified.block.timestamp_ms + Self::FINALITY_MS,
                })
                .collect())
        }))
    }

    fn signers(&self, height: u64) -> impl Future<Output = Option<Vec<u32>>> + Send {
        let inner = self.inner.lock().unwrap();
        let certified = usize::try_from(height)
            .ok()
            .and_then(|height| inner.blocks.get(height))
            .is_some_and(|block| block.finalization.is_some());
        // The mock's one validator signs every certificate it has.
        ready(certified.then(|| vec![0]))
    }

    fn prove(
        &self,
        key: StateKey,
    ) -> impl Future<Output = Result<(u64, StateProof), SubmitError>> + Send {
        ready(self.answer(|inner| {
            let proof =
                CHAIN.proofs.get(&key).cloned().ok_or_else(|| {
                    SubmitError::Storage(format!("the mock has no proof of {key}"))
                })?;
            Ok((inner.height(), proof))
        }))
    }

    fn prove_access(
        &self,
        location: u64,
    ) -> impl Future<Output = Result<AccessRecordProof, SubmitError>> + Send {
        ready(self.answer(|inner| {
            let record = CHAIN.access.get(&location).cloned().flatten();
            Ok((inner.height(), record))
        }))
    }

    fn nonces(
        &self,
        signer: PublicKey,
    ) -> impl Future<Output = Result<Nonces, SubmitError>> + Send {
        ready(self.answer(|inner| {
            Ok(inner.nonces.get(&signer).copied().unwrap_or(Nonces {
                next: 0,
                next_free: 0,
            }))
        }))
    }

    fn metrics(&self) -> String {
        Self::METRICS.to_string()
    }

    fn index(&self) -> Option<&Queries> {
        self.keeps_index
            .then(|| &self.index.get_or_init(TestIndex::empty).queries)
    }

    fn subject_ref(&self, raw_identifier: &str) -> Option<SubjectRef> {
        let inner = self.inner.lock().unwrap();
        inner
            .subject_key
            .as_ref()
            .map(|key| subject_ref(key, raw_identifier))
    }
}

/// A real signed transaction of the test consortium.
pub fn signed_tx() -> SignedTx {
    World::new().tx("health.admin", testkit::duty("health/vaccination"))
}

pub fn encoded(tx: &SignedTx) -> Vec<u8> {
    tx.encode().to_vec()
}

/// The binary body of `POST /v1/txs` carrying `txs`, each as given.
pub fn submission(txs: &[Vec<u8>]) -> Vec<u8> {
    dirchain_types::tx::encode_submission(txs.iter().map(|tx| tx.clone().into())).to_vec()
}

pub fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

pub fn post(uri: &str, content_type: Option<&str>, body: impl Into<Body>) -> Request<Body> {
    let mut request = Request::post(uri);
    if let Some(content_type) = content_type {
        request = request.header(header::CONTENT_TYPE, content_type);
    }
    request.body(body.into()).unwrap()
}

/// Sends `request` to a router over `node`; every answer must be JSON.
pub async fn call(node: MockNode, request: Request<Body>) -> (StatusCode, HeaderMap, Value) {
    let response = router(node).oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    assert_eq!(
        parts.headers[header::CONTENT_TYPE],
        "application/json",
        "status {}",
        parts.status
    );
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    let json = serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&bytes)));
    (parts.status, parts.headers, json)
}

/// The body of a `GET uri` that must answer 200.
#[track_caller]
pub fn ok(node: &MockNode, uri: &str) -> impl Future<Output = Value> + use<> {
    let answer = call(node.clone(), get(uri));
    let uri = uri.to_string();
    async move {
        let (status, _, body) = answer.await;
        assert_eq!(status, StatusCode::OK, "GET {uri}: {body}");
        body
    }
}

/// The `key` of every entry of a page, in order.
pub fn page_of(body: &Value, key: &str) -> Vec<String> {
    body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("not a page: {body}"))
        .iter()
        .map(|item| item[key].as_str().expect("a string").to_string())
        .collect()
}

/// The `id` of every entry of a page, in order.
pub fn ids(body: &Value) -> Vec<String> {
    page_of(body, "id")
}

/// Every entry's id of the list at `uri` (which has a query), following
/// `next_cursor` page by page.
pub async fn all_pages(node: &MockNode, uri: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page_uri = match &cursor {
            Some(c) => format!("{uri}&cursor={c}"),
            None => uri.to_string(),
        };
        let body = ok(node, &page_uri).await;
        out.extend(ids(&body));
        match body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return out,
        }
    }
}

/// The answer is the error `code` with `status`, in the one error shape.
#[track_caller]
pub fn assert_error(answer: &(StatusCode, HeaderMap, Value), status: StatusCode, code: &str) {
    let (got, _, body) = answer;
    assert_eq!(
        (*got, body["code"].as_str()),
        (status, Some(code)),
        "{body}"
    );
    let message = body["message"].as_str().expect("a message");
    assert!(!message.is_empty());
    assert_eq!(
        body.as_object().unwrap().len(),
        2,
        "only code and message: {body}"
    );
}

/// The example the OpenAPI document gives for parameter `name` of `path`.
pub fn documented_example(path: &str, name: &str) -> String {
    let document = serde_json::to_value(crate::openapi()).unwrap();
    let operations = document["paths"][path]
        .as_object()
        .expect("a documented path");
    operations
        .values()
        .filter_map(|operation| operation["parameters"].as_array())
        .flatten()
        .find(|parameter| parameter["name"] == name)
        .and_then(|parameter| parameter["example"].as_str())
        .unwrap_or_else(|| panic!("no example of {name} in {path}"))
        .to_string()
}
