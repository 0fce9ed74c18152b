// The explorer's frame: the address after `#` names the page, each page is
// a module that draws into <main>, and leaving a page stops what it started
// (refresh timers, requests in flight).

import { get } from "./api.js";
import { fill, h, problem } from "./dom.js";
import { here } from "./route.js";
import * as network from "./page-network.js";
import * as chain from "./page-chain.js";
import * as orgs from "./page-orgs.js";
import * as catalog from "./page-catalog.js";
import * as audit from "./page-audit.js";
import * as notary from "./page-notary.js";
import * as subject from "./page-subject.js";

/** `[pattern, page, section]`: `:name` segments are passed to the page, decoded. */
const ROUTES = [
  ["/", network.render, "/"],
  ["/blocks", chain.blocks, "/blocks"],
  ["/blocks/:height", chain.block, "/blocks"],
  ["/tx/:hash", chain.tx, "/blocks"],
  ["/orgs", orgs.list, "/orgs"],
  ["/orgs/:id", orgs.org, "/orgs"],
  ["/catalog", catalog.search, "/catalog"],
  ["/item/:id", catalog.item, "/catalog"],
  ["/permissions/:id", audit.permission, "/audit"],
  ["/access/:id", audit.access, "/audit"],
  ["/audit", audit.render, "/audit"],
  ["/notary", notary.render, "/notary"],
  ["/my-data", subject.render, "/my-data"],
];

/** How often the header's height is refreshed. */
const TIP_REFRESH_MS = 2000;

let leave = new AbortController();
/** Whether a page has been shown yet. */
let shown = false;

function match(path) {
  const parts = path.split("/").filter(Boolean);
  for (const [pattern, page, nav] of ROUTES) {
    const want = pattern.split("/").filter(Boolean);
    if (want.length !== parts.length) continue;
    const params = {};
    if (want.every((w, i) => (w.startsWith(":") ? (params[w.slice(1)] = decodeURIComponent(parts[i]), true) : w === parts[i]))) {
      return { page, params, nav };
    }
  }
  return null;
}

async function show() {
  leave.abort();
  leave = new AbortController();
  const signal = leave.signal;
  const main = document.getElementById("main");
  const { path, query } = here();
  const found = match(path);
  for (const a of document.querySelectorAll("#nav a")) {
    const active = found && a.getAttribute("href") === `#${found.nav}`;
    if (active) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  closeMenu();
  if (!found) {
    fill(main, h("h1", {}, "Not found"), h("p", {}, "There is no such page here. "), h("a", { href: "#/" }, "Back to the network"));
    return;
  }
  fill(main, h("p", { class: "loading" }, "Loading…"));
  try {
    await found.page(main, found.params, { query, signal });
  } catch (error) {
    if (error.name === "AbortError" || signal.aborted) return;
    fill(main, h("h1", {}, "Something went wrong"), problem(error));
  }
  // Focus moves to the new page for keyboard and screen reader users; on
  // the first load it stays at the top, where the skip link is.
  if (shown && document.activeElement === document.body) main.focus({ preventScroll: true });
  shown = true;
}

async function tip() {
  try {
    const s = await get("/v1/status");
    document.getElementById("chain-id").textContent = s.chain_id;
    document.getElementById("genesis").textContent = `genesis ${s.genesis}`;
    document.getElementById("tip").textContent = `height ${s.height}`;
    document.title = `dirchain explorer · ${s.chain_id}`;
  } catch {
    document.getElementById("tip").textContent = "node unreachable";
  }
}

function closeMenu() {
  document.getElementById("menu").setAttribute("aria-expanded", "false");
  document.getElementById("nav").classList.remove("open");
}

function start() {
  const menu = document.getElementById("menu");
  menu.addEventListener("click", () => {
    const open = menu.getAttribute("aria-expanded") !== "true";
    menu.setAttribute("aria-expanded", String(open));
    document.getElementById("nav").classList.toggle("open", open);
  });
  // The skip link focuses the content; as a plain `#main` link it would
  // change the address, which names pages.
  document.querySelector(".skip").addEventListener("click", e => {
    e.preventDefault();
    document.getElementById("main").focus();
  });
  window.addEventListener("hashchange", show);
  tip();
  setInterval(() => { if (!document.hidden) tip(); }, TIP_REFRESH_MS);
  show();
}

start();
