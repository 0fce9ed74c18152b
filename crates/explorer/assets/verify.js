// Checking a node's answer in the browser without trusting the node: a block
// is final only with a finalization certificate signed by a quorum of the
// validators the page was given (from genesis), and a state value is true
// only with a proof against the state root of such a block.
//
// A faithful port of the Rust SDK's `dirchain_client::Verifier` and of the
// Commonware pieces it relies on (2026.10.0): the simplex finalization
// certificate (Ed25519 scheme), and the qmdb `current::ordered` proofs over
// an MMR with SHA-256 and 32-byte activity-bitmap chunks. Every check the
// Rust code makes is made here, in the same order, so the same answers are
// refused with the same kind of error.
//
// No dependencies: `globalThis.crypto.subtle` (SHA-256, Ed25519) and BigInt,
// so it runs unchanged in browsers and in Node.js 20.
//
// Every decoder is bounded: a length read from the bytes is checked against
// its limit and against the bytes left before anything is taken, and varints
// are capped at their type's width.

const subtle = globalThis.crypto.subtle;

// Why an answer was refused. `code` is stable, for programs; `message` is
// for people; `field` names the part of the answer at fault, when one is.
export class VerifyError extends Error {
  constructor(code, message, field) {
    super(message);
    this.name = "VerifyError";
    this.code = code;
    if (field !== undefined) this.field = field;
  }
}

const malformed = (field, why) =>
  new VerifyError("malformed", `the ${field} cannot be read: ${why}`, field);

// ---------------------------------------------------------------------------
// Constants of the wire formats.

// Prefix of every network's consensus namespace (`dirchain_types::genesis`).
const CONSENSUS_NAMESPACE = "dirchain/consensus/v1";
// Appended to the namespace for finalize votes (commonware simplex).
const FINALIZE_SUFFIX = "_FINALIZE";
// Domain of every state key (`dirchain_types::keys`).
const KEY_DOMAIN = "dirchain/state/v1";
// `Space::Notary` in `dirchain_types::keys`.
const SPACE_NOTARY = 13;
// `MAX_ID_BYTES`: the longest identifier (a channel, a kind, an organisation).
const MAX_ID_BYTES = 64;
// `MAX_META_BYTES`: the longest note a notarization carries.
const MAX_META_BYTES = 2 * 1024;
// `MAX_VALIDATORS`: a genesis names at most this many validators.
const MAX_VALIDATORS = 256;
// `dirchain_state::store::MAX_VALUE_BYTES`: the largest stored value.
const MAX_VALUE_BYTES = 64 * 1024;
// `MAX_PROOF_DIGESTS_PER_ELEMENT`: the most digests a one-element proof holds.
const MAX_PROOF_DIGESTS = 122;
// `BITMAP_CHUNK_BYTES` of the store: 32 bytes, 256 operations per chunk.
const CHUNK_BYTES = 32;
const CHUNK_BITS = 256n;
// The grafting height: log2 of the chunk's bits.
const GRAFTING_HEIGHT = 8;
// An MMR holds at most 2^62 leaves (`mmr::Family::MAX_LEAVES`).
const MAX_LEAVES = 1n << 62n;
// Root domain tags: the MMR family (0) and qmdb's backward-fold bagging (1).
const MMR_DOMAIN = 0;
const BACKWARD_FOLD_DOMAIN = 1;
// Operation tags of qmdb's `any` operations.
const UPDATE_CONTEXT = 0xd2;
const COMMIT_CONTEXT = 0xd3;
// `StateProof` tags and `ExclusionProof` variants.
const TAG_INCLUSION = 0;
const TAG_EXCLUSION = 1;
const EXCLUSION_KEY_VALUE = 0;
const EXCLUSION_COMMIT = 1;

const UTF8 = new TextEncoder();

// ---------------------------------------------------------------------------
// Bytes, hex and hashing.

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// Lexicographic order of byte strings: how Rust orders keys and digests.
function compareBytes(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

export function toHex(bytes) {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

// Strict hex, as the API speaks it: digits of either case, even length,
// nothing else (no `0x`, no spaces).
function unhex(field, text) {
  if (typeof text !== "string" || text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) {
    throw new VerifyError("malformed", `the ${field} is not hex`, field);
  }
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

// A 32-byte digest (key, root, hash) in strict hex.
function digestArg(field, text) {
  const bytes = unhex(field, text);
  if (bytes.length !== 32) throw malformed(field, "not 32 bytes");
  return bytes;
}

async function sha256(...parts) {
  return new Uint8Array(await subtle.digest("SHA-256", concat(...parts)));
}

function u64be(value) {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, value);
  return out;
}

function u32be(value) {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value);
  return out;
}

// LEB128, as commonware-codec writes `UInt` (lengths are `usize` as u32).
function varint(value) {
  let v = BigInt(value);
  const out = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) byte |= 0x80;
    out.push(byte);
  } while (v !== 0n);
  return Uint8Array.from(out);
}

// A u64 for display: a Number while exact, a BigInt beyond 2^53.
function u64Value(big) {
  return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

// Whether a JSON number (or BigInt) is exactly the u64 `big`. A number past
// 2^53 has lost digits in JSON.parse, so it is never taken as equal.
function sameU64(json, big) {
  if (typeof json === "bigint") return json === big;
  return typeof json === "number" && Number.isSafeInteger(json) && json >= 0 && BigInt(json) === big;
}

// ---------------------------------------------------------------------------
// A bounded reader over untrusted bytes (commonware-codec's rules).

class Reader {
  constructor(bytes, field) {
    this.bytes = bytes;
    this.at = 0;
    this.field = field;
  }

  fail(why) {
    return malformed(this.field, why);
  }

  // Refuses before taking: no length read from the bytes is trusted.
  need(n) {
    if (n > this.bytes.length - this.at) throw this.fail("it ends early");
  }

  take(n) {
    this.need(n);
    const out = this.bytes.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }

  u8() {
    this.need(1);
    return this.bytes[this.at++];
  }

  bool() {
    const b = this.u8();
    if (b > 1) throw this.fail("a flag is neither 0 nor 1");
    return b === 1;
  }

  // A fixed-width big-endian u64 (commonware's `u64`).
  u64() {
    const bytes = this.take(8);
    return new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0);
  }

  // commonware-codec's varint decoder: at most `bits` bits (so at most
  // ceil(bits/7) bytes), and canonical (no trailing zero byte).
  varint(bits) {
    let result = 0n;
    let read = 0;
    for (;;) {
      const byte = this.u8();
      if (byte === 0 && read > 0) throw this.fail("a number is not minimally encoded");
      const remaining = bits - read;
      if (remaining <= 7 && 32 - Math.clz32(byte) > remaining) {
        throw this.fail("a number overflows its type");
      }
      result |= BigInt(byte & 0x7f) << BigInt(read);
      if ((byte & 0x80) === 0) return result;
      read += 7;
    }
  }

  // A length (`usize`, a u32 varint) within `0..=max`.
  length(max) {
    const len = this.varint(32);
    if (len > BigInt(max)) throw this.fail(`a length of ${len} is above the limit of ${max}`);
    return Number(len);
  }

  // A byte vector of at most `max` bytes.
  vecU8(max) {
    return this.take(this.length(max));
  }

  option(read) {
    return this.bool() ? read() : null;
  }

  // An MMR location: a u64 varint no greater than MAX_LEAVES.
  location() {
    const loc = this.varint(64);
    if (loc > MAX_LEAVES) throw this.fail("a location is beyond the largest tree");
    return loc;
  }

  // `decode` (not `read`): every byte must be used.
  end() {
    if (this.at !== this.bytes.length) throw this.fail("it has trailing bytes");
  }
}

// A `NotaryRecord` as the ledger encodes it (digest, kind, meta, org,
// signer, tx, height, at): what a verified notary key holds, for showing.
// Throws VerifyError `malformed` if the bytes are not exactly one.
export function decodeNotaryRecord(bytes) {
  const r = new Reader(bytes, "notary record");
  const text = max => {
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(r.vecU8(max));
    } catch (error) {
      throw error instanceof VerifyError ? error : r.fail("a text is not UTF-8");
    }
  };
  const record = {
    digest: toHex(r.take(32)),
    kind: text(MAX_ID_BYTES),
    meta: text(MAX_META_BYTES),
    org: text(MAX_ID_BYTES),
    signer: toHex(r.take(32)),
    tx: toHex(r.take(32)),
    height: u64Value(r.u64()),
    at: u64Value(r.u64()),
  };
  r.end();
  return record;
}

// ---------------------------------------------------------------------------
// Ed25519 public keys.

const P = (1n << 255n) - 19n;
const D = mod(-121665n * modInverse(121666n));

function mod(a) {
  const r = a % P;
  return r < 0n ? r + P : r;
}

function modPow(base, exp) {
  let result = 1n;
  base = mod(base);
  while (exp > 0n) {
    if (exp & 1n) result = (result * base) % P;
    base = (base * base) % P;
    exp >>= 1n;
  }
  return result;
}

function modInverse(a) {
  return modPow(a, P - 2n);
}

// Whether 32 bytes decode as a curve point the way the Rust side decodes a
// public key (curve25519-dalek's `decompress`, ZIP-215): y is the low 255
// bits (reduced mod p; non-canonical encodings are accepted) and
// x^2 = (y^2 - 1) / (d y^2 + 1) must have a square root.
function isEd25519Point(bytes) {
  let y = 0n;
  for (let i = 31; i >= 0; i--) y = (y << 8n) | BigInt(i === 31 ? bytes[i] & 0x7f : bytes[i]);
  y = mod(y);
  const yy = (y * y) % P;
  const u = mod(yy - 1n);
  const v = mod(D * yy + 1n); // never 0: -1/d is not a square
  if (u === 0n) return true;
  // u/v is a square iff u*v is (Euler's criterion).
  return modPow(u * v, (P - 1n) / 2n) === 1n;
}

async function ed25519Verify(publicKey, signature, message) {
  try {
    const key = await subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
    return await subtle.verify({ name: "Ed25519" }, key, signature, message);
  } catch {
    // A key or signature WebCrypto will not take is not a valid signature.
    return false;
  }
}

// ---------------------------------------------------------------------------
// Keys and namespaces.

// The namespace consensus signs under: `dirchain/consensus/v1` followed by
// the genesis digest, so votes of one network are worthless on any other.
export async function consensusNamespace(genesisDigestHex) {
  return concat(UTF8.encode(CONSENSUS_NAMESPACE), digestArg("genesis digest", genesisDigestHex));
}

// Validates a channel as `Ident::new` does: 1 to 64 bytes of
// `[A-Za-z0-9._:/-]`.
function channelBytes(channel) {
  if (typeof channel !== "string" || !/^[A-Za-z0-9._:/-]{1,64}$/.test(channel)) {
    throw malformed("channel", `not an identifier of 1 to ${MAX_ID_BYTES} letters, digits or . _ : / -`);
  }
  return UTF8.encode(channel);
}

// The state key of the notary record of a document digest in `channel`
// (`dirchain_types::keys::notary_key`): sha256(domain, space, channel, id),
// with big-endian u32 length prefixes so (channel, id) pairs cannot collide.
// The explorer uses channel "main".
export async function notaryKey(channel, digestHex) {
  const ch = channelBytes(channel);
  const id = digestArg("document digest", digestHex);
  const key = await sha256(
    UTF8.encode(KEY_DOMAIN),
    Uint8Array.of(SPACE_NOTARY),
    u32be(ch.length),
    ch,
    u32be(id.length),
    id,
  );
  return toHex(key);
}

// ---------------------------------------------------------------------------
// The validator set.

// The participants as consensus numbers them: `Set::from_iter_dedup` sorts
// the keys by their bytes and drops duplicates, and signer indices refer to
// that order, not to the order genesis lists them in.
function participantsOf(trust) {
  if (!trust || !(trust.namespace instanceof Uint8Array)) {
    throw malformed("trust", "the consensus namespace must be bytes");
  }
  const { validators } = trust;
  if (!Array.isArray(validators) || validators.length === 0 || validators.length > MAX_VALIDATORS) {
    throw malformed("trust", `give 1 to ${MAX_VALIDATORS} validator keys`);
  }
  const keys = validators.map((hex, i) => {
    const key = digestArg(`validator key ${i}`, hex);
    if (!isEd25519Point(key)) throw malformed(`validator key ${i}`, "not an Ed25519 public key");
    return key;
  });
  keys.sort(compareBytes);
  return keys.filter((key, i) => i === 0 || compareBytes(keys[i - 1], key) !== 0);
}

// Commonware's quorum for n participants tolerating f = (n - 1) / 3 faults.
function quorum(n) {
  return n - Math.floor((n - 1) / 3);
}

// ---------------------------------------------------------------------------
// Block headers (`dirchain_types::block::BlockHeader`).

function decodeHeader(bytes) {
  const r = new Reader(bytes, "block header");
  const header = {
    parent: r.take(32),
    height: r.u64(),
    epoch: r.u64(),
    view: r.u64(),
    parent_view: r.u64(),
    proposer: r.take(32),
    timestamp_ms: r.u64(),
    state_root: r.take(32),
    txs_digest: r.take(32),
  };
  r.end();
  if (!isEd25519Point(header.proposer)) throw r.fail("the proposer is not a public key");
  return header;
}

// The header as the API's JSON shows it (`dirchain_schema::chain::Header`).
function headerView(header, digest) {
  return {
    digest: toHex(digest),
    parent: toHex(header.parent),
    height: u64Value(header.height),
    epoch: u64Value(header.epoch),
    view: u64Value(header.view),
    parent_view: u64Value(header.parent_view),
    proposer: toHex(header.proposer),
    timestamp_ms: u64Value(header.timestamp_ms),
    state_root: toHex(header.state_root),
    txs_digest: toHex(header.txs_digest),
  };
}

// ---------------------------------------------------------------------------
// Finalization certificates (simplex `Finalization<ed25519::Scheme, Digest>`).

// Decodes with the bound the Rust verifier uses: no more signers (bits) or
// signatures than there are validators.
function decodeFinalization(bytes, participants) {
  const r = new Reader(bytes, "finalization certificate");
  const proposal = {
    epoch: r.varint(64),
    view: r.varint(64),
    parent: r.varint(64),
    payload: r.take(32),
  };
  // Signers: a bitmap of participant indices, its length in bits first (u64).
  const bitLen = r.u64();
  if (bitLen > BigInt(participants)) throw r.fail("it names more signers than there are validators");
  const bits = Number(bitLen);
  const bitmap = r.take(Math.ceil(bits / 8));
  const signers = [];
  for (let i = 0; i < bitmap.length * 8; i++) {
    const set = (bitmap[i >> 3] >> (i & 7)) & 1;
    if (set && i >= bits) throw r.fail("its signer bitmap has bits past its end");
    if (set) signers.push(i);
  }
  if (signers.length === 0) throw r.fail("it has no signers");
  const count = r.length(participants);
  r.need(count * 64);
  const signatures = Array.from({ length: count }, () => r.take(64));
  if (signatures.length !== signers.length) throw r.fail("its signer and signature counts differ");
  r.end();
  return { proposal, bits, signers, signatures };
}

function encodeProposal(p) {
  return concat(varint(p.epoch), varint(p.view), varint(p.parent), p.payload);
}

// The exact bytes a validator signs for a finalize vote: commonware's
// `union_unique(namespace ++ "_FINALIZE", proposal)`, i.e. the namespace
// length as a varint, the namespace, then the encoded proposal.
function finalizeMessage(namespace, proposal) {
  const ns = concat(namespace, UTF8.encode(FINALIZE_SUFFIX));
  return concat(varint(ns.length), ns, encodeProposal(proposal));
}

// `Generic::verify_certificate` of the Ed25519 scheme: the bitmap covers
// exactly the validator set, one signature per signer, at least a quorum of
// signers, and every signature valid for its signer's key.
async function signaturesHold(certificate, participants, namespace) {
  const { bits, signers, signatures, proposal } = certificate;
  if (bits !== participants.length) return false;
  if (signers.length !== signatures.length) return false;
  if (signers.length < quorum(participants.length)) return false;
  const message = finalizeMessage(namespace, proposal);
  for (let i = 0; i < signers.length; i++) {
    const key = participants[signers[i]];
    if (!key || !(await ed25519Verify(key, signatures[i], message))) return false;
  }
  return true;
}

// Checks a certificate (bytes) against a decoded header, as
// `Verifier::verify_certificate` does. Returns the block digest and signers.
async function checkCertificate(headerBytes, header, certificateBytes, participants, namespace) {
  const certificate = decodeFinalization(certificateBytes, participants.length);
  const digest = await sha256(headerBytes);
  const { proposal } = certificate;
  if (!equalBytes(proposal.payload, digest)) {
    throw new VerifyError(
      "wrong_block",
      `the certificate finalizes block ${toHex(proposal.payload)}, not block ${toHex(digest)}`,
    );
  }
  if (proposal.epoch !== header.epoch || proposal.view !== header.view) {
    throw new VerifyError(
      "wrong_round",
      `the certificate is for round (epoch ${proposal.epoch}, view ${proposal.view}), ` +
        `the block was proposed in (epoch ${header.epoch}, view ${header.view})`,
    );
  }
  if (!(await signaturesHold(certificate, participants, namespace))) {
    throw new VerifyError(
      "bad_certificate",
      "the finalization certificate is not signed by a quorum of the validator set",
    );
  }
  return { digest, signers: certificate.signers };
}

// Checks that `certificateHex` finalizes the block whose encoded header is
// `headerHex`: the header decodes, the certificate names this block's digest
// (SHA-256 of the header bytes) and round, and carries valid signatures of a
// quorum of `validators` under `namespace` (see `consensusNamespace`).
export async function verifyCertificate(headerHex, certificateHex, { namespace, validators } = {}) {
  const participants = participantsOf({ namespace, validators });
  const block = await verifyBlock(headerHex, certificateHex, participants, namespace);
  return { digest: toHex(block.digest), header: headerView(block.header, block.digest), signers: block.signers };
}

async function verifyBlock(headerHex, certificateHex, participants, namespace) {
  const headerBytes = unhex("header_hex", headerHex);
  const certificateBytes = unhex("certificate_hex", certificateHex);
  const header = decodeHeader(headerBytes);
  const { digest, signers } = await checkCertificate(
    headerBytes,
    header,
    certificateBytes,
    participants,
    namespace,
  );
  return { header, digest, signers };
}

// ---------------------------------------------------------------------------
// State proofs (`dirchain_state::store::StateProof`).

// `current::proof::operation::Proof` with 32-byte chunks: the operation's
// location, the bitmap chunk holding its activity bit, and the range proof.
function readOperationProof(r) {
  const loc = r.location();
  const chunk = r.take(CHUNK_BYTES);
  // merkle::Proof: leaf count, inactive peaks, digests (at most 122).
  const leaves = r.location();
  const inactivePeaks = r.varint(64);
  const count = r.length(MAX_PROOF_DIGESTS);
  r.need(count * 32);
  const digests = Array.from({ length: count }, () => r.take(32));
  // An MMR never has a pending chunk: that slot is empty on the wire.
  const partialChunkDigest = r.option(() => r.take(32));
  const opsRoot = r.take(32);
  return { loc, chunk, leaves, inactivePeaks, digests, partialChunkDigest, opsRoot };
}

function decodeStateProof(bytes) {
  const r = new Reader(bytes, "state proof");
  let proof;
  const tag = r.u8();
  if (tag === TAG_INCLUSION) {
    const value = r.vecU8(MAX_VALUE_BYTES);
    const op = readOperationProof(r);
    const nextKey = r.take(32);
    proof = { kind: "inclusion", value, op, nextKey };
  } else if (tag === TAG_EXCLUSION) {
    const variant = r.u8();
    if (variant === EXCLUSION_KEY_VALUE) {
      const op = readOperationProof(r);
      const key = r.take(32);
      const value = r.vecU8(MAX_VALUE_BYTES);
      const nextKey = r.take(32);
      proof = { kind: "span", op, key, value, nextKey };
    } else if (variant === EXCLUSION_COMMIT) {
      const op = readOperationProof(r);
      const metadata = r.option(() => r.vecU8(MAX_VALUE_BYTES));
      proof = { kind: "empty", op, metadata };
    } else {
      throw r.fail(`unknown exclusion kind ${variant}`);
    }
  } else {
    throw r.fail(`unknown proof kind ${tag}`);
  }
  r.end();
  return proof;
}

// The encoded `Operation::Update` of qmdb's ordered variable database.
function encodeUpdate(key, value, nextKey) {
  return concat(Uint8Array.of(UPDATE_CONTEXT), key, varint(value.length), value, nextKey);
}

// The encoded `Operation::CommitFloor(metadata, floor)`.
function encodeCommitFloor(metadata, floor) {
  const meta = metadata === null ? Uint8Array.of(0) : concat(Uint8Array.of(1), varint(metadata.length), metadata);
  return concat(Uint8Array.of(COMMIT_CONTEXT), meta, varint(floor));
}

// `contains_cyclic(start..end, key)`: within [start, end), wrapping past the
// largest key when end <= start (the last key's span reaches the first).
function containsCyclic(start, end, key) {
  const afterStart = compareBytes(key, start) >= 0;
  const beforeEnd = compareBytes(key, end) < 0;
  return compareBytes(start, end) >= 0 ? afterStart || beforeEnd : afterStart && beforeEnd;
}

// `StateProof::verify`: the value `key` holds under `root`, or null if the
// proof shows it holds nothing. Throws `bad_proof` otherwise.
async function checkStateProof(proof, root, key) {
  switch (proof.kind) {
    case "inclusion": {
      // The proof authenticates the key's active update: key, value, next key.
      const op = encodeUpdate(key, proof.value, proof.nextKey);
      if (await operationIsActive(proof.op, op, root)) return proof.value;
      throw badProof("inclusion");
    }
    case "span": {
      // Two adjacent active keys with the asked key strictly between them.
      const between = !equalBytes(proof.key, key) && containsCyclic(proof.key, proof.nextKey, key);
      if (between && (await operationIsActive(proof.op, encodeUpdate(proof.key, proof.value, proof.nextKey), root))) {
        return null;
      }
      throw badProof("exclusion");
    }
    default: {
      // No key at all: the last commit's floor is its own location.
      if (await operationIsActive(proof.op, encodeCommitFloor(proof.metadata, proof.op.loc), root)) return null;
      throw badProof("exclusion");
    }
  }
}

function badProof(kind) {
  return new VerifyError(
    "bad_proof",
    kind === "inclusion"
      ? "the proof does not show that this key holds this value under the block's state root"
      : "the proof does not show that this key is absent under the block's state root",
  );
}

// `OperationProof::verify`: the operation's bit in its chunk is set (it is
// current, not superseded), and the range proof rebuilds `root`.
async function operationIsActive(op, operation, root) {
  const bit = Number(op.loc % CHUNK_BITS);
  if ((op.chunk[bit >> 3] & (1 << (bit & 7))) === 0) return false;
  const rebuilt = await currentRoot(op, operation);
  return rebuilt !== null && equalBytes(rebuilt, root);
}

// MMR: every complete chunk's height-8 ancestor exists as soon as its leaves
// do (`grafting::graftable_chunks`: the first is born at 256 leaves).
function graftableChunks(leaves) {
  const birth = CHUNK_BITS;
  return leaves < birth ? 0n : (leaves - birth) / CHUNK_BITS + 1n;
}

// `RangeProof::reconstruct_root` for one operation and its chunk: the
// canonical root `hash(ops_root || grafted_root [|| next_bit || partial])`,
// or null where the Rust code returns an error.
async function currentRoot(op, operation) {
  const startLoc = op.loc;
  const endLoc = startLoc + 1n;
  if (endLoc > MAX_LEAVES || endLoc > op.leaves) return null;
  const startChunk = startLoc / CHUNK_BITS;
  const endChunk = (endLoc - 1n) / CHUNK_BITS;
  const completeChunks = op.leaves / CHUNK_BITS;
  const nextBit = op.leaves % CHUNK_BITS;
  const hasPartial = nextBit !== 0n;

  let graftable = graftableChunks(op.leaves);
  if (graftable > completeChunks) graftable = completeChunks;
  const pending = completeChunks - graftable;
  // At most one complete chunk may await its height-8 ancestor, and then the
  // proof must carry its digest; an MMR proof has no such slot (its chunks
  // are grafted as soon as they are complete), so none may be pending.
  if (pending !== 0n) return null;

  const chunkDigest = () => sha256(op.chunk);
  if (hasPartial) {
    if (op.partialChunkDigest === null) return null;
    // An operation in the trailing partial chunk: its chunk must be the one
    // the proof commits to.
    if (endChunk === completeChunks && !equalBytes(op.partialChunkDigest, await chunkDigest())) return null;
  } else if (op.partialChunkDigest !== null) {
    return null;
  }

  const hasher = graftingVerifier(startChunk, [op.chunk], graftable);
  const merkleRoot = await reconstructRoot(op, hasher, [operation], startLoc);
  if (merkleRoot === null) return null;
  return hasPartial
    ? sha256(op.opsRoot, merkleRoot, u64be(nextBit), op.partialChunkDigest)
    : sha256(op.opsRoot, merkleRoot);
}

// `grafting::Verifier`: hashes nodes with their ops-tree positions, and at
// the grafting height combines the ops subtree root with its bitmap chunk
// (`hash(chunk || subtree_root)`; an all-zero chunk leaves it as is).
function graftingVerifier(startChunk, chunks, graftable) {
  return {
    leaf: (pos, element) => sha256(u64be(pos), element),
    async node(tree, left, right) {
      const digest = await sha256(u64be(tree.pos), left, right);
      if (tree.height !== GRAFTING_HEIGHT) return digest;
      const chunkIndex = tree.leafStart >> BigInt(GRAFTING_HEIGHT);
      if (chunkIndex >= graftable) return digest;
      const local = chunkIndex - startChunk;
      if (local < 0n || local >= BigInt(chunks.length)) return digest;
      const chunk = chunks[Number(local)];
      return chunk.every((b) => b === 0) ? digest : sha256(chunk, digest);
    },
  };
}

// --- MMR geometry ----------------------------------------------------------

function popcount(n) {
  let count = 0n;
  for (; n > 0n; n >>= 1n) count += n & 1n;
  return count;
}

// The node position of leaf `loc` (equivalently, the size of an MMR of
// `loc` leaves): 2*loc - popcount(loc).
function leafPosition(loc) {
  return 2n * loc - popcount(loc);
}

// The peaks of an MMR of `leaves` leaves, oldest (tallest) first: one
// perfect tree per set bit of the leaf count. Same as `PeakIterator`.
function mmrPeaks(leaves) {
  const peaks = [];
  let leafStart = 0n;
  for (let height = 62; height >= 0; height--) {
    const width = 1n << BigInt(height);
    if ((leaves & width) === 0n) continue;
    const pos = leafPosition(leafStart) + 2n * width - 2n;
    peaks.push({ pos, height, leafStart });
    leafStart += width;
  }
  return peaks;
}

function leafEnd(tree) {
  return tree.leafStart + (1n << BigInt(tree.height));
}

function children(tree) {
  const half = 1n << BigInt(tree.height - 1);
  return [
    { pos: tree.pos - 2n * half, height: tree.height - 1, leafStart: tree.leafStart },
    { pos: tree.pos - 1n, height: tree.height - 1, leafStart: tree.leafStart + half },
  ];
}

const isBefore = (tree, range) => leafEnd(tree) <= range.start;
const isOutside = (tree, range) => isBefore(tree, range) || tree.leafStart >= range.end;
const isInside = (tree, range) => tree.leafStart >= range.start && leafEnd(tree) <= range.end;

// Sibling positions a peak overlapping the range needs, left-first DFS.
function collectSiblings(tree, range, out) {
  if (isOutside(tree, range)) {
    out.push(tree.pos);
  } else if (!isInside(tree, range) && tree.height > 0) {
    for (const child of children(tree)) collectSiblings(child, range, out);
  }
}

// `merkle::Proof::reconstruct_root_inner` under qmdb's backward-fold
// bagging: lays out the proof's digests as the prover did, rebuilds the
// peaks over the range from the elements, and folds the root. Null where
// the Rust code returns an error.
async function reconstructRoot(op, hasher, elements, startLoc) {
  const { leaves, digests } = op;
  if (startLoc >= MAX_LEAVES) return null;
  const endLoc = startLoc + BigInt(elements.length);
  if (endLoc > MAX_LEAVES || endLoc > leaves || elements.length === 0) return null;
  const range = { start: startLoc, end: endLoc };

  // RangePlan: peaks before, overlapping and after the range.
  const before = [];
  const overlapping = [];
  const after = [];
  for (const peak of mmrPeaks(leaves)) {
    if (isBefore(peak, range)) before.push(peak);
    else if (peak.leafStart >= range.end) after.push(peak);
    else overlapping.push(peak);
  }
  const siblings = [];
  for (const peak of overlapping) collectSiblings(peak, range, siblings);

  // Blueprint (backward fold): inactive peaks before the range fold into one
  // accumulator; active after-peaks collapse into one suffix accumulator.
  const totalPeaks = before.length + overlapping.length + after.length;
  if (op.inactivePeaks > BigInt(totalPeaks)) return null;
  const inactive = Number(op.inactivePeaks);
  const foldCount = Math.min(inactive, before.length);
  const prefixActive = before.length - foldCount;
  const firstAfter = before.length + overlapping.length;
  const individualAfter = Math.min(Math.max(inactive - firstAfter, 0), after.length);
  const hasSuffix = after.length > individualAfter;

  // The proof's digests: [fold? | prefix active | after | suffix? | siblings].
  const required = (foldCount > 0 ? 1 : 0) + prefixActive + individualAfter + (hasSuffix ? 1 : 0) + siblings.length;
  if (digests.length !== required) return null;
  let next = 0;
  const peakDigests = [];
  if (foldCount > 0) peakDigests.push(digests[next++]);
  for (let i = 0; i < prefixActive; i++) peakDigests.push(digests[next++]);
  const afterDigests = digests.slice(next, next + individualAfter);
  next += individualAfter;
  const suffix = hasSuffix ? digests[next++] : null;
  const siblingDigests = digests.slice(next);

  const state = { elements, element: 0, siblings: siblingDigests, sibling: 0 };
  for (const peak of overlapping) {
    const digest = await rebuild(peak, range, hasher, state);
    if (digest === null) return null;
    peakDigests.push(digest);
  }
  peakDigests.push(...afterDigests);
  if (suffix !== null) peakDigests.push(suffix);
  if (state.element !== elements.length || state.sibling !== siblingDigests.length) return null;

  const toFold = foldCount === 0 ? inactive : Math.max(inactive - foldCount, 0) + 1;
  return foldRoot(leaves, toFold, inactive, peakDigests);
}

// `Subtree::reconstruct_digest`: a subtree outside the range is the next
// sibling digest, a leaf in the range is the next element's digest.
async function rebuild(tree, range, hasher, state) {
  if (isOutside(tree, range)) {
    if (state.sibling >= state.siblings.length) return null;
    return state.siblings[state.sibling++];
  }
  if (tree.height === 0) {
    if (state.element >= state.elements.length) return null;
    return hasher.leaf(tree.pos, state.elements[state.element++]);
  }
  const [left, right] = children(tree);
  const l = await rebuild(left, range, hasher, state);
  if (l === null) return null;
  const r = await rebuild(right, range, hasher, state);
  if (r === null) return null;
  return hasher.node(tree, l, r);
}

// `Hasher::root_with_folded_peaks` with backward-fold bagging:
// `hash(family || bagging || leaves [|| inactive] || folded peaks)`.
async function foldRoot(leaves, toFold, committed, peaks) {
  const domain = Uint8Array.of(MMR_DOMAIN, BACKWARD_FOLD_DOMAIN);
  if (peaks.length === 0) {
    return toFold === 0 && committed === 0 ? sha256(domain, u64be(leaves)) : null;
  }
  let acc = peaks[0];
  let next = 1;
  for (let i = 0; i < toFold - 1; i++) {
    if (next >= peaks.length) return null;
    acc = await sha256(acc, peaks[next++]);
  }
  // The remaining peaks bag from the newest: fold(p1, fold(p2, ... pk)).
  const rest = peaks.slice(next);
  if (rest.length > 0) {
    let bag = rest[rest.length - 1];
    for (let i = rest.length - 2; i >= 0; i--) bag = await sha256(rest[i], bag);
    acc = await sha256(acc, bag);
  }
  return committed === 0
    ? sha256(domain, u64be(leaves), acc)
    : sha256(domain, u64be(leaves), u64be(BigInt(committed)), acc);
}

// Checks a state proof (hex of the encoded `StateProof`) for `keyHex`
// against `stateRootHex` alone. `{value}`: the bytes the key holds, or null
// if it is proven absent. Throws `malformed` or `bad_proof`.
export async function verifyStateProof(proofHex, stateRootHex, keyHex) {
  const root = digestArg("state root", stateRootHex);
  const key = digestArg("key", keyHex);
  const proof = decodeStateProof(unhex("proof_hex", proofHex));
  return { value: await checkStateProof(proof, root, key) };
}

// ---------------------------------------------------------------------------
// The answer of `GET /v1/proof/{key}` (`Verifier::verify_proof`).

const HEADER_FIELDS = [
  ["digest", "hex"],
  ["parent", "hex"],
  ["height", "u64"],
  ["epoch", "u64"],
  ["view", "u64"],
  ["parent_view", "u64"],
  ["proposer", "hex"],
  ["timestamp_ms", "u64"],
  ["state_root", "hex"],
  ["txs_digest", "hex"],
];

// Whether the JSON header says exactly what the verified bytes say (hex in
// the lowercase the node writes, as the Rust comparison of strings does).
function headerMatches(json, header, digest) {
  if (json === null || typeof json !== "object") return false;
  const shown = headerView(header, digest);
  return HEADER_FIELDS.every(([name, kind]) =>
    kind === "hex" ? json[name] === shown[name] : sameU64(json[name], header[name]),
  );
}

function inconsistent(field) {
  return new VerifyError(
    "inconsistent",
    `the answer's ${field} disagrees with the verified block and proof`,
    field,
  );
}

function requireString(doc, field) {
  if (typeof doc[field] !== "string") throw malformed(field, "missing or not text");
  return doc[field];
}

// Checks an answer of `GET /v1/proof/{key}` for `keyHex`: the block is final
// (its certificate holds for `trust = {namespace, validators}`), the proof
// shows what the key holds (or that it holds nothing) under that block's
// state root, and the JSON fields beside the signed bytes agree with them.
export async function verifyProofDoc(doc, keyHex, trust) {
  const participants = participantsOf(trust);
  const key = digestArg("key", keyHex);
  const keyText = toHex(key);
  if (doc === null || typeof doc !== "object") throw malformed("answer", "not a JSON object");

  // The answer says which key it is about: it must be the one asked.
  const answered = doc.key;
  if (typeof answered !== "string" || !/^[0-9a-fA-F]{64}$/.test(answered) || answered.toLowerCase() !== keyText) {
    throw new VerifyError("wrong_key", `asked about key ${keyText}, the answer is about key ${String(answered)}`);
  }

  const block = await verifyBlock(
    requireString(doc, "header_hex"),
    requireString(doc, "certificate_hex"),
    participants,
    trust.namespace,
  );
  const { header, digest } = block;
  if (!sameU64(doc.height, header.height)) throw inconsistent("height");
  if (!headerMatches(doc.header, header, digest)) throw inconsistent("header");

  const proof = decodeStateProof(unhex("proof_hex", requireString(doc, "proof_hex")));
  const value = await checkStateProof(proof, header.state_root, key);

  const claimed = doc.value_hex === null || doc.value_hex === undefined ? null : unhex("value_hex", doc.value_hex);
  if ((claimed === null) !== (value === null) || (value !== null && !equalBytes(claimed, value))) {
    throw inconsistent("value_hex");
  }
  return {
    key: keyText,
    value: value === null ? null : Uint8Array.from(value),
    height: u64Value(header.height),
    timestamp_ms: u64Value(header.timestamp_ms),
    block: toHex(digest),
    state_root: toHex(header.state_root),
    signers: block.signers,
  };
}
