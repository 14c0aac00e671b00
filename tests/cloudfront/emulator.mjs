// A CloudFront emulator for the demo and the end-to-end tests: one cache behavior in front of an
// origin, with the packaged Lambda@Edge function on its origin-response event, enforcing what AWS
// documents of CloudFront around it:
// - which viewer headers and query strings reach the origin and the function (policies.mjs);
// - the function's result checked as CloudFront checks it, and CloudFront's own 502 when it fails
//   validation, its 503 when it throws, times out or is throttled (lambda.mjs, rules.mjs);
// - error caching for at least the Error Caching Minimum TTL, and collapsing of simultaneous
//   requests by cache key (policies.mjs); an expired copy served while the origin answers 5xx;
// - CloudFront's 413 for a request or URL longer than it allows;
// - custom error responses, applied to the function's answer or not: AWS does not document which,
//   so `customErrorOrder` picks, per run: "after-function" (a custom error response for the
//   status replaces the function's answer) or "before-function" (it applies only to responses the
//   function did not generate);
// - the origin's read timeout, which restarts with each packet, tried again per connection attempt
//   for GET and HEAD, and CloudFront's own 502 and 504 when the origin cannot be reached or times
//   out. The origin-response function then does not
//   run: AWS documents it runs "after CloudFront receives a response from the origin"
//   (lambda-cloudfront-trigger-events.html); that it does not run without one is inferred.
//
// Where AWS's documentation is silent the emulator's rule is inferred, and says so beside the
// rule; each is listed here, with why the emulator holds it:
// - a HEAD and a GET are cached apart (policies.mjs cacheKey): a shared entry would hand a GET
//   the HEAD's empty body;
// - a thrown function's 503 gets a 503 custom error page (customError): AWS names only Capacity
//   Exceeded and Limit Exceeded as skipping the page;
// - a result's status as a number, an upper-case or non-token header name, or a key naming
//   another header, is refused (rules.mjs validate): AWS documents the shape, not the refusal;
// - the 1 MB limit counts a base64 body encoded (rules.mjs generatedSize), the stricter reading;
// - CloudFront's own 502 or 504 (origin unreachable or timed out) is kept only when a custom
//   error response names its code (Distribution.fetch): AWS's pages disagree;
// - a request's length (for CloudFront's 413) counts each header as name, ": ", value and CRLF
//   (tooLong);
// - an expired copy served while the origin answers 5xx wins over the function's answer
//   (Distribution.fetch), as lambda-edge/src/respond.rs assumes: AWS documents both, not which;
//
// Usage: node tests/cloudfront/emulator.mjs CONFIG_JSON. The config (a JSON object):
//   zip           the function's package;
//   port          where to listen (127.0.0.1);
//   origin        the origin's URL;
//   readTimeoutMs the origin response timeout (CloudFront's default is 30 s);
//   connectionAttempts  the origin connection attempts (CloudFront's default is 3; publish sets 1);
//   behavior      a name from policies.mjs BEHAVIORS, or a behavior object (default "per-viewer");
//   errorCachingMinTtl  seconds, for every code without its own (CloudFront's default: 10);
//   customErrors  [{ code, pagePath, responseCode, ttl }] (pagePath and responseCode optional);
//   customErrorOrder    "after-function" or "before-function" (required with custom error pages);
//   pages         the folder `edgepages render --out` wrote, served as the pages' S3 origin;
//   functionTimeoutMs, throttled  the function's timeout, and Lambda's quotas refusing every call;
//   changeVia     stands for a function that breaks the read-only rule: every answer's Via is
//                 replaced after the function returns (CloudFront then refuses it).
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, request as httpRequest } from "node:http";
import { join, normalize } from "node:path";

import { originResponse, unpack } from "../lambda-edge/event.mjs";
import { invoke } from "./lambda.mjs";
import { BEHAVIORS, cacheKey, collapses, forwardedHeaders, functionQueryString, originRequestHeaders, ttlSeconds } from "./policies.mjs";
import { CLOUDFRONT_ERRORS, cloudfrontErrorPage, isDisallowed, resultBody } from "./rules.mjs";

export const ORDERS = ["after-function", "before-function"];
const POP = "EMU50-C1";
/** The origin's domain name as the event names it (`origin.custom.domainName` in
 * tests/lambda-edge/event.mjs), which CloudFront sends as the origin request's Host. */
const ORIGIN_DOMAIN = "alb.example";
/** CloudFront's default Error Caching Minimum TTL (custom-error-pages-expiration.html). */
const DEFAULT_ERROR_TTL = 10;
/** CloudFront's default origin response timeout (RequestAndResponseBehaviorCustomOrigin.html). */
const DEFAULT_READ_TIMEOUT_MS = 30_000;
/** RequestAndResponseBehaviorCustomOrigin.html, "Maximum length of a request and maximum length of
 * a URL": "The maximum length of a request, including the path, the query string (if any), and
 * headers, is 20,480 bytes"; "The maximum length of this URL is 8192 bytes". How CloudFront counts
 * a header is not documented: the emulator counts name, ": ", value and CRLF (inferred). */
const MAX_REQUEST_BYTES = 20_480;
const MAX_URL_BYTES = 8_192;

/** Whether CloudFront refuses `viewer` as too long, before anything else. */
function tooLong(viewer) {
  const url = Buffer.byteLength(viewer.path) + (viewer.search ? 1 + Buffer.byteLength(viewer.search) : 0);
  const headers = viewer.headers.reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + Buffer.byteLength(value) + 4, 0);
  return url > MAX_URL_BYTES || url + headers > MAX_REQUEST_BYTES;
}

/** CloudFront's default origin connection attempts (same page, "Origin connection timeout and
 * attempts": "3 attempts of 10 seconds each"). */
const DEFAULT_CONNECTION_ATTEMPTS = 3;

const requestId = () => randomBytes(42).toString("base64");

/** Headers as CloudFront's event holds them, from [name, value] pairs. */
const pairsOf = (raw) => {
  const pairs = [];
  for (let i = 0; i < raw.length; i += 2) pairs.push([raw[i], raw[i + 1]]);
  return pairs;
};

/** Asks the origin; resolves with its status, raw headers and whole body, or a failure kind. The
 * timeout is the socket's idle time: RequestAndResponseBehaviorCustomOrigin.html, "Origin response
 * timeout": the time CloudFront waits for a response, and "the amount of time ... that CloudFront
 * waits after receiving a packet of a response from the origin and before receiving the next
 * packet". An origin that trickles is therefore never cut off. */
function ask(origin, { method, path, headers }, readTimeoutMs) {
  return new Promise((resolve) => {
    const url = new URL(path, origin);
    const req = httpRequest(url, { method, headers, timeout: readTimeoutMs, setHost: true });
    let head = null;
    const chunks = [];
    req.on("timeout", () => {
      req.destroy();
      resolve(head ? { ...head, body: Buffer.concat(chunks), truncated: true } : { failure: "timedOut" });
    });
    req.on("error", () => resolve(head ? { ...head, body: Buffer.concat(chunks), truncated: true } : { failure: "connect" }));
    req.on("response", (res) => {
      head = { status: res.statusCode, statusText: res.statusMessage, headers: pairsOf(res.rawHeaders) };
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ ...head, body: Buffer.concat(chunks) }));
      res.on("error", () => resolve({ ...head, body: Buffer.concat(chunks), truncated: true }));
    });
    req.end();
  });
}

/** `ask`, tried again as CloudFront tries (RequestAndResponseBehaviorCustomOrigin.html, "Origin
 * response timeout"): for GET and HEAD, when the origin "doesn't respond or stops responding",
 * "CloudFront tries again to get a complete response", up to the origin connection attempts; for
 * the other methods it "doesn't try again". (An archived version of the page gave those methods
 * a fixed 30 s; the emulator keeps the configured timeout for them.) A refused connection is
 * tried again likewise ("Origin connection attempts is the number of times that CloudFront
 * attempts to connect to the origin"). */
async function askWithAttempts(origin, request, readTimeoutMs, attempts) {
  const tries = request.method === "GET" || request.method === "HEAD" ? Math.max(1, attempts) : 1;
  let answer;
  for (let i = 0; i < tries; i += 1) {
    answer = await ask(origin, request, readTimeoutMs);
    if (!answer.failure && !answer.truncated) return answer;
  }
  return answer;
}

/** `handler`, but every answer it generates gets another `Via`. */
function changingVia(handler) {
  return async (event) => {
    const result = await handler(event);
    if (result && result.body !== undefined) result.headers = { ...result.headers, via: [{ key: "Via", value: "1.1 changed" }] };
    return result;
  };
}

export class Distribution {
  constructor(config, handler) {
    this.config = config;
    this.handler = handler;
    this.behavior = typeof config.behavior === "object" ? config.behavior : BEHAVIORS[config.behavior || "per-viewer"];
    if (!this.behavior) throw new Error(`no behavior named ${config.behavior}`);
    this.customErrors = config.customErrors || [];
    if (this.customErrors.some((c) => c.pagePath) && !ORDERS.includes(config.customErrorOrder)) {
      throw new Error(`customErrorOrder must be one of ${ORDERS.join(", ")}: AWS does not document the order, so each run picks one`);
    }
    this.cache = new Map();
    this.inflight = new Map();
    this.originRequests = 0;
  }

  errorTtl(status) {
    const own = this.customErrors.find((c) => c.code === status && c.ttl !== undefined);
    return own ? own.ttl : (this.config.errorCachingMinTtl ?? DEFAULT_ERROR_TTL);
  }

  /** What the viewer gets for one request: { status, statusText, headers, body, truncated }. */
  async request(viewer) {
    const id = requestId();
    if (tooLong(viewer)) return this.toViewer({ ...this.fromPage(cloudfrontErrorPage("tooLong", id)), byFunction: false }, viewer.method, id, false);
    const key = cacheKey(viewer.method, viewer.path, viewer.search, viewer.headers, this.behavior);
    const now = Date.now();
    const cached = this.cache.get(key);
    let entry;
    let hit = false;
    if (cached && cached.expires > now) {
      entry = cached;
      hit = true;
    } else if (this.inflight.has(key) && collapses(this.behavior)) {
      // The first request's answer is awaited, then shared when it allows sharing.
      const first = await this.inflight.get(key);
      if (collapses(this.behavior, first.headers["cache-control"])) {
        entry = first;
        hit = true;
      }
    }
    if (!entry) {
      // An expired healthy copy stays in the cache, to be served if the origin fails.
      const expired = cached && cached.status < 400 ? cached : null;
      const pending = this.fetch(viewer, id, key, expired);
      this.inflight.set(key, pending);
      try {
        entry = await pending;
      } finally {
        if (this.inflight.get(key) === pending) this.inflight.delete(key);
      }
      hit = Boolean(entry.stale);
    }
    return this.toViewer(entry, viewer.method, id, hit);
  }

  /** Asks the origin, runs the function, caches: one cache entry. `expired`: the healthy copy the
   * cache holds for `key` past its TTL, if any. */
  async fetch(viewer, id, key, expired) {
    const forwarded = forwardedHeaders(viewer.headers, this.behavior);
    const query = functionQueryString(viewer.search, this.behavior);
    this.originRequests += 1;
    const origin = await askWithAttempts(
      this.config.origin,
      { method: viewer.method, path: viewer.path + (query ? `?${query}` : ""), headers: Object.fromEntries(forwarded) },
      this.config.readTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS,
      this.config.connectionAttempts ?? DEFAULT_CONNECTION_ATTEMPTS,
    );
    let entry;
    if (origin.failure) {
      entry = { ...this.fromPage(cloudfrontErrorPage(origin.failure, id)), byFunction: false, cloudfrontsOwn: true };
    } else {
      const event = originResponse({
        status: origin.status,
        statusDescription: origin.statusText,
        method: viewer.method,
        uri: viewer.path,
        querystring: query,
        requestId: id,
        clientIp: viewer.clientIp,
        // Disallowed headers are "not exposed to edge functions" (rules.mjs DISALLOWED), in the
        // request as in the response.
        requestHeaders: originRequestHeaders(forwarded, viewer.headers, { clientIp: viewer.clientIp, pop: POP, originDomain: ORIGIN_DOMAIN })
          .filter(([name]) => !isDisallowed(name)),
        // Disallowed headers are "not exposed to edge functions" (rules.mjs DISALLOWED).
        responseHeaders: origin.headers.filter(([name]) => !isDisallowed(name)),
      });
      const handler = this.config.changeVia ? changingVia(this.handler) : this.handler;
      const run = await invoke(handler, event, { timeoutMs: this.config.functionTimeoutMs, throttled: this.config.throttled });
      if (run.outcome === "cloudfront") {
        entry = { ...this.fromPage(run.response), byFunction: false, lambdaError: run.response.kind, validation: run.error };
      } else {
        const headers = {};
        for (const [name, values] of Object.entries(run.response.headers || {})) headers[name] = values.map((h) => h.value).join(", ");
        entry = {
          status: Number(run.response.status),
          statusText: run.response.statusDescription || "",
          headers,
          body: run.outcome === "answered" ? resultBody(run.response) : origin.body,
          truncated: run.outcome === "passed" && origin.truncated,
          byFunction: run.outcome === "answered",
        };
      }
    }
    // HTTPStatusCodes.html, "The requested object is in the edge cache": when it "has expired" and
    // the origin "returns an HTTP 5xx status code", "CloudFront serves the object even though it
    // has expired. For the duration of the error caching minimum TTL ... CloudFront continues to
    // respond to viewer requests by serving the object"; a timed-out origin counts as a 5xx
    // (same page). The function has run on the origin's response all the same
    // (lambda-cloudfront-trigger-events.html); that the expired copy wins over its answer is
    // inferred (lambda-edge/src/respond.rs assumes it too).
    const originStatus = origin.failure ? CLOUDFRONT_ERRORS[origin.failure].status : origin.status;
    if (expired && originStatus >= 500) {
      const stale = { ...expired, stale: true, expires: Date.now() + this.errorTtl(originStatus) * 1000 };
      this.cache.set(key, stale);
      return stale;
    }
    // CloudFront caches the answer under the cache key: the origin-response function runs "before
    // it caches the object" (lambda-cloudfront-trigger-events.html). That it does not cache its own
    // Lambda errors is not documented; the emulator keeps them out of the cache.
    // CloudFront's own 502 or 504 for an origin it could not reach or that timed out: AWS's pages
    // disagree. HTTPStatusCodes.html treats a timed-out origin request as "an HTTP 5xx error from
    // the origin"; AWS's knowledge-center troubleshooting says "CloudFront doesn't cache its own
    // error responses unless specified otherwise in a custom error response" (quoted as the
    // review quoted it; we did not find the page itself). The emulator keeps such an error only
    // when a custom error response names its code (inferred), so that a test never passes on a
    // cached error CloudFront may not keep.
    const uncachedOwn = entry.cloudfrontsOwn && !this.customErrors.some((c) => c.code === entry.status);
    const ttl = entry.lambdaError || uncachedOwn ? 0 : ttlSeconds(viewer.method, entry.status, entry.headers["cache-control"], this.behavior, this.errorTtl(entry.status), { expires: entry.headers.expires });
    if (ttl > 0 && !entry.truncated) this.cache.set(key, { ...entry, expires: Date.now() + ttl * 1000 });
    return entry;
  }

  fromPage(page) {
    return { status: page.status, statusText: "", headers: page.headers, body: Buffer.from(page.body) };
  }

  /** The custom error response that answers `entry` instead, if any. */
  customError(entry) {
    const custom = this.customErrors.find((c) => c.code === entry.status && c.pagePath);
    if (!custom) return null;
    // custom-error-pages.html: "If the CloudFront error code is Capacity Exceeded or Limit
    // Exceeded, CloudFront returns a 503 status code to the viewer without using your custom
    // error page." (A timed-out function is one of the "Lambda limit exceeded" 503s.) A function
    // that threw is the other 503, a "function execution error"
    // (http-503-service-unavailable.html), which that sentence does not name: its 503 gets the
    // custom error page (inferred from the exception's narrow wording).
    if (entry.lambdaError === "throttled" || entry.lambdaError === "timeout") return null;
    if (entry.byFunction && this.config.customErrorOrder === "before-function") return null;
    return custom;
  }

  /** The page behind a custom error response, from the pages' S3 origin. */
  page(custom) {
    const root = this.config.pages;
    const file = root && join(root, normalize(custom.pagePath).replace(/^(\.\.(\/|$))+/, ""));
    try {
      return {
        status: Number(custom.responseCode || custom.code),
        statusText: "",
        headers: { "content-type": "text/html; charset=utf-8", "cache-control": "public, max-age=60", server: "AmazonS3" },
        body: readFileSync(file),
      };
    } catch {
      // custom-error-pages.html: when the page is missing, "CloudFront returns to the viewer the
      // status code that CloudFront received from the origin that contains the custom error
      // pages". S3 answers a missing key with 403 AccessDenied, not 404, to a caller without
      // s3:ListBucket (API_GetObject.html, "Permissions"), and publish grants the OAC only
      // s3:GetObject (crates/publish/src/policy.rs).
      return { status: 403, statusText: "", headers: { "content-type": "application/xml", server: "AmazonS3" }, body: Buffer.from("<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>") };
    }
  }

  toViewer(entry, method, id, hit) {
    const custom = this.customError(entry);
    const answer = custom ? this.page(custom) : entry;
    // The headers CloudFront sets on every answer (RequestAndResponseBehaviorCustomOrigin.html,
    // "HTTP response headers that CloudFront removes or replaces"): its own Via, and the request's
    // ID and POP; X-Cache as it reports a hit, a miss or an error.
    let xCache = hit ? "Hit from cloudfront" : "Miss from cloudfront";
    if (entry.status >= 400) xCache = entry.lambdaError ? entry.headers["x-cache"] : "Error from cloudfront";
    const headers = { ...answer.headers };
    delete headers["transfer-encoding"];
    delete headers["content-length"];
    Object.assign(headers, {
      via: `1.1 ${POP.toLowerCase()}.cloudfront.net (CloudFront)`,
      "x-cache": xCache,
      "x-amz-cf-pop": POP,
      "x-amz-cf-id": id,
    });
    if (entry.validation) headers["x-emulator-validation"] = entry.validation;
    if (custom) headers["x-emulator"] = "custom-error-response";
    else if (entry.byFunction) headers["x-emulator"] = "function";
    else if (entry.lambdaError || entry.headers.server === "CloudFront") headers["x-emulator"] = "cloudfront";
    return { status: answer.status, statusText: answer.statusText, headers, body: method === "HEAD" ? Buffer.alloc(0) : answer.body, truncated: entry.truncated };
  }
}

/** Serves `distribution` over HTTP on 127.0.0.1:`port`. */
export function serve(distribution, port) {
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, "http://emulator");
    try {
      const answer = await distribution.request({
        method: req.method,
        path: url.pathname,
        search: url.search.slice(1),
        headers: pairsOf(req.rawHeaders),
        clientIp: req.socket.remoteAddress,
      });
      res.writeHead(answer.status, answer.statusText || undefined, answer.headers);
      if (answer.truncated) {
        res.write(answer.body);
        res.destroy();
        return;
      }
      res.end(answer.body);
    } catch (error) {
      // A fault of the emulator itself, never CloudFront's behaviour: say so loudly.
      res.writeHead(599, { "x-emulator": "broken" });
      res.end(String((error && error.stack) || error));
    }
  });
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve(server)));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const config = JSON.parse(process.argv[2]);
  const { handler } = await unpack(config.zip);
  const distribution = new Distribution(config, handler);
  await serve(distribution, Number(config.port));
  console.error(`cloudfront emulator on 127.0.0.1:${config.port} → ${config.origin} (${config.customErrorOrder || "no custom error pages"})`);
}
