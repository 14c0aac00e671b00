// The emulator's reading of CloudFront's rules, each shown live: a result breaking it is refused
// (CloudFront's 502), and the nearest result that keeps it is taken. The rules and their sources
// are in rules.mjs; these tests hold each one to a case.
import assert from "node:assert/strict";
import { test } from "node:test";

import { cfHeaders } from "../lambda-edge/event.mjs";
import { invoke } from "./lambda.mjs";
import { DISALLOWED, MAX_GENERATED_BYTES, READ_ONLY_IN_ORIGIN_RESPONSE, validate } from "./rules.mjs";

const origin = () => ({
  status: "502",
  statusDescription: "Bad Gateway",
  headers: cfHeaders([["Via", "1.1 vegur"], ["Transfer-Encoding", "chunked"], ["Server", "gunicorn"]]),
});
const answer = (extra = {}) => ({
  status: "502",
  statusDescription: "Bad Gateway",
  headers: { ...cfHeaders([["Content-Type", "text/html"]]), via: [{ key: "Via", value: "1.1 vegur" }], "transfer-encoding": [{ key: "Transfer-Encoding", value: "chunked" }] },
  body: "<p>down</p>",
  bodyEncoding: "text",
  ...extra,
});
const refused = (result, original = origin()) => {
  const why = validate(result, original);
  assert.ok(why, `taken: ${JSON.stringify(result).slice(0, 200)}`);
  return why.message;
};

test("the origin's response, untouched, and an answer keeping the rules are taken", () => {
  assert.equal(validate(origin(), origin()), null);
  assert.equal(validate(answer(), origin()), null);
  // A key may be left out: Lambda@Edge then writes the name itself.
  const keyless = answer();
  keyless.headers["x-robots-tag"] = [{ value: "noindex" }];
  assert.equal(validate(keyless, origin()), null);
});

test("a disallowed header, in any case or family, is CloudFront's 502", () => {
  for (const name of [...DISALLOWED, "x-amz-cf-pop", "x-edge-location"]) {
    const result = answer();
    result.headers[name] = [{ key: name, value: "x" }];
    assert.match(refused(result), /blacklisted header/, name);
  }
});

test("a read-only header dropped, changed or added is CloudFront's 502", () => {
  assert.deepEqual(READ_ONLY_IN_ORIGIN_RESPONSE, ["transfer-encoding", "via"]);
  for (const name of READ_ONLY_IN_ORIGIN_RESPONSE) {
    const dropped = answer();
    delete dropped.headers[name];
    assert.match(refused(dropped), /read-only header/, `${name} dropped`);
    const changed = answer();
    changed.headers[name] = [{ key: name, value: "1.1 edgepages" }];
    assert.match(refused(changed), /read-only header/, `${name} changed`);
    const added = answer();
    const bare = origin();
    delete bare.headers[name];
    assert.match(refused(added, bare), /read-only header/, `${name} added`);
  }
});

test("a status outside 200 to 599, or not a string, is CloudFront's 502", () => {
  for (const status of ["199", "600", "1000", "abc", 502, undefined]) assert.ok(refused(answer({ status })), String(status));
  for (const status of ["200", "599"]) assert.equal(validate(answer({ status }), origin()), null, status);
});

test("headers not in CloudFront's shape are CloudFront's 502", () => {
  const cases = {
    upper: (h) => { h["Content-Type"] = [{ value: "text/html" }]; },
    notArray: (h) => { h["x-a"] = { value: "1" }; },
    valueNotString: (h) => { h["x-a"] = [{ key: "X-A", value: 1 }]; },
    keyMismatch: (h) => { h["x-a"] = [{ key: "X-B", value: "1" }]; },
    carriageReturn: (h) => { h.location = [{ key: "Location", value: "/a\r\nSet-Cookie: x=1" }]; },
    badName: (h) => { h["x a"] = [{ value: "1" }]; },
  };
  for (const [what, edit] of Object.entries(cases)) {
    const result = answer();
    edit(result.headers);
    assert.ok(refused(result), what);
  }
});

test("the body's encoding and size are held to CloudFront's limits", () => {
  assert.ok(refused(answer({ bodyEncoding: "gzip" })));
  assert.ok(refused(answer({ bodyEncoding: "base64", body: "not base64!" })));
  assert.equal(validate(answer({ bodyEncoding: "base64", body: Buffer.from("ok").toString("base64") }), origin()), null);
  assert.ok(refused(answer({ body: 42 })));
  assert.match(refused(answer({ body: "x".repeat(MAX_GENERATED_BYTES) })), /larger than/);
  assert.equal(validate(answer({ body: "x".repeat(MAX_GENERATED_BYTES - 1000) }), origin()), null);
});

test("a function that throws, times out, is throttled or returns nothing gets CloudFront's own answer", async () => {
  const event = { Records: [{ cf: { config: { requestId: "req-1" }, request: {}, response: origin() } }] };
  // http-503-service-unavailable.html#http-503-lambda-execution-error: a function that throws is
  // CloudFront's 503 (pages archived before 2024 said 500).
  const threw = await invoke(() => { throw new Error("boom"); }, event);
  assert.equal(threw.response.status, 503);
  assert.equal(threw.response.headers["x-cache"], "LambdaExecutionError from cloudfront");
  const slow = await invoke(() => new Promise(() => {}), event, { timeoutMs: 20 });
  assert.equal(slow.response.status, 503);
  const throttled = await invoke(() => origin(), event, { throttled: true });
  assert.equal(throttled.response.status, 503);
  assert.equal(throttled.response.headers["x-cache"], "LambdaLimitExceeded from cloudfront");
  const nothing = await invoke(() => undefined, event);
  assert.equal(nothing.response.status, 502);
  assert.equal(nothing.response.headers["x-cache"], "LambdaValidationError from cloudfront");
  assert.match(nothing.response.body, /Request ID: req-1/);
});
