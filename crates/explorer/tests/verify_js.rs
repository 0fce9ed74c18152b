//! The explorer's in-page verifier (`assets/verify.js`) against the real
//! thing: vectors made in-process by the Rust code a node runs (validator
//! keys signing finalize votes assembled into finalizations; a state store
//! holding notary records, proving present and absent keys), each checked by
//! the Rust SDK's `Verifier` first, then by `tests/verify_js.mjs` under
//! Node.js, which must reach the same verdict on every one.
//!
//! Besides whole answers of `GET /v1/proof/{key}` (valid and tampered), the
//! vectors flip every byte of some state proofs, headers and certificates:
//! the JavaScript must refuse each one exactly as the Rust code does.

use commonware_codec::{Copying, DecodeExt, Encode, RangeCfg, Read, ReadExt};
use commonware_consensus::{
    simplex::types::{Finalize, Proposal},
    types::{Epoch, Round, View},
};
use commonware_cryptography::Sha256;
use commonware_cryptography::{
    Signer as _, certificate::Signers, ed25519::certificate::Certificate as Signatures,
};
use commonware_formatting::hex;
use commonware_parallel::Sequential;
use commonware_runtime::{
    BLOB_PAGE_SIZE,
    buffer::paged::{CacheRef, page_size},
};
use commonware_runtime::{Runner as _, Supervisor as _, deterministic};
use commonware_storage::{
    journal::contiguous::variable::Config as LogConfig,
    merkle::{full::Config as MerkleConfig, mmr},
    qmdb::{
        any::{
            ordered::{Operation, Update},
            value::VariableEncoding,
        },
        current::{
            VariableConfig,
            ordered::{proof::constant::KeyValueProof, variable},
            proof::constant::OperationProof,
        },
        floor::Proportional,
    },
    translator::EightCap,
};
use commonware_utils::{NZU64, NZUsize};
use commonware_utils::{Participant, non_empty, ordered::Set};
use dirchain_client::verify::{Certificate, Scheme, Verifier, VerifyError};
use dirchain_schema::chain::{Header, Proof};
use dirchain_state::{
    genesis::genesis_writes,
    store::{MAX_PROOF_DIGESTS, StateProof, Store, WriteSet},
    testkit,
};
use dirchain_types::{
    block::BlockHeader,
    bounded::{Ident, List, Text},
    genesis::Genesis,
    ids::{Digest, PrivateKey, key_bytes, sha256, system_channel},
    keys::{StateKey, account_key, notary_key},
    records::{Account, NotaryRecord},
};
use serde_json::{Value, json};
use std::{path::Path, process::Command, time::Instant};

const VALIDATORS: u64 = 4;
const EPOCH: u64 = 0;
/// Operations per activity-bitmap chunk (32-byte chunks).
const CHUNK_BITS: u64 = 256;
/// Blocks of notary records at the start, and records per block.
const BLOCKS: u64 = 60;
const RECORDS_PER_BLOCK: u64 = 5;

// --- The network -----------------------------------------------------------

struct Network {
    genesis: Genesis,
    validators: Vec<PrivateKey>,
    namespace: Vec<u8>,
}

impl Network {
    /// Four validators, listed in genesis in an order that is not their
    /// sorted one, so the page must number signers as consensus does.
    fn new() -> Self {
        let mut validators: Vec<PrivateKey> = (1..=VALIDATORS).map(PrivateKey::from_seed).collect();
        let mut sorted = validators.clone();
        sorted.sort_by_key(|k| k.public_key());
        if validators
            .iter()
            .map(|k| k.public_key())
            .eq(sorted.iter().map(|k| k.public_key()))
        {
            validators.reverse();
        }
        let mut genesis = testkit::genesis();
        genesis.validators =
            List::new(validators.iter().map(|k| k.public_key()).collect()).unwrap();
        let namespace = genesis.consensus_namespace();
        Self {
            genesis,
            validators,
            namespace,
        }
    }

    fn participants(&self) -> Set<dirchain_types::ids::PublicKey> {
        Set::from_iter_dedup(self.validators.iter().map(|k| k.public_key()))
    }

    fn verifier(&self) -> Verifier {
        Verifier::new(&self.genesis)
    }

    /// A finalization of `payload` in `round` under `namespace`, by those of
    /// `signing` (indices into the genesis list).
    fn finalize(
        &self,
        namespace: &[u8],
        signing: &[usize],
        round: (u64, u64),
        payload: Digest,
    ) -> Certificate {
        let schemes: Vec<Scheme> = signing
            .iter()
            .map(|&i| {
                Scheme::signer(namespace, self.participants(), self.validators[i].clone()).unwrap()
            })
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

    fn certify(&self, header: &BlockHeader) -> Certificate {
        self.finalize(
            &self.namespace,
            &[0, 1, 2, 3],
            (header.epoch, header.view),
            header.digest(),
        )
    }
}

fn signers(certificate: &Certificate) -> Vec<u32> {
    certificate
        .certificate
        .signers
        .iter()
        .map(Participant::get)
        .collect()
}

// --- The state -------------------------------------------------------------

/// A key proven at one committed state, with what it holds.
struct Proven {
    label: String,
    key: StateKey,
    value: Option<Vec<u8>>,
    proof: StateProof,
}

/// One committed state: its root and height, and some of its keys proven.
struct Snapshot {
    label: &'static str,
    height: u64,
    root: Digest,
    proven: Vec<Proven>,
}

impl Snapshot {
    fn get(&self, label: &str) -> &Proven {
        self.proven.iter().find(|p| p.label == label).unwrap()
    }
}

/// The document a block's notary records are about.
fn document(height: u64, i: u64) -> Digest {
    sha256(&[b"document", &height.to_be_bytes(), &i.to_be_bytes()])
}

fn notary_record(digest: Digest, height: u64) -> Vec<u8> {
    NotaryRecord {
        digest,
        kind: Ident::new("contract").unwrap(),
        meta: Text::new(format!("{{\"n\":{height}}}")).unwrap(),
        org: Ident::new("health").unwrap(),
        signer: key_bytes(&PrivateKey::from_seed(99).public_key()),
        tx: sha256(&[b"tx", &height.to_be_bytes()]),
        height,
        at: timestamp(height),
    }
    .encode()
    .to_vec()
}

fn timestamp(height: u64) -> u64 {
    testkit::GENESIS_TIME + height * 1_000
}

/// A block as the ledger writes it: `records` notary records and the
/// notary's account nonce (an overwrite, as every transaction makes).
fn notary_block(height: u64, records: u64, nonce: &mut u64) -> WriteSet {
    let notary = PrivateKey::from_seed(99).public_key();
    let mut writes: WriteSet = (0..records)
        .map(|i| {
            let digest = document(height, i);
            (
                notary_key(&system_channel(), &digest),
                Some(notary_record(digest, height)),
            )
        })
        .collect();
    *nonce += records;
    writes.insert(
        account_key(&notary),
        Some(Account { next_nonce: *nonce }.encode().to_vec()),
    );
    writes
}

/// The geometry of a proof, read with the engine's own decoder: which
/// branches of verification it takes.
#[derive(Debug)]
struct Shape {
    loc: u64,
    leaves: u64,
    inactive_peaks: usize,
    partial: bool,
}

fn shape(proof: &StateProof) -> Shape {
    let bytes = proof.encode();
    let mut buf = Copying(bytes.as_ref());
    if u8::read(&mut buf).unwrap() == 0 {
        Vec::<u8>::read_cfg(&mut buf, &(RangeCfg::from(..), ())).unwrap();
    } else {
        u8::read(&mut buf).unwrap();
    }
    let op =
        OperationProof::<mmr::Family, Digest, 32>::read_cfg(&mut buf, &MAX_PROOF_DIGESTS).unwrap();
    Shape {
        loc: *op.loc,
        leaves: *op.range_proof.proof.leaves,
        inactive_peaks: op.range_proof.proof.inactive_peaks,
        partial: op.range_proof.partial_chunk_digest.is_some(),
    }
}

impl Shape {
    /// The MMR's peaks: one per set bit of the leaf count.
    fn peaks(&self) -> usize {
        self.leaves.count_ones() as usize
    }

    /// How many peaks lie wholly before and after the one holding `loc`.
    fn around(&self) -> (usize, usize) {
        let mut start = 0;
        let mut index = 0;
        for height in (0..63).rev() {
            let width = 1u64 << height;
            if self.leaves & width == 0 {
                continue;
            }
            if self.loc < start + width {
                return (index, self.peaks() - index - 1);
            }
            start += width;
            index += 1;
        }
        unreachable!("loc within leaves")
    }

    /// The operation's chunk is the trailing partial one (not yet grafted).
    fn in_partial_chunk(&self) -> bool {
        self.loc / CHUNK_BITS == self.leaves / CHUNK_BITS
    }
}

async fn prove<E>(store: &Store<E>, label: &str, key: StateKey) -> Proven
where
    E: commonware_runtime::Storage + commonware_runtime::Clock + commonware_runtime::Metrics,
{
    Proven {
        label: label.to_string(),
        key,
        value: store.get(&key).await.unwrap(),
        proof: store.prove(&key).await.unwrap(),
    }
}

/// Builds the state and proves keys at three points: empty, after a few
/// hundred records over many blocks (a ragged bitmap), and once the number
/// of operations is a multiple of the chunk size (an aligned one).
fn snapshots(genesis: &Genesis) -> Vec<Snapshot> {
    let genesis = genesis.clone();
    deterministic::Runner::default().start(|ctx| async move {
        let mut store = Store::open(ctx.child("store"), "state").await.unwrap();
        let mut out = Vec::new();
        let absent = notary_key(&system_channel(), &sha256(&[b"never notarized"]));

        // No key at all: absence is proven from the last commit.
        out.push(Snapshot {
            label: "empty",
            height: 0,
            root: store.root(),
            proven: vec![prove(&store, "absent", absent).await],
        });

        store
            .commit(0, genesis_writes(&genesis).unwrap())
            .await
            .unwrap();
        let mut nonce = 0;
        for height in 1..=BLOCKS {
            let writes = notary_block(height, RECORDS_PER_BLOCK, &mut nonce);
            store.commit(height, writes).await.unwrap();
        }
        // Empty blocks (the leader found no transactions) until the floor has
        // passed the oldest peak of the tree: compaction moves the live
        // records up, and proofs fold the peaks below the floor.
        let first = notary_key(&system_channel(), &document(1, 0));
        let mut height = BLOCKS;
        while shape(&store.prove(&first).await.unwrap()).inactive_peaks == 0 {
            height += 1;
            assert!(height < BLOCKS + 2_000, "the floor never passed a peak");
            store.commit(height, WriteSet::new()).await.unwrap();
        }
        // A last block of records, which land in the trailing partial chunk.
        height += 1;
        store
            .commit(height, notary_block(height, 3, &mut nonce))
            .await
            .unwrap();
        let newest = notary_key(&system_channel(), &document(height, 2));
        out.push(Snapshot {
            label: "ragged",
            height,
            root: store.root(),
            proven: vec![
                prove(&store, "first", first).await,
                prove(&store, "newest", newest).await,
                prove(&store, "absent", absent).await,
                // Beyond the largest key and below the smallest: the largest
                // key's span wraps around to the smallest.
                prove(&store, "above all", Digest([0xff; 32])).await,
                prove(&store, "below all", Digest([0x00; 32])).await,
            ],
        });

        // More blocks until the operations fill whole chunks. Far from the
        // boundary, blocks of four records; near it, a block of one record
        // (an odd number of operations: the record, its predecessor's new
        // link, the account, the commit, the floor's moves) or an empty one
        // (an even number: the commit and the floor's moves).
        let mut leaves = shape(&store.prove(&first).await.unwrap()).leaves;
        let mut newest = newest;
        while !leaves.is_multiple_of(CHUNK_BITS) {
            height += 1;
            assert!(height < BLOCKS + 3_000, "no chunk-aligned state reached");
            let missing = CHUNK_BITS - leaves % CHUNK_BITS;
            let records = match missing {
                25.. => 4,
                m if m % 2 == 1 => 1,
                _ => 0,
            };
            let writes = if records == 0 {
                WriteSet::new()
            } else {
                notary_block(height, records, &mut nonce)
            };
            store.commit(height, writes).await.unwrap();
            let now = shape(&store.prove(&first).await.unwrap()).leaves;
            leaves = now;
            if records > 0 {
                newest = notary_key(&system_channel(), &document(height, records - 1));
            }
        }
        eprintln!("{nonce} notary records in {height} blocks, {leaves} operations");
        out.push(Snapshot {
            label: "aligned",
            height,
            root: store.root(),
            proven: vec![
                prove(&store, "first", first).await,
                prove(&store, "newest", newest).await,
                prove(&store, "absent", absent).await,
            ],
        });
        out
    })
}

/// Checks the proofs exercise what they are meant to: both kinds, several
/// peaks, grafted and partial chunks, aligned and ragged bitmaps, folded
/// inactive peaks, listed active peaks before and a suffix after.
fn check_coverage(snapshots: &[Snapshot]) -> Vec<String> {
    let mut seen = Vec::new();
    for snapshot in snapshots {
        for p in &snapshot.proven {
            let s = shape(&p.proof);
            let (before, after) = s.around();
            eprintln!(
                "{}/{}: {:?}, {} peaks ({before} before, {after} after)",
                snapshot.label,
                p.label,
                s,
                s.peaks()
            );
            let facts = [
                (p.value.is_some(), "inclusion"),
                (p.value.is_none(), "exclusion"),
                (s.peaks() > 1, "several peaks"),
                (s.partial, "ragged bitmap"),
                (!s.partial, "aligned bitmap"),
                (s.in_partial_chunk(), "operation in the partial chunk"),
                (!s.in_partial_chunk(), "operation in a grafted chunk"),
                (s.inactive_peaks > 0, "inactive peaks folded"),
                (before > s.inactive_peaks, "active peaks before"),
                (after > 0, "peaks after"),
            ];
            for (holds, fact) in facts {
                if holds && !seen.contains(&fact.to_string()) {
                    seen.push(fact.to_string());
                }
            }
        }
    }
    seen
}

// --- A superseded value ----------------------------------------------------

/// The engine database behind the store, opened directly: the store only
/// proves current values, and this vector needs the proof of a stale one.
type Db<E> = variable::Db<mmr::Family, E, Digest, Vec<u8>, Sha256, EightCap, 32, Sequential>;

/// The codec configuration of (key, value): a value of any length.
type ValueCfg = ((), (RangeCfg<usize>, ()));

fn db_config(prefix: &str) -> VariableConfig<EightCap, ValueCfg, Sequential> {
    let page_cache = CacheRef::new(page_size(BLOB_PAGE_SIZE), NZUsize!(64));
    VariableConfig {
        merkle_config: MerkleConfig {
            journal_partition: format!("{prefix}-merkle"),
            metadata_partition: format!("{prefix}-merkle-meta"),
            items_per_blob: NZU64!(1 << 10),
            write_buffer: NZUsize!(1 << 16),
            replay_buffer: NZUsize!(1 << 16),
            strategy: Sequential,
            page_cache: page_cache.clone(),
        },
        journal_config: LogConfig {
            partition: format!("{prefix}-log"),
            items_per_section: NZU64!(1 << 10),
            compression: None,
            codec_config: ((), (RangeCfg::from(..), ())),
            page_cache,
            write_buffer: NZUsize!(1 << 16),
            replay_buffer: NZUsize!(1 << 16),
        },
        grafted_metadata_partition: format!("{prefix}-grafted-meta"),
        translator: EightCap,
        init_cache: None,
        init_buffer: NZUsize!(1 << 16),
        init_concurrency: (),
    }
}

/// A proof of a key's *previous* value: the real Merkle path of its
/// superseded update (which the root still commits to) with that update's
/// activity bit, now cleared. Everything but the bit checks out, so only the
/// "is it current" check refuses it. Returns (root, key, proof bytes).
fn stale_proof() -> (Digest, StateKey, Vec<u8>) {
    deterministic::Runner::default().start(|ctx| async move {
        let key = notary_key(&system_channel(), &document(0, 0));
        let old = b"the value before".to_vec();
        let mut db: Db<_> = Db::init(ctx.child("db"), db_config("stale"), None)
            .await
            .unwrap();
        let commit = async |db: Db<_>, writes: Vec<(StateKey, Vec<u8>)>| {
            let mut batch = db.new_batch();
            for (k, v) in writes {
                batch = batch.write(k, Some(v));
            }
            let merkleized = batch.merkleize(&db, None, &mut Proportional).await.unwrap();
            db.apply_batch(merkleized)
                .await
                .unwrap()
                .commit()
                .await
                .unwrap()
        };
        // The key alone (its span wraps to itself), then overwritten among others.
        db = commit(db, vec![(key, old.clone())]).await;
        let others = (1..40).map(|i| (sha256(&[&[i]]), vec![i]));
        db = commit(
            db,
            others.chain([(key, b"the value now".to_vec())]).collect(),
        )
        .await;

        let stale = Operation::<mmr::Family, Digest, VariableEncoding<Vec<u8>>>::Update(Update {
            key,
            value: old.clone(),
            next_key: key,
        });
        let floor = db.to_batch().bounds().inactivity_floor;
        let leaves = *db.bounds().end;
        for loc in 0..leaves {
            let loc = mmr::Location::new(loc);
            let Ok(proof) = OperationProof::<mmr::Family, Digest, 32>::new::<Sha256, _>(
                db.bitmap(),
                &db.grafted_storage(),
                floor,
                loc,
                db.ops_root(),
            )
            .await
            else {
                continue;
            };
            if !proof.range_proof.verify_with_chunk_size::<Sha256, _>(
                loc,
                std::slice::from_ref(&stale),
                &[proof.chunk],
                32,
                &db.root(),
            ) {
                continue;
            }
            let bytes = [
                vec![0u8],
                old.encode().to_vec(),
                KeyValueProof::<mmr::Family, Digest, Digest, 32> {
                    proof,
                    next_key: key,
                }
                .encode()
                .to_vec(),
            ]
            .concat();
            return (db.root(), key, bytes);
        }
        panic!("the superseded update is not in the log");
    })
}

/// The stale proof, refused by the Rust code for its activity bit alone.
fn stale_vector() -> Value {
    let (root, key, bytes) = stale_proof();
    let proof = StateProof::decode(Copying(&bytes)).unwrap();
    assert_eq!(
        proof.verify(&root, &key),
        Err(dirchain_state::store::ProofError::InvalidInclusion)
    );
    json!({
        "name": "a superseded value, its bit cleared",
        "proof_hex": hex(&bytes),
        "root": root.to_string(),
        "key": key.to_string(),
        "error": { "code": "bad_proof" },
    })
}

// --- Answers of GET /v1/proof/{key} ----------------------------------------

fn header_at(network: &Network, snapshot: &Snapshot) -> BlockHeader {
    BlockHeader {
        parent: sha256(&[b"parent", &snapshot.height.to_be_bytes()]),
        height: snapshot.height,
        epoch: EPOCH,
        view: snapshot.height + 7,
        parent_view: snapshot.height + 6,
        proposer: network.validators[(snapshot.height % VALIDATORS) as usize].public_key(),
        timestamp_ms: timestamp(snapshot.height),
        state_root: snapshot.root,
        txs_digest: sha256(&[b"txs", &snapshot.height.to_be_bytes()]),
    }
}

/// The document the node's API answers, built as the API builds it.
fn proof_doc(header: &BlockHeader, proven: &Proven, certificate: &Certificate) -> Proof {
    Proof {
        key: proven.key.to_string(),
        value_hex: proven.value.as_deref().map(hex),
        proof_hex: hex(&proven.proof.encode()),
        height: header.height,
        header: Header::from(header),
        header_hex: hex(&header.encode()),
        certificate_hex: hex(&certificate.encode()),
    }
}

/// The JavaScript error code of a Rust verification error.
fn code(error: &VerifyError) -> (&'static str, Option<&'static str>) {
    match error {
        VerifyError::NotHex { field } => ("malformed", Some(field)),
        VerifyError::MalformedHeader(_)
        | VerifyError::MalformedCertificate(_)
        | VerifyError::MalformedProof(_)
        | VerifyError::MalformedValue(_)
        | VerifyError::MissingCertificate => ("malformed", None),
        VerifyError::BadCertificate => ("bad_certificate", None),
        VerifyError::WrongBlock { .. } => ("wrong_block", None),
        VerifyError::WrongRound { .. } => ("wrong_round", None),
        VerifyError::BadProof { .. } => ("bad_proof", None),
        VerifyError::WrongKey { .. } => ("wrong_key", None),
        VerifyError::Inconsistent { field } => ("inconsistent", Some(field)),
        // Access-log proofs are not verified in the browser, so never compared here.
        VerifyError::BadAccessProof { .. } | VerifyError::WrongLocation { .. } => {
            unreachable!("not a state proof error: {error}")
        }
    }
}

fn error_json(code: &str, field: Option<&str>) -> Value {
    match field {
        Some(field) => json!({ "code": code, "field": field }),
        None => json!({ "code": code }),
    }
}

struct Cases<'a> {
    network: &'a Network,
    out: Vec<Value>,
}

impl Cases<'_> {
    /// A valid answer: Rust must accept it, with the value proven.
    fn valid(&mut self, name: &str, doc: &Proof, proven: &Proven, certificate: &Certificate) {
        let verified = self
            .network
            .verifier()
            .verify_proof(doc, &proven.key)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(verified.value, proven.value, "{name}");
        self.out.push(json!({
            "name": name,
            "key": proven.key.to_string(),
            "doc": doc,
            "expect": {
                "value_hex": verified.value.as_deref().map(hex),
                "height": verified.height,
                "timestamp_ms": verified.timestamp_ms,
                "block": verified.block.to_string(),
                "state_root": verified.state_root.to_string(),
                "signers": signers(certificate),
            },
        }));
    }

    /// A tampered answer: Rust must refuse it with `expected`.
    fn refused(&mut self, name: &str, doc: &Proof, key: &StateKey, expected: (&str, Option<&str>)) {
        let error = match self.network.verifier().verify_proof(doc, key) {
            Ok(_) => panic!("{name}: the Rust verifier accepts it"),
            Err(e) => e,
        };
        assert_eq!(code(&error), expected, "{name}: {error}");
        self.out.push(json!({
            "name": name,
            "key": key.to_string(),
            "doc": doc,
            "expect": { "error": error_json(expected.0, expected.1) },
        }));
    }
}

fn docs(network: &Network, snapshots: &[Snapshot]) -> Vec<Value> {
    let mut cases = Cases {
        network,
        out: Vec::new(),
    };
    for snapshot in snapshots.iter().filter(|s| s.label != "empty") {
        let header = header_at(network, snapshot);
        let certificate = network.certify(&header);
        for proven in &snapshot.proven {
            let doc = proof_doc(&header, proven, &certificate);
            let name = format!("{}/{}", snapshot.label, proven.label);
            cases.valid(&name, &doc, proven, &certificate);
        }
    }

    let ragged = &snapshots[1];
    let header = header_at(network, ragged);
    let good = network.certify(&header);
    let present = ragged.get("first");
    let absent = ragged.get("absent");
    let doc = || proof_doc(&header, present, &good);
    let round = (header.epoch, header.view);

    // A quorum, not everyone: three of four (not the first in genesis order).
    let three = network.finalize(&network.namespace, &[1, 2, 3], round, header.digest());
    cases.valid(
        "three of four signed",
        &proof_doc(&header, present, &three),
        present,
        &three,
    );
    let mut d = doc();
    d.key = d.key.to_uppercase();
    cases.valid("key in upper case", &d, present, &good);

    // The proof: a byte of the value (after the tag and its length), a byte
    // of the Merkle path, the proof of another key, an absence proof for a
    // present key.
    let encoded = present.proof.encode().to_vec();
    let value_len = present.value.as_ref().unwrap().len();
    let mut forged = encoded.clone();
    forged[1 + 2 + value_len / 2] ^= 1;
    let mut d = doc();
    d.proof_hex = hex(&forged);
    cases.refused(
        "value byte flipped in the proof",
        &d,
        &present.key,
        ("bad_proof", None),
    );
    let mut forged = encoded;
    *forged.last_mut().unwrap() ^= 1;
    let mut d = doc();
    d.proof_hex = hex(&forged);
    cases.refused("proof byte flipped", &d, &present.key, ("bad_proof", None));
    let mut d = doc();
    d.key = absent.key.to_string();
    cases.refused("proof of another key", &d, &absent.key, ("bad_proof", None));
    let d = proof_doc(
        &header,
        &Proven {
            label: String::new(),
            key: present.key,
            value: None,
            proof: absent.proof.clone(),
        },
        &good,
    );
    cases.refused(
        "absence proof for a present key",
        &d,
        &present.key,
        ("bad_proof", None),
    );
    let d = proof_doc(
        &header,
        &Proven {
            label: String::new(),
            key: absent.key,
            value: present.value.clone(),
            proof: present.proof.clone(),
        },
        &good,
    );
    cases.refused(
        "inclusion proof for an absent key",
        &d,
        &absent.key,
        ("bad_proof", None),
    );
    let aligned = &snapshots[2];
    let mut d = doc();
    d.proof_hex = hex(&aligned.get("first").proof.encode());
    cases.refused(
        "proof against another root",
        &d,
        &present.key,
        ("bad_proof", None),
    );

    // The certificate.
    let foreign = network.finalize(b"another network", &[0, 1, 2, 3], round, header.digest());
    let mut d = doc();
    d.certificate_hex = hex(&foreign.encode());
    cases.refused(
        "certificate from another namespace",
        &d,
        &present.key,
        ("bad_certificate", None),
    );
    let mut two = good.clone();
    two.certificate = Signatures {
        signers: Signers::new(VALIDATORS as u32, [0, 1].map(Participant::new)).unwrap(),
        signatures: good.certificate.signatures[..2].to_vec(),
    };
    let mut d = doc();
    d.certificate_hex = hex(&two.encode());
    cases.refused(
        "two of four signed",
        &d,
        &present.key,
        ("bad_certificate", None),
    );
    let mut copied = good.clone();
    copied.certificate.signatures[1] = copied.certificate.signatures[0].clone();
    let mut d = doc();
    d.certificate_hex = hex(&copied.encode());
    cases.refused(
        "one signature copied for another",
        &d,
        &present.key,
        ("bad_certificate", None),
    );
    let mut fewer = good.clone();
    fewer.certificate.signers = Signers::new(3, [0, 1, 2].map(Participant::new)).unwrap();
    fewer.certificate.signatures.truncate(3);
    let mut d = doc();
    d.certificate_hex = hex(&fewer.encode());
    cases.refused(
        "signer bitmap over three validators",
        &d,
        &present.key,
        ("bad_certificate", None),
    );
    // Three real signers plus a bit past the end of the four-bit bitmap, with
    // a fourth signature so the counts agree: the bitmap itself is invalid.
    let three = network.finalize(&network.namespace, &[1, 2, 3], round, header.digest());
    let mut bitmap = three.certificate.signers.encode().to_vec();
    *bitmap.last_mut().unwrap() |= 0x80;
    let mut signatures = three.certificate.signatures.clone();
    signatures.push(signatures[0].clone());
    let mut d = doc();
    d.certificate_hex =
        hex(&[three.proposal.encode(), bitmap.into(), signatures.encode()].concat());
    cases.refused(
        "signer past the end of the bitmap",
        &d,
        &present.key,
        ("malformed", None),
    );
    let other_round = network.finalize(
        &network.namespace,
        &[0, 1, 2, 3],
        (EPOCH, header.view + 1),
        header.digest(),
    );
    let mut d = doc();
    d.certificate_hex = hex(&other_round.encode());
    cases.refused(
        "certificate of another round",
        &d,
        &present.key,
        ("wrong_round", None),
    );
    let other_block = network.finalize(
        &network.namespace,
        &[0, 1, 2, 3],
        round,
        sha256(&[b"another block"]),
    );
    let mut d = doc();
    d.certificate_hex = hex(&other_block.encode());
    cases.refused(
        "certificate of another block",
        &d,
        &present.key,
        ("wrong_block", None),
    );
    let mut d = doc();
    d.certificate_hex.push_str("00");
    cases.refused(
        "certificate with a trailing byte",
        &d,
        &present.key,
        ("malformed", None),
    );

    // The header: another block's (its JSON matching), a lying state root.
    let mut other = header.clone();
    other.height += 1;
    other.timestamp_ms += 1;
    let mut d = doc();
    d.header_hex = hex(&other.encode());
    d.header = Header::from(&other);
    d.height = other.height;
    cases.refused(
        "header of another block",
        &d,
        &present.key,
        ("wrong_block", None),
    );
    let mut lying = header.clone();
    lying.state_root = sha256(&[b"a root the node would like us to believe"]);
    let mut d = doc();
    d.header_hex = hex(&lying.encode());
    d.header = Header::from(&lying);
    cases.refused(
        "header with another state root",
        &d,
        &present.key,
        ("wrong_block", None),
    );

    // The JSON beside the signed bytes.
    cases.refused("wrong key asked", &doc(), &absent.key, ("wrong_key", None));
    let mut d = doc();
    d.height += 1;
    cases.refused(
        "height lying",
        &d,
        &present.key,
        ("inconsistent", Some("height")),
    );
    let mut d = doc();
    d.header.timestamp_ms += 1;
    cases.refused(
        "header timestamp lying",
        &d,
        &present.key,
        ("inconsistent", Some("header")),
    );
    let mut d = doc();
    d.header.state_root = sha256(&[b"shown"]).to_string();
    cases.refused(
        "header state root lying",
        &d,
        &present.key,
        ("inconsistent", Some("header")),
    );
    let mut d = doc();
    d.header.proposer = d.header.proposer.to_uppercase();
    cases.refused(
        "header proposer in upper case",
        &d,
        &present.key,
        ("inconsistent", Some("header")),
    );
    let mut d = doc();
    let mut value = present.value.clone().unwrap();
    value[0] ^= 1;
    d.value_hex = Some(hex(&value));
    cases.refused(
        "value byte flipped",
        &d,
        &present.key,
        ("inconsistent", Some("value_hex")),
    );
    let mut d = doc();
    d.value_hex = None;
    cases.refused(
        "value hidden",
        &d,
        &present.key,
        ("inconsistent", Some("value_hex")),
    );
    let d = proof_doc(
        &header,
        &Proven {
            label: String::new(),
            key: absent.key,
            value: Some(b"made up".to_vec()),
            proof: absent.proof.clone(),
        },
        &good,
    );
    cases.refused(
        "value made up for an absent key",
        &d,
        &absent.key,
        ("inconsistent", Some("value_hex")),
    );

    // Garbage.
    let mut d = doc();
    d.header_hex = "zz".into();
    cases.refused(
        "header not hex",
        &d,
        &present.key,
        ("malformed", Some("header_hex")),
    );
    let mut d = doc();
    d.certificate_hex = "0x00".into();
    cases.refused(
        "certificate not hex",
        &d,
        &present.key,
        ("malformed", Some("certificate_hex")),
    );
    let mut d = doc();
    d.proof_hex = "abc".into();
    cases.refused(
        "proof not hex",
        &d,
        &present.key,
        ("malformed", Some("proof_hex")),
    );
    let mut d = doc();
    d.header_hex = hex(b"garbage");
    cases.refused("header garbage", &d, &present.key, ("malformed", None));
    let mut d = doc();
    d.proof_hex = hex(&[7; 40]);
    cases.refused("proof garbage", &d, &present.key, ("malformed", None));
    let mut d = doc();
    d.proof_hex = String::new();
    cases.refused("proof empty", &d, &present.key, ("malformed", None));
    cases.out
}

// --- Every byte flipped ------------------------------------------------------

/// What the Rust verifier makes of each byte of `bytes` flipped (by each of
/// `masks`), as JavaScript error codes, `ok` where it still verifies.
fn flips(bytes: &[u8], verdict: impl Fn(&[u8]) -> Result<(), VerifyError>) -> Vec<Value> {
    let mut out = Vec::new();
    for mask in [0x01u8, 0x80] {
        let codes: Vec<&str> = (0..bytes.len())
            .map(|i| {
                let mut flipped = bytes.to_vec();
                flipped[i] ^= mask;
                verdict(&flipped).map_or_else(|e| code(&e).0, |()| "ok")
            })
            .collect();
        out.push(json!({ "mask": mask, "codes": codes }));
    }
    out
}

fn flip_cases(network: &Network, snapshots: &[Snapshot]) -> Vec<Value> {
    let mut out = Vec::new();
    let proof_verdict = |root: Digest, key: StateKey| {
        move |bytes: &[u8]| -> Result<(), VerifyError> {
            let proof = StateProof::decode(Copying(bytes)).map_err(VerifyError::MalformedProof)?;
            proof
                .verify(&root, &key)
                .map(|_| ())
                .map_err(|source| VerifyError::BadProof { height: 0, source })
        }
    };
    for (snapshot, label) in [
        ("ragged", "first"),
        ("ragged", "newest"),
        ("ragged", "absent"),
        ("aligned", "first"),
    ] {
        let snapshot = snapshots.iter().find(|s| s.label == snapshot).unwrap();
        let proven = snapshot.get(label);
        let bytes = proven.proof.encode().to_vec();
        out.push(json!({
            "name": format!("{}/{} proof", snapshot.label, label),
            "kind": "state_proof",
            "proof_hex": hex(&bytes),
            "root": snapshot.root.to_string(),
            "key": proven.key.to_string(),
            "flips": flips(&bytes, proof_verdict(snapshot.root, proven.key)),
        }));
    }
    let empty = &snapshots[0];
    let proven = empty.get("absent");
    let bytes = proven.proof.encode().to_vec();
    out.push(json!({
        "name": "empty/absent proof",
        "kind": "state_proof",
        "proof_hex": hex(&bytes),
        "root": empty.root.to_string(),
        "key": proven.key.to_string(),
        "flips": flips(&bytes, proof_verdict(empty.root, proven.key)),
    }));

    let header = header_at(network, &snapshots[1]);
    let certificate = network.finalize(
        &network.namespace,
        &[0, 2, 3],
        (header.epoch, header.view),
        header.digest(),
    );
    let (header_bytes, certificate_bytes) =
        (header.encode().to_vec(), certificate.encode().to_vec());
    let verifier = network.verifier();
    out.push(json!({
        "name": "header",
        "kind": "block",
        "part": "header",
        "header_hex": hex(&header_bytes),
        "certificate_hex": hex(&certificate_bytes),
        "flips": flips(&header_bytes, |h| verifier.verify_block(h, &certificate_bytes).map(|_| ())),
    }));
    out.push(json!({
        "name": "certificate",
        "kind": "block",
        "part": "certificate",
        "header_hex": hex(&header_bytes),
        "certificate_hex": hex(&certificate_bytes),
        "flips": flips(&certificate_bytes, |c| verifier.verify_block(&header_bytes, c).map(|_| ())),
    }));
    out
}

// --- The test ----------------------------------------------------------------

#[test]
fn verify_js_agrees_with_the_rust_verifier() {
    let started = Instant::now();
    let network = Network::new();
    let snapshots = snapshots(&network.genesis);
    let covered = check_coverage(&snapshots);
    for fact in [
        "inclusion",
        "exclusion",
        "several peaks",
        "ragged bitmap",
        "aligned bitmap",
        "operation in the partial chunk",
        "operation in a grafted chunk",
        "inactive peaks folded",
        "active peaks before",
        "peaks after",
    ] {
        assert!(
            covered.iter().any(|c| c == fact),
            "no proof with {fact}: {covered:?}"
        );
    }

    let notary: Vec<Value> = (0..3)
        .map(|i| {
            let digest = document(1, i);
            json!({
                "channel": "main",
                "digest": digest.to_string(),
                "key": notary_key(&system_channel(), &digest).to_string(),
            })
        })
        .chain([{
            let digest = document(2, 0);
            let channel = Ident::new("city-health/records").unwrap();
            json!({
                "channel": channel.as_str(),
                "digest": digest.to_string(),
                "key": notary_key(&channel, &digest).to_string(),
            })
        }])
        .collect();

    let header = header_at(&network, &snapshots[1]);
    let certificate = network.certify(&header);
    let block = network
        .verifier()
        .verify_block(&header.encode(), &certificate.encode())
        .unwrap();
    let vectors = json!({
        "trust": {
            "genesis_digest": network.genesis.digest().to_string(),
            "namespace_hex": hex(&network.namespace),
            "validators": network.genesis.validators.iter().map(|k| k.to_string()).collect::<Vec<_>>(),
        },
        "notary": notary,
        "block": {
            "header_hex": hex(&header.encode()),
            "certificate_hex": hex(&certificate.encode()),
            "digest": block.digest.to_string(),
            "header": Header::from(&block.header),
            "signers": signers(&certificate),
        },
        "state_proofs": snapshots.iter().flat_map(|s| s.proven.iter().map(|p| json!({
            "name": format!("{}/{}", s.label, p.label),
            "proof_hex": hex(&p.proof.encode()),
            "root": s.root.to_string(),
            "key": p.key.to_string(),
            "value_hex": p.value.as_deref().map(hex),
        }))).collect::<Vec<_>>(),
        "refused_state_proofs": [stale_vector()],
        "docs": docs(&network, &snapshots),
        "flips": flip_cases(&network, &snapshots),
    });
    eprintln!("vectors made in {:?}", started.elapsed());

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("vectors.json");
    std::fs::write(&file, serde_json::to_vec(&vectors).unwrap()).unwrap();
    // To run the same vectors elsewhere (in a browser, say), keep a copy.
    if let Some(keep) = std::env::var_os("VERIFY_JS_VECTORS") {
        std::fs::copy(&file, &keep).unwrap();
    }
    run_node(&file);
    eprintln!("done in {:?}", started.elapsed());
}

fn run_node(vectors: &Path) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/verify_js.mjs");
    let output = match Command::new("node").arg(&script).arg(vectors).output() {
        Ok(output) => output,
        Err(e) => panic!(
            "cannot run `node` ({e}): Node.js 20 or later must be installed to test \
             assets/verify.js, the explorer's in-page verifier"
        ),
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "verify_js.mjs failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    eprintln!("{stdout}");
}
