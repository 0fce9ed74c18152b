// The catalog: search as you type, with filters, and an item's page with its
// fields, versions, the permissions granted on it and its accesses over time.

import { allOrgs, find, get, seg, time, utcDay } from "./api.js";
import { barChart } from "./charts.js";
import { badge, facts, fill, h, link, more, problem, section, table } from "./dom.js";
import { setQuery } from "./route.js";

/** Results per page of a search. */
const PAGE = 25;
/** Typing pauses this long before a search is sent. */
const TYPING_PAUSE_MS = 150;
const SHARE_CLASSES = ["unconditional", "conditional", "none"];
const DAY_MS = 86_400_000;
/** Days of an item's access chart. */
const CHART_DAYS = 30;

export async function search(main, _params, { query, signal }) {
  const orgs = await allOrgs();
  const form = h("form", { class: "filters", role: "search", onsubmit: e => e.preventDefault() },
    h("div", { class: "field wide" }, h("label", { for: "q" }, "Search"),
      h("input", { id: "q", name: "q", type: "search", value: query.get("q") || "", placeholder: "title, description or field name", autocomplete: "off" })),
    h("div", { class: "field" }, h("label", { for: "org" }, "Organisation"),
      h("select", { id: "org", name: "org" }, h("option", { value: "" }, "any"),
        orgs.map(o => h("option", { value: o.id, selected: o.id === query.get("org") }, `${o.name} (${o.id})`)))),
    h("div", { class: "field" }, h("label", { for: "share_class" }, "Share class"),
      h("select", { id: "share_class", name: "share_class" }, h("option", { value: "" }, "any"),
        SHARE_CLASSES.map(c => h("option", { value: c, selected: c === query.get("share_class") }, c)))),
    h("div", { class: "field" }, h("label", { for: "duty" }, "Duty"),
      h("input", { id: "duty", name: "duty", value: query.get("duty") || "", placeholder: "e.g. tax/assessment", autocomplete: "off" })),
    h("div", { class: "field check" },
      h("input", { id: "include_retired", name: "include_retired", type: "checkbox", checked: query.get("include_retired") === "true" }),
      h("label", { for: "include_retired" }, "include retired")));
  const results = h("div", { id: "results", "aria-live": "polite" });
  fill(main, h("h1", {}, "Catalog"), form, results);

  let inFlight = null;
  let pause = null;
  const run = async () => {
    const f = form.elements;
    const filter = {
      q: f.q.value.trim(),
      org: f.org.value,
      share_class: f.share_class.value,
      duty: f.duty.value.trim(),
      include_retired: f.include_retired.checked ? "true" : "",
    };
    setQuery(filter);
    inFlight?.abort();
    inFlight = new AbortController();
    const mine = inFlight;
    signal.addEventListener("abort", () => mine.abort());
    try {
      const page = await get("/v1/catalog", { ...filter, limit: PAGE }, mine.signal);
      fill(results, h("p", { class: "count" }, page.next_cursor ? `More than ${page.items.length} items` : `${page.items.length} item${page.items.length === 1 ? "" : "s"}`));
      const list = h("ol", { class: "results" });
      results.append(list);
      const add = (items, cursor) => {
        list.append(...items.map(resultItem));
        results.querySelector("button.more")?.remove();
        const button = more(cursor, async next => {
          const p = await get("/v1/catalog", { ...filter, limit: PAGE, cursor: next }, mine.signal);
          add(p.items, p.next_cursor);
        });
        if (button) results.append(button);
      };
      add(page.items, page.next_cursor);
      if (!page.items.length) results.append(h("p", { class: "empty" }, "No item matches."));
    } catch (error) {
      if (error.name !== "AbortError") fill(results, problem(error));
    }
  };
  const soon = () => {
    clearTimeout(pause);
    pause = setTimeout(run, TYPING_PAUSE_MS);
  };
  form.addEventListener("input", soon);
  form.addEventListener("change", soon);
  await run();
}

function resultItem(i) {
  const v = i.current;
  return h("li", {},
    h("h3", {}, link(`/item/${seg(i.id)}?channel=${seg(i.channel)}`, v.title)),
    h("p", { class: "meta" }, `${i.id} · ${i.org} · `, badge(v.share_class, v.share_class === "none" ? "bad" : "info"),
      i.retired ? [" ", badge("retired", "bad")] : null, ` · ${v.fields.length} fields`),
    h("p", {}, v.description));
}

export async function item(main, { id }, { query, signal }) {
  const channel = query.get("channel") || "main";
  const detail = await find(`/v1/catalog/${seg(id)}`, { channel }, signal);
  if (!detail) {
    fill(main, h("h1", {}, id), h("p", { class: "empty" }, `No catalog item ${id} in channel ${channel}.`));
    return;
  }
  const i = detail.item;
  const v = i.current;
  const to = Date.now();
  const from = to - CHART_DAYS * DAY_MS;
  const [permissions, daily] = await Promise.all([
    get("/v1/permissions", { item: id, channel, limit: 500 }, signal),
    get("/v1/access/daily", { item: id, from_ms: from, to_ms: to }, signal),
  ]);
  const days = [];
  for (let t = from; t < to + DAY_MS; t += DAY_MS) {
    const d = utcDay(t);
    if (!days.includes(d)) days.push(d);
  }
  const sum = key => Object.fromEntries(days.map(d => [d, daily.days.filter(x => x.day === d).reduce((a, x) => a + x[key], 0)]));
  fill(main,
    h("h1", {}, v.title, " ", h("small", {}, i.id)),
    h("p", {}, link(`/orgs/${seg(i.org)}`, i.org), " · ", badge(v.share_class, v.share_class === "none" ? "bad" : "info"),
      i.retired ? [" ", badge(`retired: ${i.retirement?.reason || ""}`, "bad")] : null),
    h("p", { class: "lead" }, v.description),
    section("About", facts([
      ["Channel", i.channel],
      ["Version", `${v.version}, published ${time(v.published_at)}`],
      ["Share class", v.share_class],
      ["Open data class", v.open_class],
      ["Duties served", v.duties.length ? v.duties.join(", ") : "none"],
      ["Update frequency", v.update_frequency],
      ["Format", v.format],
    ])),
    section("Fields", table([
      { title: "Field", cell: f => f.name },
      { title: "Type", cell: f => f.field_type },
      { title: "Sensitivity", cell: f => (f.sensitivity === "public" ? f.sensitivity : badge(f.sensitivity, "warn")) },
    ], v.fields)),
    section(`Accesses, last ${CHART_DAYS} days`, barChart({
      label: `Accesses to ${v.title} per day`,
      days,
      stacks: [{ name: "within a permission", values: sum("accepted") }, { name: "refused", values: sum("refused") }],
    }), h("p", {}, link(`/audit?item=${seg(id)}`, "All access records of this item"))),
    section("Permissions granted", table([
      { title: "Consumer", cell: p => link(`/permissions/${p.id}`, p.consumer_org) },
      { title: "Purpose", cell: p => p.purpose },
      { title: "Fields", cell: p => p.fields.join(", ") },
      { title: "Granted", cell: p => time(p.granted_at) },
      { title: "Expires", cell: p => time(p.expires_at) },
      { title: "Status", cell: p => badge(p.status, p.status === "live" ? "ok" : "bad") },
    ], permissions.items, { empty: "No permission granted on this item." })),
    section("Versions", table([
      { title: "Version", cell: x => x.version, cls: "num" },
      { title: "Published", cell: x => time(x.published_at) },
      { title: "Title", cell: x => x.title },
      { title: "Share class", cell: x => x.share_class },
      { title: "Fields", cell: x => x.fields.map(f => f.name).join(", ") },
    ], detail.versions)));
}
