//! Who is asking: a consumer's request signature, its freshness, and that it
//! was not seen before.

use axum::http::HeaderMap;
use commonware_codec::{Copying, DecodeExt, FixedSize};
use dirchain_schema::{
    gateway::{HEADER_KEY, HEADER_NONCE, HEADER_PERMISSION, HEADER_SIGNATURE, HEADER_TIMESTAMP},
    hex,
};
use dirchain_types::{
    bounded::Ident,
    ids::{Digest, OrgId, PublicKey, RecordId, Signature, Timestamp, sha256},
    request::{REQUEST_NONCE_BYTES, RequestClaims, body_digest},
};
use std::{
    collections::{HashSet, VecDeque},
    sync::Mutex,
};

/// Requests remembered against replay. Each is forgotten once its timestamp
/// is too old to be accepted anyway; if this many are fresh at once, new
/// requests are refused rather than a remembered one forgotten early.
pub const MAX_REMEMBERED_REQUESTS: usize = 1_000_000;

/// Why a request is not attributable to a consumer. These are answered 401
/// and not recorded on the ledger: nobody can be named as the requester.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AuthError {
    #[error("the request has no {0} header; sign requests with the dirchain SDK or CLI")]
    Missing(&'static str),
    #[error("the {header} header is malformed: {reason}")]
    Malformed {
        header: &'static str,
        reason: &'static str,
    },
    #[error(
        "the request was signed {skew_ms} ms away from the gateway's clock (at most {max_ms} ms)"
    )]
    Stale { skew_ms: u64, max_ms: u64 },
    #[error("the request was signed before this gateway started; sign it again")]
    BeforeStart,
    #[error("this request was received before: every request needs a fresh nonce")]
    Replayed,
    #[error("the signature does not match the request and key")]
    BadSignature,
    #[error("the gateway is remembering too many recent requests; retry shortly")]
    Busy,
}

impl AuthError {
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::Missing(_) => "missing_signature",
            AuthError::Malformed { .. } => "malformed_signature",
            AuthError::Stale { .. } => "stale_request",
            AuthError::BeforeStart => "stale_request",
            AuthError::Replayed => "replayed_request",
            AuthError::BadSignature => "bad_signature",
            AuthError::Busy => "busy",
        }
    }
}

/// A request whose signature checked out.
#[derive(Clone, Debug)]
pub struct Signed {
    pub key: PublicKey,
    pub permission: RecordId,
    /// Digest of the signed claims: the `query_digest` of the access record.
    pub query_digest: Digest,
}

/// Checks request signatures for one gateway, remembering recent requests.
pub struct Authenticator {
    chain_id: Ident,
    audience: OrgId,
    max_skew_ms: u64,
    started_ms: Timestamp,
    seen: Mutex<Seen>,
}

#[derive(Default)]
struct Seen {
    ids: HashSet<Digest>,
    /// (forget after, id), in arrival order.
    expiry: VecDeque<(Timestamp, Digest)>,
}

fn header<'a>(headers: &'a HeaderMap, name: &'static str) -> Result<&'a str, AuthError> {
    headers
        .get(name)
        .ok_or(AuthError::Missing(name))?
        .to_str()
        .map_err(|_| AuthError::Malformed {
            header: name,
            reason: "not ASCII",
        })
}

fn fixed<T: DecodeExt<()> + FixedSize>(
    headers: &HeaderMap,
    name: &'static str,
    what: &'static str,
) -> Result<T, AuthError> {
    let bytes = hex::decode(header(headers, name)?)
        .filter(|b| b.len() == T::SIZE)
        .ok_or(AuthError::Malformed {
            header: name,
            reason: what,
        })?;
    T::decode(Copying(bytes.as_slice())).map_err(|_| AuthError::Malformed {
        header: name,
        reason: what,
    })
}

impl Authenticator {
    pub fn new(chain_id: Ident, audience: OrgId, max_skew_ms: u64, started_ms: Timestamp) -> Self {
        Self {
            chain_id,
            audience,
            max_skew_ms,
            started_ms,
            seen: Mutex::new(Seen::default()),
        }
    }

    /// Checks the signature headers of a request as received, at `now_ms`.
    pub fn check(
        &self,
        headers: &HeaderMap,
        method: &str,
        path_and_query: &str,
        body: &[u8],
        now_ms: Timestamp,
    ) -> Result<Signed, AuthError> {
        let key: PublicKey = fixed(headers, HEADER_KEY, "expected an ed25519 public key (hex)")?;
        let permission: RecordId = fixed(
            headers,
            HEADER_PERMISSION,
            "expected a permission id (64 hex digits)",
        )?;
        let signature: Signature = fixed(
            headers,
            HEADER_SIGNATURE,
            "expected an ed25519 signature (hex)",
        )?;
        let timestamp_ms: Timestamp =
            header(headers, HEADER_TIMESTAMP)?
                .parse()
                .map_err(|_| AuthError::Malformed {
                    header: HEADER_TIMESTAMP,
                    reason: "expected milliseconds since the Unix epoch",
                })?;
        let nonce: [u8; REQUEST_NONCE_BYTES] = hex::decode(header(headers, HEADER_NONCE)?)
            .and_then(|b| b.try_into().ok())
            .ok_or(AuthError::Malformed {
                header: HEADER_NONCE,
                reason: "expected 16 random bytes (32 hex digits)",
            })?;
        let skew_ms = now_ms.abs_diff(timestamp_ms);
        if skew_ms > self.max_skew_ms {
            return Err(AuthError::Stale {
                skew_ms,
                max_ms: self.max_skew_ms,
            });
        }
        // A previous run of the gateway may have served it: its memory of
        // requests is gone, so nothing signed before this run is accepted.
        if timestamp_ms < self.started_ms {
            return Err(AuthError::BeforeStart);
        }
        let claims = RequestClaims {
            chain_id: &self.chain_id,
            audience: &self.audience,
            method,
            path_and_query,
            body_digest: body_digest(body),
            timestamp_ms,
            permission,
            nonce,
        };
        let query_digest = claims
            .verify(&key, &signature)
            .ok_or(AuthError::BadSignature)?;
        let id = sha256(&[key.as_ref(), &nonce]);
        self.remember(id, timestamp_ms + self.max_skew_ms, now_ms)?;
        Ok(Signed {
            key,
            permission,
            query_digest,
        })
    }

    fn remember(
        &self,
        id: Digest,
        forget_after: Timestamp,
        now_ms: Timestamp,
    ) -> Result<(), AuthError> {
        let mut seen = self.seen.lock().expect("replay memory lock");
        while let Some((until, old)) = seen.expiry.front().copied() {
            if until >= now_ms {
                break;
            }
            seen.expiry.pop_front();
            seen.ids.remove(&old);
        }
        if seen.ids.contains(&id) {
            return Err(AuthError::Replayed);
        }
        if seen.ids.len() >= MAX_REMEMBERED_REQUESTS {
            return Err(AuthError::Busy);
        }
        seen.ids.insert(id);
        seen.expiry.push_back((forget_after, id));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_cryptography::Signer;
    use dirchain_client::gateway::signature_headers;
    use dirchain_types::ids::PrivateKey;

    const NOW: Timestamp = 1_000_000;

    fn auth() -> Authenticator {
        Authenticator::new(
            Ident::new("devnet").unwrap(),
            Ident::new("tax").unwrap(),
            30_000,
            NOW - 60_000,
        )
    }

    fn signed(path: &str, body: &[u8], at: Timestamp) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in signature_headers(
            &PrivateKey::from_seed(1),
            &Ident::new("devnet").unwrap(),
            &Ident::new("tax").unwrap(),
            "GET",
            path,
            body,
            &sha256(&[b"permission"]),
            at,
        ) {
            headers.insert(name, value.parse().unwrap());
        }
        headers
    }

    #[test]
    fn a_signed_request_passes_once() {
        let a = auth();
        let headers = signed("/v1/items/x/records", b"", NOW);
        let ok = a
            .check(&headers, "GET", "/v1/items/x/records", b"", NOW)
            .unwrap();
        assert_eq!(ok.key, PrivateKey::from_seed(1).public_key());
        assert_eq!(ok.permission, sha256(&[b"permission"]));
        assert_eq!(
            a.check(&headers, "GET", "/v1/items/x/records", b"", NOW + 5)
                .map(|_| ()),
            Err(AuthError::Replayed)
        );
    }

    #[test]
    fn altered_stale_and_malformed_requests_are_refused() {
        let a = auth();
        let headers = signed("/v1/items/x/records", b"", NOW);
        let check = |h: &HeaderMap, method, path, body: &[u8], now| {
            a.check(h, method, path, body, now).map(|_| ()).unwrap_err()
        };
        assert_eq!(
            check(&headers, "GET", "/v1/items/x/all", b"", NOW),
            AuthError::BadSignature
        );
        assert_eq!(
            check(&headers, "POST", "/v1/items/x/records", b"", NOW),
            AuthError::BadSignature
        );
        assert_eq!(
            check(&headers, "GET", "/v1/items/x/records", b"{}", NOW),
            AuthError::BadSignature
        );
        assert!(matches!(
            check(&headers, "GET", "/v1/items/x/records", b"", NOW + 31_000),
            AuthError::Stale { .. }
        ));
        let early = signed("/p", b"", NOW - 70_000);
        assert_eq!(
            check(&early, "GET", "/p", b"", NOW - 60_001),
            AuthError::BeforeStart
        );
        for name in [
            HEADER_KEY,
            HEADER_PERMISSION,
            HEADER_TIMESTAMP,
            HEADER_NONCE,
            HEADER_SIGNATURE,
        ] {
            let mut missing = headers.clone();
            missing.remove(name);
            assert_eq!(
                check(&missing, "GET", "/v1/items/x/records", b"", NOW),
                AuthError::Missing(name)
            );
            let mut garbled = headers.clone();
            garbled.insert(name, "zz".parse().unwrap());
            assert!(matches!(
                check(&garbled, "GET", "/v1/items/x/records", b"", NOW),
                AuthError::Malformed { .. }
            ));
        }
    }

    #[test]
    fn a_request_for_another_agency_fails() {
        let other = Authenticator::new(
            Ident::new("devnet").unwrap(),
            Ident::new("health").unwrap(),
            30_000,
            0,
        );
        let headers = signed("/p", b"", NOW);
        assert_eq!(
            other.check(&headers, "GET", "/p", b"", NOW).map(|_| ()),
            Err(AuthError::BadSignature)
        );
    }

    #[test]
    fn old_requests_are_forgotten_and_memory_stays_bounded() {
        let a = auth();
        for i in 0..100u64 {
            a.remember(sha256(&[&i.to_be_bytes()]), NOW + i, NOW)
                .unwrap();
        }
        a.remember(sha256(&[b"late"]), NOW + 1_000, NOW + 200)
            .unwrap();
        assert_eq!(a.seen.lock().unwrap().ids.len(), 1);
    }
}
