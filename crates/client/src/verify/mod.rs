//! Checking what a node answers without trusting it: a block is final only
//! with a finalization certificate signed by a quorum of the validator set
//! the client was given, and a state value is true only with a proof against
//! the state root of such a block. An access record, which lives in the
//! access log rather than under a state key, is true only with a proof of
//! the log's head against such a state root and of the record at its
//! location against the head ([Verifier::verify_access_proof]).
//!
//! The JSON fields a node sends beside the signed bytes (`header`, `height`,
//! `value_hex`, an access proof's `record`) are checked against the verified
//! bytes, so a client may show them; a disagreement is
//! [VerifyError::Inconsistent].

use commonware_codec::{Copying, Decode, DecodeExt, Read};
use commonware_consensus::simplex::{scheme::ed25519, types::Finalization};
use commonware_cryptography::certificate::Verifier as _;
use commonware_parallel::Sequential;
use commonware_utils::ordered::Set;
use dirchain_schema::{
    chain::{AccessProof as AccessProofDoc, BlockInfo, Header, Proof},
    records::AccessView,
};
use dirchain_state::{
    access_log::{AccessProof, AccessProofError},
    store::{ProofError, StateProof},
};
use dirchain_types::{
    block::BlockHeader,
    genesis::Genesis,
    ids::{Digest, PublicKey, Timestamp},
    keys::StateKey,
    records::{AccessLogHead, LoggedAccess},
};

#[cfg(test)]
mod tests;

/// The consensus signing scheme: individual Ed25519 signatures of the validators.
pub type Scheme = ed25519::Scheme;

/// A finalization certificate as the node stores and serves it.
pub type Certificate = Finalization<Scheme, Digest>;

/// Why an answer was refused.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("{field} is not hex")]
    NotHex { field: &'static str },
    #[error("the block header does not decode: {0}")]
    MalformedHeader(commonware_codec::Error),
    #[error("the block has no finalization certificate")]
    MissingCertificate,
    #[error("the finalization certificate does not decode: {0}")]
    MalformedCertificate(commonware_codec::Error),
    #[error("the finalization certificate is not signed by a quorum of the validator set")]
    BadCertificate,
    #[error("the certificate finalizes block {certified}, not block {block}")]
    WrongBlock { certified: Digest, block: Digest },
    #[error(
        "the certificate is for round (epoch {}, view {}), the block was proposed in (epoch {}, view {})",
        certified.0, certified.1, block.0, block.1
    )]
    WrongRound {
        certified: (u64, u64),
        block: (u64, u64),
    },
    #[error("the state proof does not decode: {0}")]
    MalformedProof(commonware_codec::Error),
    #[error("the state proof does not hold under the state root of block {height}: {source}")]
    BadProof { height: u64, source: ProofError },
    #[error("the access proof does not hold under the state root of block {height}: {source}")]
    BadAccessProof {
        height: u64,
        source: AccessProofError,
    },
    #[error(
        "asked about location {asked} of the access log, the answer is about location {answered}"
    )]
    WrongLocation { asked: u64, answered: u64 },
    #[error("asked about key {asked}, the answer is about key {answered}")]
    WrongKey { asked: StateKey, answered: String },
    #[error("the answer's {field} disagrees with the verified block and proof")]
    Inconsistent { field: &'static str },
    #[error("the proven value does not decode as the record asked for: {0}")]
    MalformedValue(commonware_codec::Error),
}

/// A block header shown final by a valid certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedBlock {
    pub header: BlockHeader,
    /// The block's digest, which the certificate finalizes.
    pub digest: Digest,
}

/// A state value (or its absence) proven at a final block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    pub key: StateKey,
    /// The codec-encoded record, or `None`: the key is proven to hold nothing.
    pub value: Option<Vec<u8>>,
    /// The block the value was proven at: its height, time and digest.
    pub height: u64,
    pub timestamp_ms: Timestamp,
    pub block: Digest,
    pub state_root: Digest,
}

impl Verified {
    /// The proven value decoded as record `T` (e.g.
    /// `dirchain_types::records::NotaryRecord`); `None` if the key is absent.
    pub fn record<T: Read<Cfg = ()>>(&self) -> Result<Option<T>, VerifyError> {
        self.value
            .as_deref()
            .map(|bytes| T::decode(Copying(bytes)).map_err(VerifyError::MalformedValue))
            .transpose()
    }
}

/// An access record proven at its location of the access log, at a final
/// block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedAccess {
    pub location: u64,
    /// The record and the channel it was recorded in.
    pub logged: LoggedAccess,
    /// Its encoding, as the log holds it.
    pub value: Vec<u8>,
    /// The access log's head (size and root) the state root commits to.
    pub log: AccessLogHead,
    /// The block the record was proven at: its height, time and digest.
    pub height: u64,
    pub timestamp_ms: Timestamp,
    pub block: Digest,
    pub state_root: Digest,
}

/// Checks blocks and state proofs against one validator set.
#[derive(Clone, Debug)]
pub struct Verifier {
    scheme: Scheme,
}

impl Verifier {
    /// A verifier for the network `genesis` founds: its validators, under its
    /// consensus namespace (so certificates of any other network fail).
    pub fn new(genesis: &Genesis) -> Self {
        Self::from_validators(
            &genesis.consensus_namespace(),
            genesis.validators.iter().cloned(),
        )
    }

    /// A verifier for `validators` signing under `namespace`.
    pub fn from_validators(
        namespace: &[u8],
        validators: impl IntoIterator<Item = PublicKey>,
    ) -> Self {
        let participants = Set::from_iter_dedup(validators);
        Self {
            scheme: Scheme::verifier(namespace, participants),
        }
    }

    /// Checks that `certificate` (codec-encoded) finalizes `header`: signed
    /// by a quorum of the validators, for this block's digest and round.
    pub fn verify_certificate(
        &self,
        header: &BlockHeader,
        certificate: &[u8],
    ) -> Result<Digest, VerifyError> {
        // Bounded by the validator count: no more signers or signatures than validators.
        let certificate = Certificate::decode_cfg(
            Copying(certificate),
            &self.scheme.certificate_codec_config(),
        )
        .map_err(VerifyError::MalformedCertificate)?;
        let digest = header.digest();
        if certificate.proposal.payload != digest {
            return Err(VerifyError::WrongBlock {
                certified: certificate.proposal.payload,
                block: digest,
            });
        }
        let round = certificate.round();
        let certified = (round.epoch().get(), round.view().get());
        if certified != (header.epoch, header.view) {
            return Err(VerifyError::WrongRound {
                certified,
                block: (header.epoch, header.view),
            });
        }
        // Batch verification draws its coefficients from the OS, so a forger
        // cannot predict them.
        let mut rng = commonware_utils::sys_rng();
        if !certificate.verify(&mut rng, &self.scheme, &Sequential) {
            return Err(VerifyError::BadCertificate);
        }
        Ok(digest)
    }

    /// Decodes a header and checks its certificate (both codec-encoded).
    pub fn verify_block(
        &self,
        header: &[u8],
        certificate: &[u8],
    ) -> Result<VerifiedBlock, VerifyError> {
        let header = BlockHeader::decode(Copying(header)).map_err(VerifyError::MalformedHeader)?;
        let digest = self.verify_certificate(&header, certificate)?;
        Ok(VerifiedBlock { header, digest })
    }

    /// Checks a block answered by `GET /v1/blocks/...`. Its transaction list
    /// is not covered: fetch and hash the transactions to check them.
    pub fn verify_block_info(&self, info: &BlockInfo) -> Result<VerifiedBlock, VerifyError> {
        let certificate = info
            .certificate_hex
            .as_deref()
            .ok_or(VerifyError::MissingCertificate)?;
        let block = self.verify_block(
            &unhex("header_hex", &info.header_hex)?,
            &unhex("certificate_hex", certificate)?,
        )?;
        if info.header != Header::from(&block.header) {
            return Err(VerifyError::Inconsistent { field: "header" });
        }
        Ok(block)
    }

    /// Checks the block a proof was made at, as an answer carries it: its
    /// header bytes certified by `certificate_hex`, and the answer's own
    /// `height` and `header` fields the same as those bytes say.
    fn verify_proven_block(
        &self,
        header_hex: &str,
        certificate_hex: &str,
        height: u64,
        shown: &Header,
    ) -> Result<VerifiedBlock, VerifyError> {
        let block = self.verify_block(
            &unhex("header_hex", header_hex)?,
            &unhex("certificate_hex", certificate_hex)?,
        )?;
        if height != block.header.height {
            return Err(VerifyError::Inconsistent { field: "height" });
        }
        if *shown != Header::from(&block.header) {
            return Err(VerifyError::Inconsistent { field: "header" });
        }
        Ok(block)
    }

    /// Checks an answer of `GET /v1/proof/{key}` for `key`: the block is
    /// final, and the proof shows what `key` holds (or that it holds nothing)
    /// under that block's state root.
    pub fn verify_proof(&self, doc: &Proof, key: &StateKey) -> Result<Verified, VerifyError> {
        if !doc.key.eq_ignore_ascii_case(&key.to_string()) {
            return Err(VerifyError::WrongKey {
                asked: *key,
                answered: doc.key.clone(),
            });
        }
        let block = self.verify_proven_block(
            &doc.header_hex,
            &doc.certificate_hex,
            doc.height,
            &doc.header,
        )?;
        let header = &block.header;
        let proof = StateProof::decode(Copying(&unhex("proof_hex", &doc.proof_hex)?))
            .map_err(VerifyError::MalformedProof)?;
        let value =
            proof
                .verify(&header.state_root, key)
                .map_err(|source| VerifyError::BadProof {
                    height: header.height,
                    source,
                })?;
        let claimed = doc
            .value_hex
            .as_deref()
            .map(|v| unhex("value_hex", v))
            .transpose()?;
        if claimed != value {
            return Err(VerifyError::Inconsistent { field: "value_hex" });
        }
        Ok(Verified {
            key: *key,
            value,
            height: header.height,
            timestamp_ms: header.timestamp_ms,
            block: block.digest,
            state_root: header.state_root,
        })
    }

    /// Checks an answer of `GET /v1/access-log/{location}` for `location`:
    /// the block is final (as [Verifier::verify_proof] checks it), and the
    /// proof shows the answer's record at `location` of the access log that
    /// block's state root commits to. Returns the record, decoded.
    pub fn verify_access_proof(
        &self,
        doc: &AccessProofDoc,
        location: u64,
    ) -> Result<VerifiedAccess, VerifyError> {
        if doc.location != location {
            return Err(VerifyError::WrongLocation {
                asked: location,
                answered: doc.location,
            });
        }
        let block = self.verify_proven_block(
            &doc.header_hex,
            &doc.certificate_hex,
            doc.height,
            &doc.header,
        )?;
        let header = &block.header;
        let proof = AccessProof::decode(Copying(&unhex("proof_hex", &doc.proof_hex)?))
            .map_err(VerifyError::MalformedProof)?;
        let value = unhex("value_hex", &doc.value_hex)?;
        let log = proof
            .verify(&header.state_root, location, &value)
            .map_err(|source| VerifyError::BadAccessProof {
                height: header.height,
                source,
            })?;
        let logged =
            LoggedAccess::decode(Copying(value.as_slice())).map_err(VerifyError::MalformedValue)?;
        if doc.record != AccessView::from_record(&logged.channel, &logged.record, location) {
            return Err(VerifyError::Inconsistent { field: "record" });
        }
        Ok(VerifiedAccess {
            location,
            logged,
            value,
            log,
            height: header.height,
            timestamp_ms: header.timestamp_ms,
            block: block.digest,
            state_root: header.state_root,
        })
    }
}

/// Hex from a node's answer: digits only, any case.
fn unhex(field: &'static str, text: &str) -> Result<Vec<u8>, VerifyError> {
    dirchain_schema::hex::decode(text).ok_or(VerifyError::NotHex { field })
}
