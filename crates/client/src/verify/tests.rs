//! Real certificates and proofs, made in-process: validator keys sign
//! finalize votes that are assembled into a finalization, and a state store
//! proves its keys.

use super::*;
use commonware_codec::Encode;
use commonware_consensus::{
    simplex::types::{Finalize, Proposal},
    types::{Epoch, Round, View},
};
use commonware_cryptography::{
    Signer as _, certificate::Signers, ed25519::certificate::Certificate as Signatures,
};
use commonware_formatting::hex;
use commonware_runtime::{Runner as _, Supervisor as _, deterministic};
use commonware_utils::non_empty;
use dirchain_schema::chain::AccessProof as AccessProofDoc;
use dirchain_state::{store::Store, testkit};
use dirchain_types::{
    bounded::{Ident, List, Text},
    ids::{PrivateKey, sha256, system_channel},
    keys::notary_key,
    records::NotaryRecord,
};
use std::{collections::BTreeMap, sync::OnceLock};

const VALIDATORS: u64 = 4;
const HEIGHT: u64 = 5;
const EPOCH: u64 = 0;
const VIEW: u64 = 9;

fn keys(first_seed: u64) -> Vec<PrivateKey> {
    (first_seed..first_seed + VALIDATORS)
        .map(PrivateKey::from_seed)
        .collect()
}

fn genesis_of(validators: &[PrivateKey]) -> Genesis {
    let mut genesis = testkit::genesis();
    genesis.validators = List::new(validators.iter().map(|k| k.public_key()).collect()).unwrap();
    genesis
}

fn participants(validators: &[PrivateKey]) -> Set<PublicKey> {
    Set::from_iter_dedup(validators.iter().map(|k| k.public_key()))
}

/// A finalization of `payload` in `round`, by every one of `validators`
/// (the participant set), under `namespace`.
fn finalize(
    namespace: &[u8],
    validators: &[PrivateKey],
    round: (u64, u64),
    payload: Digest,
) -> Certificate {
    let schemes: Vec<Scheme> = validators
        .iter()
        .map(|k| Scheme::signer(namespace, participants(validators), k.clone()).unwrap())
        .collect();
    let proposal = Proposal::new(
        Round::new(Epoch::new(round.0), View::new(round.1)),
        View::new(round.1 - 1),
        payload,
    );
    let votes: Vec<Finalize<Scheme, Digest>> = schemes
        .iter()
        .map(|s| Finalize::sign(s, proposal.clone()).unwrap())
        .collect();
    Certificate::from_finalizes(&schemes[0], non_empty![@votes.iter()], &Sequential).unwrap()
}

/// What one store commit gives: a root, and proofs of a present and an absent key.
struct Fixture {
    genesis: Genesis,
    validators: Vec<PrivateKey>,
    header: BlockHeader,
    present: (StateKey, Vec<u8>, StateProof),
    absent: (StateKey, StateProof),
}

fn notary_record(digest: Digest) -> NotaryRecord {
    NotaryRecord {
        digest,
        kind: Ident::new("contract").unwrap(),
        meta: Text::new("{}").unwrap(),
        org: Ident::new("health").unwrap(),
        signer: dirchain_types::ids::key_bytes(&PrivateKey::from_seed(99).public_key()),
        tx: sha256(&[b"tx"]),
        height: HEIGHT,
        at: testkit::GENESIS_TIME + 5_000,
    }
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let validators = keys(1);
        let genesis = genesis_of(&validators);
        let document = sha256(&[b"the signed contract"]);
        let present = notary_key(&system_channel(), &document);
        let absent = notary_key(&system_channel(), &sha256(&[b"never notarized"]));
        let value = notary_record(document).encode().to_vec();
        let writes: BTreeMap<_, _> = (0..20u8)
            .map(|i| (sha256(&[&[i]]), Some(vec![i])))
            .chain([(present, Some(value.clone()))])
            .collect();
        let (root, present_proof, absent_proof) =
            deterministic::Runner::default().start(|ctx| async move {
                let mut store = Store::open(ctx.child("store"), "state").await.unwrap();
                let root = store.commit(HEIGHT, writes).await.unwrap();
                let present_proof = store.prove(&present).await.unwrap();
                let absent_proof = store.prove(&absent).await.unwrap();
                (root, present_proof, absent_proof)
            });
        let header = BlockHeader {
            parent: sha256(&[b"parent"]),
            height: HEIGHT,
            epoch: EPOCH,
            view: VIEW,
            parent_view: VIEW - 1,
            proposer: validators[0].public_key(),
            timestamp_ms: testkit::GENESIS_TIME + 5_000,
            state_root: root,
            txs_digest: sha256(&[b"txs"]),
        };
        Fixture {
            genesis,
            validators,
            header,
            present: (present, value, present_proof),
            absent: (absent, absent_proof),
        }
    })
}

fn good_certificate() -> Certificate {
    let f = fixture();
    finalize(
        &f.genesis.consensus_namespace(),
        &f.validators,
        (EPOCH, VIEW),
        f.header.digest(),
    )
}

fn doc(
    key: StateKey,
    value: Option<&[u8]>,
    proof: &StateProof,
    certificate: &Certificate,
) -> Proof {
    let header = &fixture().header;
    Proof {
        key: key.to_string(),
        value_hex: value.map(hex),
        proof_hex: hex(&proof.encode()),
        height: header.height,
        header: Header::from(header),
        header_hex: hex(&header.encode()),
        certificate_hex: hex(&certificate.encode()),
    }
}

fn present_doc() -> Proof {
    let (key, value, proof) = &fixture().present;
    doc(*key, Some(value), proof, &good_certificate())
}

fn verifier() -> Verifier {
    Verifier::new(&fixture().genesis)
}

#[test]
fn good_certificate_and_inclusion_proof_verify() {
    let f = fixture();
    let (key, value, _) = &f.present;
    let verified = verifier().verify_proof(&present_doc(), key).unwrap();
    assert_eq!(verified.value.as_ref(), Some(value));
    assert_eq!(verified.height, HEIGHT);
    assert_eq!(verified.timestamp_ms, f.header.timestamp_ms);
    assert_eq!(verified.block, f.header.digest());
    assert_eq!(verified.state_root, f.header.state_root);
    let record: NotaryRecord = verified.record().unwrap().unwrap();
    assert_eq!(record.digest, sha256(&[b"the signed contract"]));
}

#[test]
fn absence_is_verified_too() {
    let (key, proof) = &fixture().absent;
    let verified = verifier()
        .verify_proof(&doc(*key, None, proof, &good_certificate()), key)
        .unwrap();
    assert_eq!(verified.value, None);
    assert_eq!(verified.record::<NotaryRecord>().unwrap(), None);
}

#[test]
fn verify_block_checks_header_and_certificate_bytes() {
    let f = fixture();
    let block = verifier()
        .verify_block(&f.header.encode(), &good_certificate().encode())
        .unwrap();
    assert_eq!(block.header, f.header);
    assert_eq!(block.digest, f.header.digest());

    let info = BlockInfo {
        header: Header::from(&f.header),
        header_hex: hex(&f.header.encode()),
        certificate_hex: Some(hex(&good_certificate().encode())),
        txs: Vec::new(),
    };
    assert_eq!(verifier().verify_block_info(&info).unwrap(), block);
    let uncertified = BlockInfo {
        certificate_hex: None,
        ..info.clone()
    };
    assert!(matches!(
        verifier().verify_block_info(&uncertified),
        Err(VerifyError::MissingCertificate)
    ));
    let mut misreported = info;
    misreported.header.height += 1;
    assert!(matches!(
        verifier().verify_block_info(&misreported),
        Err(VerifyError::Inconsistent { field: "header" })
    ));
}

#[test]
fn certificate_of_another_validator_set_is_refused() {
    let f = fixture();
    let others = keys(100);
    // Another network altogether: other validators, other namespace.
    let foreign = finalize(
        &genesis_of(&others).consensus_namespace(),
        &others,
        (EPOCH, VIEW),
        f.header.digest(),
    );
    let error = verifier()
        .verify_block(&f.header.encode(), &foreign.encode())
        .unwrap_err();
    assert!(matches!(error, VerifyError::BadCertificate), "{error}");

    // Other validators signing under this network's namespace.
    let impostors = finalize(
        &f.genesis.consensus_namespace(),
        &others,
        (EPOCH, VIEW),
        f.header.digest(),
    );
    let error = verifier()
        .verify_block(&f.header.encode(), &impostors.encode())
        .unwrap_err();
    assert!(matches!(error, VerifyError::BadCertificate), "{error}");

    // This network's validators, but votes made for another network.
    let replayed = finalize(
        b"another namespace",
        &f.validators,
        (EPOCH, VIEW),
        f.header.digest(),
    );
    let error = verifier()
        .verify_block(&f.header.encode(), &replayed.encode())
        .unwrap_err();
    assert!(matches!(error, VerifyError::BadCertificate), "{error}");
}

#[test]
fn certificate_below_quorum_is_refused() {
    let f = fixture();
    let mut certificate = good_certificate();
    // Two of four validators: the quorum of four (tolerating one fault) is three.
    certificate.certificate = Signatures {
        signers: Signers::new(
            VALIDATORS as u32,
            [0, 1].map(commonware_utils::Participant::new),
        )
        .unwrap(),
        signatures: certificate.certificate.signatures[..2].to_vec(),
    };
    let error = verifier()
        .verify_block(&f.header.encode(), &certificate.encode())
        .unwrap_err();
    assert!(matches!(error, VerifyError::BadCertificate), "{error}");

    // A quorum of signers, one of whose signatures is another's.
    let mut certificate = good_certificate();
    certificate.certificate.signatures[1] = certificate.certificate.signatures[0].clone();
    let error = verifier()
        .verify_block(&f.header.encode(), &certificate.encode())
        .unwrap_err();
    assert!(matches!(error, VerifyError::BadCertificate), "{error}");
}

#[test]
fn certificate_of_another_block_or_round_is_refused() {
    let f = fixture();
    let other_block = finalize(
        &f.genesis.consensus_namespace(),
        &f.validators,
        (EPOCH, VIEW),
        sha256(&[b"another block"]),
    );
    let mut doc = present_doc();
    doc.certificate_hex = hex(&other_block.encode());
    let error = verifier().verify_proof(&doc, &f.present.0).unwrap_err();
    assert!(
        matches!(error, VerifyError::WrongBlock { block, .. } if block == f.header.digest()),
        "{error}"
    );

    let other_round = finalize(
        &f.genesis.consensus_namespace(),
        &f.validators,
        (EPOCH, VIEW + 1),
        f.header.digest(),
    );
    let error = verifier()
        .verify_block(&f.header.encode(), &other_round.encode())
        .unwrap_err();
    assert!(
        matches!(
            error,
            VerifyError::WrongRound {
                certified: (EPOCH, 10),
                block: (EPOCH, VIEW)
            }
        ),
        "{error}"
    );
}

#[test]
fn tampered_header_is_refused() {
    let f = fixture();
    let mut header = f.header.clone();
    header.state_root = sha256(&[b"a root the node would like us to believe"]);
    let mut doc = present_doc();
    doc.header_hex = hex(&header.encode());
    doc.header = Header::from(&header);
    let error = verifier().verify_proof(&doc, &f.present.0).unwrap_err();
    assert!(matches!(error, VerifyError::WrongBlock { .. }), "{error}");
}

#[test]
fn tampered_proof_is_refused() {
    let f = fixture();
    let (key, value, proof) = &f.present;
    let encoded = proof.encode().to_vec();
    // The tag and the value's one-byte length come first: flip a byte of the value.
    let mut forged_value = encoded.clone();
    forged_value[2 + value.len() / 2] ^= 1;
    // And a byte of the Merkle path at the end.
    let mut forged_path = encoded;
    *forged_path.last_mut().unwrap() ^= 1;
    for forged in [forged_value, forged_path] {
        let mut doc = present_doc();
        doc.proof_hex = hex(&forged);
        let error = verifier().verify_proof(&doc, key).unwrap_err();
        assert!(matches!(error, VerifyError::BadProof { .. }), "{error}");
    }

    // The absence proof offered for a key that is present.
    let (_, absence) = &f.absent;
    let doc = doc(*key, None, absence, &good_certificate());
    let error = verifier().verify_proof(&doc, key).unwrap_err();
    assert!(
        matches!(
            error,
            VerifyError::BadProof {
                source: ProofError::InvalidExclusion,
                ..
            }
        ),
        "{error}"
    );
}

#[test]
fn proof_for_another_key_is_refused() {
    let f = fixture();
    let (present, _, _) = &f.present;
    let (absent, _) = &f.absent;
    // The answer says which key it is about: not the one asked.
    let error = verifier().verify_proof(&present_doc(), absent).unwrap_err();
    assert!(
        matches!(&error, VerifyError::WrongKey { asked, .. } if asked == absent),
        "{error}"
    );
    // The answer claims the asked key, with the proof of another.
    let mut doc = present_doc();
    doc.key = absent.to_string();
    let error = verifier().verify_proof(&doc, absent).unwrap_err();
    assert!(
        matches!(
            error,
            VerifyError::BadProof {
                source: ProofError::InvalidInclusion,
                ..
            }
        ),
        "{error}"
    );
    // Keys compare in any case of hex.
    let mut doc = present_doc();
    doc.key = doc.key.to_uppercase();
    verifier().verify_proof(&doc, present).unwrap();
}

#[test]
fn garbage_is_refused_with_the_part_named() {
    let key = fixture().present.0;
    /// How to spoil an answer, and whether the error names what was spoilt.
    type Case = (fn(&mut Proof), fn(&VerifyError) -> bool);
    let cases: [Case; 8] = [
        (
            |d| d.header_hex = "zz".into(),
            |e| {
                matches!(
                    e,
                    VerifyError::NotHex {
                        field: "header_hex"
                    }
                )
            },
        ),
        (
            |d| d.certificate_hex = "0x00".into(),
            |e| {
                matches!(
                    e,
                    VerifyError::NotHex {
                        field: "certificate_hex"
                    }
                )
            },
        ),
        (
            |d| d.proof_hex = "abc".into(),
            |e| matches!(e, VerifyError::NotHex { field: "proof_hex" }),
        ),
        (
            |d| d.header_hex = hex(b"garbage"),
            |e| matches!(e, VerifyError::MalformedHeader(_)),
        ),
        (
            |d| d.certificate_hex = hex(b"garbage"),
            |e| matches!(e, VerifyError::MalformedCertificate(_)),
        ),
        (
            |d| d.certificate_hex.push_str("00"),
            |e| matches!(e, VerifyError::MalformedCertificate(_)),
        ),
        (
            |d| d.proof_hex = hex(&[7; 40]),
            |e| matches!(e, VerifyError::MalformedProof(_)),
        ),
        (
            |d| d.proof_hex = String::new(),
            |e| matches!(e, VerifyError::MalformedProof(_)),
        ),
    ];
    for (spoil, expected) in cases {
        let mut doc = present_doc();
        spoil(&mut doc);
        let error = verifier().verify_proof(&doc, &key).unwrap_err();
        assert!(expected(&error), "{error}");
    }
}

#[test]
fn json_fields_that_disagree_with_the_signed_bytes_are_refused() {
    let f = fixture();
    let key = f.present.0;
    let mut doc = present_doc();
    doc.height += 1;
    assert!(matches!(
        verifier().verify_proof(&doc, &key),
        Err(VerifyError::Inconsistent { field: "height" })
    ));
    let mut doc = present_doc();
    doc.header.state_root = sha256(&[b"shown"]).to_string();
    assert!(matches!(
        verifier().verify_proof(&doc, &key),
        Err(VerifyError::Inconsistent { field: "header" })
    ));
    let mut doc = present_doc();
    doc.value_hex = Some(hex(b"another value"));
    assert!(matches!(
        verifier().verify_proof(&doc, &key),
        Err(VerifyError::Inconsistent { field: "value_hex" })
    ));
    let mut doc = present_doc();
    doc.value_hex = None;
    assert!(matches!(
        verifier().verify_proof(&doc, &key),
        Err(VerifyError::Inconsistent { field: "value_hex" })
    ));
}

#[test]
fn a_value_of_another_type_is_a_decode_error() {
    let verified = verifier()
        .verify_proof(&present_doc(), &fixture().present.0)
        .unwrap();
    assert!(matches!(
        verified.record::<dirchain_types::records::Account>(),
        Err(VerifyError::MalformedValue(_))
    ));
}

/// A ledger's access log: a block over its state root, and every record of
/// the log with its proof.
struct AccessFixture {
    header: BlockHeader,
    /// Each record: its location, its encoding, its proof.
    records: Vec<(u64, Vec<u8>, AccessProof)>,
    /// A location that holds a block-closing commit, not a record.
    commit: u64,
}

/// What a ledger proves at a location of its access log: the record there
/// with its proof, or nothing (a block-closing commit, or past the end).
type ProvenLocation = Option<(Vec<u8>, AccessProof)>;

/// A ledger of the test consortium with an enrolled consumer and one block
/// of access records per response; its root, and the proof of every
/// location up to one past the log's end.
fn access_ledger(
    name: &'static str,
    responses: &'static [&'static [u8]],
) -> (Digest, Vec<(u64, ProvenLocation)>) {
    deterministic::Runner::default().start(|ctx| async move {
        let mut ledger = dirchain_state::Ledger::open(ctx.child(name), name, &testkit::genesis())
            .await
            .unwrap();
        let mut world = testkit::World::new();
        let enroll = world.tx(
            "police.admin",
            dirchain_types::tx::Enroll {
                org: testkit::id("police"),
                member_key: testkit::key_for("police.consumer").public_key(),
                role: dirchain_types::domain::Role::Consumer,
                expires_at: testkit::GENESIS_TIME + 365 * 24 * testkit::HOUR_MS,
            },
        );
        // One block each: the access log closes every block with a commit.
        let mut next = Some(enroll);
        let mut responses = responses.iter();
        while let Some(tx) = next.take() {
            let (results, included) = world.block_included(vec![tx]);
            assert!(results[0].is_ok(), "{results:?}");
            ledger.apply(world.context(), &included).await.unwrap();
            next = responses
                .next()
                .map(|r| world.tx("police.consumer", testkit::unknown_permission_access(r)));
        }
        let mut proofs = Vec::new();
        for location in 0..=ledger.access_log_head().size {
            proofs.push((location, ledger.prove_access(location).await.unwrap()));
        }
        (ledger.root(), proofs)
    })
}

fn access_fixture() -> &'static AccessFixture {
    static FIXTURE: OnceLock<AccessFixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let (root, proofs) = access_ledger("access", &[b"first answer", b"second answer"]);
        let header = BlockHeader {
            state_root: root,
            txs_digest: sha256(&[b"access txs"]),
            ..fixture().header.clone()
        };
        let records: Vec<_> = proofs
            .iter()
            .filter_map(|(location, record)| {
                record
                    .clone()
                    .map(|(value, proof)| (*location, value, proof))
            })
            .collect();
        let commit = proofs
            .iter()
            .find(|(location, record)| record.is_none() && *location > records[0].0)
            .map(|(location, _)| *location)
            .unwrap();
        AccessFixture {
            header,
            records,
            commit,
        }
    })
}

fn access_doc(location: u64, value: &[u8], proof: &AccessProof) -> AccessProofDoc {
    let f = fixture();
    let header = &access_fixture().header;
    let logged = LoggedAccess::decode(Copying(value)).unwrap();
    let certificate = finalize(
        &f.genesis.consensus_namespace(),
        &f.validators,
        (EPOCH, VIEW),
        header.digest(),
    );
    AccessProofDoc {
        location,
        value_hex: hex(value),
        record: AccessView::from_record(&logged.channel, &logged.record, location),
        proof_hex: hex(&proof.encode()),
        height: header.height,
        header: Header::from(header),
        header_hex: hex(&header.encode()),
        certificate_hex: hex(&certificate.encode()),
    }
}

/// The answer for the `index`th record of the access fixture.
fn record_doc(index: usize) -> (u64, AccessProofDoc) {
    let (location, value, proof) = &access_fixture().records[index];
    (*location, access_doc(*location, value, proof))
}

#[test]
fn an_access_record_verifies_at_its_location() {
    let f = access_fixture();
    assert_eq!(f.records.len(), 2);
    for (index, (location, value, _)) in f.records.iter().enumerate() {
        let (_, doc) = record_doc(index);
        let verified = verifier().verify_access_proof(&doc, *location).unwrap();
        assert_eq!(verified.location, *location);
        assert_eq!(&verified.value, value);
        assert_eq!(verified.logged.channel, system_channel());
        assert_eq!(
            verified.logged.record.refusal,
            Some(dirchain_types::records::Refusal::UnknownPermission)
        );
        assert_eq!(verified.height, HEIGHT);
        assert_eq!(verified.block, f.header.digest());
        assert_eq!(verified.state_root, f.header.state_root);
        assert_eq!(verified.timestamp_ms, f.header.timestamp_ms);
        assert!(verified.log.size > *location);
    }
    assert_ne!(
        record_doc(0).1.record.id,
        record_doc(1).1.record.id,
        "two records"
    );
}

#[test]
fn an_access_answer_about_another_location_is_refused() {
    let (first, doc) = record_doc(0);
    let (second, _) = record_doc(1);
    // The answer says it is about another location than the one asked.
    let error = verifier().verify_access_proof(&doc, second).unwrap_err();
    assert!(
        matches!(error, VerifyError::WrongLocation { asked, answered } if asked == second && answered == first),
        "{error}"
    );
    // It claims the asked location, with the proof and record of another.
    for claimed in [second, access_fixture().commit, first + 1_000] {
        let mut forged = doc.clone();
        forged.location = claimed;
        let error = verifier()
            .verify_access_proof(&forged, claimed)
            .unwrap_err();
        assert!(
            matches!(error, VerifyError::BadAccessProof { .. }),
            "{claimed}: {error}"
        );
    }
}

#[test]
fn a_tampered_access_record_or_proof_is_refused() {
    let f = access_fixture();
    let (location, doc) = record_doc(0);
    let (_, other) = record_doc(1);
    // Another record's bytes, shown as this one, or bytes that are no record.
    let logged = LoggedAccess::decode(Copying(f.records[0].1.as_slice())).unwrap();
    let mut altered = logged.clone();
    altered.record.record_count += 1;
    for value in [
        other.value_hex.clone(),
        hex(&altered.encode()),
        hex(b"not a record"),
        String::new(),
    ] {
        let mut forged = doc.clone();
        forged.value_hex = value;
        let error = verifier()
            .verify_access_proof(&forged, location)
            .unwrap_err();
        assert!(
            matches!(error, VerifyError::BadAccessProof { height: HEIGHT, .. }),
            "{error}"
        );
    }
    // A byte of the log's Merkle path, at the end.
    let mut bytes = f.records[0].2.encode().to_vec();
    *bytes.last_mut().unwrap() ^= 1;
    let mut forged = doc.clone();
    forged.proof_hex = hex(&bytes);
    let error = verifier()
        .verify_access_proof(&forged, location)
        .unwrap_err();
    assert!(
        matches!(error, VerifyError::BadAccessProof { .. }),
        "{error}"
    );
    // The proof of the other record.
    let mut forged = doc.clone();
    forged.proof_hex = other.proof_hex.clone();
    let error = verifier()
        .verify_access_proof(&forged, location)
        .unwrap_err();
    assert!(
        matches!(error, VerifyError::BadAccessProof { .. }),
        "{error}"
    );
    // Garbage where the proof should be.
    for proof in [hex(&[7; 40]), String::new()] {
        let mut forged = doc.clone();
        forged.proof_hex = proof;
        let error = verifier()
            .verify_access_proof(&forged, location)
            .unwrap_err();
        assert!(matches!(error, VerifyError::MalformedProof(_)), "{error}");
    }
    for (spoil, field) in [
        (|d: &mut AccessProofDoc| d.value_hex = "zz".into()) as fn(&mut AccessProofDoc),
        |d| d.proof_hex = "0x".into(),
    ]
    .into_iter()
    .zip(["value_hex", "proof_hex"])
    {
        let mut forged = doc.clone();
        spoil(&mut forged);
        let error = verifier()
            .verify_access_proof(&forged, location)
            .unwrap_err();
        assert!(
            matches!(error, VerifyError::NotHex { field: f } if f == field),
            "{error}"
        );
    }
}

#[test]
fn an_access_record_of_another_ledger_is_refused() {
    // A real record and proof, at the same location, of a log this block's
    // state root does not commit to.
    let (_, foreign) = access_ledger("foreign", &[b"another answer"]);
    let (location, value, proof) = foreign
        .iter()
        .find_map(|(l, r)| r.clone().map(|(v, p)| (*l, v, p)))
        .unwrap();
    let doc = access_doc(location, &value, &proof);
    let error = verifier().verify_access_proof(&doc, location).unwrap_err();
    assert!(
        matches!(
            error,
            VerifyError::BadAccessProof {
                source: AccessProofError::Head(_),
                ..
            }
        ),
        "{error}"
    );
}

#[test]
fn an_access_answer_whose_block_or_fields_do_not_hold_is_refused() {
    let f = fixture();
    let (location, doc) = record_doc(0);
    // A header claiming another state root: the certificate is not for it.
    let mut header = access_fixture().header.clone();
    header.state_root = sha256(&[b"a root the node would like us to believe"]);
    let mut forged = doc.clone();
    forged.header_hex = hex(&header.encode());
    forged.header = Header::from(&header);
    let error = verifier()
        .verify_access_proof(&forged, location)
        .unwrap_err();
    assert!(matches!(error, VerifyError::WrongBlock { .. }), "{error}");
    // Signed by other validators.
    let others = keys(100);
    let mut forged = doc.clone();
    forged.certificate_hex = hex(&finalize(
        &f.genesis.consensus_namespace(),
        &others,
        (EPOCH, VIEW),
        access_fixture().header.digest(),
    )
    .encode());
    let error = verifier()
        .verify_access_proof(&forged, location)
        .unwrap_err();
    assert!(matches!(error, VerifyError::BadCertificate), "{error}");
    // JSON beside the signed bytes that disagrees with them.
    let mut forged = doc.clone();
    forged.height += 1;
    assert!(matches!(
        verifier().verify_access_proof(&forged, location),
        Err(VerifyError::Inconsistent { field: "height" })
    ));
    let mut forged = doc.clone();
    forged.header.state_root = sha256(&[b"shown"]).to_string();
    assert!(matches!(
        verifier().verify_access_proof(&forged, location),
        Err(VerifyError::Inconsistent { field: "header" })
    ));
    let mut forged = doc.clone();
    forged.record.refusal = None;
    assert!(matches!(
        verifier().verify_access_proof(&forged, location),
        Err(VerifyError::Inconsistent { field: "record" })
    ));
    let mut forged = doc.clone();
    forged.record.location += 1;
    assert!(matches!(
        verifier().verify_access_proof(&forged, location),
        Err(VerifyError::Inconsistent { field: "record" })
    ));
    let mut forged = doc;
    forged.record.channel = "other".into();
    assert!(matches!(
        verifier().verify_access_proof(&forged, location),
        Err(VerifyError::Inconsistent { field: "record" })
    ));
}
