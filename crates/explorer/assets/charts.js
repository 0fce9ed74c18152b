// Small SVG charts, drawn from data with no library: a line chart of values
// over time and a stacked bar chart of counts per day. Each is an image with
// a text description for screen readers, and its data as a table one click
// away.

import { h } from "./dom.js";

const HEIGHT = 240;
/** Drawn at the width of the page's content (within bounds), so text is
 * not stretched or shrunk with the picture. */
const MIN_WIDTH = 300;
const MAX_WIDTH = 1160;
/** A card's padding and border, both sides. */
const CARD_INSET = 40;

function chartWidth() {
  const main = document.getElementById("main");
  const available = (main ? main.clientWidth : 720) - CARD_INSET;
  return Math.round(Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, available)));
}
const PAD = { top: 12, right: 16, bottom: 28, left: 56 };
const TICKS = 4;

/** A "nice" upper bound and step for an axis reaching `max`; whole steps
 * for counts. */
function scale(max, whole = false) {
  if (!(max > 0)) return whole ? { top: TICKS, step: 1 } : { top: 1, step: 0.25 };
  const raw = max / TICKS;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  let step = [1, 2, 2.5, 5, 10].map(m => m * magnitude).find(s => s >= raw);
  if (whole) step = Math.max(1, Math.ceil(step));
  return { top: step * TICKS, step };
}

function frame(width, label, description, body, legend, tableView) {
  const id = `chart-${Math.random().toString(36).slice(2)}`;
  return h("figure", { class: "chart" },
    h("svg", { viewBox: `0 0 ${width} ${HEIGHT}`, role: "img", "aria-labelledby": `${id}-t`, "aria-describedby": `${id}-d`, preserveAspectRatio: "none" },
      h("title", { id: `${id}-t` }, label),
      body),
    h("figcaption", {},
      h("span", { id: `${id}-d`, class: "sr" }, description),
      legend),
    h("details", { class: "data" }, h("summary", {}, "Show the data"), tableView));
}

function axes(width, top, step, format) {
  const inner = HEIGHT - PAD.top - PAD.bottom;
  const lines = [];
  for (let v = 0; v <= top + step / 2; v += step) {
    const y = PAD.top + inner - (v / top) * inner;
    lines.push(h("line", { x1: PAD.left, x2: width - PAD.right, y1: y, y2: y, class: "grid" }));
    lines.push(h("text", { x: PAD.left - 6, y: y + 4, class: "tick", "text-anchor": "end" }, format(v)));
  }
  return lines;
}

function legendOf(series) {
  return h("span", { class: "legend" }, series.map(s => h("span", { class: `key ${s.cls}` }, s.name)));
}

/**
 * Values over time. `series`: `[{name, cls, points: [[timeMs, value|null]]}]`
 * (a null value breaks the line). `format` shows a value.
 */
export function lineChart({ label, series, format = String }) {
  const width = chartWidth();
  const all = series.flatMap(s => s.points);
  const xs = all.map(p => p[0]);
  const values = all.map(p => p[1]).filter(v => v !== null);
  if (!xs.length) return h("p", { class: "empty" }, "No data yet.");
  const x0 = Math.min(...xs);
  const x1 = Math.max(...xs, x0 + 1);
  const { top, step } = scale(Math.max(...values, 0));
  const innerW = width - PAD.left - PAD.right;
  const innerH = HEIGHT - PAD.top - PAD.bottom;
  const px = t => PAD.left + ((t - x0) / (x1 - x0)) * innerW;
  const py = v => PAD.top + innerH - (Math.min(v, top) / top) * innerH;
  const paths = series.map(s => {
    let d = "";
    let pen = false;
    for (const [t, v] of s.points) {
      if (v === null) { pen = false; continue; }
      d += `${pen ? "L" : "M"}${px(t).toFixed(1)},${py(v).toFixed(1)}`;
      pen = true;
    }
    return h("path", { d, class: `line ${s.cls}` });
  });
  const span = Math.round((x1 - x0) / 1000);
  const times = [
    h("text", { x: PAD.left, y: HEIGHT - 8, class: "tick" }, `${span} s ago`),
    h("text", { x: width - PAD.right, y: HEIGHT - 8, class: "tick", "text-anchor": "end" }, "now"),
  ];
  const description = series.map(s => {
    const vs = s.points.map(p => p[1]).filter(v => v !== null);
    return vs.length ? `${s.name}: from ${format(Math.min(...vs))} to ${format(Math.max(...vs))}, latest ${format(vs[vs.length - 1])}` : `${s.name}: no data`;
  }).join(". ");
  const rows = series[0].points.map((p, i) => h("tr", {},
    h("td", {}, new Date(p[0]).toLocaleTimeString()),
    series.map(s => h("td", {}, s.points[i] && s.points[i][1] !== null ? format(s.points[i][1]) : ""))));
  const tableView = h("div", { class: "scroll" }, h("table", {},
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "time"), series.map(s => h("th", { scope: "col" }, s.name)))),
    h("tbody", {}, rows)));
  return frame(width, label, description, [axes(width, top, step, format), paths, times], legendOf(series), tableView);
}

const PALETTE = ["c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7"];

/**
 * Counts per day, stacked. `days`: ordered `YYYY-MM-DD`; `stacks`:
 * `[{name, values: {day: count}}]`, drawn in order from the bottom.
 */
export function barChart({ label, days, stacks }) {
  const width = chartWidth();
  if (!days.length) return h("p", { class: "empty" }, "No accesses in this period.");
  const totals = days.map(d => stacks.reduce((sum, s) => sum + (s.values[d] || 0), 0));
  const { top, step } = scale(Math.max(...totals), true);
  const innerW = width - PAD.left - PAD.right;
  const innerH = HEIGHT - PAD.top - PAD.bottom;
  const slot = innerW / days.length;
  const bar = Math.max(2, slot * 0.7);
  const rects = [];
  days.forEach((d, i) => {
    let base = 0;
    stacks.forEach((s, k) => {
      const v = s.values[d] || 0;
      if (!v) return;
      const y = PAD.top + innerH - ((base + v) / top) * innerH;
      const height = (v / top) * innerH;
      rects.push(h("rect", { x: PAD.left + i * slot + (slot - bar) / 2, y, width: bar, height, class: `bar ${PALETTE[k % PALETTE.length]}` },
        h("title", {}, `${d} · ${s.name}: ${v}`)));
      base += v;
    });
  });
  const every = Math.ceil(days.length / Math.max(2, Math.floor(width / 90)));
  const labels = days.map((d, i) => (i % every === 0
    ? h("text", { x: PAD.left + i * slot + slot / 2, y: HEIGHT - 8, class: "tick", "text-anchor": "middle" }, d.slice(5))
    : null));
  const series = stacks.map((s, k) => ({ name: s.name, cls: PALETTE[k % PALETTE.length] }));
  const sum = totals.reduce((a, b) => a + b, 0);
  const description = `${sum} accesses over ${days.length} days; ` +
    stacks.map(s => `${s.name}: ${Object.values(s.values).reduce((a, b) => a + b, 0)}`).join(", ");
  const tableView = h("div", { class: "scroll" }, h("table", {},
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "day"), stacks.map(s => h("th", { scope: "col" }, s.name)))),
    h("tbody", {}, days.map(d => h("tr", {}, h("td", {}, d), stacks.map(s => h("td", {}, s.values[d] || 0)))))));
  return frame(width, label, description, [axes(width, top, step, v => String(Math.round(v))), rects, labels], legendOf(series), tableView);
}
