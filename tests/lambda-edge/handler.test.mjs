// The packaged Lambda@Edge function, as Lambda runs it: the zip unpacked, index.mjs imported in
// Node, and `handler` called with origin-response events shaped as AWS documents them
// ("Lambda@Edge event structure", CloudFront Developer Guide), through the CloudFront emulator's
// invocation (tests/cloudfront/lambda.mjs): every answer is checked as CloudFront checks it
// (disallowed and read-only headers, header shape, status, body encoding and size), and one it
// would refuse fails the test with CloudFront's reason.
//
// The zip is scripts/build-lambda-edge's, built with the test-only "chaos" feature; set
// EDGEPAGES_LAMBDA_ZIP to test another. scripts/test builds it before running this suite.
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { test } from "node:test";

import { invoke } from "../cloudfront/lambda.mjs";
import { originResponse, unpack } from "./event.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const ZIP = process.env.EDGEPAGES_LAMBDA_ZIP || join(ROOT, "target", "lambda-edge", "edgepages-lambda-edge-chaos.zip");
const { dir, handler } = await unpack(ZIP);

const ONE_MB = 1024 * 1024;
const REQUEST_ID = "4TyzHTaYWb1GX1qTfsHhEqV6HUDd_BzoBZnwfnvQc_1oF26ClkoUSEQ==";

/** AWS's example origin-response event, with this status and these headers. */
function event(status, { request = {}, response = {}, uri = "/checkout", querystring = "", method = "GET" } = {}) {
  return originResponse({
    status,
    method,
    uri,
    querystring,
    requestId: REQUEST_ID,
    requestHeaders: Object.entries({ Host: "shop.example", "User-Agent": "Amazon CloudFront", ...request }),
    responseHeaders: Object.entries({ Server: "awselb/2.0", Date: "Mon, 13 Jan 2020 20:12:38 GMT", ...response }),
  });
}

const value = (answer, name) => answer.headers[name] && answer.headers[name][0].value;

/** The answer `fn` (the handler by default) gives `e`, which CloudFront must take as a generated
 * response: a validation failure, a throw or a pass-through fails the test. */
async function answered(e, fn = handler) {
  const run = await invoke(fn, e);
  assert.equal(run.outcome, "answered", `CloudFront: ${run.error || "the origin's response went through"}`);
  return run.response;
}

test("an ALB's 500, 502, 503 and 504 become the branded page with the real status", async () => {
  for (const status of [500, 502, 503, 504]) {
    const answer = await answered(event(status, { request: { Accept: "text/html" } }));
    assert.equal(answer.status, String(status));
    assert.equal(value(answer, "content-type"), "text/html; charset=utf-8");
    assert.match(value(answer, "retry-after"), /^\d+$/);
    assert.match(value(answer, "x-edgepages"), /^error; kind=/);
    assert.ok(value(answer, "content-security-policy"));
    assert.ok(answer.body.includes('<meta name="generator" content="edgepages">'));
    assert.ok(!answer.body.includes("From the origin"));
  }
});

test("a 200, a redirect and a 404 come back as the very object CloudFront passed", async () => {
  for (const status of [200, 302, 404]) {
    const e = event(status);
    assert.equal(await handler(e), e.Records[0].cf.response);
  }
});

test("Accept picks problem+json for APIs and text for curl", async () => {
  const json = await answered(event(503, { request: { Accept: "application/json" } }));
  assert.equal(value(json, "content-type"), "application/problem+json");
  const problem = JSON.parse(json.body);
  assert.equal(problem.status, 503);
  assert.equal(problem.instance, "/checkout");
  assert.equal(String(problem.retry_after), value(json, "retry-after"));
  const text = await answered(event(503, { request: { Accept: "*/*", "User-Agent": "curl/8.5.0" } }));
  assert.equal(value(text, "content-type"), "text/plain; charset=utf-8");
  assert.ok(!text.body.includes("<"));
  assert.match(text.body, /Example Shop/, "the plain-text page names the site");
});

test("without Accept in the event (not forwarded) the answer is HTML: a browser is as likely as curl", async () => {
  const bare = await answered(event(503, { request: { "Accept-Language": "fr" } }));
  assert.equal(value(bare, "content-type"), "text/html; charset=utf-8");
  assert.equal(value(bare, "content-language"), "fr");
});

// CloudFront keeps a 5xx for at least the error caching TTL and collapses simultaneous requests
// by cache key ("Control how long CloudFront caches errors"; "Simultaneous requests for the same
// object"): a page for a GET reaches every viewer of the key, so it shows only what the key holds.
// CloudFront never caches other methods ("How CloudFront processes HTTP 4xx and 5xx status codes
// from your origin"), so their pages name the viewer's own request.
test("a page CloudFront may cache and share holds no query string and no viewer's request ID", async () => {
  for (const method of ["GET", "HEAD"]) {
    for (const accept of ["text/html", "application/json", "*/*"]) {
      const answer = await answered(event(502, { method, querystring: "token=SECRET", request: { Accept: accept } }));
      assert.ok(!answer.body.includes("SECRET"), `${method} ${accept}: the query string is shown`);
      assert.ok(!answer.body.includes(REQUEST_ID), `${method} ${accept}: the request ID is shown`);
    }
  }
  const problem = JSON.parse((await answered(event(502, { querystring: "token=SECRET", request: { Accept: "application/json" } }))).body);
  assert.equal(problem.instance, "/checkout");
  assert.equal(problem.request_id, undefined);
  const posted = await answered(event(502, { method: "POST", querystring: "token=SECRET", request: { Accept: "application/json" } }));
  assert.equal(JSON.parse(posted.body).request_id, REQUEST_ID, "an answer never cached names its request");
  assert.ok(!posted.body.includes("SECRET"));
});

// "Restrictions on all edge functions": Via and Transfer-Encoding are read-only in origin-response
// events; an answer without them, or with other values, is CloudFront's 502 (`answered` checks).
test("every answer, from the module and from each fallback, keeps the origin's read-only headers", async () => {
  const proxied = { Via: "1.1 vegur", "Transfer-Encoding": "chunked" };
  const page = await answered(event(502, { request: { Accept: "text/html" }, response: proxied }));
  assert.equal(value(page, "via"), "1.1 vegur");
  const panicked = await answered(event(502, { querystring: "chaos=panic", request: { Accept: "text/html" }, response: proxied }));
  assert.equal(value(panicked, "x-edgepages"), "error; kind=fallback; cause=internal");
  assert.equal(value(panicked, "transfer-encoding"), "chunked");
  // Neither header in the origin's answer: none in ours.
  const plain = await answered(event(502, { request: { Accept: "text/html" } }));
  assert.equal(plain.headers.via, undefined);
  assert.equal(plain.headers["transfer-encoding"], undefined);
});

test("Accept-Language picks the page's language; missing or odd headers fall back to the default", async () => {
  const fr = await answered(event(502, { request: { Accept: "text/html", "Accept-Language": "fr-FR,fr;q=0.9" } }));
  assert.equal(value(fr, "content-language"), "fr");
  assert.match(fr.body, /<html lang="fr"/);
  const ar = await answered(event(502, { request: { Accept: "text/html", "Accept-Language": "ar" } }));
  assert.equal(value(ar, "content-language"), "ar");
  assert.match(ar.body, /dir="rtl"/);
  for (const request of [{}, { "Accept-Language": ";;q=x,,", Accept: "\u0000garbage" }]) {
    const answer = await answered(event(502, { request }));
    assert.equal(value(answer, "content-language"), "en");
  }
});

test("the variant the viewer-request function named wins over Accept and Accept-Language", async () => {
  const browser = { Accept: "text/html", "Accept-Language": "en" };
  const named = await answered(event(503, { request: { ...browser, "X-Edgepages-Variant": "problem.ar" } }));
  assert.equal(value(named, "content-type"), "application/problem+json");
  assert.equal(value(named, "content-language"), "ar");
  // Not one of the site's variants: the headers decide.
  for (const variant of ["problem.xx", "json.fr", ""]) {
    const answer = await answered(event(503, { request: { ...browser, "X-Edgepages-Variant": variant } }));
    assert.equal(value(answer, "content-type"), "text/html; charset=utf-8", variant);
    assert.equal(value(answer, "content-language"), "en", variant);
  }
});

test("the origin's Retry-After is kept", async () => {
  const answer = await answered(event(503, { request: { Accept: "text/html" }, response: { "Retry-After": "120" } }));
  assert.equal(value(answer, "retry-after"), "120");
});

test("a HEAD gets the page's headers and no body", async () => {
  const answer = await answered(event(503, { method: "HEAD", request: { Accept: "text/html" } }));
  assert.equal(answer.body, "");
  assert.equal(value(answer, "content-type"), "text/html; charset=utf-8");
});

test("the longest URI and headers a page can show stay far under the 1 MB limit, escaped", async () => {
  const uri = "/" + "<script>".repeat(500);
  const answer = (await answered(event(502, {
    uri,
    querystring: "q=" + "%22%3E".repeat(1200),
    request: { Accept: "text/html," + "x/y;q=0.1,".repeat(700), "Accept-Language": "fr;q=0.9,".repeat(700) },
  })));
  assert.ok(!answer.body.includes("<script><script>"), "the path is escaped");
  assert.ok(Buffer.byteLength(answer.body) < 100 * 1024);
});

test("a panic inside the module ends in the branded fallback page, and the next event is answered", async () => {
  const answer = await answered(event(502, { querystring: "chaos=panic", request: { Accept: "text/html" } }));
  assert.equal(answer.status, "500");
  assert.equal(value(answer, "x-edgepages"), "error; kind=fallback; cause=internal");
  assert.ok(answer.body.includes('<meta name="generator" content="edgepages">'));
  const next = await answered(event(502, { request: { Accept: "text/html" } }));
  assert.equal(next.status, "502");
});

test("a module that cannot load costs no healthy page, and origin errors still get a page", async () => {
  // The same index.mjs (and the status.mjs it imports) beside a broken edgepages.wasm, in a folder
  // of its own.
  const broken = mkdtempSync(join(tmpdir(), "edgepages-lambda-broken-"));
  for (const file of ["index.mjs", "status.mjs"]) copyFileSync(join(dir, file), join(broken, file));
  writeFileSync(join(broken, "edgepages.wasm"), Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0xff]));
  const failing = (await import(pathToFileURL(join(broken, "index.mjs")).href)).handler;
  const healthy = event(200);
  assert.equal(await failing(healthy), healthy.Records[0].cf.response);
  const answer = await answered(event(502, { request: { Accept: "text/html" }, response: { Via: "1.1 vegur" } }), failing);
  assert.equal(answer.status, "500");
  assert.match(answer.body, /try again/);
  assert.equal(value(answer, "via"), "1.1 vegur", "the read-only header is kept");
});

test("a probe of verify --live is answered by the module whatever the origin's status", async () => {
  // index.mjs skips the module for statuses it never replaces, but not for probe paths.
  for (const status of [200, 404]) {
    const answer = await answered(event(status, { uri: "/.well-known/edgepages/probe/502/Qx7-pL2_vN9tRk4wYz", request: { Accept: "application/json" }, response: { Via: "1.1 vegur" } }));
    assert.equal(answer.status, "502");
    assert.equal(value(answer, "x-edgepages"), "probe");
  }
  const near = event(404, { uri: "/.well-known/edgepages/probe/404/Qx7-pL2_vN9tRk4wYz" });
  assert.equal(await handler(near), near.Records[0].cf.response, "not a probe: the origin's 404 goes through");
});

test("an event the module cannot read passes the origin's response through", async () => {
  const odd = event(502);
  odd.Records[0].cf.request.uri = 42;
  assert.equal(await handler(odd), odd.Records[0].cf.response);
});

test("the package is small enough for a viewer trigger too (1 MB)", () => {
  assert.ok(statSync(ZIP).size < ONE_MB, `${statSync(ZIP).size} bytes`);
});
