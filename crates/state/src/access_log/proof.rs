//! Self-contained proofs of an access record: the record is at its location in the access log,
//! and the log is the one the state root commits to.

use super::{LogLocation, Operation};
use crate::store::{Family, Location, MAX_PROOF_DIGESTS, ProofError, StateProof, StateRoot};
use bytes::BufMut;
use commonware_codec::{Buf, Copying, DecodeExt, EncodeSize, Error as CodecError, Read, Write};
use commonware_cryptography::{Sha256, sha256::Digest};
use commonware_storage::{merkle::Proof, qmdb::verify_proof};
use dirchain_types::{keys, records::AccessLogHead};

/// The log's part: the record's operation against the log's root.
pub(crate) type LogProof = Proof<Family, Digest>;

/// Proof that a record is in the access log at a location, against a state root.
///
/// Like [StateProof], it names neither the record nor the location: the verifier supplies them,
/// so a proof of one record cannot be passed off as a proof of another.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessProof {
    /// The state's value of the log's head ([keys::access_log_key]), proven against the root.
    head: StateProof,
    /// The record's operation, proven against the head's log root.
    log: LogProof,
}

/// Why an access proof does not verify.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AccessProofError {
    /// The state part does not verify against the root.
    #[error("the access log's head is not proven by this state root: {0}")]
    Head(#[from] ProofError),
    /// The state proves the log empty (it holds no head), so it holds no record.
    #[error("the state holds no access log: no record was ever appended")]
    NoLog,
    /// The value proven under the head's key is not a head.
    #[error("the value under the access log's key does not decode as its head: {0}")]
    BadHead(String),
    /// The location is past the log's end.
    #[error("location {location} is past the access log's end ({size})")]
    PastEnd { location: LogLocation, size: u64 },
    /// The log part does not show this record at this location under the head's root.
    #[error("the log proof does not show this record at location {0}")]
    NotAtLocation(LogLocation),
}

impl AccessProof {
    pub(crate) fn new(head: StateProof, log: LogProof) -> Self {
        Self { head, log }
    }

    /// Checks that `record` is at `location` of the access log committed by `root` (pure, no
    /// I/O). Returns the log's head the proof was made at.
    pub fn verify(
        &self,
        root: &StateRoot,
        location: LogLocation,
        record: &[u8],
    ) -> Result<AccessLogHead, AccessProofError> {
        let bytes = self
            .head
            .verify(root, &keys::access_log_key())?
            .ok_or(AccessProofError::NoLog)?;
        let head = AccessLogHead::decode(Copying(bytes.as_slice()))
            .map_err(|e| AccessProofError::BadHead(e.to_string()))?;
        if location >= head.size {
            return Err(AccessProofError::PastEnd {
                location,
                size: head.size,
            });
        }
        let op = Operation::Append(record.to_vec());
        if verify_proof::<Sha256, Family, _>(&self.log, Location::new(location), &[op], &head.root)
        {
            Ok(head)
        } else {
            Err(AccessProofError::NotAtLocation(location))
        }
    }
}

impl Write for AccessProof {
    fn write(&self, buf: &mut impl BufMut) {
        self.head.write(buf);
        self.log.write(buf);
    }
}

impl EncodeSize for AccessProof {
    fn encode_size(&self) -> usize {
        self.head.encode_size() + self.log.encode_size()
    }
}

impl Read for AccessProof {
    /// Bounded by named constants, as [StateProof] is: decodes from untrusted bytes as it is.
    type Cfg = ();

    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, CodecError> {
        let head = StateProof::read_cfg(buf, &())?;
        let log = LogProof::read_cfg(buf, &MAX_PROOF_DIGESTS)?;
        Ok(Self { head, log })
    }
}
