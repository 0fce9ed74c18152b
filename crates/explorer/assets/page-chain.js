// Blocks and transactions: any block with its certificate (verified in this
// browser on request) and its transactions; any transaction by hash.

import { count, find, get, time } from "./api.js";
import { badge, facts, fill, h, link, paged, problem, section, short, table } from "./dom.js";
import { consensusNamespace, verifyCertificate } from "./verify.js";

/** Blocks per page of the block list. */
const BLOCKS_PER_PAGE = 20;
/** Transactions per page of a block. */
const TXS_PER_PAGE = 100;

export async function blocks(main, _params, { query, signal }) {
  const status = await get("/v1/status", {}, signal);
  const top = Math.min(Number(query.get("from")) || status.height, status.height);
  const heights = [];
  for (let hgt = top; hgt >= 0 && heights.length < BLOCKS_PER_PAGE; hgt--) heights.push(hgt);
  const infos = await Promise.all(heights.map(hgt => find(`/v1/blocks/${hgt}`, {}, signal)));
  const jump = h("form", { class: "inline", role: "search", onsubmit: e => {
    e.preventDefault();
    const value = e.target.elements.height.value.trim();
    if (/^\d+$/.test(value)) location.hash = `#/blocks/${value}`;
  } },
  h("label", { for: "height" }, "Open block"),
  h("input", { id: "height", name: "height", inputmode: "numeric", pattern: "[0-9]*", placeholder: "height", autocomplete: "off" }),
  h("button", { type: "submit" }, "Open"));
  const older = top - BLOCKS_PER_PAGE;
  fill(main,
    h("h1", {}, "Blocks"),
    jump,
    table([
      { title: "Height", cell: b => link(`/blocks/${b.header.height}`, `#${b.header.height}`), cls: "num" },
      { title: "Digest", cell: b => short(b.header.digest) },
      { title: "Time", cell: b => time(b.header.timestamp_ms) },
      { title: "Proposer", cell: b => short(b.header.proposer) },
      { title: "Txs", cell: b => count(b.txs.length), cls: "num" },
      { title: "Certificate", cell: b => (b.certificate_hex ? badge("own", "ok") : badge(b.header.height === 0 ? "genesis" : "via successor", "info")) },
    ], infos.filter(Boolean)),
    h("nav", { class: "pager", "aria-label": "Block pages" },
      top < status.height ? h("a", { href: `#/blocks?from=${Math.min(status.height, top + BLOCKS_PER_PAGE)}` }, "← Newer") : null,
      older >= 0 ? h("a", { href: `#/blocks?from=${older}` }, "Older →") : null));
}

export async function block(main, { height }, { signal }) {
  if (!/^\d+$/.test(height)) throw new Error(`"${height}" is not a block height`);
  const [info, status] = await Promise.all([find(`/v1/blocks/${height}`, {}, signal), get("/v1/status", {}, signal)]);
  if (!info) {
    fill(main, h("h1", {}, `Block #${height}`), h("p", { class: "empty" }, `This node has no finalized block ${height} yet; the latest is #${status.height}.`));
    return;
  }
  const hd = info.header;
  const n = Number(height);
  const verdict = h("div", { "aria-live": "polite" });
  const verify = h("button", { type: "button", onclick: async () => {
    verify.disabled = true;
    fill(verdict, h("p", { class: "loading" }, "Verifying…"));
    try {
      const namespace = await consensusNamespace(status.genesis);
      const checked = await verifyCertificate(info.header_hex, info.certificate_hex, { namespace, validators: status.validators });
      fill(verdict, h("p", { class: "verified" }, `Verified in this browser: block ${checked.digest.slice(0, 16)}… is final, signed by ${checked.signers.length} of ${status.validators.length} validators.`));
    } catch (error) {
      fill(verdict, problem(error));
    } finally {
      verify.disabled = false;
    }
  } }, "Verify the certificate in this browser");
  const txList = h("div");
  fill(main,
    h("nav", { class: "pager", "aria-label": "Neighbouring blocks" },
      n > 0 ? link(`/blocks/${n - 1}`, `← #${n - 1}`) : null,
      n < status.height ? link(`/blocks/${n + 1}`, `#${n + 1} →`) : null),
    h("h1", {}, `Block #${hd.height}`),
    section("Header", facts([
      ["Digest", h("code", { class: "hash" }, hd.digest)],
      ["Time", time(hd.timestamp_ms)],
      ["Parent", n > 0 ? link(`/blocks/${n - 1}`, h("code", { class: "hash" }, hd.parent)) : h("code", { class: "hash" }, hd.parent)],
      ["Proposer", h("code", { class: "hash" }, hd.proposer)],
      ["Round", `epoch ${hd.epoch}, view ${hd.view} (parent view ${hd.parent_view})`],
      ["State root", h("code", { class: "hash" }, hd.state_root)],
      ["Transactions", `${count(info.txs.length)} (digest ${hd.txs_digest.slice(0, 16)}…)`],
    ])),
    section("Finalization certificate",
      info.certificate_hex
        ? [h("p", {}, "Signed by a quorum of the validators over this block's digest."), verify, verdict]
        : h("p", { class: "note" }, n === 0
          ? "The genesis block is founded by the genesis document, not by a certificate."
          : "Consensus finalized this block through its successor's certificate; open the next block to check it.")),
    section("Transactions", txList));
  await paged(txList, cursor => get("/v1/txs", { height: n, limit: TXS_PER_PAGE, cursor }, signal), (txs, first) => table([
    { title: "#", cell: t => t.index, cls: "num" },
    { title: "Transaction", cell: t => link(`/tx/${t.hash}`, short(t.hash)) },
    { title: "Kind", cell: t => t.kind },
    { title: "Signer", cell: t => t.signer_org || short(t.signer) },
    { title: "Channel", cell: t => t.channel },
    { title: "Outcome", cell: t => (t.refusal ? badge(`refused: ${t.refusal}`, "bad") : badge("applied", "ok")) },
  ], txs, { empty: first ? "No transactions in this block." : "" }));
}

export async function tx(main, { hash }, { signal }) {
  if (!/^[0-9a-fA-F]{64}$/.test(hash)) throw new Error(`"${hash}" is not a transaction hash (64 hex characters)`);
  const status = await find(`/v1/tx/${hash}`, {}, signal);
  const title = h("h1", {}, "Transaction");
  if (!status || status.status === "unknown") {
    fill(main, title, h("p", { class: "empty" }, "This node knows no transaction with this hash."));
    return;
  }
  if (status.status !== "finalized") {
    fill(main, title, facts([
      ["Hash", h("code", { class: "hash" }, hash)],
      ["Status", badge(status.status, status.status === "rejected" ? "bad" : "info")],
      ["Why", status.error ? `${status.error.message} (${status.error.code})` : null],
    ]));
    return;
  }
  let view = null;
  let cursor;
  do {
    const page = await get("/v1/txs", { height: status.height, limit: 500, cursor }, signal);
    view = page.items.find(t => t.hash === hash.toLowerCase()) || null;
    cursor = page.next_cursor;
  } while (!view && cursor);
  const related = view && {
    "record-access": ["The access record", `/access/${view.hash}`],
    "request-access": ["The request and its permission", `/permissions/${view.hash}`],
  }[view.kind];
  fill(main, title, section("Summary", facts([
    ["Hash", h("code", { class: "hash" }, hash)],
    ["Status", badge("final", "ok")],
    ["Block", link(`/blocks/${status.height}`, `#${status.height}`)],
    ["Position", `${status.index} in its block`],
    ["Kind", view?.kind],
    ["Signer", view ? [view.signer_org ? `${view.signer_org} · ` : "", h("code", { class: "hash" }, view.signer)] : null],
    ["Channel", view?.channel],
    ["Time", view ? time(view.at) : null],
    ["Outcome", status.outcome?.refusal ? badge(`refused: ${status.outcome.refusal}`, "bad") : badge("applied", "ok")],
    ["See", related ? link(related[1], related[0]) : null],
  ])));
}
