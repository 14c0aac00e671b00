// The emulator's reading of a behavior's policies (policies.mjs), each rule held to a case: how
// long an answer is kept, and what the cache key holds. The pages each rule comes from are cited
// beside the rule in policies.mjs and again here where a case quotes one.
import assert from "node:assert/strict";
import { test } from "node:test";

import { CACHING_OPTIMIZED, ttlSeconds } from "./policies.mjs";

const behavior = (cachePolicy) => ({ cachePolicy, originRequestPolicy: null });

test("a healthy answer marked no-store, no-cache or private is kept for the minimum TTL when it is above 0", () => {
  // API_CachePolicyConfig.html: "If your minimum TTL is greater than 0, CloudFront will cache
  // content for at least the duration specified in the cache policy's minimum TTL, even if the
  // Cache-Control: no-cache, no-store, or private directives are present in the origin headers";
  // Expiration.html's table: it "caches for the minimum TTL".
  const minTtl5 = behavior({ ...CACHING_OPTIMIZED, minTtl: 5 });
  for (const cc of ["no-store", "no-cache", "private", "private, max-age=600"]) {
    assert.equal(ttlSeconds("GET", 200, cc, minTtl5, 10), 5, cc);
  }
  // With a minimum TTL of 0 the directives are obeyed: nothing is kept.
  const minTtl0 = behavior({ ...CACHING_OPTIMIZED, minTtl: 0 });
  assert.equal(ttlSeconds("GET", 200, "no-store", minTtl0, 10), 0);
  // Without them, the default TTL or the header's own, within the minimum and maximum.
  assert.equal(ttlSeconds("GET", 200, undefined, minTtl5, 10), CACHING_OPTIMIZED.defaultTtl);
  assert.equal(ttlSeconds("GET", 200, "max-age=2", minTtl5, 10), 5);
  assert.equal(ttlSeconds("GET", 200, "max-age=60", minTtl5, 10), 60);
});

test("an error is kept for the greater of the Error Caching Minimum TTL and its max-age, s-maxage or Expires", () => {
  // custom-error-pages-expiration.html: "If the origin adds a Cache-Control max-age or
  // Cache-Control s-maxage directive, or an Expires header: CloudFront caches error responses for
  // the greater of the value in the header or the value of Error Caching Minimum TTL."
  const now = Date.parse("2026-12-08T00:00:00Z");
  const inAMinute = new Date(now + 60_000).toUTCString();
  const b = behavior({ ...CACHING_OPTIMIZED });
  assert.equal(ttlSeconds("GET", 503, undefined, b, 10, { expires: inAMinute, now }), 60);
  assert.equal(ttlSeconds("GET", 503, undefined, b, 120, { expires: inAMinute, now }), 120);
  // An Expires in the past, or one that is no date, leaves the minimum.
  assert.equal(ttlSeconds("GET", 503, undefined, b, 10, { expires: "0", now }), 10);
  // max-age wins over Expires when both are sent (Expiration.html: Expires is for objects without
  // Cache-Control max-age).
  assert.equal(ttlSeconds("GET", 503, "max-age=30", b, 10, { expires: inAMinute, now }), 30);
  // The same header keeps a healthy answer that long.
  assert.equal(ttlSeconds("GET", 200, undefined, b, 10, { expires: inAMinute, now }), 60);
});
