// Building the page from data. Text always goes in as text nodes, never as
// HTML: every string shown comes from the ledger, which anyone may write to.

/** An element: `h("a", {href: "#/"}, "Home")`. Attributes starting with
 * `on` are listeners; `class` and `for` take their HTML names; `null`,
 * `undefined` and `false` attributes and children are skipped. */
export function h(tag, attrs = {}, ...children) {
  const svg = SVG_TAGS.has(tag);
  const el = svg ? document.createElementNS("http://www.w3.org/2000/svg", tag) : document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      el.addEventListener(name.slice(2), value);
    } else if (value === true) {
      el.setAttribute(name, "");
    } else {
      el.setAttribute(name, String(value));
    }
  }
  append(el, children);
  return el;
}

const SVG_TAGS = new Set(["svg", "g", "path", "line", "rect", "text", "title", "circle", "polyline"]);

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces everything in `el` with `children`. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A table: `columns` are `{title, cell: row => content, cls?}`. */
export function table(columns, rows, { caption, empty = "Nothing to show." } = {}) {
  if (!rows.length) return h("p", { class: "empty" }, empty);
  return h("div", { class: "scroll" },
    h("table", {},
      caption ? h("caption", {}, caption) : null,
      h("thead", {}, h("tr", {}, columns.map(c => h("th", { scope: "col", class: c.cls }, c.title)))),
      h("tbody", {}, rows.map(row => h("tr", {}, columns.map(c => h("td", { class: c.cls }, c.cell(row))))))));
}

/** A definition list of `[term, value]` pairs; empty values are left out. */
export function facts(pairs) {
  return h("dl", { class: "facts" },
    pairs.filter(([, v]) => v !== null && v !== undefined && v !== "")
      .map(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]));
}

export function section(title, ...children) {
  return h("section", { class: "card" }, h("h2", {}, title), ...children);
}

/** A message for a failed request: the API's own words. */
export function problem(error) {
  const code = error && error.code ? ` (${error.code})` : "";
  return h("p", { class: "problem", role: "alert" }, `${error && error.message ? error.message : String(error)}${code}`);
}

export function badge(text, kind) {
  return h("span", { class: `badge ${kind || ""}` }, text);
}

/** A link inside the explorer. */
export function link(route, text) {
  return h("a", { href: `#${route}` }, text);
}

/** A hex digest or key cut for display; the whole value in the tooltip and for copying. */
export function short(hex, keep = 10) {
  if (!hex) return "";
  return h("code", { title: hex, class: "hash" }, hex.length > keep * 2 ? `${hex.slice(0, keep)}…${hex.slice(-4)}` : hex);
}

/** A list the API pages with cursors, in `into`: the first page, then a
 * "Load more" button that appends the next until the last. `fetchPage`
 * answers the page after a cursor (none: the first); `render(items, first)`
 * draws one page. */
export async function paged(into, fetchPage, render) {
  const load = async cursor => {
    const page = await fetchPage(cursor);
    into.querySelector("button.more")?.remove();
    into.append(await render(page.items, !cursor));
    const button = more(page.next_cursor, load);
    if (button) into.append(button);
  };
  await load(undefined);
}

/** "Load more" under a list whose API pages with cursors. */
export function more(nextCursor, load) {
  if (!nextCursor) return null;
  const button = h("button", { class: "more", type: "button" }, "Load more");
  button.addEventListener("click", async () => {
    button.disabled = true;
    button.textContent = "Loading…";
    try {
      await load(nextCursor, button);
    } catch (error) {
      button.replaceWith(problem(error));
    }
  });
  return button;
}
