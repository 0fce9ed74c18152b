//! The HTTP client of a node's API (`/v1`). Answers are the documents of
//! `dirchain-schema`; refusals arrive as [ClientError::Api] with the node's
//! stable error code. Nothing a node answers is trusted by this module: to
//! rely on a value, fetch its proof and check it with [crate::Verifier].

use crate::{
    error::{ClientError, codes},
    signer::Signer,
};
use commonware_codec::Encode;
use dirchain_schema::{
    chain::{
        AccessProof, Account, BlockInfo, ErrorBody, MAX_WAIT_MS, Proof, Status, TxBatchResults,
        TxState, TxStatus, TxWait, WaitFor,
    },
    records::{
        AccessQuery, AccessView, AssetDetail, CatalogQuery, ItemDetail, ItemView, NotaryView,
        OrgDetail, OrgView, Page, PageQuery, PermissionQuery, PermissionView, ProposalQuery,
        ProposalView, RequestQuery, RequestView, SubjectAccessQuery,
    },
};
use dirchain_types::{
    ids::{Digest, PublicKey},
    keys::StateKey,
    tx::{Payload, SignedTx, encode_submission},
};
use reqwest::{Method, StatusCode, Url, header::CONTENT_TYPE};
use serde::{Serialize, de::DeserializeOwned};
use std::time::Duration;

/// How long a request may take when the client is not told otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest answer read from a node; a larger one is refused rather than
/// buffered (a page of 500 catalog items with long descriptions is a few MiB).
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;

/// Whether [Client::send] waits for the transaction to be final.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wait {
    /// Answer once the node has accepted it into its mempool.
    Accepted,
    /// Answer once it is final, or pending after this long (at most
    /// [MAX_WAIT_MS]; longer waits are cut to it).
    Final(Duration),
}

/// A transaction [Client::send] signed and submitted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sent {
    pub tx: SignedTx,
    pub hash: Digest,
    /// `Pending` when accepted, or when a wait ran out before finality;
    /// `Finalized` with its height and outcome otherwise.
    pub status: TxStatus,
}

/// A connection to one node.
#[derive(Clone, Debug)]
pub struct Client {
    http: reqwest::Client,
    base: Url,
    timeout: Duration,
}

impl Client {
    /// A client of the node at `base_url` (`http://127.0.0.1:8080`), with
    /// [DEFAULT_TIMEOUT].
    pub fn new(base_url: &str) -> Result<Self, ClientError> {
        Self::with_timeout(base_url, DEFAULT_TIMEOUT)
    }

    /// A client whose requests give up after `timeout` (a wait for finality
    /// gets its wait on top).
    pub fn with_timeout(base_url: &str, timeout: Duration) -> Result<Self, ClientError> {
        let bad = |reason: &str| ClientError::BadUrl {
            url: base_url.to_string(),
            reason: reason.to_string(),
        };
        let base = Url::parse(base_url).map_err(|e| bad(&e.to_string()))?;
        // Nodes serve plain HTTP (on loopback or behind a proxy), and the SDK
        // is built without a TLS stack: refuse https now, not at the first request.
        if base.scheme() != "http" || base.cannot_be_a_base() {
            return Err(bad("expected http://HOST:PORT"));
        }
        if base.query().is_some() || base.fragment().is_some() {
            return Err(bad("a node URL has no query or fragment"));
        }
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| bad(&e.to_string()))?;
        Ok(Self {
            http,
            base,
            timeout,
        })
    }

    /// The node's base URL.
    pub fn base_url(&self) -> &str {
        self.base.as_str()
    }

    /// `GET /v1/status`: chain, latest block, validators, mempool.
    pub async fn status(&self) -> Result<Status, ClientError> {
        self.get(&["v1", "status"], &()).await
    }

    /// `GET /v1/accounts/{key}`: the nonces of a signer.
    pub async fn account(&self, key: &PublicKey) -> Result<Account, ClientError> {
        self.get(&["v1", "accounts", &key.to_string()], &()).await
    }

    /// `POST /v1/tx`: hands the transaction to the node; answers once it is
    /// in the mempool (status `pending`).
    pub async fn submit(&self, tx: &SignedTx) -> Result<TxStatus, ClientError> {
        let url = self.url(&["v1", "tx"], &())?;
        self.post_tx(url, tx, self.timeout).await
    }

    /// `POST /v1/txs`: up to [MAX_SUBMIT_BATCH](dirchain_types::limits::MAX_SUBMIT_BATCH) transactions in one request
    /// (binary body), each with its own verdict, in order. A refused one does
    /// not refuse the others; `busy` and `signer_busy` ones may be sent again.
    pub async fn submit_batch(&self, txs: &[SignedTx]) -> Result<TxBatchResults, ClientError> {
        let url = self.url(&["v1", "txs"], &())?;
        let request = self
            .http
            .post(url.clone())
            .header(CONTENT_TYPE, "application/octet-stream")
            .body(encode_submission(txs.iter().map(Encode::encode)))
            .timeout(self.timeout);
        let (status, body) = exchange(request, &url).await?;
        decode(&url, status, &body)
    }

    /// `POST /v1/tx?wait=final`: answers once the transaction is final (status
    /// `finalized`, with height and outcome). After `wait` (at most
    /// [MAX_WAIT_MS]) the node gives up with [ClientError::Api] code
    /// `wait_timeout`; the transaction may still become final (see
    /// [Client::tx_status] with `tx.hash()`).
    pub async fn submit_and_wait(
        &self,
        tx: &SignedTx,
        wait: Duration,
    ) -> Result<TxStatus, ClientError> {
        let wait_ms = u64::try_from(wait.as_millis())
            .unwrap_or(u64::MAX)
            .min(MAX_WAIT_MS);
        let query = TxWait {
            wait: Some(WaitFor::Final),
            timeout_ms: Some(wait_ms),
        };
        let url = self.url(&["v1", "tx"], &query)?;
        self.post_tx(url, tx, self.timeout + Duration::from_millis(wait_ms))
            .await
    }

    /// `GET /v1/tx/{hash}`: pending, finalized (height, index, outcome) or
    /// unknown to this node.
    pub async fn tx_status(&self, hash: &Digest) -> Result<TxStatus, ClientError> {
        let url = self.url(&["v1", "tx", &hash.to_string()], &())?;
        let (status, body) = exchange(self.http.get(url.clone()), &url).await?;
        // An unknown transaction is a 404 that still carries its status document.
        if status == StatusCode::NOT_FOUND
            && let Ok(answer) = serde_json::from_slice::<TxStatus>(&body)
        {
            return Ok(answer);
        }
        decode(&url, status, &body)
    }

    /// `GET /v1/blocks/{height}`, with its finalization certificate.
    pub async fn block(&self, height: u64) -> Result<BlockInfo, ClientError> {
        self.get(&["v1", "blocks", &height.to_string()], &()).await
    }

    /// `GET /v1/blocks/latest`: the latest finalized block.
    pub async fn latest_block(&self) -> Result<BlockInfo, ClientError> {
        self.get(&["v1", "blocks", "latest"], &()).await
    }

    /// `GET /v1/proof/{key}`: the value at a state key (derive keys with
    /// `dirchain_types::keys`) with its proof and the certificate of the block
    /// it was proven at. Check it with [crate::Verifier::verify_proof].
    pub async fn proof(&self, key: &StateKey) -> Result<Proof, ClientError> {
        self.get(&["v1", "proof", &key.to_string()], &()).await
    }

    /// `GET /v1/access-log/{location}`: the access record at that location of
    /// the access log (the index's access views give each record's
    /// location) with its proof and the certificate of the block it was
    /// proven at. Check it with [crate::Verifier::verify_access_proof].
    pub async fn access_proof(&self, location: u64) -> Result<AccessProof, ClientError> {
        self.get(&["v1", "access-log", &location.to_string()], &())
            .await
    }

    /// Signs `payload` with the signer's next free nonce and submits it. If
    /// another transaction took that nonce meanwhile (`nonce_taken`,
    /// `stale_nonce`), fetches the nonce again and retries once.
    ///
    /// With [Wait::Final], a wait that runs out is not an error: the answer's
    /// status is then `pending`. For many transactions of one signer, fetch
    /// [Client::account] once and sign consecutive nonces instead.
    pub async fn send(
        &self,
        signer: &Signer,
        payload: impl Into<Payload>,
        wait: Wait,
    ) -> Result<Sent, ClientError> {
        let payload = payload.into();
        let mut retried = false;
        loop {
            let nonce = self.account(signer.public_key()).await?.next_free_nonce;
            let tx = signer.sign(payload.clone(), nonce);
            let hash = tx.hash();
            let answer = match wait {
                Wait::Accepted => self.submit(&tx).await,
                Wait::Final(wait) => self.submit_and_wait(&tx, wait).await,
            };
            let status = match answer {
                Ok(status) => status,
                Err(e) if e.code() == Some(codes::WAIT_TIMEOUT) => TxStatus {
                    hash: hash.to_string(),
                    status: TxState::Pending,
                    height: None,
                    index: None,
                    outcome: None,
                    error: None,
                },
                Err(e)
                    if !retried
                        && matches!(e.code(), Some(codes::NONCE_TAKEN | codes::STALE_NONCE)) =>
                {
                    retried = true;
                    continue;
                }
                Err(e) => return Err(e),
            };
            return Ok(Sent { tx, hash, status });
        }
    }

    /// `GET /v1/orgs`: member organisations.
    pub async fn orgs(&self, page: &PageQuery) -> Result<Page<OrgView>, ClientError> {
        self.get(&["v1", "orgs"], page).await
    }

    /// `GET /v1/orgs/{id}`: an organisation with its members and duties.
    pub async fn org(&self, id: &str) -> Result<OrgDetail, ClientError> {
        self.get(&["v1", "orgs", id], &()).await
    }

    /// `GET /v1/catalog`: search and filter catalog items.
    pub async fn catalog(&self, query: &CatalogQuery) -> Result<Page<ItemView>, ClientError> {
        self.get(&["v1", "catalog"], query).await
    }

    /// `GET /v1/catalog/{id}`: an item and its versions (`channel` defaults to `main`).
    pub async fn catalog_item(
        &self,
        id: &str,
        channel: Option<&str>,
    ) -> Result<ItemDetail, ClientError> {
        self.get(&["v1", "catalog", id], &ChannelQuery::of(channel))
            .await
    }

    /// `GET /v1/permissions`.
    pub async fn permissions(
        &self,
        query: &PermissionQuery,
    ) -> Result<Page<PermissionView>, ClientError> {
        self.get(&["v1", "permissions"], query).await
    }

    /// `GET /v1/permissions/{id}`.
    pub async fn permission(
        &self,
        id: &Digest,
        channel: Option<&str>,
    ) -> Result<PermissionView, ClientError> {
        self.get(
            &["v1", "permissions", &id.to_string()],
            &ChannelQuery::of(channel),
        )
        .await
    }

    /// `GET /v1/requests`.
    pub async fn requests(&self, query: &RequestQuery) -> Result<Page<RequestView>, ClientError> {
        self.get(&["v1", "requests"], query).await
    }

    /// `GET /v1/requests/{id}`.
    pub async fn request(
        &self,
        id: &Digest,
        channel: Option<&str>,
    ) -> Result<RequestView, ClientError> {
        self.get(
            &["v1", "requests", &id.to_string()],
            &ChannelQuery::of(channel),
        )
        .await
    }

    /// `GET /v1/access`: access records and refused attempts.
    pub async fn accesses(&self, query: &AccessQuery) -> Result<Page<AccessView>, ClientError> {
        self.get(&["v1", "access"], query).await
    }

    /// `GET /v1/access/{id}`.
    pub async fn access(
        &self,
        id: &Digest,
        channel: Option<&str>,
    ) -> Result<AccessView, ClientError> {
        self.get(
            &["v1", "access", &id.to_string()],
            &ChannelQuery::of(channel),
        )
        .await
    }

    /// `POST /v1/subjects/accesses`: every access to the data of the person
    /// with this raw identifier. The identifier travels in the body only;
    /// the node turns it into the person's pseudonym.
    pub async fn subject_accesses(
        &self,
        subject: &str,
        page: &PageQuery,
    ) -> Result<Page<AccessView>, ClientError> {
        let body = SubjectAccessQuery {
            subject: subject.to_string(),
            limit: page.limit,
            cursor: page.cursor.clone(),
        };
        let url = self.url(&["v1", "subjects", "accesses"], &())?;
        let (status, answer) = exchange(self.http.post(url.clone()).json(&body), &url).await?;
        decode(&url, status, &answer)
    }

    /// `GET /v1/notary/{digest}`: the notary record of a document digest.
    pub async fn notary(
        &self,
        digest: &Digest,
        channel: Option<&str>,
    ) -> Result<NotaryView, ClientError> {
        self.get(
            &["v1", "notary", &digest.to_string()],
            &ChannelQuery::of(channel),
        )
        .await
    }

    /// `GET /v1/assets/{id}`: an asset and its history.
    pub async fn asset(&self, id: &str, channel: Option<&str>) -> Result<AssetDetail, ClientError> {
        self.get(&["v1", "assets", id], &ChannelQuery::of(channel))
            .await
    }

    /// `GET /v1/proposals`.
    pub async fn proposals(
        &self,
        query: &ProposalQuery,
    ) -> Result<Page<ProposalView>, ClientError> {
        self.get(&["v1", "proposals"], query).await
    }

    /// `GET /v1/proposals/{id}`.
    pub async fn proposal(&self, id: &Digest) -> Result<ProposalView, ClientError> {
        self.get(&["v1", "proposals", &id.to_string()], &()).await
    }

    /// `GET` of any route: `path` as segments (each percent-encoded, so an
    /// id holding `/` stays one segment), `query` any flat serde struct
    /// (`None` fields left out).
    pub async fn get<T: DeserializeOwned>(
        &self,
        path: &[&str],
        query: &impl Serialize,
    ) -> Result<T, ClientError> {
        let url = self.url(path, query)?;
        let (status, body) = exchange(self.http.request(Method::GET, url.clone()), &url).await?;
        decode(&url, status, &body)
    }

    async fn post_tx(
        &self,
        url: Url,
        tx: &SignedTx,
        timeout: Duration,
    ) -> Result<TxStatus, ClientError> {
        let request = self
            .http
            .post(url.clone())
            .header(CONTENT_TYPE, "application/octet-stream")
            .body(tx.encode().to_vec())
            .timeout(timeout);
        let (status, body) = exchange(request, &url).await?;
        decode(&url, status, &body)
    }

    fn url(&self, path: &[&str], query: &impl Serialize) -> Result<Url, ClientError> {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .map_err(|()| ClientError::BadUrl {
                url: self.base.to_string(),
                reason: "not a base URL".into(),
            })?
            .pop_if_empty()
            .extend(path);
        let pairs = query_pairs(query).map_err(|reason| ClientError::BadUrl {
            url: url.to_string(),
            reason,
        })?;
        if !pairs.is_empty() {
            url.query_pairs_mut().extend_pairs(pairs);
        }
        Ok(url)
    }
}

/// Sends the request and reads the whole answer, up to [MAX_RESPONSE_BYTES].
pub(crate) async fn exchange(
    request: reqwest::RequestBuilder,
    url: &Url,
) -> Result<(StatusCode, Vec<u8>), ClientError> {
    let network = |source| ClientError::Network {
        url: url.to_string(),
        source,
    };
    let mut response = request.send().await.map_err(network)?;
    let status = response.status();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(network)? {
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(ClientError::Unexpected {
                url: url.to_string(),
                status: status.as_u16(),
                reason: format!("answer larger than {MAX_RESPONSE_BYTES} bytes"),
            });
        }
        body.extend_from_slice(&chunk);
    }
    Ok((status, body))
}

/// `?channel=` of the routes that name one record.
#[derive(Serialize)]
struct ChannelQuery<'a> {
    channel: Option<&'a str>,
}

impl<'a> ChannelQuery<'a> {
    fn of(channel: Option<&'a str>) -> Self {
        Self { channel }
    }
}

/// A success answer as `T`; an error answer as [ClientError::Api].
fn decode<T: DeserializeOwned>(
    url: &Url,
    status: StatusCode,
    body: &[u8],
) -> Result<T, ClientError> {
    let unexpected = |reason: String| ClientError::Unexpected {
        url: url.to_string(),
        status: status.as_u16(),
        reason,
    };
    if status.is_success() {
        return serde_json::from_slice(body).map_err(|e| unexpected(e.to_string()));
    }
    match serde_json::from_slice::<ErrorBody>(body) {
        Ok(error) => Err(ClientError::Api {
            status: status.as_u16(),
            code: error.code,
            message: error.message,
        }),
        Err(_) => Err(unexpected(
            "an error without the {code, message} document".into(),
        )),
    }
}

/// The fields of a flat struct as query pairs: strings as they are, numbers
/// and booleans in their JSON form, `None` left out.
fn query_pairs(query: &impl Serialize) -> Result<Vec<(String, String)>, String> {
    let value = serde_json::to_value(query).map_err(|e| e.to_string())?;
    let fields = match value {
        serde_json::Value::Null => return Ok(Vec::new()),
        serde_json::Value::Object(fields) => fields,
        other => return Err(format!("a query must be a struct, not {other}")),
    };
    fields
        .into_iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| match v {
            serde_json::Value::String(s) => Ok((k, s)),
            serde_json::Value::Number(n) => Ok((k, n.to_string())),
            serde_json::Value::Bool(b) => Ok((k, b.to_string())),
            other => Err(format!("query field {k} is not a scalar: {other}")),
        })
        .collect()
}

#[cfg(test)]
mod tests;
