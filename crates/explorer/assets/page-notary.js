// Check a file against the notary. The file is hashed here, in the browser
// (it never leaves the machine); the node is asked for a proof of the
// notarization's presence or absence, and the proof and the finalization
// certificate of the block it was made at are verified here too, against the
// validators the network was founded with. Nothing the node says is shown as
// verified unless it comes out of those checks.

import { find, get, time } from "./api.js";
import { facts, fill, h, problem, section } from "./dom.js";
import { VerifyError, consensusNamespace, decodeNotaryRecord, notaryKey, toHex, verifyProofDoc } from "./verify.js";

/** The channel notarizations are checked in. */
const CHANNEL = "main";
/** Largest file the page hashes: WebCrypto hashes a file held whole in
 * memory. Larger files: `dirchain notary check FILE` hashes as it reads. */
const MAX_FILE_BYTES = 1024 ** 3;

export async function render(main) {
  const input = h("input", { id: "file", type: "file" });
  const drop = h("div", { class: "drop" },
    h("label", { for: "file" }, "Choose a file to check"), input,
    h("p", { class: "note" }, "…or drop it here. The file is hashed in this browser and never sent anywhere; only its SHA-256 digest is looked up."));
  const out = h("div", { "aria-live": "polite", id: "notary-result" });
  fill(main, h("h1", {}, "Notary check"), drop, out);
  const check = async file => {
    if (!file) return;
    if (file.size > MAX_FILE_BYTES) {
      fill(out, problem(new Error(`${file.name} is larger than 1 GiB, too large to hash in a browser; check it with \`dirchain notary check\` instead`)));
      return;
    }
    fill(out, h("p", { class: "loading" }, `Hashing ${file.name}…`));
    try {
      const digest = toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", await file.arrayBuffer())));
      fill(out, h("p", { class: "loading" }, "Asking the node for a proof…"));
      fill(out, await verdict(file, digest));
    } catch (error) {
      fill(out, problem(error));
    }
  };
  input.addEventListener("change", () => check(input.files[0]));
  drop.addEventListener("dragover", e => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", e => {
    e.preventDefault();
    drop.classList.remove("over");
    check(e.dataTransfer.files[0]);
  });
}

async function verdict(file, digest) {
  const status = await get("/v1/status");
  const key = await notaryKey(CHANNEL, digest);
  const doc = await get(`/v1/proof/${key}`);
  const trust = { namespace: await consensusNamespace(status.genesis), validators: status.validators };
  let proven;
  try {
    proven = await verifyProofDoc(doc, key, trust);
  } catch (error) {
    const why = error instanceof VerifyError ? `${error.message} (${error.code})` : String(error);
    return h("div", { class: "result bad", id: "notary-verdict", "data-verdict": "unverifiable" },
      h("h2", {}, "The node's answer does not verify"),
      h("p", {}, `The proof for ${file.name} was refused in this browser: ${why}. Do not rely on this node's answer; ask another node.`));
  }
  const checked = [
    ["File", `${file.name} (${file.size} bytes)`],
    ["SHA-256", h("code", { class: "hash" }, digest)],
    ["Proven at", `block #${proven.height}, ${time(proven.timestamp_ms)}`],
    ["Certificate", `signed by ${proven.signers.length} of ${status.validators.length} validators`],
    ["Network", h("code", { class: "hash", title: "Compare with the genesis digest your consortium published" }, `genesis ${status.genesis}`)],
    ["State root", h("code", { class: "hash" }, proven.state_root)],
  ];
  if (!proven.value) {
    return h("div", { class: "result", id: "notary-verdict", "data-verdict": "absent" },
      h("h2", {}, "Not notarized"),
      h("p", {}, "Verified in this browser: the ledger holds no notarization of this file's digest."),
      section("What was checked", facts(checked)));
  }
  let record = null;
  try {
    record = decodeNotaryRecord(proven.value);
  } catch {
    // Shown below as a proven value that is not this file's notarization.
  }
  if (!record || record.digest !== digest) {
    return h("div", { class: "result bad", id: "notary-verdict", "data-verdict": "unverifiable" },
      h("h2", {}, "The proven record is not this file's notarization"),
      h("p", {}, "The proof holds, but the value it proves is not a notarization of this digest."));
  }
  // The index adds nothing the proof does not; it is asked only for a link to the transaction.
  const view = await find(`/v1/notary/${digest}`, { channel: CHANNEL });
  return h("div", { class: "result ok", id: "notary-verdict", "data-verdict": "notarized" },
    h("h2", {}, "Notarized"),
    h("p", {}, `Verified in this browser: notarized by ${record.org} on ${time(record.at)}, in block #${record.height}.`),
    section("The notarization", facts([
      ["Organisation", record.org],
      ["Kind", record.kind],
      ["Note", record.meta],
      ["Notarized", time(record.at)],
      ["In block", `#${record.height}`],
      ["Transaction", view ? h("a", { href: `#/tx/${record.tx}` }, record.tx) : record.tx],
    ])),
    section("What was checked", facts(checked)));
}
