//! Transactions: the envelope every change to the ledger travels in, and one
//! payload per kind of change.

use crate::{
    bounded::{Ident, List, Text},
    domain::{FieldSpec, OpenClass, Role, ShareClass, UpdateFrequency},
    ids::{
        AssetId, ChannelId, Digest, DutyId, ItemId, KeyBytes, OrgId, PrivateKey, PublicKey,
        RecordId, Signature, SubjectRef, Timestamp, sha256,
    },
    limits::*,
    records::Refusal,
    signers::read_signer,
    wire_enum, wire_struct,
};
use bytes::{BufMut, Bytes};
use commonware_codec::{Buf, Encode, EncodeSize, Error, FixedSize, RangeCfg, Read, ReadExt, Write};
use commonware_cryptography::{BatchEntry, BatchVerifier, Signer, Verifier};

/// Domain separation for transaction signatures: a signature made for a
/// dirchain transaction can never be replayed as anything else.
pub const TX_NAMESPACE: &[u8] = b"dirchain/tx/v1";

pub type Title = Text<MAX_TITLE_BYTES>;
pub type LongText = Text<MAX_TEXT_BYTES>;
pub type Fields = List<Ident, MAX_FIELDS>;

wire_enum! {
    /// Consortium parameters changeable by governance.
    pub enum Param {
        ProposalTtl = 0 => "proposal-ttl-ms",
        MaxPermissionValidity = 1 => "max-permission-validity-ms",
    }
}

/// A change to the consortium itself; applied only by governance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    AddOrg {
        org: OrgId,
        name: Title,
        admin_key: PublicKey,
    },
    RemoveOrg {
        org: OrgId,
    },
    AddValidator {
        key: PublicKey,
    },
    RemoveValidator {
        key: PublicKey,
    },
    SetThreshold {
        threshold: u32,
    },
    SetParam {
        param: Param,
        value: u64,
    },
    CreateChannel {
        channel: ChannelId,
        members: List<OrgId, MAX_ORGS>,
        max_txs_per_block: u32,
        max_bytes: u64,
    },
}

impl Write for Action {
    fn write(&self, buf: &mut impl BufMut) {
        match self {
            Action::AddOrg {
                org,
                name,
                admin_key,
            } => {
                buf.put_u8(0);
                org.write(buf);
                name.write(buf);
                admin_key.write(buf);
            }
            Action::RemoveOrg { org } => {
                buf.put_u8(1);
                org.write(buf);
            }
            Action::AddValidator { key } => {
                buf.put_u8(2);
                key.write(buf);
            }
            Action::RemoveValidator { key } => {
                buf.put_u8(3);
                key.write(buf);
            }
            Action::SetThreshold { threshold } => {
                buf.put_u8(4);
                threshold.write(buf);
            }
            Action::SetParam { param, value } => {
                buf.put_u8(5);
                param.write(buf);
                value.write(buf);
            }
            Action::CreateChannel {
                channel,
                members,
                max_txs_per_block,
                max_bytes,
            } => {
                buf.put_u8(6);
                channel.write(buf);
                members.write(buf);
                max_txs_per_block.write(buf);
                max_bytes.write(buf);
            }
        }
    }
}

impl EncodeSize for Action {
    fn encode_size(&self) -> usize {
        1 + match self {
            Action::AddOrg {
                org,
                name,
                admin_key,
            } => org.encode_size() + name.encode_size() + admin_key.encode_size(),
            Action::RemoveOrg { org } => org.encode_size(),
            Action::AddValidator { key } | Action::RemoveValidator { key } => key.encode_size(),
            Action::SetThreshold { .. } => u32::SIZE,
            Action::SetParam { .. } => Param::SIZE + u64::SIZE,
            Action::CreateChannel {
                channel, members, ..
            } => channel.encode_size() + members.encode_size() + u32::SIZE + u64::SIZE,
        }
    }
}

impl Read for Action {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        Ok(match u8::read(buf)? {
            0 => Action::AddOrg {
                org: ReadExt::read(buf)?,
                name: ReadExt::read(buf)?,
                admin_key: ReadExt::read(buf)?,
            },
            1 => Action::RemoveOrg {
                org: ReadExt::read(buf)?,
            },
            2 => Action::AddValidator {
                key: ReadExt::read(buf)?,
            },
            3 => Action::RemoveValidator {
                key: ReadExt::read(buf)?,
            },
            4 => Action::SetThreshold {
                threshold: ReadExt::read(buf)?,
            },
            5 => Action::SetParam {
                param: ReadExt::read(buf)?,
                value: ReadExt::read(buf)?,
            },
            6 => Action::CreateChannel {
                channel: ReadExt::read(buf)?,
                members: ReadExt::read(buf)?,
                max_txs_per_block: ReadExt::read(buf)?,
                max_bytes: ReadExt::read(buf)?,
            },
            other => return Err(Error::InvalidEnum(other)),
        })
    }
}

/// Declares the payload structs (each with its codec) and the `Payload` enum
/// over them, with one wire tag and one human label per kind.
macro_rules! payloads {
    ($(
        $(#[$meta:meta])*
        $tag:literal $label:literal $variant:ident { $($field:ident : $ty:ty),* $(,)? }
    )*) => {
        $(
            $(#[$meta])*
            #[derive(Clone, Debug, PartialEq, Eq)]
            pub struct $variant { $(pub $field: $ty),* }
            wire_struct!($variant { $($field),* });
            impl From<$variant> for Payload {
                fn from(payload: $variant) -> Self { Payload::$variant(payload) }
            }
        )*

        /// The change a transaction asks for.
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub enum Payload { $($variant($variant)),* }

        wire_enum! {
            /// The kind of a transaction, for errors, metrics and filters.
            pub enum TxKind { $($variant = $tag => $label),* }
        }

        impl Payload {
            pub fn kind(&self) -> TxKind {
                match self { $(Payload::$variant(_) => TxKind::$variant),* }
            }
        }

        impl Write for Payload {
            fn write(&self, buf: &mut impl BufMut) {
                self.kind().write(buf);
                match self { $(Payload::$variant(p) => p.write(buf)),* }
            }
        }

        impl EncodeSize for Payload {
            fn encode_size(&self) -> usize {
                TxKind::SIZE + match self { $(Payload::$variant(p) => p.encode_size()),* }
            }
        }

        impl Read for Payload {
            type Cfg = ();
            fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
                Ok(match TxKind::read(buf)? {
                    $(TxKind::$variant => Payload::$variant(ReadExt::read(buf)?)),*
                })
            }
        }
    };
}

payloads! {
    /// Put a change of the consortium to a vote of member organisations.
    0 "propose" Propose { action: Action }
    /// An organisation's vote on an open proposal.
    1 "vote" Vote { proposal: RecordId, approve: bool }
    /// Admit a key to the signer's organisation with a role, until `expires_at`.
    2 "enroll" Enroll { org: OrgId, member_key: PublicKey, role: Role, expires_at: Timestamp }
    /// Withdraw a key of the signer's organisation.
    3 "revoke-member" RevokeMember { member_key: PublicKey, reason: Title }
    /// Replace the signer's own key; role, organisation and records carry over.
    4 "rotate-key" RotateKey { new_key: PublicKey }
    /// A legal duty the organisation performs, which justifies its data use.
    5 "declare-duty" DeclareDuty { id: DutyId, title: Title, legal_basis: LongText }
    /// Publish a catalog item, or a new version of one.
    6 "publish-item" PublishCatalogItem {
        id: ItemId,
        title: Title,
        description: LongText,
        duties: List<DutyId, MAX_ITEM_DUTIES>,
        fields: List<FieldSpec, MAX_FIELDS>,
        share_class: ShareClass,
        open_class: OpenClass,
        update_frequency: UpdateFrequency,
        format: Ident,
        version: u32,
    }
    7 "retire-item" RetireCatalogItem { id: ItemId, reason: Title }
    /// Ask for purpose-bound access to some fields of an item.
    8 "request-access" RequestAccess {
        item: ItemId,
        fields: Fields,
        purpose: Title,
        requester_duty: DutyId,
        valid_for_ms: u64,
    }
    /// The owning organisation's steward approves (until `expires_at`) or denies.
    9 "decide-access" DecideAccess { request: RecordId, approve: bool, reason: Title, expires_at: Timestamp }
    10 "revoke-permission" RevokePermission { permission: RecordId, reason: Title }
    /// One exchange of data under a permission, by digest and pseudonym only.
    /// A providing agency's gateway names the consumer key that asked
    /// (`requester`) and, when it refused before serving, why (`refusal`):
    /// the record then says refused even if the permission was live.
    11 "record-access" RecordAccess {
        permission: RecordId,
        subject_refs: List<SubjectRef, MAX_SUBJECTS_PER_ACCESS>,
        fields: Fields,
        query_digest: Digest,
        response_digest: Digest,
        record_count: u32,
        requester: Option<KeyBytes>,
        refusal: Option<Refusal>,
    }
    /// Anchor a document digest on the ledger.
    12 "notarize" Notarize { digest: Digest, kind: Ident, meta: Text<MAX_META_BYTES> }
    13 "register-asset" RegisterAsset { id: AssetId, name: Title, description: LongText, item: Option<ItemId> }
    /// `value` is in minor units of `currency` (no floats anywhere in execution).
    14 "appraise-asset" AppraiseAsset { asset: AssetId, value: u64, currency: Ident, method: Title }
    15 "transfer-asset" TransferAsset { asset: AssetId, to: OrgId }
    16 "license-asset" LicenseAsset { asset: AssetId, licensee: OrgId, terms: LongText, expires_at: Timestamp }
}

/// The signed part of a transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transaction {
    /// Binds the signature to one network: a transaction for a test chain
    /// cannot be replayed on production.
    pub chain_id: Ident,
    pub channel: ChannelId,
    pub signer: PublicKey,
    /// Per-signer sequence number, starting at 0: each value is usable once.
    pub nonce: u64,
    pub payload: Payload,
}

impl Write for Transaction {
    fn write(&self, buf: &mut impl BufMut) {
        self.chain_id.write(buf);
        self.channel.write(buf);
        self.signer.write(buf);
        self.nonce.write(buf);
        self.payload.write(buf);
    }
}

impl EncodeSize for Transaction {
    fn encode_size(&self) -> usize {
        self.chain_id.encode_size()
            + self.channel.encode_size()
            + self.signer.encode_size()
            + self.nonce.encode_size()
            + self.payload.encode_size()
    }
}

impl Read for Transaction {
    type Cfg = ();

    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        Ok(Self {
            chain_id: Ident::read(buf)?,
            channel: ChannelId::read(buf)?,
            // Through the process's decoded signers: see [crate::signers].
            signer: read_signer(buf)?,
            nonce: u64::read(buf)?,
            payload: Payload::read(buf)?,
        })
    }
}

impl Transaction {
    pub fn sign(self, key: &PrivateKey) -> SignedTx {
        let signature = key.sign(TX_NAMESPACE, &self.encode());
        SignedTx {
            tx: self,
            signature,
        }
    }
}

/// A transaction with its signature: the unit of submission and of a block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedTx {
    pub tx: Transaction,
    pub signature: Signature,
}
wire_struct!(SignedTx { tx, signature });

impl SignedTx {
    /// The transaction's identity: SHA-256 of its full encoding.
    pub fn hash(&self) -> Digest {
        tx_hash(&self.tx.encode(), &self.signature)
    }

    pub fn verify_signature(&self) -> bool {
        self.tx
            .signer
            .verify(TX_NAMESPACE, &self.tx.encode(), &self.signature)
    }

    /// Decodes a transaction received from outside, refusing oversized input
    /// before looking at it.
    pub fn decode_untrusted(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() > MAX_TX_BYTES {
            return Err(Error::Invalid("SignedTx", "larger than MAX_TX_BYTES"));
        }
        commonware_codec::DecodeExt::decode(commonware_codec::Copying(bytes))
    }
}

/// Many transactions in one submission (`POST /v1/txs`): a varint count,
/// then each transaction's encoding behind its varint length. Each is framed
/// on its own, so that a malformed one is refused alone, not the batch.
pub fn encode_submission(txs: impl IntoIterator<Item = Bytes>) -> Bytes {
    let framed: Vec<Bytes> = txs.into_iter().collect();
    framed.encode()
}

/// Why a submission's body could not be split into transactions.
#[derive(Debug, thiserror::Error)]
pub enum SubmissionError {
    #[error("{0} transactions; at most {MAX_SUBMIT_BATCH} may be submitted at once")]
    TooMany(usize),
    #[error("larger than {MAX_SUBMIT_BATCH_BYTES} bytes")]
    TooLarge,
    #[error(
        "not a varint count followed by each transaction behind its varint length \
         (each at most {MAX_TX_BYTES} bytes): {0}"
    )]
    Malformed(Error),
}

/// Splits a submission into its transactions' encodings, refusing more than
/// [MAX_SUBMIT_BATCH] transactions, more than [MAX_SUBMIT_BATCH_BYTES] in
/// all, or one above [MAX_TX_BYTES], before allocating for them.
pub fn decode_submission(bytes: &[u8]) -> Result<Vec<Bytes>, SubmissionError> {
    if bytes.len() > MAX_SUBMIT_BATCH_BYTES {
        return Err(SubmissionError::TooLarge);
    }
    let mut buf = commonware_codec::Copying(bytes);
    let count =
        usize::read_cfg(&mut buf, &RangeCfg::from(..)).map_err(SubmissionError::Malformed)?;
    if count > MAX_SUBMIT_BATCH {
        return Err(SubmissionError::TooMany(count));
    }
    let each = RangeCfg::new(..=MAX_TX_BYTES);
    let mut txs = Vec::with_capacity(count);
    for _ in 0..count {
        txs.push(Bytes::read_cfg(&mut buf, &each).map_err(SubmissionError::Malformed)?);
    }
    if !buf.0.is_empty() {
        return Err(SubmissionError::Malformed(Error::ExtraData(buf.0.len())));
    }
    Ok(txs)
}

/// Checks the signatures of many transactions at once, spreading the work
/// over `strategy`. Returns, per transaction, its hash when the signature is
/// valid; when the batch fails, the culprits are found one by one.
pub fn check_signatures(
    txs: &[SignedTx],
    rng: &mut impl rand_core::CryptoRng,
    strategy: &impl commonware_parallel::Strategy,
) -> Vec<Option<Digest>> {
    if txs.is_empty() {
        return Vec::new();
    }
    let messages: Vec<Bytes> = txs.iter().map(|t| t.tx.encode()).collect();
    let batch_ok = PublicKey::verify_batch(
        rng,
        txs,
        |i, t| BatchEntry {
            namespace: TX_NAMESPACE,
            message: &messages[i],
            public_key: &t.tx.signer,
            signature: &t.signature,
        },
        strategy,
    );
    txs.iter()
        .zip(&messages)
        .map(|(t, m)| {
            (batch_ok || t.tx.signer.verify(TX_NAMESPACE, m, &t.signature))
                .then(|| tx_hash(m, &t.signature))
        })
        .collect()
}

/// The hash of a signed transaction from its already encoded message: the
/// encoding of a [SignedTx] is the message followed by the signature.
fn tx_hash(message: &[u8], signature: &Signature) -> Digest {
    sha256(&[message, signature.as_ref()])
}

impl TxKind {
    /// Kinds that change the consortium itself: the ledger accepts them only
    /// in the system channel.
    pub fn is_consortium(self) -> bool {
        matches!(
            self,
            TxKind::Propose
                | TxKind::Vote
                | TxKind::Enroll
                | TxKind::RevokeMember
                | TxKind::RotateKey
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{block::Block, samples};
    use commonware_codec::{Copying, DecodeExt};
    use std::collections::BTreeSet;

    #[test]
    fn every_kind_has_a_sample() {
        let kinds: BTreeSet<TxKind> = samples::payloads().iter().map(Payload::kind).collect();
        assert_eq!(kinds.len(), TxKind::ALL.len());
    }

    #[test]
    fn a_submission_splits_into_its_transactions_and_back() {
        let txs = samples::signed_txs();
        let body = encode_submission(txs.iter().map(Encode::encode));
        let split = decode_submission(&body).unwrap();
        assert_eq!(split.len(), txs.len());
        for (bytes, tx) in split.iter().zip(&txs) {
            assert_eq!(&SignedTx::decode_untrusted(bytes).unwrap(), tx);
        }
        assert_eq!(encode_submission(split), body);
        // A malformed transaction is still split out, to be refused alone.
        let body = encode_submission([Bytes::from_static(b"not a transaction")]);
        let split = decode_submission(&body).unwrap();
        assert!(SignedTx::decode_untrusted(&split[0]).is_err());
    }

    #[test]
    fn a_submission_is_bounded_before_anything_is_allocated() {
        let one = samples::signed_txs()[0].encode();
        let too_many = encode_submission(vec![one.clone(); MAX_SUBMIT_BATCH + 1]);
        assert!(matches!(
            decode_submission(&too_many),
            Err(SubmissionError::TooMany(n)) if n == MAX_SUBMIT_BATCH + 1
        ));
        // A count claiming more than the bytes hold allocates nothing and fails.
        let mut lying = Vec::new();
        MAX_SUBMIT_BATCH.write(&mut lying);
        assert!(matches!(
            decode_submission(&lying),
            Err(SubmissionError::Malformed(_))
        ));
        assert!(matches!(
            decode_submission(&vec![0; MAX_SUBMIT_BATCH_BYTES + 1]),
            Err(SubmissionError::TooLarge)
        ));
        let oversized = encode_submission([Bytes::from(vec![0; MAX_TX_BYTES + 1])]);
        assert!(matches!(
            decode_submission(&oversized),
            Err(SubmissionError::Malformed(_))
        ));
        let mut trailing = encode_submission([one]).to_vec();
        trailing.push(0);
        assert!(matches!(
            decode_submission(&trailing),
            Err(SubmissionError::Malformed(_))
        ));
        // Only the shortest encoding of a count is accepted: one body, one meaning.
        assert!(decode_submission(&[0x80, 0x00]).is_err());
        assert_eq!(decode_submission(&[0x00]).unwrap().len(), 0);
    }

    #[test]
    fn every_kind_round_trips_and_verifies() {
        for tx in samples::signed_txs() {
            let bytes = tx.encode();
            assert_eq!(bytes.len(), tx.encode_size());
            let decoded = SignedTx::decode_untrusted(&bytes).unwrap();
            assert_eq!(decoded, tx);
            assert!(decoded.verify_signature());
            assert_eq!(decoded.hash(), tx.hash());
        }
    }

    #[test]
    fn any_change_breaks_the_signature() {
        for tx in samples::signed_txs() {
            let mut other = tx.clone();
            other.tx.nonce += 1;
            assert!(!other.verify_signature());
            let mut other = tx.clone();
            other.tx.chain_id = Ident::new("another-chain").unwrap();
            assert!(!other.verify_signature());
        }
    }

    #[test]
    fn batch_verification_finds_the_bad_signature() {
        let mut txs = samples::signed_txs();
        let mut rng = rand_chacha::ChaCha20Rng::from_seed([3; 32]);
        let strategy = commonware_parallel::Sequential;
        let verdicts = check_signatures(&txs, &mut rng, &strategy);
        for (tx, verdict) in txs.iter().zip(&verdicts) {
            assert_eq!(*verdict, Some(tx.hash()));
            assert_eq!(
                tx.hash(),
                sha256(&[&tx.encode()]),
                "hash of the full encoding"
            );
        }
        txs[5].tx.nonce = 999;
        let verdicts = check_signatures(&txs, &mut rng, &strategy);
        assert_eq!(
            verdicts.iter().filter(|v| v.is_none()).count(),
            1,
            "only the tampered transaction fails"
        );
        assert!(verdicts[5].is_none());
    }

    #[test]
    fn truncated_input_is_an_error_never_a_panic() {
        for tx in samples::signed_txs() {
            let bytes = tx.encode();
            for len in 0..bytes.len() {
                assert!(SignedTx::decode_untrusted(&bytes[..len]).is_err());
            }
            let mut longer = bytes.to_vec();
            longer.push(0);
            assert!(SignedTx::decode_untrusted(&longer).is_err());
        }
    }

    #[test]
    fn unknown_kind_is_refused() {
        let tag_offset = {
            // chain id, channel, signer, nonce precede the payload tag.
            let tx = &samples::signed_txs()[0].tx;
            tx.chain_id.encode_size() + tx.channel.encode_size() + tx.signer.encode_size() + 8
        };
        let mut bytes = samples::signed_txs()[0].encode().to_vec();
        bytes[tag_offset] = 200;
        assert!(matches!(
            SignedTx::decode_untrusted(&bytes),
            Err(Error::InvalidEnum(200))
        ));
    }

    #[test]
    fn oversized_field_is_refused() {
        // A DeclareDuty whose title is longer than MAX_TITLE_BYTES, written
        // as a longer text type would write it.
        let mut bytes = Vec::new();
        TxKind::DeclareDuty.write(&mut bytes);
        Ident::new("health/x").unwrap().write(&mut bytes);
        Text::<MAX_TEXT_BYTES>::new("t".repeat(MAX_TITLE_BYTES + 1))
            .unwrap()
            .write(&mut bytes);
        Text::<MAX_TEXT_BYTES>::new("basis")
            .unwrap()
            .write(&mut bytes);
        assert!(matches!(
            Payload::decode(Copying(bytes.as_slice())),
            Err(Error::InvalidLength(_))
        ));
        assert!(Title::new("t".repeat(MAX_TITLE_BYTES + 1)).is_err());
    }

    #[test]
    fn oversized_transaction_is_refused_before_decoding() {
        let huge = vec![0u8; MAX_TX_BYTES + 1];
        assert!(SignedTx::decode_untrusted(&huge).is_err());
    }

    #[test]
    fn block_round_trips() {
        let block = Block {
            parent: crate::ids::sha256(&[b"parent"]),
            height: 7,
            epoch: 0,
            view: 9,
            parent_view: 8,
            proposer: commonware_cryptography::Signer::public_key(
                &crate::ids::PrivateKey::from_seed(1),
            ),
            timestamp_ms: 1_700_000_000_000,
            state_root: crate::ids::sha256(&[b"root"]),
            txs: List::new(samples::signed_txs()).unwrap(),
        };
        let decoded = Block::decode(block.encode()).unwrap();
        assert_eq!(decoded, block);
        assert_eq!(decoded.digest(), block.digest());
    }

    use rand_core::SeedableRng;
}
