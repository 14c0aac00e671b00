// The packaged Lambda@Edge function for a site with `[status]` (tests/status-page/edgepages.toml),
// as Lambda runs it, through the CloudFront emulator's invocation: the status page it reads is a
// real HTTP server in this process, serving Statuspage's documented summary and the hostile
// sample (crates/core/tests/status/), a maintenance in progress, a hang and a 500.
//
// The function has no environment, so the status page's address is the one baked in from the
// config (http://127.0.0.1:9, where nothing answers); `fetch` is wrapped to send that address to
// this server instead, and to nothing else. Each test imports the function afresh, so that each
// starts with an instance that has read nothing.
//
// The zip is built with EDGEPAGES_CONFIG=tests/status-page/edgepages.toml and the test-only
// "chaos" feature (scripts/test does it); set EDGEPAGES_LAMBDA_STATUS_ZIP to test another.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import { join, dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { after, before, test } from "node:test";

import { invoke } from "../cloudfront/lambda.mjs";
import { extract, originResponse } from "./event.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const ZIP =
  process.env.EDGEPAGES_LAMBDA_STATUS_ZIP || join(ROOT, "target", "lambda-edge", "edgepages-lambda-edge-status.zip");
const BAKED = "http://127.0.0.1:9";
const FIXTURES = join(ROOT, "crates", "core", "tests", "status");
const DOCUMENTED = readFileSync(join(FIXTURES, "statuspage", "summary-documented.json"), "utf8");
const MARKUP = readFileSync(join(FIXTURES, "hostile", "statuspage-markup.json"), "utf8");

// What the status page answers now, and the header names of each request it got.
let answer = { status: 200, body: DOCUMENTED };
const heard = [];
let server;
let base;
let dir;
let imports = 0;

before(async () => {
  assert.ok(existsSync(ZIP), `${ZIP} is missing: build it as scripts/test does`);
  dir = extract(ZIP);
  server = createServer((req, res) => {
    heard.push(Object.keys(req.headers));
    if (answer === "hang") return; // accepts, never answers
    res.writeHead(answer.status, { "content-type": "application/json" });
    res.end(answer.body);
  });
  await new Promise((done) => server.listen(0, "127.0.0.1", done));
  base = `http://127.0.0.1:${server.address().port}`;
  const realFetch = globalThis.fetch;
  globalThis.fetch = (url, init) => {
    const to = String(url);
    assert.ok(to.startsWith(BAKED), `the function fetched ${to}`);
    return realFetch(base + to.slice(BAKED.length), init);
  };
});

after(() => {
  server.closeAllConnections();
  server.close();
});

/** The handler of a fresh import of the function: an instance that has read nothing. */
async function freshHandler() {
  imports += 1;
  return (await import(`${pathToFileURL(join(dir, "index.mjs")).href}?instance=${imports}`)).handler;
}

function event(status, { accept = "text/html", cookie } = {}) {
  const requestHeaders = [["Host", "shop.example"], ["Accept", accept]];
  if (cookie) requestHeaders.push(["Cookie", cookie], ["Authorization", "Bearer viewer-secret"]);
  return originResponse({
    status,
    method: "GET",
    uri: "/basket",
    querystring: "",
    requestId: "4TyzHTaYWb1GX1qTfsHhEqV6HUDd_BzoBZnwfnvQc_1oF26ClkoUSEQ==",
    requestHeaders,
    responseHeaders: [["Server", "awselb/2.0"]],
  });
}

const value = (response, name) => response.headers[name] && response.headers[name][0].value;
const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

/** Statuspage's documented summary with its in-progress maintenance from a minute ago until
 * `endsInS` from now. */
function maintenanceNow(endsInS) {
  const summary = JSON.parse(DOCUMENTED);
  const now = Date.now();
  for (const m of summary.scheduled_maintenances) {
    if (m.status !== "in_progress") continue;
    m.scheduled_for = new Date(now - 60_000).toISOString();
    m.scheduled_until = new Date(now + endsInS * 1000).toISOString();
  }
  return JSON.stringify(summary);
}

test("the incident's text is on the page, escaped, in every format; the viewer's headers stay home", async () => {
  answer = { status: 200, body: MARKUP };
  heard.length = 0;
  const handler = await freshHandler();
  // The first page starts the instance's first read and waits for it, within the bound.
  let run = await invoke(handler, event(502, { cookie: "session=viewer-secret" }));
  for (let i = 0; i < 20 && !run.response.body.includes("ep-incident"); i++) {
    await sleep(50);
    run = await invoke(handler, event(502));
  }
  assert.equal(run.outcome, "answered", run.error);
  const html = run.response.body;
  assert.equal(run.response.status, "502");
  assert.ok(html.includes('<p dir="auto"><strong>Outage gnp.exe now</strong></p>'), html);
  assert.ok(html.includes("p95 &#60; 5 s &#38; &#34;rising&#34; &#39;fast&#39;</p>"), html);
  for (const hostile of ["<script>alert", "<img", "javascript:", "\u202E", "<b>"]) {
    assert.ok(!html.includes(hostile), `${hostile} reached the page`);
  }
  const problem = JSON.parse((await invoke(handler, event(502, { accept: "application/json" }))).response.body);
  assert.equal(problem.incident.title, "Outage gnp.exe now");
  assert.equal(problem.incident.updated_at, "2014-05-14T20:22:40Z");
  const text = (await invoke(handler, event(502, { accept: "text/plain" }))).response.body;
  assert.ok(text.includes("Latest from our status page: Outage gnp.exe now\n"), text);
  // One read for all of these (once per refresh interval), and none of the viewer's headers in it.
  assert.equal(heard.length, 1);
  for (const name of ["cookie", "authorization", "x-forwarded-for"]) assert.ok(!heard[0].includes(name), heard[0]);
});

test("a hung status page adds nothing to a healthy response and at most the bound to a page", async () => {
  answer = "hang";
  const handler = await freshHandler();
  const healthy = event(200);
  let started = Date.now();
  const passed = await invoke(handler, healthy);
  assert.equal(passed.outcome, "passed");
  assert.ok(Date.now() - started < 100, `a healthy response waited ${Date.now() - started} ms`);
  // A page with no copy and a read in flight waits for it, but only the bound, far below the
  // read's own 2 s timeout.
  const fresh = await freshHandler();
  started = Date.now();
  const run = await invoke(fresh, event(503));
  const took = Date.now() - started;
  assert.equal(run.outcome, "answered", run.error);
  assert.equal(run.response.status, "503");
  assert.ok(!run.response.body.includes("ep-incident"));
  assert.ok(took >= 130 && took < 1000, `the page took ${took} ms`);
});

test("a status page answering 500 leaves the page as it is", async () => {
  answer = { status: 500, body: "<html>secret</html>" };
  const handler = await freshHandler();
  await invoke(handler, event(200)); // starts the read
  await sleep(200);
  const run = await invoke(handler, event(502));
  assert.equal(run.response.status, "502");
  assert.ok(!run.response.body.includes("ep-incident"));
  assert.ok(!run.response.body.includes("secret"));
});

test("a maintenance in progress on the status page answers with maintenance until its end", async () => {
  answer = { status: 200, body: maintenanceNow(2) };
  const handler = await freshHandler();
  // A healthy response starts the read and goes through; once the read has landed, the healthy
  // origin's answers become the maintenance page.
  assert.equal((await invoke(handler, event(200))).outcome, "passed");
  await sleep(300);
  const run = await invoke(handler, event(200));
  assert.equal(run.outcome, "answered", run.error);
  assert.equal(run.response.status, "503");
  assert.match(value(run.response, "x-edgepages"), /kind=maintenance/);
  const retryAfter = Number(value(run.response, "retry-after"));
  assert.ok(retryAfter >= 1 && retryAfter <= 2 + 60, `Retry-After ${retryAfter} for an end 2 s away`);
  assert.ok(run.response.body.includes('<time id="ep-until" datetime="'), run.response.body);
  // Over at its published end, with no read and no deploy.
  await sleep(2200);
  assert.equal((await invoke(handler, event(200))).outcome, "passed");
});
