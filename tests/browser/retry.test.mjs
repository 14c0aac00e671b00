// The retry loop, against a local origin that fails and then recovers: every wait is Retry-After
// plus full jitter over a range that doubles (the first wait too), never shorter, the page reloads into the real
// content by itself, "try now" works from the keyboard, and screen readers are told politely.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { configWith, launch, render, serve } from "./helpers.mjs";

let browser;
const pages = {};

before(async () => {
  // Retry-After for a 503 of 1 s and of 30 s: one to watch the back-off, one to act before it.
  for (const seconds of [1, 30]) {
    const config = configWith((text) => text.replace(/^overload = \d+$/m, `overload = ${seconds}`));
    const site = render(config);
    pages[seconds] = readFileSync(join(site.out, site.prefix, "503.html"));
  }
  browser = await launch();
});

after(async () => browser?.close());

/** An origin whose first `failures` answers are the 503 page; then the real content. Only
 * requests for the page count (the browser also asks for /favicon.ico). */
async function origin(page503, failures) {
  let seen = 0;
  const server = await serve((req, res) => {
    if (req.url !== "/basket") {
      res.writeHead(404).end();
      return;
    }
    seen += 1;
    if (seen <= failures) {
      res.writeHead(503, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
      res.end(page503);
    } else {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end("<!doctype html><html lang=en><title>Shop</title><h1>Real content</h1></html>");
    }
  });
  const all = server.log;
  return { ...server, get log() { return all.filter((hit) => hit.url === "/basket"); } };
}

test("the countdown starts from Retry-After, re-checks back off, and the page reloads when the site is back", async (t) => {
  // Three failing answers: the page itself and two re-checks; the third re-check succeeds.
  const server = await origin(pages[1], 3);
  const page = await browser.newPage();
  // The top of each jitter range, so that the back-off itself is visible: Retry-After (1 s) plus
  // 1 s, then plus 2 s, then plus 4 s.
  await page.addInitScript(() => {
    Math.random = () => 1;
  });
  await page.goto(`${server.url}/basket`);
  assert.equal(await page.locator("#ep-count").innerText(), "Checking again in 2 s");
  await page.locator("h1", { hasText: "Real content" }).waitFor({ timeout: 30_000 });

  const times = server.log.map((hit) => hit.at - server.log[0].at);
  const gaps = times.slice(1).map((t, i) => t - times[i]);
  t.diagnostic(`requests at ${times.join(", ")} ms`);
  // load, check after 2 s, check after 3 s, check after 5 s (succeeds), reload.
  assert.equal(server.log.length, 5, `requests at ${times.join(", ")} ms`);
  // Timers fire late under load, never early: allow 1.5 s late, 0.3 s early (clock granularity).
  const expected = [2000, 3000, 5000];
  expected.forEach((want, i) => {
    assert.ok(gaps[i] > want - 300 && gaps[i] < want + 1500, `gap ${i + 1} was ${gaps[i]} ms, expected ${want} ms`);
  });
  await page.close();
  await server.close();
});

test("the first re-check is jittered too, and no wait is shorter than Retry-After", async () => {
  const server = await origin(pages[30], 1000);
  // The bottom, middle and top of the first range: Retry-After (30 s) plus 0 to 30 s.
  for (const [random, shown] of [[0, 30], [0.5, 45], [1, 60]]) {
    const page = await browser.newPage();
    await page.addInitScript((r) => {
      Math.random = () => r;
    }, random);
    await page.goto(`${server.url}/basket`);
    assert.equal(await page.locator("#ep-count").innerText(), `Checking again in ${shown} s`, `random ${random}`);
    await page.close();
  }
  await server.close();
});

test("re-check delays are drawn at random above Retry-After, below a growing ceiling (full jitter)", async (t) => {
  const server = await origin(pages[1], 1000);
  const page = await browser.newPage();
  await page.goto(`${server.url}/basket`);
  // Wait for the page load plus four re-checks.
  const started = Date.now();
  while (server.log.length < 5 && Date.now() - started < 60_000) await new Promise((r) => setTimeout(r, 100));
  const times = server.log.map((hit) => hit.at - server.log[0].at);
  const gaps = times.slice(1).map((t, i) => t - times[i]);
  t.diagnostic(`requests at ${times.join(", ")} ms`);
  assert.ok(gaps.length >= 4, `only ${gaps.length} re-checks in 60 s`);
  // Each wait is at least Retry-After (1 s) and at most 1 s + 1 s * 2^attempt.
  gaps.slice(0, 4).forEach((gap, i) => {
    const ceiling = 1000 + 1000 * 2 ** i;
    assert.ok(gap >= 700 && gap <= ceiling + 1500, `delay ${i + 1} was ${gap} ms; allowed 1000..${ceiling}`);
  });
  const live = await page.locator("#ep-live").innerText();
  assert.match(live, /^(Still unavailable\. Next check in \d+ s\.|Checking whether the site is back…)$/);
  await page.close();
  await server.close();
});

test("'Try now' works from the keyboard and never before it is asked", async () => {
  const server = await origin(pages[30], 1000);
  const page = await browser.newPage();
  await page.addInitScript(() => {
    Math.random = () => 0;
  });
  await page.goto(`${server.url}/basket`);
  assert.equal(await page.locator("#ep-count").innerText(), "Checking again in 30 s");
  await page.waitForTimeout(500);
  assert.equal(server.log.length, 1, "no re-check before the countdown ends");

  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement?.id), "ep-now", "Try now is the first stop");
  await page.keyboard.press("Enter");
  await page.locator("#ep-live", { hasText: "Still unavailable" }).waitFor({ timeout: 5_000 });
  assert.equal(server.log.length, 2, "Enter on Try now re-checks at once");
  assert.equal(new URL(page.url()).pathname, "/basket", "the link's default navigation was replaced by the check");
  await page.close();
  await server.close();
});

test("screen readers hear about checks, not every tick of the countdown", async () => {
  const server = await origin(pages[30], 1000);
  const page = await browser.newPage();
  await page.goto(`${server.url}/basket`);
  const regions = await page.evaluate(() => {
    const live = document.getElementById("ep-live");
    const count = document.getElementById("ep-count");
    window.liveChanges = 0;
    new MutationObserver(() => (window.liveChanges += 1)).observe(live, { childList: true, characterData: true, subtree: true });
    return {
      politeness: live.getAttribute("aria-live"),
      role: live.getAttribute("role"),
      countIsLive: count.closest("[aria-live]") !== null,
    };
  });
  assert.deepEqual(regions, { politeness: "polite", role: "status", countIsLive: false });
  const before = await page.locator("#ep-count").innerText();
  await page.waitForTimeout(2500);
  assert.notEqual(await page.locator("#ep-count").innerText(), before, "the visible countdown ticks");
  assert.equal(await page.evaluate(() => window.liveChanges), 0, "ticks are not announced");

  await page.locator("#ep-now").click();
  await page.locator("#ep-live", { hasText: "Still unavailable" }).waitFor({ timeout: 5_000 });
  const changes = await page.evaluate(() => window.liveChanges);
  assert.ok(changes >= 1 && changes <= 2, `${changes} announcements for one check`);
  await page.close();
  await server.close();
});
