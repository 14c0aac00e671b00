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
