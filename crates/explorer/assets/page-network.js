// The network, live: height, block time and finality over the last
// minutes, the validators and whether each is signing, the newest blocks
// and transactions.

import { ago, count, duration, get, median, time } from "./api.js";
import { lineChart } from "./charts.js";
import { badge, fill, h, link, section, short, table } from "./dom.js";
import { every } from "./route.js";

/** Blocks charted: at the idle rate of 2 blocks/s, about five minutes. */
const CHART_BLOCKS = 600;
const REFRESH_MS = 2000;
const RECENT_ROWS = 10;

export async function render(main, _params, { signal }) {
  const stats = h("div", { class: "stats", "aria-live": "off" });
  const chart = h("div");
  const validators = h("div");
  const blocks = h("div");
  const txs = h("div");
  fill(main,
    h("h1", {}, "Network"),
    stats,
    section("Block time and finality", h("p", { class: "note" },
      "Block time is the gap between consecutive blocks' timestamps; finality is from a block's timestamp to this node applying it."), chart),
    h("div", { class: "two" },
      section("Validators", validators),
      section("Latest blocks", blocks)),
    section("Latest transactions", txs));

  const draw = async () => {
    const [status, net, recent] = await Promise.all([
      get("/v1/status", {}, signal),
      get("/v1/network", { blocks: CHART_BLOCKS }, signal),
      get("/v1/txs", { limit: RECENT_ROWS }, signal),
    ]);
    const intervals = net.blocks.map(b => b.interval_ms).filter(v => v !== null);
    const finality = net.blocks.map(b => b.finality_ms);
    const signing = net.validators.filter(v => v.signed > 0).length;
    fill(stats,
      stat("Height", count(status.height), `block ${status.block.slice(0, 10)}…`),
      stat("Last block", ago(status.block_timestamp_ms), time(status.block_timestamp_ms)),
      stat("Block time", duration(median(intervals)), `median of ${intervals.length}`),
      stat("Finality", duration(median(finality)), `median of ${finality.length}`),
      stat("Validators signing", `${signing} of ${net.validators.length}`, `in the last ${net.certificates} certificates`),
      stat("Mempool", count(status.mempool.txs), `${count(status.peers)} peers`));

    const oldestFirst = [...net.blocks].reverse();
    fill(chart, lineChart({
      label: "Block time and finality over the last blocks",
      format: duration,
      series: [
        { name: "block time", cls: "c0", points: oldestFirst.map(b => [b.timestamp_ms, b.interval_ms]) },
        { name: "finality", cls: "c1", points: oldestFirst.map(b => [b.timestamp_ms, b.finality_ms]) },
      ],
    }));

    fill(validators, table([
      { title: "Key", cell: v => [short(v.public_key), v.this_node ? badge("this node", "info") : null] },
      { title: "Status", cell: v => (v.signed > 0 ? badge("signing", "ok") : badge("not signing", "bad")) },
      { title: "Signed", cell: v => `${v.signed} of ${net.certificates}`, cls: "num" },
      { title: "Last signed", cell: v => (v.last_signed_height ? link(`/blocks/${v.last_signed_height}`, `#${v.last_signed_height}`) : "—"), cls: "num" },
    ], net.validators));

    fill(blocks, table([
      { title: "Height", cell: b => link(`/blocks/${b.height}`, `#${b.height}`), cls: "num" },
      { title: "Time", cell: b => time(b.timestamp_ms) },
      { title: "Txs", cell: b => count(b.txs), cls: "num" },
      { title: "Finality", cell: b => duration(b.finality_ms), cls: "num" },
    ], net.blocks.slice(0, RECENT_ROWS), { empty: "No block applied since this node started." }));

    fill(txs, table([
      { title: "Transaction", cell: t => link(`/tx/${t.hash}`, short(t.hash)) },
      { title: "Kind", cell: t => t.kind },
      { title: "Signer", cell: t => t.signer_org || short(t.signer) },
      { title: "Block", cell: t => link(`/blocks/${t.height}`, `#${t.height}`), cls: "num" },
      { title: "Time", cell: t => time(t.at) },
      { title: "Outcome", cell: t => (t.refusal ? badge(`refused: ${t.refusal}`, "bad") : badge("applied", "ok")) },
    ], recent.items, { empty: "No transactions yet." }));
  };
  await draw();
  every(REFRESH_MS, signal, draw);
}

function stat(label, value, detail) {
  return h("div", { class: "stat" }, h("div", { class: "label" }, label), h("div", { class: "value" }, value), h("div", { class: "detail" }, detail));
}
