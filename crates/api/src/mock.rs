//! An in-memory node for the handlers' tests, and helpers to call the router.

use crate::{node::NodeApi, router};
use axum::{
    body::Body,
    http::{HeaderMap, Request, StatusCode, header},
};
use commonware_codec::Encode;
use commonware_cryptography::Signer;
use dirchain_chain::{NodeRole, Status, SubmitError, TxStatus};
use dirchain_state::{
    TxError,
    testkit::{self, World},
};
use dirchain_types::{
    ids::{Digest, sha256},
    tx::SignedTx,
};
use serde_json::Value;
use std::{
    collections::HashMap,
    future::{Future, ready},
    sync::{Arc, Mutex},
};
use tower::ServiceExt;

/// Decodes and signature-checks what it is given, like the node, and keeps
/// what it accepted as pending.
#[derive(Clone, Default)]
pub struct MockNode {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Default)]
struct Inner {
    submitted: Vec<Vec<u8>>,
    refuse_next: Option<SubmitError>,
    txs: HashMap<Digest, TxStatus>,
    stopped: bool,
}

impl MockNode {
    pub fn new() -> Self {
        Self::default()
    }

    /// What `status` reports.
    pub fn snapshot(&self) -> Status {
        let validator = testkit::key_for("validator-0").public_key();
        Status {
            chain_id: testkit::CHAIN_ID.to_string(),
            genesis: sha256(&[b"genesis"]),
            role: NodeRole::Validator,
            public_key: validator.clone(),
            validators: vec![validator],
            height: 42,
            block: sha256(&[b"block 42"]),
            block_timestamp_ms: testkit::GENESIS_TIME + 42_000,
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

    /// The next submission fails with `error`, whatever it is.
    pub fn refuse_next(&self, error: SubmitError) {
        self.inner.lock().unwrap().refuse_next = Some(error);
    }

    pub fn set_tx(&self, hash: Digest, status: TxStatus) {
        self.inner.lock().unwrap().txs.insert(hash, status);
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

    fn answer<T>(&self, answer: impl FnOnce(&Inner) -> T) -> Result<T, SubmitError> {
        let inner = self.inner.lock().unwrap();
        if inner.stopped {
            return Err(SubmitError::Unavailable);
        }
        Ok(answer(&inner))
    }
}

impl NodeApi for MockNode {
    fn submit(&self, tx: Vec<u8>) -> impl Future<Output = Result<Digest, SubmitError>> + Send {
        ready(self.accept(tx))
    }

    fn status(&self) -> impl Future<Output = Result<Status, SubmitError>> + Send {
        ready(self.answer(|_| self.snapshot()))
    }

    fn tx_status(
        &self,
        hash: Digest,
    ) -> impl Future<Output = Result<TxStatus, SubmitError>> + Send {
        ready(self.answer(|inner| inner.txs.get(&hash).cloned().unwrap_or(TxStatus::Unknown)))
    }
}

/// A real signed transaction of the test consortium.
pub fn signed_tx() -> SignedTx {
    World::new().tx("health.admin", testkit::duty("health/vaccination"))
}

pub fn encoded(tx: &SignedTx) -> Vec<u8> {
    tx.encode().to_vec()
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
