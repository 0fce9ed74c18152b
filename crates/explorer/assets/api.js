// The node's HTTP API, from the browser, and how its values are shown.

/** A refusal of the API: its HTTP status, stable code and message. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function answer(response) {
  const text = await response.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    throw new ApiError(response.status, "bad_answer", `the node answered ${response.status} with something that is not JSON`);
  }
  if (!response.ok) {
    throw new ApiError(response.status, body && body.code || "error", body && body.message || `the node answered ${response.status}`);
  }
  return body;
}

/** The query string of `params`, leaving out empty values. */
export function query(params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === null || v === undefined || v === "") continue;
    q.set(k, String(v));
  }
  const text = q.toString();
  return text ? `?${text}` : "";
}

/** GET `path` with `params`; `signal` cancels it. */
export async function get(path, params = {}, signal) {
  let response;
  try {
    response = await fetch(`${path}${query(params)}`, { headers: { accept: "application/json" }, signal });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, "unreachable", "the node did not answer; is it running?");
  }
  return answer(response);
}

/** GET a download that is not JSON (`text/csv`) as text; a refusal is
 * the API's JSON error, thrown as an ApiError. */
export async function download(path, params = {}) {
  let response;
  try {
    response = await fetch(`${path}${query(params)}`);
  } catch {
    throw new ApiError(0, "unreachable", "the node did not answer; is it running?");
  }
  if (!response.ok) return answer(response);
  return response.text();
}

/** GET that answers `null` for a 404 instead of failing. */
export async function find(path, params = {}, signal) {
  try {
    return await get(path, params, signal);
  } catch (error) {
    if (error.status === 404) return null;
    throw error;
  }
}

/** POST `body` as JSON. */
export async function post(path, body) {
  let response;
  try {
    response = await fetch(path, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "unreachable", "the node did not answer; is it running?");
  }
  return answer(response);
}

/** A path segment for an id that may hold `/` (`health/births`). */
export const seg = id => encodeURIComponent(id);

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });
const number = new Intl.NumberFormat();

/** The latest time a browser can show (`Date`'s range); later means "never",
 * as a key enrolled with no end. */
const MAX_DATE_MS = 8.64e15;

export const time = ms => (!ms ? "" : ms >= MAX_DATE_MS ? "never" : dateTime.format(new Date(ms)));
export const count = n => number.format(n);

/** "3 s ago", "5 min ago": how old a time is. */
export function ago(ms, now = Date.now()) {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} days ago`;
}

/** Milliseconds for people: "240 ms", "1.3 s". */
export function duration(ms) {
  if (ms === null || ms === undefined) return "";
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

export function median(values) {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** `YYYY-MM-DD` of a time, UTC: the days `/v1/access/daily` counts in. */
export function utcDay(ms) {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Every organisation, for filters (the API pages them). */
export async function allOrgs() {
  const orgs = [];
  let cursor;
  do {
    const page = await get("/v1/orgs", { limit: 500, cursor });
    orgs.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return orgs;
}
