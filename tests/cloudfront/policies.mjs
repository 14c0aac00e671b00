// A cache behavior's policies, as the emulator applies them: which viewer headers and query
// strings reach the origin (and so the origin-response function), what the cache key holds, and
// how long an answer is kept. Pure. Pages cited (CloudFront Developer Guide):
// - TOGETHER: understanding-how-origin-request-policies-and-cache-policies-work-together.html
// - RESTRICTIONS: edge-function-restrictions-all.html
// - CUSTOM_ORIGIN: RequestAndResponseBehaviorCustomOrigin.html
// - MANAGED_CACHE: using-managed-cache-policies.html; MANAGED_ORP: using-managed-origin-request-policies.html
// - ERROR_TTL: custom-error-pages-expiration.html; CACHED_ERRORS: HTTPStatusCodes.html

/** MANAGED_CACHE: CachingDisabled (all TTLs 0, nothing in the key) and CachingOptimized. */
export const CACHING_DISABLED = { name: "CachingDisabled", minTtl: 0, defaultTtl: 0, maxTtl: 0, headers: [], queryStrings: "none", cookies: "none" };
export const CACHING_OPTIMIZED = { name: "CachingOptimized", minTtl: 1, defaultTtl: 86400, maxTtl: 31536000, headers: [], queryStrings: "none", cookies: "none" };

/** MANAGED_ORP: AllViewerExceptHostHeader ("all headers in the viewer request" but Host, all
 * cookies, all query strings) and AllViewer. */
export const ALL_VIEWER_EXCEPT_HOST = { name: "AllViewerExceptHostHeader", headers: "allExcept", except: ["host"], queryStrings: "all", cookies: "all" };
export const ALL_VIEWER = { name: "AllViewer", headers: "all", queryStrings: "all", cookies: "all" };

/** The behaviors the tests pick by name. `legacy` is a behavior with no cache policy: its
 * ForwardedValues forward nothing and key nothing. */
export const BEHAVIORS = {
  // An app behind an ALB as most run it: nothing cached, every viewer header forwarded.
  "per-viewer": { cachePolicy: CACHING_DISABLED, originRequestPolicy: ALL_VIEWER_EXCEPT_HOST },
  // A behavior that caches, with the variant in its key (what publish sets up): the copy of
  // CachingOptimized with x-edgepages-variant, and the team's AllViewerExceptHostHeader.
  variant: {
    cachePolicy: { ...CACHING_OPTIMIZED, name: "edgepages-variant", headers: ["x-edgepages-variant"] },
    originRequestPolicy: ALL_VIEWER_EXCEPT_HOST,
  },
  // A behavior that caches, forwarding viewer headers that its key does not hold.
  "caching-unkeyed": { cachePolicy: CACHING_OPTIMIZED, originRequestPolicy: ALL_VIEWER_EXCEPT_HOST },
  legacy: { cachePolicy: null, originRequestPolicy: null, forwardedValues: { headers: [], queryString: false } },
};

const lower = (pairs) => pairs.map(([k, v]) => [k.toLowerCase(), v, k]);

function allowedBy(policyHeaders, name, except = []) {
  if (policyHeaders === "all") return true;
  if (policyHeaders === "allExcept") return !except.includes(name);
  return Array.isArray(policyHeaders) && policyHeaders.includes(name);
}

/**
 * The viewer's headers CloudFront sends to the origin: TOGETHER, "All URL query strings, HTTP
 * headers, and cookies that you specify in the cache key (using a cache policy) are automatically
 * included in origin requests. Any additional ... that you specify in an origin request policy
 * are also included". `viewer` is [[name, value], ...] as sent. Returns the same shape.
 */
export function forwardedHeaders(viewer, behavior) {
  const cp = behavior.cachePolicy;
  const orp = behavior.originRequestPolicy;
  const legacy = behavior.forwardedValues;
  return lower(viewer)
    .filter(([name]) => {
      if (name === "cookie") return (cp && cp.cookies !== "none") || (orp && orp.cookies !== "none");
      if (legacy) return legacy.headers.includes(name);
      return (cp && allowedBy(cp.headers, name)) || (orp && allowedBy(orp.headers, name, orp.except));
    })
    .map(([, value, key]) => [key, value]);
}

/**
 * The query string the origin-response function sees. RESTRICTIONS, "Query strings": "(Lambda@Edge
 * only) To access the query string in an origin request or origin response function, your cache
 * policy or origin request policy must be set to All for Query strings."
 */
export function functionQueryString(search, behavior) {
  const all = (p) => p && p.queryStrings === "all";
  if (behavior.forwardedValues) return behavior.forwardedValues.queryString ? search : "";
  return all(behavior.cachePolicy) || all(behavior.originRequestPolicy) ? search : "";
}

/**
 * The origin request's headers as the origin-response function sees them: the `forwarded` viewer
 * headers, less those CloudFront sets itself, then its own (CUSTOM_ORIGIN, "HTTP request headers
 * and CloudFront behavior" and "Client IP Addresses"):
 * - Host: "CloudFront sets the value to the domain name of the origin" (`originDomain`), unless a
 *   policy forwards the viewer's;
 * - X-Forwarded-For: the viewer's address, appended to the end of the viewer's own header when it
 *   sent one ("192.0.2.4,192.0.2.3,192.0.2.2"), so one header, never two;
 * - Via, and User-Agent "Amazon CloudFront" when the viewer's is not forwarded.
 * (`X-Amz-Cf-Id` is added too, but is disallowed, so no function sees it.) `viewer` is every
 * header the viewer sent, since CloudFront appends to its X-Forwarded-For whatever the policies.
 */
export function originRequestHeaders(forwarded, viewer, { clientIp, pop, originDomain }) {
  const names = new Set(forwarded.map(([k]) => k.toLowerCase()));
  const theirs = viewer.filter(([k]) => k.toLowerCase() === "x-forwarded-for").map(([, v]) => v.trim());
  const out = forwarded.filter(([k]) => k.toLowerCase() !== "x-forwarded-for");
  if (!names.has("host")) out.push(["Host", originDomain]);
  out.push(["X-Forwarded-For", [...theirs, clientIp].join(",")]);
  out.push(["Via", `2.0 ${pop}.cloudfront.net (CloudFront)`]);
  if (!names.has("user-agent")) out.push(["User-Agent", "Amazon CloudFront"]);
  return out;
}

/**
 * The cache key: the path always, plus what the cache policy (or legacy ForwardedValues) names.
 * CUSTOM_ORIGIN, request collapsing: "CloudFront only collapses requests that share a cache key".
 */
export function cacheKey(method, path, search, viewer, behavior) {
  const headers = Object.fromEntries(lower(viewer).map(([k, v]) => [k, v]));
  const cp = behavior.cachePolicy;
  const keyed = cp ? cp.headers : behavior.forwardedValues.headers;
  const query = cp ? (cp.queryStrings === "all" ? search : "") : behavior.forwardedValues.queryString ? search : "";
  // CACHED_ERRORS: "CloudFront always caches responses to GET and HEAD requests". Whether a HEAD's
  // answer, which has no body, can answer a later GET is not documented: the emulator keys the
  // two apart (inferred), since a shared entry would hand a GET the HEAD's empty body and make
  // the function look broken for something CloudFront may well not do.
  return JSON.stringify([method, path, query, keyed.map((h) => [h, headers[h] ?? null])]);
}

/** CACHED_ERRORS: "CloudFront always caches the following HTTP 4xx and 5xx status codes returned
 * by your origin": 404, 414, 500, 501, 502, 503, 504. */
export const ALWAYS_CACHED_ERRORS = [404, 414, 500, 501, 502, 503, 504];

function directives(cacheControl) {
  const out = {};
  for (const part of String(cacheControl || "").toLowerCase().split(",")) {
    const [k, v] = part.trim().split("=");
    if (k) out[k] = v === undefined ? true : Number(v);
  }
  return out;
}

/**
 * The lifetime the origin's headers ask for, in seconds, or undefined: s-maxage, then max-age,
 * then `Expires` against `now`. "If you specify values for both, then CloudFront uses only the
 * value that you set for Cache-Control max-age" (knowledge-center/cloudfront-cache-files-time).
 * An `Expires` that is no date counts as already expired (RFC 9111 §5.3).
 */
function askedSeconds(d, expires, now) {
  if (Number.isFinite(d["s-maxage"])) return d["s-maxage"];
  if (Number.isFinite(d["max-age"])) return d["max-age"];
  if (expires === undefined || expires === null) return undefined;
  const at = Date.parse(expires);
  return Number.isFinite(at) ? Math.max(0, Math.floor((at - now) / 1000)) : 0;
}

/**
 * Seconds CloudFront keeps `status` with `cacheControl` (and `expires`, the origin's `Expires`,
 * read against `now` in ms), or 0. `errorTtl` is the code's Error Caching Minimum TTL (ERROR_TTL:
 * 10 s when none is set). Only GET and HEAD are cached.
 */
export function ttlSeconds(method, status, cacheControl, behavior, errorTtl, { expires, now = Date.now() } = {}) {
  if (method !== "GET" && method !== "HEAD") return 0;
  const d = directives(cacheControl);
  const asked = askedSeconds(d, expires, now);
  const maxTtl = behavior.cachePolicy ? behavior.cachePolicy.maxTtl : 31536000;
  if (ALWAYS_CACHED_ERRORS.includes(status)) {
    // ERROR_TTL: "If the origin adds a Cache-Control: no-store, Cache-Control: no-cache, or
    // Cache-Control: private directive to the error codes 404, 410, 414, or 501, CloudFront
    // doesn't cache the error response. For all other error codes, CloudFront ignores the
    // no-store, no-cache, and private directives, and caches the error response for the Error
    // Caching Minimum TTL". "If the origin adds a Cache-Control max-age or Cache-Control s-maxage
    // directive, or an Expires header: CloudFront caches error responses for the greater of the
    // value in the header or the value of Error Caching Minimum TTL", max-age and s-maxage capped
    // at the Maximum TTL (the page names no cap for Expires; the emulator caps it too, as
    // Expiration.html does for healthy answers).
    // Whether CloudFront keeps an error at all on a behavior that caches nothing (CachingDisabled)
    // is not documented either way: the emulator keeps it, the worse case for one viewer's answer
    // reaching another.
    if ([404, 414, 501].includes(status) && (d["no-store"] || d["no-cache"] || d.private)) return 0;
    const fromHeader = Math.min(asked ?? 0, maxTtl);
    return Math.max(errorTtl, fromHeader);
  }
  if (status >= 400) return 0;
  const cp = behavior.cachePolicy;
  if (!cp || cp.maxTtl === 0) return 0;
  // API_CachePolicyConfig.html: "If your minimum TTL is greater than 0, CloudFront will cache
  // content for at least the duration specified in the cache policy's minimum TTL, even if the
  // Cache-Control: no-cache, no-store, or private directives are present"; Expiration.html's
  // table: with those directives it "caches for the minimum TTL" (0: not at all).
  if (d["no-store"] || d["no-cache"] || d.private) return cp.minTtl;
  return Math.min(Math.max(asked ?? cp.defaultTtl, cp.minTtl), cp.maxTtl);
}

/**
 * Whether simultaneous requests that share a cache key are collapsed into one origin request.
 * CUSTOM_ORIGIN, "Simultaneous requests for the same object (request collapsing)": "If you would
 * like to prevent all request collapsing, you can ... Use the managed cache policy
 * CachingDisabled ... [or] Forward cookies to the origin"; for one object, "set the minimum TTL
 * for the cache behavior to 0 and configure the origin to send Cache-Control: private, no-store,
 * no-cache, max-age=0, or s-maxage=0" (`cacheControl`: the first answer's).
 */
export function collapses(behavior, cacheControl) {
  const cp = behavior.cachePolicy;
  const orp = behavior.originRequestPolicy;
  if (cp && cp.name === "CachingDisabled") return false;
  if ((cp && cp.cookies !== "none") || (orp && orp.cookies !== "none")) return false;
  const minTtl = cp ? cp.minTtl : 0;
  if (minTtl === 0) {
    const d = directives(cacheControl);
    if (d.private || d["no-store"] || d["no-cache"] || d["max-age"] === 0 || d["s-maxage"] === 0) return false;
  }
  return true;
}
