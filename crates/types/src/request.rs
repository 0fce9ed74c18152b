//! A consumer's signed request to a providing agency's gateway.
//!
//! The consumer signs, with its member key, everything that decides what it
//! is served: the network, the gateway's organisation (so a request cannot
//! be replayed at another agency), method, path and query, a digest of the
//! body, the time, the permission it invokes and a fresh nonce (so two
//! identical requests are two requests, and a replay is recognisable).

use crate::{
    bounded::Ident,
    ids::{Digest, OrgId, PrivateKey, PublicKey, RecordId, Signature, Timestamp, sha256},
};
use commonware_cryptography::{Signer, Verifier};

/// Domain separation: a request signature is never a valid transaction
/// signature, nor the reverse.
pub const REQUEST_NAMESPACE: &[u8] = b"dirchain/gateway-request/v1";
/// Bytes of the random nonce of each request.
pub const REQUEST_NONCE_BYTES: usize = 16;

/// What a request signature covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestClaims<'a> {
    pub chain_id: &'a Ident,
    /// The organisation running the gateway (the permission's owner).
    pub audience: &'a OrgId,
    pub method: &'a str,
    /// Path and query exactly as sent (`/v1/items/tax%2Fparcels/records?district=North`).
    pub path_and_query: &'a str,
    pub body_digest: Digest,
    pub timestamp_ms: Timestamp,
    pub permission: RecordId,
    pub nonce: [u8; REQUEST_NONCE_BYTES],
}

impl RequestClaims<'_> {
    /// The signed message: every part length-prefixed, so no two different
    /// claims share an encoding.
    pub fn message(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256 + self.path_and_query.len());
        for part in [
            self.chain_id.as_bytes(),
            self.audience.as_bytes(),
            self.method.as_bytes(),
            self.path_and_query.as_bytes(),
        ] {
            out.extend_from_slice(&(part.len() as u64).to_be_bytes());
            out.extend_from_slice(part);
        }
        out.extend_from_slice(self.body_digest.as_ref());
        out.extend_from_slice(&self.timestamp_ms.to_be_bytes());
        out.extend_from_slice(self.permission.as_ref());
        out.extend_from_slice(&self.nonce);
        out
    }

    pub fn sign(&self, key: &PrivateKey) -> Signature {
        key.sign(REQUEST_NAMESPACE, &self.message())
    }

    /// The digest of the signed message when `signature` is `key`'s over
    /// these claims: what an access record names as its `query_digest`.
    pub fn verify(&self, key: &PublicKey, signature: &Signature) -> Option<Digest> {
        let message = self.message();
        key.verify(REQUEST_NAMESPACE, &message, signature)
            .then(|| sha256(&[&message]))
    }
}

/// The digest of a request body that the signature covers.
pub fn body_digest(body: &[u8]) -> Digest {
    sha256(&[body])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims<'a>(chain: &'a Ident, audience: &'a Ident, path: &'a str) -> RequestClaims<'a> {
        RequestClaims {
            chain_id: chain,
            audience,
            method: "GET",
            path_and_query: path,
            body_digest: body_digest(b""),
            timestamp_ms: 1_000,
            permission: sha256(&[b"permission"]),
            nonce: [7; REQUEST_NONCE_BYTES],
        }
    }

    #[test]
    fn a_signature_covers_every_claim() {
        let key = PrivateKey::from_seed(1);
        let (chain, tax, health) = (
            Ident::new("devnet").unwrap(),
            Ident::new("tax").unwrap(),
            Ident::new("health").unwrap(),
        );
        let signed = claims(&chain, &tax, "/v1/items/a/records");
        let signature = signed.sign(&key);
        assert!(signed.verify(&key.public_key(), &signature).is_some());
        let altered = [
            claims(&chain, &health, "/v1/items/a/records"),
            claims(&chain, &tax, "/v1/items/a/records?all=1"),
            RequestClaims {
                method: "POST",
                ..signed.clone()
            },
            RequestClaims {
                body_digest: body_digest(b"{}"),
                ..signed.clone()
            },
            RequestClaims {
                timestamp_ms: 1_001,
                ..signed.clone()
            },
            RequestClaims {
                permission: sha256(&[b"other"]),
                ..signed.clone()
            },
            RequestClaims {
                nonce: [8; REQUEST_NONCE_BYTES],
                ..signed.clone()
            },
        ];
        for claims in altered {
            assert!(
                claims.verify(&key.public_key(), &signature).is_none(),
                "{claims:?}"
            );
        }
        assert!(
            signed
                .verify(&PrivateKey::from_seed(2).public_key(), &signature)
                .is_none()
        );
    }

    #[test]
    fn parts_cannot_shift_between_fields() {
        let chain = Ident::new("devnet").unwrap();
        let tax = Ident::new("tax").unwrap();
        let a = RequestClaims {
            method: "GET/v1",
            path_and_query: "/x",
            ..claims(&chain, &tax, "")
        };
        let b = RequestClaims {
            method: "GET",
            path_and_query: "/v1/x",
            ..claims(&chain, &tax, "")
        };
        assert_ne!(a.message(), b.message());
    }
}
