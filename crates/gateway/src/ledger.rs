//! Finalized ledger state as the gateway relies on it: every value is read
//! with its proof and the certificate of the block it was proven at, and
//! checked against the genesis validators, so a node that lies is caught,
//! not believed. Values are kept for `refresh_ms`; while no node answers,
//! for up to `max_staleness_ms`.

use crate::config::Limits;
use commonware_codec::{Copying, DecodeExt, Read};
use dirchain_client::{Client, Verifier};
use dirchain_types::keys::StateKey;
use std::{
    collections::HashMap,
    sync::{
        Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

/// Values kept at once; beyond this the cache is cleared (it refills from
/// the nodes). A gateway relies on a few keys per permission in use.
pub const MAX_CACHED_VALUES: usize = 100_000;
/// How long one node may take to answer a proof.
pub const NODE_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("no node answered with a verifiable value ({last}), and nothing recent is known")]
    Unreachable { last: String },
    #[error("the ledger holds a value that does not decode: {0}")]
    Malformed(commonware_codec::Error),
}

struct Cached {
    value: Option<Vec<u8>>,
    fetched: Instant,
}

/// Verified, cached reads from the nodes of the configuration.
pub struct Ledger {
    nodes: Vec<Client>,
    verifier: Verifier,
    refresh: Duration,
    max_staleness: Duration,
    /// The node that answered last: asked first next time.
    preferred: AtomicUsize,
    cache: Mutex<HashMap<StateKey, Cached>>,
}

impl Ledger {
    pub fn new(nodes: Vec<Client>, verifier: Verifier, limits: &Limits) -> Self {
        Self {
            nodes,
            verifier,
            refresh: Duration::from_millis(limits.refresh_ms),
            max_staleness: Duration::from_millis(limits.max_staleness_ms),
            preferred: AtomicUsize::new(0),
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The nodes, the one that answered last first.
    pub fn nodes(&self) -> impl Iterator<Item = &Client> {
        let first = self.preferred.load(Ordering::Relaxed);
        (0..self.nodes.len()).map(move |i| &self.nodes[(first + i) % self.nodes.len()])
    }

    fn prefer(&self, node: &Client) {
        if let Some(i) = self
            .nodes
            .iter()
            .position(|n| n.base_url() == node.base_url())
        {
            self.preferred.store(i, Ordering::Relaxed);
        }
    }

    /// The record at `key` as of a recent final block, `None` if the key is
    /// proven empty.
    pub async fn read<T: Read<Cfg = ()>>(&self, key: &StateKey) -> Result<Option<T>, LedgerError> {
        let decode = |bytes: Option<Vec<u8>>| {
            bytes
                .map(|b| T::decode(Copying(b.as_slice())).map_err(LedgerError::Malformed))
                .transpose()
        };
        if let Some(value) = self.cached(key, self.refresh) {
            return decode(value);
        }
        match self.fetch(key).await {
            Ok(value) => decode(value),
            Err(last) => match self.cached(key, self.max_staleness) {
                Some(value) => {
                    tracing::warn!(%key, error = %last, "no node answered; relying on recent state");
                    decode(value)
                }
                None => Err(LedgerError::Unreachable { last }),
            },
        }
    }

    fn cached(&self, key: &StateKey, fresh_for: Duration) -> Option<Option<Vec<u8>>> {
        let cache = self.cache.lock().expect("ledger cache lock");
        cache
            .get(key)
            .filter(|c| c.fetched.elapsed() < fresh_for)
            .map(|c| c.value.clone())
    }

    /// Asks each node in turn for the value with its proof, until one
    /// answers verifiably.
    async fn fetch(&self, key: &StateKey) -> Result<Option<Vec<u8>>, String> {
        let mut last = String::from("no node configured");
        for node in self.nodes() {
            let answer = match tokio::time::timeout(NODE_TIMEOUT, node.proof(key)).await {
                Ok(Ok(answer)) => answer,
                Ok(Err(e)) => {
                    last = e.to_string();
                    continue;
                }
                Err(_) => {
                    last = format!("{} did not answer within {NODE_TIMEOUT:?}", node.base_url());
                    continue;
                }
            };
            match self.verifier.verify_proof(&answer, key) {
                Ok(verified) => {
                    self.prefer(node);
                    let mut cache = self.cache.lock().expect("ledger cache lock");
                    if cache.len() >= MAX_CACHED_VALUES {
                        cache.clear();
                    }
                    cache.insert(
                        *key,
                        Cached {
                            value: verified.value.clone(),
                            fetched: Instant::now(),
                        },
                    );
                    return Ok(verified.value);
                }
                Err(e) => {
                    tracing::error!(node = node.base_url(), %key, error = %e, "a node answered a proof that does not verify");
                    last = format!("{} answered an unverifiable proof: {e}", node.base_url());
                }
            }
        }
        Err(last)
    }
}
