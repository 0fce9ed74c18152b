// Organisations: who is in the consortium, their members, their duties and
// the catalog items they publish.

import { find, get, seg, time } from "./api.js";
import { badge, fill, h, link, more, paged, section, short, table } from "./dom.js";

const PAGE = 100;

export async function list(main, _params, { signal }) {
  const into = h("div");
  fill(main, h("h1", {}, "Organisations"), into);
  await paged(into, cursor => get("/v1/orgs", { limit: PAGE, cursor }, signal), (orgs, first) => table([
    { title: "Id", cell: o => link(`/orgs/${seg(o.id)}`, o.id) },
    { title: "Name", cell: o => o.name },
    { title: "Status", cell: o => (o.active ? badge("active", "ok") : badge("inactive", "bad")) },
    { title: "Joined", cell: o => time(o.joined_at) },
  ], orgs, { empty: first ? "No organisations yet." : "" }));
}

export async function org(main, { id }, { signal }) {
  const detail = await find(`/v1/orgs/${seg(id)}`, {}, signal);
  if (!detail) {
    fill(main, h("h1", {}, id), h("p", { class: "empty" }, "No such organisation."));
    return;
  }
  const items = await get("/v1/catalog", { org: id, limit: 500, include_retired: true }, signal);
  fill(main,
    h("h1", {}, detail.org.name, " ", h("small", {}, detail.org.id)),
    h("p", {}, detail.org.active ? badge("active", "ok") : badge("inactive", "bad"), ` joined ${time(detail.org.joined_at)}`),
    section("Duties", table([
      { title: "Duty", cell: d => d.id },
      { title: "Title", cell: d => d.title },
      { title: "Legal basis", cell: d => d.legal_basis },
      { title: "Channel", cell: d => d.channel },
    ], detail.duties, { empty: "No duties declared." })),
    section("Catalog items", table([
      { title: "Item", cell: i => link(`/item/${seg(i.id)}?channel=${seg(i.channel)}`, i.current.title) },
      { title: "Id", cell: i => i.id },
      { title: "Share class", cell: i => i.current.share_class },
      { title: "Fields", cell: i => i.current.fields.length, cls: "num" },
      { title: "Status", cell: i => (i.retired ? badge("retired", "bad") : badge("published", "ok")) },
    ], items.items, { empty: "No catalog items published." }),
    more(items.next_cursor, () => { location.hash = `#/catalog?org=${seg(id)}`; })),
    section("Members", table([
      { title: "Key", cell: m => short(m.key) },
      { title: "Role", cell: m => m.role },
      { title: "Enrolled", cell: m => time(m.enrolled_at) },
      { title: "Expires", cell: m => time(m.expires_at) },
      { title: "Status", cell: m => (m.revoked ? badge(`revoked: ${m.revoked.reason}`, "bad") : badge("enrolled", "ok")) },
    ], detail.members, { empty: "No members." })));
}
