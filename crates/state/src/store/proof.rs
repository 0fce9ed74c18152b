//! Self-contained proofs of a key's current value or absence, checked against a state root.

use super::{BITMAP_CHUNK_BYTES, Family, StateKey, StateRoot, value_cfg};
use bytes::BufMut;
use commonware_codec::{Buf, EncodeSize, Error as CodecError, Read, ReadExt as _, Write};
use commonware_cryptography::{Sha256, sha256::Digest};
use commonware_storage::{
    merkle::MAX_PROOF_DIGESTS_PER_ELEMENT,
    qmdb::{
        any::value::VariableEncoding,
        current::ordered::proof::constant::{ExclusionProof, KeyValueProof},
    },
};

/// Most Merkle digests a decoded proof may carry: the engine's worst case for one element
/// (a tree with the maximum 62 peaks).
pub const MAX_PROOF_DIGESTS: usize = MAX_PROOF_DIGESTS_PER_ELEMENT;

/// Wire tag of a proof that the key holds a value.
const TAG_INCLUSION: u8 = 0;
/// Wire tag of a proof that the key is absent.
const TAG_EXCLUSION: u8 = 1;

pub(super) type Inclusion = KeyValueProof<Family, StateKey, Digest, BITMAP_CHUNK_BYTES>;
pub(super) type Exclusion =
    ExclusionProof<Family, StateKey, VariableEncoding<Vec<u8>>, Digest, BITMAP_CHUNK_BYTES>;

/// A proof of a key's current value (inclusion) or of its absence (exclusion).
///
/// It does not name its key: the verifier supplies the key it asked about, so a proof for one
/// key cannot be passed off as a proof for another.
// The field is visible to the store module so its tests can inspect and forge proofs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateProof(pub(super) Kind);

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// The key holds `value`; the engine proof authenticates the key's active update operation.
    Inclusion { value: Vec<u8>, proof: Inclusion },
    /// The key is absent: the engine proof shows it falls between two adjacent keys, or that
    /// the state is empty.
    Exclusion(Exclusion),
}

/// Why a proof does not verify.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProofError {
    /// The proof claims a value, but does not show that this key holds it under this root.
    #[error("inclusion proof does not verify for this key and root")]
    InvalidInclusion,
    /// The proof claims absence, but does not show that this key is absent under this root.
    #[error("exclusion proof does not verify for this key and root")]
    InvalidExclusion,
}

impl StateProof {
    pub(super) fn inclusion(value: Vec<u8>, proof: Inclusion) -> Self {
        Self(Kind::Inclusion { value, proof })
    }

    pub(super) fn exclusion(proof: Exclusion) -> Self {
        Self(Kind::Exclusion(proof))
    }

    /// Checks the proof against `root` alone (pure function, no I/O, no runtime).
    /// `Ok(Some(value))`: `key` currently holds `value`; `Ok(None)`: `key` is proven absent;
    /// `Err`: the proof does not verify for this key and root.
    pub fn verify(&self, root: &StateRoot, key: &StateKey) -> Result<Option<Vec<u8>>, ProofError> {
        match &self.0 {
            Kind::Inclusion { value, proof } => {
                if proof.verify::<Sha256, VariableEncoding<Vec<u8>>>(*key, value.clone(), root) {
                    Ok(Some(value.clone()))
                } else {
                    Err(ProofError::InvalidInclusion)
                }
            }
            Kind::Exclusion(proof) => {
                if proof.verify::<Sha256>(key, root) {
                    Ok(None)
                } else {
                    Err(ProofError::InvalidExclusion)
                }
            }
        }
    }
}

impl Write for StateProof {
    fn write(&self, buf: &mut impl BufMut) {
        match &self.0 {
            Kind::Inclusion { value, proof } => {
                TAG_INCLUSION.write(buf);
                value.write(buf);
                proof.write(buf);
            }
            Kind::Exclusion(proof) => {
                TAG_EXCLUSION.write(buf);
                proof.write(buf);
            }
        }
    }
}

impl EncodeSize for StateProof {
    fn encode_size(&self) -> usize {
        1 + match &self.0 {
            Kind::Inclusion { value, proof } => value.encode_size() + proof.encode_size(),
            Kind::Exclusion(proof) => proof.encode_size(),
        }
    }
}

impl Read for StateProof {
    /// Every length is bounded by a named constant ([`MAX_VALUE_BYTES`](super::MAX_VALUE_BYTES), [`MAX_PROOF_DIGESTS`]),
    /// so the proof decodes from untrusted bytes without configuration.
    type Cfg = ();

    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, CodecError> {
        match u8::read(buf)? {
            TAG_INCLUSION => {
                let value = Vec::<u8>::read_cfg(buf, &value_cfg())?;
                let proof = Inclusion::read_cfg(buf, &(MAX_PROOF_DIGESTS, ()))?;
                Ok(Self::inclusion(value, proof))
            }
            TAG_EXCLUSION => {
                // Commit metadata is never written by the store, but is bounded all the same.
                let cfg = (MAX_PROOF_DIGESTS, ((), value_cfg()), value_cfg());
                Ok(Self::exclusion(Exclusion::read_cfg(buf, &cfg)?))
            }
            tag => Err(CodecError::InvalidEnum(tag)),
        }
    }
}
