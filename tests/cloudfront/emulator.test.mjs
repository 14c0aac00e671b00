// The emulator's CloudFront around a function: the headers and query strings each behavior's
// policies let through, error caching by cache key, request collapsing, and custom error
// responses in each order. A recording function stands in where only CloudFront is under test;
// the packaged function (the chaos zip, as in tests/lambda-edge/) where its answers matter.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";

import { unpack } from "../lambda-edge/event.mjs";
import { Distribution } from "./emulator.mjs";
import { BEHAVIORS, CACHING_OPTIMIZED } from "./policies.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const ZIP = process.env.EDGEPAGES_LAMBDA_ZIP || join(ROOT, "target", "lambda-edge", "edgepages-lambda-edge-chaos.zip");

/** An origin on loopback: `/status/N` (or `?s=N`) answers N after `?ms=` milliseconds, with
 * `?cc=` as its Cache-Control; it counts requests. */
let origin;
let originUrl;
const hits = new Map();
before(async () => {
  origin = createServer((req, res) => {
    const url = new URL(req.url, "http://origin");
    hits.set(url.pathname, (hits.get(url.pathname) || 0) + 1);
    const status = Number(url.searchParams.get("s")) || Number(url.pathname.split("/")[2]) || 200;
    const cacheControl = url.searchParams.get("cc");
    setTimeout(() => {
      res.writeHead(status, { "content-type": "text/html", via: "1.1 vegur", ...(cacheControl ? { "cache-control": cacheControl } : {}) });
      res.end(`<p>origin ${status}: ${req.url}</p>`);
    }, Number(url.searchParams.get("ms") || 0));
  });
  await new Promise((resolve) => origin.listen(0, "127.0.0.1", resolve));
  originUrl = `http://127.0.0.1:${origin.address().port}`;
});
after(() => origin.close());

/** A function that records each event and returns the origin's response untouched. */
function recorder() {
  const events = [];
  const handler = async (event) => {
    events.push(event);
    return event.Records[0].cf.response;
  };
  return { events, handler };
}

const viewer = (path, headers = [], method = "GET") => {
  const [pathname, search = ""] = path.split("?");
  return { method, path: pathname, search, headers, clientIp: "203.0.113.9" };
};
const BROWSER = [["Accept", "text/html"], ["Accept-Language", "fr"], ["Cookie", "session=abc"], ["Host", "shop.example"]];

test("the function sees the viewer headers and query strings each behavior's policies forward", async () => {
  const seen = {};
  for (const name of ["per-viewer", "variant", "legacy"]) {
    const { events, handler } = recorder();
    const cf = new Distribution({ origin: originUrl, behavior: name }, handler);
    await cf.request(viewer("/status/200?q=1", [...BROWSER, ["X-Edgepages-Variant", "html.fr"]]));
    const request = events[0].Records[0].cf.request;
    seen[name] = { headers: Object.keys(request.headers).sort(), querystring: request.querystring };
  }
  // AllViewerExceptHostHeader: every viewer header but Host, and the query string.
  // (User-Agent is CloudFront's own, "Amazon CloudFront", since this viewer sent none.)
  // Host is the origin's domain whatever the viewer sent (CUSTOM_ORIGIN's table: "CloudFront sets
  // the value to the domain name of the origin").
  assert.deepEqual(seen["per-viewer"].headers, ["accept", "accept-language", "cookie", "host", "user-agent", "via", "x-edgepages-variant", "x-forwarded-for"]);
  assert.equal(seen["per-viewer"].querystring, "q=1");
  assert.ok(seen.variant.headers.includes("x-edgepages-variant"));
  // Legacy settings forwarding nothing: CloudFront's own headers only, and no query string.
  assert.deepEqual(seen.legacy.headers, ["host", "user-agent", "via", "x-forwarded-for"]);
  assert.equal(seen.legacy.querystring, "");
});

test("the function never sees a disallowed header, sees the origin's Host, and one X-Forwarded-For ending in the viewer's address", async () => {
  const { events, handler } = recorder();
  const cf = new Distribution({ origin: originUrl, behavior: "per-viewer" }, handler);
  await cf.request(viewer("/status/200?h=1", [
    ...BROWSER,
    ["Connection", "keep-alive"],
    ["Upgrade", "h2c"],
    ["X-Real-IP", "192.0.2.1"],
    ["X-Forwarded-For", "198.51.100.7"],
  ]));
  const headers = events[0].Records[0].cf.request.headers;
  // edge-function-restrictions-all.html, "Disallowed headers": "not exposed to edge functions".
  for (const name of ["connection", "upgrade", "x-real-ip"]) assert.equal(headers[name], undefined, name);
  assert.deepEqual(headers.host, [{ key: "Host", value: "alb.example" }]);
  // RequestAndResponseBehaviorCustomOrigin.html, "Client IP Addresses": a viewer's
  // X-Forwarded-For gets the address CloudFront saw appended to its end.
  assert.deepEqual(headers["x-forwarded-for"], [{ key: "X-Forwarded-For", value: "198.51.100.7,203.0.113.9" }]);
});

test("a HEAD never answers a later GET with its empty body: the two are cached apart (inferred)", async () => {
  const { handler } = recorder();
  const cf = new Distribution({ origin: originUrl, behavior: "caching-unkeyed" }, handler);
  const path = `/status/200?head=${Math.random()}`;
  const head = await cf.request(viewer(path, [], "HEAD"));
  assert.equal(head.body.length, 0);
  const get = await cf.request(viewer(path));
  assert.match(get.body.toString(), /origin 200/);
});

test("CloudFront's own 502 for an origin it cannot reach is kept only where a custom error response names the code (inferred)", async () => {
  // knowledge-center (CloudFront 502/503/504 troubleshooting): "CloudFront doesn't cache its own
  // error responses unless specified otherwise in a custom error response".
  const closed = createServer();
  await new Promise((resolve) => closed.listen(0, "127.0.0.1", resolve));
  const unreachable = `http://127.0.0.1:${closed.address().port}`;
  await new Promise((resolve) => closed.close(resolve));
  for (const [customErrors, asked] of [[[], 2], [[{ code: 502, ttl: 5 }], 1]]) {
    const { handler } = recorder();
    const cf = new Distribution({ origin: unreachable, customErrors }, handler);
    const first = await cf.request(viewer("/status/200?gone=1"));
    assert.equal(first.status, 502);
    await cf.request(viewer("/status/200?gone=1"));
    assert.equal(cf.originRequests, asked, JSON.stringify(customErrors));
  }
});

test("an expired copy is served while the origin answers 5xx, for the error caching TTL", async () => {
  // HTTPStatusCodes.html, "The requested object is in the edge cache": when "the object is in the
  // edge cache but it has expired" and the origin "returns an HTTP 5xx status code", "CloudFront
  // serves the object even though it has expired. For the duration of the error caching minimum
  // TTL ... CloudFront continues to respond to viewer requests by serving the object"; a 4xx
  // goes to the viewer.
  const { events, handler } = recorder();
  const cf = new Distribution({ origin: originUrl, behavior: "caching-unkeyed", errorCachingMinTtl: 5 }, handler);
  const path = `/stale/${Math.random()}`;
  await cf.request(viewer(`${path}?s=200&cc=max-age%3D1`));
  await new Promise((resolve) => setTimeout(resolve, 1100));
  const during = await cf.request(viewer(`${path}?s=503`));
  assert.equal(during.status, 200);
  assert.match(during.body.toString(), /origin 200/);
  // The origin-response function still ran on the origin's 503 ("executes even if an error is
  // returned from the origin": lambda-cloudfront-trigger-events.html).
  assert.equal(events.length, 2);
  const asked = cf.originRequests;
  const again = await cf.request(viewer(`${path}?s=503`));
  assert.match(again.body.toString(), /origin 200/);
  assert.equal(cf.originRequests, asked, "kept for the error caching TTL without asking the origin");
  // A 4xx is no reason to serve the expired copy.
  const other = `/stale/${Math.random()}`;
  await cf.request(viewer(`${other}?s=200&cc=max-age%3D1`));
  await new Promise((resolve) => setTimeout(resolve, 1100));
  assert.equal((await cf.request(viewer(`${other}?s=404`))).status, 404);
});

test("a GET the origin never answers is tried once per connection attempt; a POST once", async () => {
  // RequestAndResponseBehaviorCustomOrigin.html, "Origin response timeout": for GET and HEAD, "If
  // the specified number of origin connection attempts is more than 1, CloudFront tries again to
  // get a complete response"; for DELETE, OPTIONS, PATCH, PUT and POST it "doesn't try again".
  const { handler } = recorder();
  const cf = new Distribution({ origin: originUrl, readTimeoutMs: 100, connectionAttempts: 3 }, handler);
  for (const [method, tries] of [["GET", 3], ["POST", 1]]) {
    const path = `/status/200/${method}-${Math.random()}`;
    const r = await cf.request(viewer(`${path}?ms=400`, [], method));
    assert.equal(r.status, 504, method);
    assert.equal(hits.get(path), tries, method);
  }
});

test("a request longer than 20,480 bytes, or a URL longer than 8,192, is CloudFront's 413", async () => {
  // RequestAndResponseBehaviorCustomOrigin.html, "Maximum length of a request and maximum length of
  // a URL": "The maximum length of a request, including the path, the query string (if any), and
  // headers, is 20,480 bytes"; the URL's, 8192 bytes; beyond either "CloudFront returns HTTP
  // status code 413".
  const { events, handler } = recorder();
  const cf = new Distribution({ origin: originUrl }, handler);
  const big = await cf.request(viewer("/status/200?big=1", [["Cookie", "a=" + "x".repeat(20_500)]]));
  assert.equal(big.status, 413);
  const long = await cf.request(viewer(`/status/200?q=${"y".repeat(8_200)}`));
  assert.equal(long.status, 413);
  assert.equal(events.length, 0, "neither reached the origin");
  assert.equal((await cf.request(viewer("/status/200?small=1", [["Cookie", "a=" + "x".repeat(10_000)]]))).status, 200);
});

test("an error is kept for the error caching TTL under its cache key, whatever its Cache-Control", async () => {
  const { events, handler } = recorder();
  const cf = new Distribution({ origin: originUrl, behavior: "per-viewer", errorCachingMinTtl: 1 }, handler);
  const first = await cf.request(viewer("/status/503?a=1"));
  const second = await cf.request(viewer("/status/503?a=2"));
  assert.equal(second.body.toString(), first.body.toString(), "the per-viewer key is the path alone");
  assert.equal(events.length, 1);
  await new Promise((resolve) => setTimeout(resolve, 1100));
  await cf.request(viewer("/status/503?a=3"));
  assert.equal(events.length, 2, "asked again once the TTL ran out");
});

test("simultaneous requests are collapsed only where the policies allow it, and only by cache key", async () => {
  const noCookies = { cachePolicy: { ...CACHING_OPTIMIZED, headers: ["accept-language"] }, originRequestPolicy: null };
  for (const [behavior, same, other] of [[noCookies, 1, 2], [BEHAVIORS["per-viewer"], 2, 2]]) {
    const { events, handler } = recorder();
    const cf = new Distribution({ origin: originUrl, behavior }, handler);
    const path = `/status/502?ms=150&b=${Math.random()}`;
    await Promise.all([cf.request(viewer(path, [["Accept-Language", "fr"]])), cf.request(viewer(path, [["Accept-Language", "fr"]]))]);
    assert.equal(events.length, same, `${behavior.cachePolicy.name}: same key`);
    const other2 = `/status/502?ms=150&c=${Math.random()}`;
    const { events: e2, handler: h2 } = recorder();
    const cf2 = new Distribution({ origin: originUrl, behavior }, h2);
    await Promise.all([cf2.request(viewer(other2, [["Accept-Language", "fr"]])), cf2.request(viewer(other2, [["Accept-Language", "de"]]))]);
    assert.equal(e2.length, other, `${behavior.cachePolicy.name}: another key`);
  }
});

test("custom error responses replace the function's answer in one order and not in the other", async () => {
  const { handler } = await unpack(ZIP);
  // The static pages publish uploads, rendered by the binary scripts/build-lambda-edge built.
  const pages = join(ROOT, "target", "emulator-pages");
  execFileSync(join(ROOT, "target", "debug", "edgepages"), ["--config", "edgepages.toml", "render", "--out", pages], { cwd: ROOT });
  const bodies = {};
  for (const order of ["after-function", "before-function"]) {
    const cf = new Distribution({
      origin: originUrl,
      behavior: "per-viewer",
      customErrors: [{ code: 502, pagePath: "/edgepages/502.html", responseCode: 502 }],
      customErrorOrder: order,
      pages,
    }, handler);
    const r = await cf.request(viewer(`/status/502?o=${order}`, [["Accept", "application/json"]]));
    bodies[order] = r;
    assert.equal(r.status, 502);
  }
  assert.equal(bodies["after-function"].headers["x-emulator"], "custom-error-response");
  assert.equal(bodies["before-function"].headers["x-emulator"], "function");
  assert.equal(bodies["before-function"].headers["content-type"], "application/problem+json");
});

test("a throttled function is CloudFront's 503, which no custom error response replaces", async () => {
  const { handler } = recorder();
  const cf = new Distribution({
    origin: originUrl,
    throttled: true,
    customErrors: [{ code: 503, pagePath: "/edgepages/503.html", responseCode: 503 }],
    customErrorOrder: "after-function",
    pages: "/nonexistent",
  }, handler);
  const r = await cf.request(viewer("/status/200"));
  assert.equal(r.status, 503);
  assert.equal(r.headers["x-cache"], "LambdaLimitExceeded from cloudfront");
  assert.equal(r.headers["x-emulator"], "cloudfront");
});

test("a function that throws is CloudFront's 503, which a 503 custom error response does replace", async () => {
  // http-503-service-unavailable.html#http-503-lambda-execution-error: an execution error is a
  // 503. The custom error page is skipped only for "Capacity Exceeded or Limit Exceeded"
  // (custom-error-pages.html), which an execution error is not, so in either order the page
  // replaces it (inferred from that narrow exception).
  const pages = join(ROOT, "target", "emulator-pages-503");
  mkdirSync(join(pages, "edgepages"), { recursive: true });
  writeFileSync(join(pages, "edgepages", "503.html"), "<p>static 503</p>");
  for (const order of ["after-function", "before-function"]) {
    const cf = new Distribution({
      origin: originUrl,
      customErrors: [{ code: 503, pagePath: "/edgepages/503.html", responseCode: 503 }],
      customErrorOrder: order,
      pages,
    }, () => { throw new Error("boom"); });
    const r = await cf.request(viewer(`/status/502?threw=${order}`));
    assert.equal(r.status, 503, order);
    assert.equal(r.headers["x-emulator"], "custom-error-response", order);
    assert.equal(r.body.toString(), "<p>static 503</p>", order);
  }
  const bare = new Distribution({ origin: originUrl }, () => { throw new Error("boom"); });
  const r = await bare.request(viewer("/status/502?threw=bare"));
  assert.equal(r.status, 503);
  assert.equal(r.headers["x-cache"], "LambdaExecutionError from cloudfront");
});

test("a custom error page missing from the bucket is S3's 403 AccessDenied, as publish grants only s3:GetObject", async () => {
  // custom-error-pages.html: when the page isn't available, CloudFront returns "the status code
  // that CloudFront received from the origin that contains the custom error pages". For S3 that is
  // a 403, not a 404, without s3:ListBucket (API_GetObject.html, "Permissions": "If you don't have
  // the s3:ListBucket permission, Amazon S3 returns an HTTP status code 403 Access Denied error"),
  // and publish's bucket policy grants the OAC s3:GetObject alone (crates/publish/src/policy.rs).
  const { handler } = recorder();
  const cf = new Distribution({
    origin: originUrl,
    customErrors: [{ code: 502, pagePath: "/edgepages/502.html", responseCode: 502 }],
    customErrorOrder: "after-function",
    pages: "/nonexistent",
  }, handler);
  const r = await cf.request(viewer("/status/502?missing=1"));
  assert.equal(r.status, 403);
  assert.match(r.body.toString(), /<Code>AccessDenied<\/Code>/);
});

test("custom error pages without a declared order are refused: AWS does not document one", () => {
  assert.throws(() => new Distribution({ origin: originUrl, customErrors: [{ code: 502, pagePath: "/p.html" }] }, () => {}), /customErrorOrder/);
});
