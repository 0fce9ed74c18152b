// The audit trail: access records filtered by consumer, provider, item, time
// and outcome, a chart of accesses per agency per day, and the filtered
// records as CSV; a permission's page and an access record's page.

import { allOrgs, count, download, find, get, seg, time, utcDay } from "./api.js";
import { barChart } from "./charts.js";
import { badge, facts, fill, h, link, paged, problem, section, short, table } from "./dom.js";
import { here, setQuery } from "./route.js";

const PAGE = 50;
const DAY_MS = 86_400_000;
/** Days the chart shows when no start is given (the API's own default). */
const DEFAULT_DAYS = 30;
/** The longest range the daily counts cover (the API's limit). */
const MAX_DAYS = 367;

/** The filters of the address, as the API takes them. */
function filtersOf(query) {
  const dayStart = text => (/^\d{4}-\d{2}-\d{2}$/.test(text || "") ? Date.parse(`${text}T00:00:00Z`) : null);
  const from = dayStart(query.get("from"));
  const to = dayStart(query.get("to"));
  const outcome = query.get("outcome");
  return {
    consumer: query.get("consumer") || "",
    provider: query.get("provider") || "",
    item: query.get("item") || "",
    from_ms: from ?? "",
    // The "to" day is included: the range ends where the next day starts.
    to_ms: to === null ? "" : to + DAY_MS,
    refused: outcome === "refused" ? "true" : outcome === "accepted" ? "false" : "",
  };
}

export async function render(main, _params, { query, signal }) {
  const orgs = await allOrgs();
  const orgOptions = selected => [h("option", { value: "" }, "any"),
    orgs.map(o => h("option", { value: o.id, selected: o.id === selected }, `${o.name} (${o.id})`))];
  const form = h("form", { class: "filters", "aria-label": "Filter access records" },
    h("div", { class: "field" }, h("label", { for: "consumer" }, "Consumer"), h("select", { id: "consumer", name: "consumer" }, orgOptions(query.get("consumer")))),
    h("div", { class: "field" }, h("label", { for: "provider" }, "Provider"), h("select", { id: "provider", name: "provider" }, orgOptions(query.get("provider")))),
    h("div", { class: "field" }, h("label", { for: "item" }, "Item"), h("input", { id: "item", name: "item", value: query.get("item") || "", placeholder: "e.g. tax/income", autocomplete: "off" })),
    h("div", { class: "field" }, h("label", { for: "from" }, "From (UTC day)"), h("input", { id: "from", name: "from", type: "date", value: query.get("from") || "" })),
    h("div", { class: "field" }, h("label", { for: "to" }, "To (UTC day, included)"), h("input", { id: "to", name: "to", type: "date", value: query.get("to") || "" })),
    h("div", { class: "field" }, h("label", { for: "outcome" }, "Outcome"),
      h("select", { id: "outcome", name: "outcome" }, [["", "all"], ["accepted", "within a permission"], ["refused", "refused"]]
        .map(([v, t]) => h("option", { value: v, selected: v === (query.get("outcome") || "") }, t)))),
    h("div", { class: "field actions" }, h("button", { type: "submit" }, "Apply"), h("button", { type: "button", id: "export" }, "Export CSV")));
  const chart = h("div");
  const results = h("div", { "aria-live": "polite" });
  const notice = h("div", { "aria-live": "polite" });
  fill(main, h("h1", {}, "Audit: access records"), form, notice, section("Accesses per agency per day", chart), section("Records", results));

  form.addEventListener("submit", e => {
    e.preventDefault();
    const f = form.elements;
    // `elements.item` is the collection's own method: ask by name.
    const item = f.namedItem("item").value.trim();
    setQuery({ consumer: f.consumer.value, provider: f.provider.value, item, from: f.from.value, to: f.to.value, outcome: f.outcome.value }, true);
    draw(filtersOf(here().query));
  });
  form.querySelector("#export").addEventListener("click", () => exportCsv(filtersOf(here().query), notice));

  const draw = async filter => {
    fill(notice);
    const to = filter.to_ms || Date.now();
    const from = filter.from_ms || Math.max(0, to - DEFAULT_DAYS * DAY_MS);
    const tooLong = to - from > MAX_DAYS * DAY_MS;
    const records = h("div");
    const [daily] = await Promise.all([
      tooLong ? null : get("/v1/access/daily", { ...filter, from_ms: from, to_ms: to }, signal),
      paged(records, cursor => get("/v1/access", { ...filter, limit: PAGE, cursor }, signal),
        (items, first) => accessTable(items, first ? "No access record matches." : "")),
    ]);
    if (daily) {
      const days = [];
      for (let t = from; t < to; t += DAY_MS) days.push(utcDay(t));
      if (!days.includes(utcDay(to - 1))) days.push(utcDay(to - 1));
      const consumers = [...new Set(daily.days.map(d => d.consumer_org || "(unknown permission)"))].sort();
      fill(chart, barChart({
        label: "Accesses per consuming agency per day",
        days,
        stacks: consumers.map(c => ({
          name: c,
          values: Object.fromEntries(daily.days.filter(d => (d.consumer_org || "(unknown permission)") === c).map(d => [d.day, d.accepted + d.refused])),
        })),
      }));
    } else {
      fill(chart, h("p", { class: "note" }, `The chart covers at most ${MAX_DAYS} days; narrow the dates to see it.`));
    }
    fill(results, records);
  };
  await draw(filtersOf(query));
}

function accessTable(items, empty) {
  return table([
    { title: "Time", cell: a => link(`/access/${a.id}`, time(a.at)) },
    { title: "Consumer", cell: a => a.consumer_org || "—" },
    { title: "Provider", cell: a => a.owner_org || "—" },
    { title: "Item", cell: a => (a.item ? link(`/item/${seg(a.item)}?channel=${seg(a.channel)}`, a.item) : "—") },
    { title: "Fields", cell: a => a.fields.join(", ") },
    { title: "Records", cell: a => count(a.record_count), cls: "num" },
    { title: "Outcome", cell: a => (a.refusal ? badge(`refused: ${a.refusal}`, "bad") : badge("within permission", "ok")) },
  ], items, { empty });
}

/** Downloads the filtered records as CSV; a refusal (too many rows) is shown, not saved. */
async function exportCsv(filter, notice) {
  fill(notice, h("p", { class: "loading" }, "Preparing the export…"));
  try {
    const csv = await download("/v1/access/export", filter);
    const url = URL.createObjectURL(new Blob([csv], { type: "text/csv" }));
    const a = h("a", { href: url, download: "dirchain-access.csv" }, "download");
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    fill(notice, h("p", { class: "verified" }, `Exported ${csv.trim().split("\n").length - 1} records as dirchain-access.csv.`));
  } catch (error) {
    fill(notice, problem(error));
  }
}

export async function permission(main, { id }, { signal }) {
  const [request, granted] = await Promise.all([find(`/v1/requests/${seg(id)}`, {}, signal), find(`/v1/permissions/${seg(id)}`, {}, signal)]);
  if (!request && !granted) {
    fill(main, h("h1", {}, "Permission"), h("p", { class: "empty" }, "No request or permission with this id."));
    return;
  }
  const r = request;
  const p = granted;
  const accesses = await get("/v1/access", { permission: id, limit: PAGE }, signal);
  const item = (p || r).item;
  const channel = (p || r).channel;
  fill(main,
    h("h1", {}, `${(p || r).consumer_org} → ${item}`),
    section("Permission", p ? facts([
      ["Status", badge(p.status, p.status === "live" ? "ok" : "bad")],
      ["Item", link(`/item/${seg(item)}?channel=${seg(channel)}`, item)],
      ["Owner", link(`/orgs/${seg(p.owner_org)}`, p.owner_org)],
      ["Consumer", link(`/orgs/${seg(p.consumer_org)}`, p.consumer_org)],
      ["Purpose", p.purpose],
      ["Under duty", p.requester_duty],
      ["Fields", p.fields.join(", ")],
      ["Granted", time(p.granted_at)],
      ["Expires", time(p.expires_at)],
      ["Revoked", p.revoked ? `${time(p.revoked.at)}: ${p.revoked.reason}` : null],
      ["Id", h("code", { class: "hash" }, p.id)],
    ]) : h("p", { class: "empty" }, "Not granted (yet).")),
    r ? section("Request", facts([
      ["Status", badge(r.status, r.status === "approved" ? "ok" : r.status === "denied" ? "bad" : "info")],
      ["Asked", time(r.requested_at)],
      ["Fields asked", r.fields.join(", ")],
      ["Purpose", r.purpose],
      ["Requested by", short(r.requester)],
      ["Decision", r.reason],
      ["Transaction", link(`/tx/${r.id}`, short(r.id))],
    ])) : null,
    section("Accesses under it", accessTable(accesses.items, "No access recorded under this permission."),
      accesses.next_cursor ? link(`/audit?item=${seg(item)}`, "More in the audit view") : null));
}

export async function access(main, { id }, { signal }) {
  const a = await find(`/v1/access/${seg(id)}`, {}, signal);
  if (!a) {
    fill(main, h("h1", {}, "Access record"), h("p", { class: "empty" }, "No access record with this id."));
    return;
  }
  fill(main,
    h("h1", {}, "Access record"),
    section("Exchange", facts([
      ["Outcome", a.refusal ? badge(`refused: ${a.refusal}`, "bad") : badge("within a live permission", "ok")],
      ["Time", time(a.at)],
      ["Block", link(`/blocks/${a.height}`, `#${a.height}`)],
      ["Consumer", a.consumer_org],
      ["Provider", a.owner_org],
      ["Item", a.item ? link(`/item/${seg(a.item)}?channel=${seg(a.channel)}`, a.item) : null],
      ["Permission", link(`/permissions/${a.permission}`, short(a.permission))],
      ["Recorded by", [a.recorder_org, " · ", short(a.recorder)]],
      ["Asked by", a.requester ? short(a.requester) : null],
      ["Fields", a.fields.join(", ") || "none"],
      ["Records", count(a.record_count)],
      ["Persons concerned", `${a.subject_refs.length} (named only by pseudonym)`],
      ["Query digest", h("code", { class: "hash" }, a.query_digest)],
      ["Response digest", h("code", { class: "hash" }, a.response_digest)],
      ["Transaction", link(`/tx/${a.id}`, short(a.id))],
    ])));
}
