// The packaged Lambda@Edge function, as Lambda runs it: the zip unpacked, index.mjs imported in
// Node, and `handler` called with origin-response events shaped as AWS documents them
// ("Lambda@Edge event structure", CloudFront Developer Guide). Each test asserts the status, the
// headers (none that CloudFront forbids), the body, the language and the size.
//
// The zip is scripts/build-lambda-edge's, built with the test-only "chaos" feature; set
// EDGEPAGES_LAMBDA_ZIP to test another. scripts/test builds it before running this suite.
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { test } from "node:test";

import { originResponse, unpack } from "./event.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const ZIP = process.env.EDGEPAGES_LAMBDA_ZIP || join(ROOT, "target", "lambda-edge", "edgepages-lambda-edge-chaos.zip");
const { dir, handler } = await unpack(ZIP);

// "Restrictions on edge functions": disallowed headers, and those read-only in origin-response
// events. Kept here, apart from the Rust list, as the test's own reading of the documentation.
const FORBIDDEN = new Set([
  "connection", "expect", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
  "trailer", "upgrade", "x-accel-buffering", "x-accel-charset", "x-accel-limit-rate", "x-accel-redirect",
  "x-amzn-auth", "x-amzn-cf-billing", "x-amzn-cf-id", "x-amzn-cf-xff", "x-amzn-errortype",
  "x-amzn-fle-profile", "x-amzn-header-count", "x-amzn-header-order", "x-amzn-lambda-integration-tag",
  "x-amzn-requestid", "x-cache", "x-forwarded-proto", "x-real-ip", "transfer-encoding", "via",
]);
const forbidden = (name) => FORBIDDEN.has(name) || name.startsWith("x-amz-cf-") || name.startsWith("x-edge-");
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

/** What every generated answer must be: allowed headers, each with its key, text, under 1 MB. */
function wellFormed(answer) {
  for (const [name, values] of Object.entries(answer.headers)) {
    assert.equal(name, name.toLowerCase());
    assert.ok(!forbidden(name), `CloudFront forbids ${name}`);
    for (const h of values) assert.equal(h.key.toLowerCase(), name);
  }
  assert.equal(answer.bodyEncoding, "text");
  const size = Buffer.byteLength(answer.body) +
    Object.values(answer.headers).flat().reduce((n, h) => n + h.key.length + h.value.length + 4, 0);
  assert.ok(size < ONE_MB, `${size} bytes`);
  return answer;
}

test("an ALB's 500, 502, 503 and 504 become the branded page with the real status", async () => {
  for (const status of [500, 502, 503, 504]) {
    const answer = wellFormed(await handler(event(status, { request: { Accept: "text/html" } })));
    assert.equal(answer.status, String(status));
    assert.equal(value(answer, "content-type"), "text/html; charset=utf-8");
    assert.match(value(answer, "retry-after"), /^\d+$/);
    assert.match(value(answer, "x-edgepages"), /^error; kind=/);
    assert.ok(value(answer, "content-security-policy"));
    assert.ok(answer.body.includes('<meta name="generator" content="edgepages">'));
    assert.ok(answer.body.includes(REQUEST_ID), "CloudFront's request ID on the page");
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
  const json = wellFormed(await handler(event(503, { request: { Accept: "application/json" } })));
  assert.equal(value(json, "content-type"), "application/problem+json");
  const problem = JSON.parse(json.body);
  assert.equal(problem.status, 503);
  assert.equal(problem.instance, "/checkout");
  assert.equal(problem.request_id, REQUEST_ID);
  assert.equal(String(problem.retry_after), value(json, "retry-after"));
  const text = wellFormed(await handler(event(503, { request: { Accept: "*/*", "User-Agent": "curl/8.5.0" } })));
  assert.equal(value(text, "content-type"), "text/plain; charset=utf-8");
  assert.ok(!text.body.includes("<"));
});

test("Accept-Language picks the page's language; missing or odd headers fall back to the default", async () => {
  const fr = wellFormed(await handler(event(502, { request: { Accept: "text/html", "Accept-Language": "fr-FR,fr;q=0.9" } })));
  assert.equal(value(fr, "content-language"), "fr");
  assert.match(fr.body, /<html lang="fr"/);
  const ar = wellFormed(await handler(event(502, { request: { Accept: "text/html", "Accept-Language": "ar" } })));
  assert.equal(value(ar, "content-language"), "ar");
  assert.match(ar.body, /dir="rtl"/);
  for (const request of [{}, { "Accept-Language": ";;q=x,,", Accept: "\u0000garbage" }]) {
    const answer = wellFormed(await handler(event(502, { request })));
    assert.equal(value(answer, "content-language"), "en");
  }
});

test("the variant the viewer-request function named wins over Accept and Accept-Language", async () => {
  const browser = { Accept: "text/html", "Accept-Language": "en" };
  const named = wellFormed(await handler(event(503, { request: { ...browser, "X-Edgepages-Variant": "problem.ar" } })));
  assert.equal(value(named, "content-type"), "application/problem+json");
  assert.equal(value(named, "content-language"), "ar");
  // Not one of the site's variants: the headers decide.
  for (const variant of ["problem.xx", "json.fr", ""]) {
    const answer = wellFormed(await handler(event(503, { request: { ...browser, "X-Edgepages-Variant": variant } })));
    assert.equal(value(answer, "content-type"), "text/html; charset=utf-8", variant);
    assert.equal(value(answer, "content-language"), "en", variant);
  }
});

test("the origin's Retry-After is kept", async () => {
  const answer = wellFormed(await handler(event(503, { request: { Accept: "text/html" }, response: { "Retry-After": "120" } })));
  assert.equal(value(answer, "retry-after"), "120");
});

test("a HEAD gets the page's headers and no body", async () => {
  const answer = wellFormed(await handler(event(503, { method: "HEAD", request: { Accept: "text/html" } })));
  assert.equal(answer.body, "");
  assert.equal(value(answer, "content-type"), "text/html; charset=utf-8");
});

test("the longest URI and headers a page can show stay far under the 1 MB limit, escaped", async () => {
  const uri = "/" + "<script>".repeat(500);
  const answer = wellFormed(await handler(event(502, {
    uri,
    querystring: "q=" + "%22%3E".repeat(1200),
    request: { Accept: "text/html," + "x/y;q=0.1,".repeat(700), "Accept-Language": "fr;q=0.9,".repeat(700) },
  })));
  assert.ok(!answer.body.includes("<script><script>"), "the path is escaped");
  assert.ok(Buffer.byteLength(answer.body) < 100 * 1024);
});

test("a panic inside the module ends in the branded fallback page, and the next event is answered", async () => {
  const answer = wellFormed(await handler(event(502, { querystring: "chaos=panic", request: { Accept: "text/html" } })));
  assert.equal(answer.status, "500");
  assert.equal(value(answer, "x-edgepages"), "error; kind=fallback; cause=internal");
  assert.ok(answer.body.includes('<meta name="generator" content="edgepages">'));
  const next = wellFormed(await handler(event(502, { request: { Accept: "text/html" } })));
  assert.equal(next.status, "502");
});

test("a module that cannot load costs no healthy page, and origin errors still get a page", async () => {
  // The same index.mjs beside a broken edgepages.wasm, in a folder of its own.
  const broken = mkdtempSync(join(tmpdir(), "edgepages-lambda-broken-"));
  copyFileSync(join(dir, "index.mjs"), join(broken, "index.mjs"));
  writeFileSync(join(broken, "edgepages.wasm"), Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0xff]));
  const failing = (await import(pathToFileURL(join(broken, "index.mjs")).href)).handler;
  const healthy = event(200);
  assert.equal(await failing(healthy), healthy.Records[0].cf.response);
  const answer = wellFormed(await failing(event(502, { request: { Accept: "text/html" } })));
  assert.equal(answer.status, "500");
  assert.match(answer.body, /try again/);
});

test("an event the module cannot read passes the origin's response through", async () => {
  const odd = event(502);
  odd.Records[0].cf.request.uri = 42;
  assert.equal(await handler(odd), odd.Records[0].cf.response);
});

test("the package is small enough for a viewer trigger too (1 MB)", () => {
  assert.ok(statSync(ZIP).size < ONE_MB, `${statSync(ZIP).size} bytes`);
});
