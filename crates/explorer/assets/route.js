// Where the explorer is: the address after `#`, and what a page runs while it is shown.

/** The current address: `#/catalog?q=births` → path and query. */
export function here() {
  const hash = location.hash.replace(/^#/, "") || "/";
  const [path, search = ""] = hash.split("?");
  return { path, query: new URLSearchParams(search) };
}

/** Rewrites the query of the current address without a new history entry
 * (a search as one types), or with one when `push`. */
export function setQuery(params, push = false) {
  const { path } = here();
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== "" && v !== false) q.set(k, v);
  const text = q.toString();
  const url = `#${path}${text ? `?${text}` : ""}`;
  if (push) history.pushState(null, "", url);
  else history.replaceState(null, "", url);
}

/** Runs `task` every `ms` while the page is shown and the tab visible. */
export function every(ms, signal, task) {
  const timer = setInterval(() => {
    if (!document.hidden) task().catch(() => {});
  }, ms);
  signal.addEventListener("abort", () => clearInterval(timer));
}

