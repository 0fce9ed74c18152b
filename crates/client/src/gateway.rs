//! A consuming agency's side of a data-exchange gateway: requests signed with
//! the consumer's member key, under a permission (see
//! `dirchain_types::request` for what the signature covers).

use crate::{client::exchange, error::ClientError};
use commonware_cryptography::Signer as _;
use dirchain_schema::{
    gateway::{
        GatewayError, HEADER_KEY, HEADER_NONCE, HEADER_PERMISSION, HEADER_SIGNATURE,
        HEADER_TIMESTAMP, ITEMS_PREFIX, Served,
    },
    hex,
};
use dirchain_types::{
    bounded::Ident,
    ids::{Digest, OrgId, PrivateKey, RecordId, Timestamp, sha256},
    request::{REQUEST_NONCE_BYTES, RequestClaims, body_digest},
};
use reqwest::{Method, Url};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How long a gateway request may take (the gateway calls its upstream).
pub const GATEWAY_TIMEOUT: Duration = Duration::from_secs(30);

/// The signature headers of one request, for callers using their own HTTP
/// stack: `(name, value)` pairs to add to the request as sent.
#[allow(clippy::too_many_arguments)]
pub fn signature_headers(
    key: &PrivateKey,
    chain_id: &Ident,
    audience: &OrgId,
    method: &str,
    path_and_query: &str,
    body: &[u8],
    permission: &RecordId,
    timestamp_ms: Timestamp,
) -> Vec<(&'static str, String)> {
    let mut nonce = [0u8; REQUEST_NONCE_BYTES];
    rand_core::Rng::fill_bytes(&mut commonware_utils::sys_rng(), &mut nonce);
    let claims = RequestClaims {
        chain_id,
        audience,
        method,
        path_and_query,
        body_digest: body_digest(body),
        timestamp_ms,
        permission: *permission,
        nonce,
    };
    let signature = claims.sign(key);
    vec![
        (HEADER_KEY, key.public_key().to_string()),
        (HEADER_PERMISSION, permission.to_string()),
        (HEADER_TIMESTAMP, timestamp_ms.to_string()),
        (HEADER_NONCE, hex::encode(&nonce)),
        (HEADER_SIGNATURE, signature.to_string()),
    ]
}

/// The `response_digest` of the access record of a served answer: SHA-256
/// of its `records` as compact JSON. A consumer recomputes it from
/// [Served::records] to match the exchange to its record on the ledger.
pub fn records_digest(records: &[serde_json::Map<String, serde_json::Value>]) -> Digest {
    let json = serde_json::to_vec(records).expect("JSON values always serialize");
    sha256(&[&json])
}

/// Milliseconds since the Unix epoch, now: the timestamp a request is signed with.
pub fn now_ms() -> Timestamp {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as Timestamp)
        .unwrap_or(0)
}

/// A consumer's connection to one providing agency's gateway.
#[derive(Clone, Debug)]
pub struct GatewayClient {
    http: reqwest::Client,
    base: Url,
    key: PrivateKey,
    chain_id: Ident,
    audience: OrgId,
}

impl GatewayClient {
    /// A client of the gateway at `base_url`, run by organisation `audience`
    /// (the permission's owner) on network `chain_id`, signing with `key`.
    pub fn new(
        base_url: &str,
        key: PrivateKey,
        chain_id: Ident,
        audience: OrgId,
    ) -> Result<Self, ClientError> {
        let bad = |reason: String| ClientError::BadUrl {
            url: base_url.to_string(),
            reason,
        };
        let base = Url::parse(base_url).map_err(|e| bad(e.to_string()))?;
        if base.scheme() != "http" || base.cannot_be_a_base() || base.query().is_some() {
            return Err(bad("expected http://HOST:PORT".into()));
        }
        let http = reqwest::Client::builder()
            .timeout(GATEWAY_TIMEOUT)
            .build()
            .map_err(|e| bad(e.to_string()))?;
        Ok(Self {
            http,
            base,
            key,
            chain_id,
            audience,
        })
    }

    /// Asks for `item` under `permission`: `path` (with its query, e.g.
    /// `records?district=North`) is passed to the agency's data service.
    /// A refusal is [ClientError::Refused], with the recording transaction.
    pub async fn fetch(
        &self,
        method: Method,
        permission: &RecordId,
        item: &str,
        path: &str,
        body: Vec<u8>,
    ) -> Result<Served, ClientError> {
        let url = self.item_url(item, path)?;
        let path_and_query = match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_string(),
        };
        let headers = signature_headers(
            &self.key,
            &self.chain_id,
            &self.audience,
            method.as_str(),
            &path_and_query,
            &body,
            permission,
            now_ms(),
        );
        let mut request = self.http.request(method, url.clone()).body(body);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let (status, answer) = exchange(request, &url).await?;
        let unexpected = |reason: String| ClientError::Unexpected {
            url: url.to_string(),
            status: status.as_u16(),
            reason,
        };
        if status.is_success() {
            return serde_json::from_slice(&answer).map_err(|e| unexpected(e.to_string()));
        }
        let error: GatewayError =
            serde_json::from_slice(&answer).map_err(|e| unexpected(e.to_string()))?;
        Err(ClientError::Refused {
            status: status.as_u16(),
            code: error.code,
            message: error.message,
            access: error.access,
        })
    }

    /// `{base}/v1/items/{item}/{path}`: the item id is one segment (its `/`
    /// escaped), the path and query are the caller's.
    fn item_url(&self, item: &str, path: &str) -> Result<Url, ClientError> {
        let mut url = self.base.clone();
        url.set_path(ITEMS_PREFIX);
        url.path_segments_mut()
            .map_err(|()| ClientError::BadUrl {
                url: self.base.to_string(),
                reason: "not a base URL".into(),
            })?
            .pop_if_empty()
            .push(item);
        let relative = path.trim_start_matches('/');
        let joined = format!("{}/{relative}", url.as_str());
        Url::parse(&joined).map_err(|e| ClientError::BadUrl {
            url: joined,
            reason: e.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_codec::{Copying, DecodeExt};
    use dirchain_types::ids::Signature;

    fn client() -> GatewayClient {
        GatewayClient::new(
            "http://127.0.0.1:9",
            PrivateKey::from_seed(1),
            Ident::new("devnet").unwrap(),
            Ident::new("tax").unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn the_item_is_one_segment_and_the_path_is_kept() {
        let url = client()
            .item_url("tax/parcels", "records?district=North")
            .unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:9/v1/items/tax%2Fparcels/records?district=North"
        );
        assert_eq!(
            client().item_url("tax/parcels", "").unwrap().path(),
            "/v1/items/tax%2Fparcels/"
        );
    }

    #[test]
    fn headers_carry_a_verifiable_signature() {
        let key = PrivateKey::from_seed(3);
        let (chain, tax) = (Ident::new("devnet").unwrap(), Ident::new("tax").unwrap());
        let permission = dirchain_types::ids::sha256(&[b"p"]);
        let headers = signature_headers(
            &key,
            &chain,
            &tax,
            "GET",
            "/v1/items/x/",
            b"",
            &permission,
            5,
        );
        let value = |name| headers.iter().find(|(n, _)| *n == name).unwrap().1.clone();
        let claims = RequestClaims {
            chain_id: &chain,
            audience: &tax,
            method: "GET",
            path_and_query: "/v1/items/x/",
            body_digest: body_digest(b""),
            timestamp_ms: 5,
            permission,
            nonce: hex::decode(&value(HEADER_NONCE))
                .unwrap()
                .try_into()
                .unwrap(),
        };
        let signature = hex::decode(&value(HEADER_SIGNATURE)).unwrap();
        let signature = Signature::decode(Copying(signature.as_slice())).unwrap();
        assert!(claims.verify(&key.public_key(), &signature).is_some());
        assert_eq!(value(HEADER_KEY), key.public_key().to_string());
        assert_eq!(value(HEADER_PERMISSION), permission.to_string());
        assert_eq!(value(HEADER_TIMESTAMP), "5");
        assert_eq!(value(HEADER_NONCE).len(), 2 * REQUEST_NONCE_BYTES);
        let again = signature_headers(
            &key,
            &chain,
            &tax,
            "GET",
            "/v1/items/x/",
            b"",
            &permission,
            5,
        );
        assert_ne!(value(HEADER_NONCE), again[3].1, "a fresh nonce per request");
    }
}
