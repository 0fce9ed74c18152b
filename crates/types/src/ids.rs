//! Keys, digests and the identifiers every record is addressed by.

use crate::bounded::Ident;
use commonware_cryptography::{Hasher, Sha256, blake3::CoreBlake3};

pub use commonware_cryptography::ed25519::{PrivateKey, PublicKey, Signature};
pub use commonware_cryptography::sha256::Digest;
use commonware_utils::sequence::FixedBytes;

/// A public key as state records hold it: its 32 bytes. The key was
/// validated when the transaction carrying it was decoded; records are read
/// on every transaction, and decoding a [PublicKey] decompresses a curve
/// point each time.
pub type KeyBytes = FixedBytes<32>;

pub fn key_bytes(key: &PublicKey) -> KeyBytes {
    FixedBytes::new(key.as_ref().try_into().expect("ed25519 keys are 32 bytes"))
}

/// Organisation identifier (`city-health`).
pub type OrgId = Ident;
/// Duty identifier, unique within the channel.
pub type DutyId = Ident;
/// Catalog item identifier, unique within the channel.
pub type ItemId = Ident;
/// Asset identifier, unique within the channel.
pub type AssetId = Ident;
/// Channel (tenant) identifier.
pub type ChannelId = Ident;
/// Requests, permissions, proposals and access records are named by the hash
/// of the transaction that created them: unforgeable and collision-free.
pub type RecordId = Digest;
/// Milliseconds since the Unix epoch, as agreed by consensus for a block.
pub type Timestamp = u64;

/// The channel every consortium-wide transaction (governance, identity) names.
pub const SYSTEM_CHANNEL: &str = "main";

pub fn system_channel() -> ChannelId {
    Ident::new(SYSTEM_CHANNEL).expect("constant is a valid identifier")
}

pub fn sha256(parts: &[&[u8]]) -> Digest {
    Sha256::hash(parts)
}

/// The consortium's secret pseudonymisation key. Held by nodes and gateways,
/// never written to the chain.
#[derive(Clone)]
pub struct SubjectKey([u8; 32]);

impl SubjectKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }
}

impl std::fmt::Debug for SubjectKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SubjectKey(..)")
    }
}

/// A keyed pseudonym of a person (`subject_ref`): BLAKE3 in keyed mode (a
/// PRF) over the normalised raw identifier. Without the consortium key it
/// cannot be reversed or recomputed by guessing identifiers.
pub type SubjectRef = Digest;

pub fn subject_ref(key: &SubjectKey, raw_identifier: &str) -> SubjectRef {
    let normalised: String = raw_identifier
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect();
    let mut hasher = CoreBlake3::new_keyed(&key.0);
    hasher.update(b"dirchain/subject-ref/v1\0");
    hasher.update(normalised.as_bytes());
    Digest(*hasher.finalize().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudonym_depends_on_key_and_ignores_formatting() {
        let key = SubjectKey::from_bytes([7; 32]);
        let other = SubjectKey::from_bytes([8; 32]);
        assert_eq!(
            subject_ref(&key, "110101-19900307-2345"),
            subject_ref(&key, "11010119900307 2345")
        );
        assert_ne!(
            subject_ref(&key, "110101199003072345"),
            subject_ref(&other, "110101199003072345")
        );
        assert_ne!(
            subject_ref(&key, "110101199003072345"),
            subject_ref(&key, "110101199003072346")
        );
    }
}
