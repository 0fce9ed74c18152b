// Runs assets/verify.js on the vectors tests/verify_js.rs made with the real
// Rust code: every valid answer must verify with exactly the expected
// outcome, every tampered one must be refused with the expected code, and
// every flipped byte must meet the Rust verifier's verdict.
//
// Usage: node crates/explorer/tests/verify_js.mjs <vectors.json>
// One line per case; exits 1 on any mismatch.

import { readFileSync } from "node:fs";
import * as verify from "../assets/verify.js";

const {
  VerifyError,
  consensusNamespace,
  notaryKey,
  verifyCertificate,
  verifyStateProof,
  verifyProofDoc,
} = verify;

const vectors = JSON.parse(readFileSync(process.argv[2], "utf8"));
let failures = 0;
let notaryRecords = 0;

function report(ok, name, detail = "") {
  console.log(`${ok ? "ok  " : "FAIL"} ${name}${detail ? ` (${detail})` : ""}`);
  if (!ok) failures += 1;
}

const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
/// Deep equality of JSON-like values, whatever the order of object keys.
function canonical(value) {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === "object" && !(value instanceof Uint8Array)) {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical(value[k])]));
  }
  return value;
}
const same = (a, b) => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));

/// `{result}` or `{error}` (a VerifyError); anything else thrown is a bug.
async function outcome(run) {
  try {
    return { result: await run() };
  } catch (error) {
    if (error instanceof VerifyError && typeof error.code === "string" && error.message) {
      return { error };
    }
    return { bug: error };
  }
}

/// Compares an error with `{code, field?}`.
function errorMatches(got, expected) {
  if (!got.error) return [false, got.bug ? `threw ${got.bug}` : "accepted"];
  const { code, field, message } = got.error;
  const ok = code === expected.code && (expected.field === undefined || field === expected.field);
  return [ok, `${code}${field ? `/${field}` : ""}: ${message}`];
}

// The module's surface.
report(
  same(Object.keys(verify).sort(), [
    "VerifyError",
    "consensusNamespace",
    "decodeNotaryRecord",
    "notaryKey",
    "toHex",
    "verifyCertificate",
    "verifyProofDoc",
    "verifyStateProof",
  ]),
  "exports",
  Object.keys(verify).join(", "),
);

const namespace = await consensusNamespace(vectors.trust.genesis_digest);
report(hex(namespace) === vectors.trust.namespace_hex, "consensus namespace");
const trust = { namespace, validators: vectors.trust.validators };

for (const { channel, digest, key } of vectors.notary) {
  const got = await notaryKey(channel, digest);
  report(got === key, `notary key in ${channel}`, got);
}
{
  const got = await outcome(() => notaryKey("not a channel!", vectors.notary[0].digest));
  const [ok, detail] = errorMatches(got, { code: "malformed" });
  report(ok, "notary key of a bad channel", detail);
}

// A block and its certificate alone.
{
  const { header_hex, certificate_hex, digest, header, signers } = vectors.block;
  const got = await outcome(() => verifyCertificate(header_hex, certificate_hex, trust));
  const ok =
    got.result &&
    got.result.digest === digest &&
    same(got.result.header, header) &&
    same(got.result.signers, signers);
  report(ok, "certificate of a block", got.result ? JSON.stringify(got.result.signers) : errorMatches(got, {})[1]);
  const other = { namespace: new Uint8Array(namespace.length), validators: trust.validators };
  const [refused, detail] = errorMatches(
    await outcome(() => verifyCertificate(header_hex, certificate_hex, other)),
    { code: "bad_certificate" },
  );
  report(refused, "certificate under another namespace", detail);
  // Signer indices refer to the sorted set: any listing order, duplicates
  // dropped, gives the same answer.
  for (const [label, validators] of [
    ["validators reversed", [...trust.validators].reverse()],
    ["a validator listed twice", [...trust.validators, trust.validators[0]]],
  ]) {
    const again = await outcome(() => verifyCertificate(header_hex, certificate_hex, { namespace, validators }));
    report(again.result !== undefined && same(again.result.signers, signers), `certificate with ${label}`);
  }
  const [short, why] = errorMatches(
    await outcome(() => verifyCertificate(header_hex, certificate_hex, { namespace, validators: trust.validators.slice(1) })),
    { code: "malformed" },
  );
  report(short, "certificate against three of the four validators", why);
}

// State proofs against a root alone.
for (const { name, proof_hex, root, key, value_hex } of vectors.state_proofs) {
  const got = await outcome(() => verifyStateProof(proof_hex, root, key));
  const value = got.result && (got.result.value === null ? null : hex(got.result.value));
  report(got.result !== undefined && value === value_hex, `state proof ${name}`, value === null ? "absent" : got.error?.message);
}

for (const { name, proof_hex, root, key, error } of vectors.refused_state_proofs) {
  const [ok, detail] = errorMatches(await outcome(() => verifyStateProof(proof_hex, root, key)), error);
  report(ok, `state proof refused: ${name}`, detail);
}

// Whole answers of GET /v1/proof/{key}.
for (const { name, key, doc, expect } of vectors.docs) {
  const got = await outcome(() => verifyProofDoc(doc, key, trust));
  if (expect.error) {
    const [ok, detail] = errorMatches(got, expect.error);
    report(ok, `refused: ${name}`, detail);
    continue;
  }
  if (!got.result) {
    report(false, `valid: ${name}`, errorMatches(got, {})[1]);
    continue;
  }
  const r = got.result;
  const shown = {
    value_hex: r.value === null ? null : hex(r.value),
    height: r.height,
    timestamp_ms: r.timestamp_ms,
    block: r.block,
    state_root: r.state_root,
    signers: r.signers,
  };
  const ok = same(shown, expect) && r.key === key.toLowerCase() && (r.value === null || r.value instanceof Uint8Array);
  report(ok, `valid: ${name}`, ok ? `${r.value === null ? "absent" : `${r.value.length} bytes`}, signers ${r.signers}` : JSON.stringify(shown));
  if (r.value !== null) await checkNotaryRecord(name, key, r.value);
}
report(notaryRecords > 0, "proven notary records decode", `${notaryRecords} decoded`);

// A proven value that decodes as a notarization is the one its key names
// (the explorer shows what it decodes); a cut or padded one is refused.
async function checkNotaryRecord(name, key, value) {
  let record;
  try {
    record = verify.decodeNotaryRecord(value);
  } catch {
    return; // Another kind of record (an account, say).
  }
  notaryRecords += 1;
  const named = (await verify.notaryKey("main", record.digest)) === key.toLowerCase();
  const cut = await outcome(() => verify.decodeNotaryRecord(value.subarray(0, value.length - 1)));
  const padded = await outcome(() => verify.decodeNotaryRecord(Uint8Array.of(...value, 0)));
  report(
    named && cut.error?.code === "malformed" && padded.error?.code === "malformed",
    `notary record of ${name}`,
    `${record.org}/${record.kind} at block ${record.height}`,
  );
}

// Every byte flipped: the same verdict as the Rust verifier.
function unhex(text) {
  return Uint8Array.from(text.match(/../g) ?? [], (h) => parseInt(h, 16));
}

for (const c of vectors.flips) {
  const original = unhex(c.kind === "state_proof" ? c.proof_hex : c[`${c.part}_hex`]);
  for (const { mask, codes } of c.flips) {
    const mismatches = [];
    const tally = {};
    for (let i = 0; i < original.length; i++) {
      const flipped = original.slice();
      flipped[i] ^= mask;
      const got = await outcome(() => {
        if (c.kind === "state_proof") return verifyStateProof(hex(flipped), c.root, c.key);
        return c.part === "header"
          ? verifyCertificate(hex(flipped), c.certificate_hex, trust)
          : verifyCertificate(c.header_hex, hex(flipped), trust);
      });
      const code = got.result ? "ok" : got.error ? got.error.code : `bug: ${got.bug}`;
      tally[code] = (tally[code] ?? 0) + 1;
      if (code !== codes[i]) mismatches.push(`byte ${i}: ${code}, Rust ${codes[i]}`);
    }
    report(
      mismatches.length === 0,
      `${c.name}: each of ${original.length} bytes ^ 0x${mask.toString(16)}`,
      mismatches.length ? mismatches.slice(0, 10).join("; ") : JSON.stringify(tally),
    );
  }
}

console.log(failures === 0 ? "all cases agree" : `${failures} case(s) disagree`);
process.exit(failures === 0 ? 0 : 1);
