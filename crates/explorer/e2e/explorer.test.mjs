// The explorer in a real browser: Debian's chromium, driven by Playwright,
// against a devnet that crates/cli/tests/explorer.rs filled with data. The
// expectations file (its only argument) says what is on the ledger; every
// page is checked against it, screenshots of the main pages are saved, and
// any console error or uncaught exception fails the run.
//
//   node explorer.test.mjs expectations.json

import { chromium } from "playwright-core";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const expect = JSON.parse(readFileSync(process.argv[2], "utf8"));
const BASE = expect.url;
/** How long a page may take to show what it must. */
const TIMEOUT_MS = 20_000;
/** The flags this machine's closed network needs (no background connections). */
const CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];

mkdirSync(expect.screenshots, { recursive: true });
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_FLAGS });
const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
context.setDefaultTimeout(TIMEOUT_MS);
const page = await context.newPage();
const consoleErrors = [];
const requests = [];
page.on("console", message => { if (message.type() === "error") consoleErrors.push(message.text()); });
page.on("pageerror", error => consoleErrors.push(`uncaught: ${error.message}`));
page.on("request", request => requests.push({ url: request.url(), body: request.postData() || "" }));

let failures = 0;
async function step(name, body) {
  const started = Date.now();
  try {
    await body();
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
  } catch (error) {
    failures += 1;
    console.log(`FAIL ${name}: ${error.stack || error}`);
    await page.screenshot({ path: join(expect.screenshots, `failed-${name.replace(/\W+/g, "-")}.png`), fullPage: true }).catch(() => {});
  }
}

const open = async route => {
  await page.goto(`${BASE}/#${route}`);
  await page.waitForSelector("main h1");
};
const shot = name => page.screenshot({ path: join(expect.screenshots, `${name}.png`), fullPage: true });
const rows = selector => page.locator(`${selector} tbody tr`);
const text = selector => page.locator(selector).innerText();

await step("network: live figures, chart, validators, blocks and transactions", async () => {
  await open("/");
  await page.waitForFunction(() => [...document.querySelectorAll(".stat .value")].length === 6);
  const height = Number((await page.locator(".stat .value").first().innerText()).replace(/\D/g, ""));
  assert.ok(height > 10, `height ${height}`);
  await page.waitForSelector(".chart svg path.line.c1");
  await page.waitForFunction(n => document.querySelector(".stats").innerText.includes(`${n} peers`), expect.validators - 1);
  const validators = page.locator("section:has(h2:text('Validators')) tbody tr");
  assert.equal(await validators.count(), expect.validators);
  assert.ok(await page.locator("section:has(h2:text('Validators')) .badge.ok").count() >= expect.validators - 1, "a quorum is signing");
  assert.ok(await rows("section:has(h2:text('Latest blocks'))").count() > 0);
  assert.ok(await rows("section:has(h2:text('Latest transactions'))").count() > 0);
  // Live: the height moves on without a reload.
  await page.waitForFunction(h => Number(document.querySelector(".stat .value").innerText.replace(/\D/g, "")) > h, height);
  await shot("network");
});

await step("blocks: the list, a block, its certificate verified in the page", async () => {
  await open("/blocks");
  assert.ok(await rows("main").count() >= 10);
  await page.locator("main tbody tr a").first().click();
  await page.waitForSelector("main h1:text-matches('Block #')");
  await open(`/blocks/${expect.block}`);
  await page.getByRole("button", { name: "Verify the certificate in this browser" }).click();
  const verdict = await page.locator(".verified").innerText();
  assert.match(verdict, new RegExp(`signed by [34] of ${expect.validators} validators`));
  await shot("block");
});

await step("transaction: the notarization by hash", async () => {
  await open(`/tx/${expect.notary.tx}`);
  await page.waitForSelector("dl.facts");
  const facts = await text("dl.facts");
  assert.match(facts, /notarize/);
  assert.match(facts, new RegExp(`#${expect.notary.height}`));
});

await step("organisations: the list and one organisation's duties and items", async () => {
  await open("/orgs");
  const ids = await page.locator("main tbody tr td:first-child").allInnerTexts();
  for (const org of expect.orgs) assert.ok(ids.includes(org), `${org} listed in ${ids}`);
  await page.locator(`main tbody tr a:text-is('${expect.item.org}')`).click();
  await page.waitForSelector(`main h1:has-text('${expect.item.org}')`);
  assert.match(await text("main"), new RegExp(expect.item.title));
  assert.match(await text("main"), /tax\/land-registry/);
});

await step("catalog: search as you type narrows the results", async () => {
  await open("/catalog");
  const results = page.locator("#results ol.results > li");
  await results.first().waitFor();
  assert.equal(await results.count(), expect.search.items, "every item before a search");
  await page.fill("#q", expect.search.hit);
  await page.waitForURL(url => url.hash.includes(`q=${expect.search.hit}`));
  await page.waitForFunction(title => [...document.querySelectorAll("#results ol.results > li h3")]
    .some(h => h.innerText === title), expect.item.title);
  assert.equal(await results.count(), 1, "the search leaves the other item out");
  await page.fill("#q", expect.search.miss);
  await page.waitForSelector("#results .empty");
  await page.fill("#q", "");
  await page.selectOption("#org", "police");
  await page.waitForSelector("#results .empty");
  await page.selectOption("#org", expect.item.org);
  await page.waitForFunction(title => [...document.querySelectorAll("#results ol.results > li h3")].some(h => h.innerText === title), expect.item.title);
  await shot("catalog");
});

await step("item: fields, versions, permissions and its accesses over time", async () => {
  await page.locator(`#results h3 a:text-is('${expect.item.title}')`).click();
  await page.waitForSelector(`main h1:has-text('${expect.item.title}')`);
  assert.equal(await rows("section:has(h2:text('Fields'))").count(), expect.item.fields);
  assert.equal(await rows("section:has(h2:text('Permissions granted'))").count(), expect.item.permissions);
  assert.ok(await rows("section:has(h2:text('Versions'))").count() >= 1);
  assert.ok(await page.locator("section:has(h2:has-text('Accesses')) svg rect.bar").count() >= 1, "today's accesses are charted");
  await shot("item");
});

await step("audit: filters, refused only, chart per agency per day, CSV export", async () => {
  await open(`/audit?consumer=${expect.audit.consumer}`);
  await page.waitForSelector("section:has(h2:text('Records')) tbody tr");
  assert.equal(await rows("section:has(h2:text('Records'))").count(), expect.audit.accesses);
  assert.ok(await page.locator("section:has(h2:has-text('per agency')) svg rect.bar").count() >= 1);
  await page.selectOption("#outcome", "refused");
  await page.getByRole("button", { name: "Apply" }).click();
  await page.waitForFunction(n => document.querySelectorAll("section.card:last-of-type tbody tr").length === n, expect.audit.refused.length);
  const outcomes = await page.locator("section:has(h2:text('Records')) tbody tr td:last-child").allInnerTexts();
  assert.ok(outcomes.every(o => o.startsWith("refused")), outcomes.join(", "));
  assert.ok(page.url().includes("outcome=refused"));
  const [download] = await Promise.all([page.waitForEvent("download"), page.locator("#export").click()]);
  const csv = readFileSync(await download.path(), "utf8").trim().split("\n");
  assert.match(csv[0], /^id,time_utc,time_ms,height/);
  assert.deepEqual(csv.slice(1).map(line => line.split(",")[0]).sort(), [...expect.audit.refused].sort());
  await page.selectOption("#outcome", "accepted");
  await page.getByRole("button", { name: "Apply" }).click();
  await page.waitForFunction(n => document.querySelectorAll("section.card:last-of-type tbody tr").length === n, expect.audit.accesses - expect.audit.refused.length);
  await shot("audit");
});

await step("notary: a notarized file and another, hashed and verified in the page", async () => {
  await open("/notary");
  await page.setInputFiles("#file", expect.notary.file);
  await page.waitForSelector("#notary-verdict");
  assert.equal(await page.locator("#notary-verdict").getAttribute("data-verdict"), "notarized");
  const verdict = await text("#notary-verdict");
  assert.match(verdict, new RegExp(`notarized by ${expect.notary.org}`));
  assert.match(verdict, new RegExp(`block #${expect.notary.height}`));
  await shot("notary");
  await page.setInputFiles("#file", expect.notary.other);
  await page.waitForSelector("#notary-verdict[data-verdict='absent']");
  assert.match(await text("#notary-verdict"), /Not notarized/);
  // Only digests were sent: no request carried either file.
  const contents = [readFileSync(expect.notary.file, "utf8"), readFileSync(expect.notary.other, "utf8")];
  assert.ok(requests.every(r => contents.every(c => !r.body.includes(c))), "a file left the browser");
});

await step("who used my data: the person's accesses, the identifier only in a POST body", async () => {
  await open("/my-data");
  await page.fill("#subject", expect.subject.id);
  await page.getByRole("button", { name: "Show who used my data" }).click();
  await page.waitForSelector("#subject-result tbody tr");
  const links = await page.locator("#subject-result tbody tr td:first-child a").evaluateAll(as => as.map(a => a.getAttribute("href").split("/").pop()));
  assert.deepEqual(links.sort(), [...expect.subject.accesses].sort());
  assert.match(await text("#subject-result"), new RegExp(expect.subject.purpose));
  assert.ok(!page.url().includes(expect.subject.id), "the identifier is in the address");
  const carrying = requests.filter(r => r.url.includes(expect.subject.id));
  assert.equal(carrying.length, 0, `the identifier was in a URL: ${carrying.map(r => r.url)}`);
  assert.ok(requests.some(r => r.body.includes(expect.subject.id)), "sent in a POST body");
  await shot("my-data");
});

await step("keyboard: the skip link comes first and leads to the content", async () => {
  // A fresh load: the previous steps navigated within one document.
  const fresh = await context.newPage();
  await fresh.goto(`${BASE}/#/catalog`);
  await fresh.waitForSelector("#results");
  await fresh.keyboard.press("Tab");
  assert.equal(await fresh.evaluate(() => document.activeElement.className), "skip");
  await fresh.keyboard.press("Enter");
  assert.equal(await fresh.evaluate(() => document.activeElement.id), "main");
  assert.ok(fresh.url().endsWith("#/catalog"), "the skip link leaves the address alone");
  await fresh.keyboard.press("Tab");
  assert.equal(await fresh.evaluate(() => document.activeElement.id), "q", "then the search box");
  await fresh.close();
});

await step("phone: the menu folds away and opens", async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  await open("/");
  assert.equal(await page.locator("#nav").isVisible(), false);
  await page.getByRole("button", { name: "Menu" }).click();
  await page.locator("#nav a:text('Catalog')").click();
  await page.waitForSelector("#q");
  assert.equal(await page.locator("#nav").isVisible(), false, "the menu closes on navigation");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `the page is ${overflow}px wider than the phone`);
  await open("/");
  await page.waitForSelector(".chart svg");
  await shot("network-phone");
});

await step("no console errors on any page", async () => {
  assert.deepEqual(consoleErrors, []);
});

await browser.close();
console.log(failures ? `${failures} step(s) failed` : "all steps passed");
process.exit(failures ? 1 : 0);
