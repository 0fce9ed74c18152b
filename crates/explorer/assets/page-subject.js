// "Who used my data": a person enters their identifier and sees every
// access to their data. The identifier goes to the node in a POST body only
// (never in the address, so never in a history, a log or a Referer), and the
// node turns it into the pseudonym access records carry.

import { count, find, post, seg, time } from "./api.js";
import { badge, fill, h, link, paged, problem, section, table } from "./dom.js";

const PAGE = 100;

export async function render(main) {
  const form = h("form", { class: "filters", id: "subject-form", "aria-describedby": "subject-help" },
    h("div", { class: "field wide" },
      h("label", { for: "subject" }, "Your identifier"),
      h("input", { id: "subject", name: "subject", required: true, autocomplete: "off", spellcheck: "false", placeholder: "e.g. your national identity number" })),
    h("div", { class: "field actions" }, h("button", { type: "submit" }, "Show who used my data")));
  const out = h("div", { "aria-live": "polite", id: "subject-result" });
  fill(main,
    h("h1", {}, "Who used my data"),
    h("p", { id: "subject-help", class: "note" },
      "Every exchange of data about you between agencies is recorded on the ledger under a pseudonym. ",
      "Enter your identifier to see them: when, which agency, which data, under which permission and for what purpose. ",
      "The identifier is sent to this node only, in the body of the request, and is not kept."),
    form, out);
  form.addEventListener("submit", async e => {
    e.preventDefault();
    const subject = form.elements.subject.value.trim();
    if (!subject) return;
    fill(out, h("p", { class: "loading" }, "Looking up…"));
    try {
      const purposes = new Map();
      const rows = h("div");
      const fetchPage = cursor => post("/v1/subjects/accesses", { subject, limit: PAGE, cursor });
      await paged(rows, fetchPage, async (items, first) => {
        await purposesOf(items, purposes);
        return table([
          { title: "When", cell: a => link(`/access/${a.id}`, time(a.at)) },
          { title: "Agency", cell: a => a.consumer_org || a.recorder_org },
          { title: "From", cell: a => a.owner_org || "—" },
          { title: "Data", cell: a => (a.item ? link(`/item/${seg(a.item)}?channel=${seg(a.channel)}`, a.item) : "—") },
          { title: "Fields", cell: a => a.fields.join(", ") },
          { title: "Permission", cell: a => link(`/permissions/${a.permission}`, purposes.get(a.permission)?.consumer_org ? "permission" : "unknown permission") },
          { title: "Purpose", cell: a => purposes.get(a.permission)?.purpose || "—" },
          { title: "Records", cell: a => count(a.record_count), cls: "num" },
          { title: "Outcome", cell: a => (a.refusal ? badge(`refused: ${a.refusal}`, "bad") : badge("within permission", "ok")) },
        ], items, { empty: first ? "No agency has recorded an access to data about you." : "" });
      });
      fill(out, section("Accesses to your data", rows));
    } catch (error) {
      fill(out, problem(error));
    }
  });
}

/** The permissions (purpose, consumer) the accesses name, fetched once each. */
async function purposesOf(accesses, known) {
  const missing = [...new Set(accesses.map(a => a.permission))].filter(id => !known.has(id));
  const found = await Promise.all(missing.map(id => find(`/v1/permissions/${id}`)));
  missing.forEach((id, i) => known.set(id, found[i]));
}
