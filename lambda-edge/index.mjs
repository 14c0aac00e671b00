// The Lambda@Edge handler (origin-response): loads edgepages.wasm, hands it each event, and
// returns either CloudFront's own response object, untouched, or the branded page the Rust core
// chose. Lambda@Edge runs only AWS's Node.js runtimes and has no environment, so the site is
// baked into the wasm when it is built; this file holds no rule of its own.
//
// The function never throws: a thrown error would give the viewer CloudFront's unbranded 503 (a
// function execution error: http-503-service-unavailable.html; older docs: 500), a timeout its
// 503 too (Lambda limit exceeded). If the module traps (a panic), an origin error gets
// the fallback page copied out of the module at load time (a healthy response goes back
// untouched), and the next event gets a fresh instance. Every answer made here carries the
// origin's read-only headers, as the module's do.
import { readFileSync } from "node:fs";

import { fetchCapped } from "./status.mjs";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

// "Restrictions on all edge functions" (CloudFront Developer Guide): read-only in origin-response
// events; a result that adds, changes or drops one is CloudFront's own 502. The module's list
// (src/headers.rs READ_ONLY_IN_ORIGIN_RESPONSE) is this one, as a test there checks.
const READ_ONLY = ["transfer-encoding", "via"];

// Used only if the module cannot even be instantiated: no page can be rendered then.
let fallbackAnswer = {
  status: "500",
  statusDescription: "Internal Server Error",
  headers: {
    "content-type": [{ key: "Content-Type", value: "text/plain; charset=utf-8" }],
    "cache-control": [{ key: "Cache-Control", value: "no-store" }],
    "retry-after": [{ key: "Retry-After", value: "10" }],
  },
  body: "Service unavailable. Please try again shortly.\n",
  bodyEncoding: "text",
};
// The compiled module: undefined until tried, null if edgepages.wasm did not compile (it never
// will then: the file does not change while the function runs).
let module;
let instance = null;
// The statuses the module may replace and the prefix of its probe paths, as it said at load time;
// any other response goes back without entering the module. Until it has said, every status is
// asked about.
let replaceable = null;
let probePrefix = null;

// The status page (`[status]`; src/status.rs): how to read it, as the module said at load time
// (null: the site has none). Lambda@Edge has no waitUntil and no timer between invocations, so a
// read starts inside an invocation about to answer with a page, at most once per refresh
// interval; one still in flight when the invocation returns goes on when the container next runs.
let statusPlan = null;
let nextStatusReadMs = 0;
let statusReads = 0;
let statusReading = null;

function fresh() {
  // A new instance holds no copy of the status page: the next page reads it again.
  nextStatusReadMs = 0;
  statusReading = null;
  if (module === undefined) {
    module = null;
    module = new WebAssembly.Module(readFileSync(new URL("./edgepages.wasm", import.meta.url)));
  }
  if (module === null) throw new Error("edgepages.wasm did not compile");
  instance = new WebAssembly.Instance(module, {});
  return instance.exports;
}

function output(wasm, len) {
  return JSON.parse(decoder.decode(new Uint8Array(wasm.memory.buffer, wasm.edgepages_output(), len)));
}

/** `answer` (a fresh object) with the read-only headers of the origin's response, exactly. */
function withReadOnly(answer, original) {
  for (const name of READ_ONLY) {
    const kept = original && original.headers && original.headers[name];
    if (kept) answer.headers[name] = kept;
    else delete answer.headers[name];
  }
  return answer;
}

function log(fields) {
  console.error(JSON.stringify({ edgepages: fields.event, ...fields, event: undefined }));
}

try {
  const wasm = fresh();
  fallbackAnswer = output(wasm, wasm.edgepages_fallback()).response;
  const triage = output(wasm, wasm.edgepages_triage());
  replaceable = new Set(triage.statuses);
  probePrefix = triage.probe;
  const plan = output(wasm, wasm.edgepages_status_plan());
  if (plan.url) statusPlan = plan;
} catch (error) {
  instance = null;
  log({ event: "load_failed", error: String((error && error.message) || error) });
}

/** Whether `cf`'s request is for a probe path (the module tells probes apart from other paths). */
function probePath(cf) {
  const uri = cf.request && cf.request.uri;
  // "/." first: cheap, and false for nearly every path.
  return typeof uri === "string" && uri.charCodeAt(1) === 46 && uri.startsWith(probePrefix);
}

/** Hands read `read`'s answer (from fetchCapped) to the module; logs a read that gave nothing. */
function settleStatus(read, answer) {
  try {
    const wasm = instance ? instance.exports : fresh();
    const answered = !answer.error && answer.status === 200;
    const bytes = answered ? answer.body : encoder.encode(answer.error || `HTTP ${answer.status}`);
    const at = wasm.edgepages_input(bytes.length);
    new Uint8Array(wasm.memory.buffer, at, bytes.length).set(bytes);
    const settled = output(wasm, wasm.edgepages_status_settle(read, answered ? 1 : 0, Date.now()));
    if (settled.problem) log({ event: "status_unread", url: statusPlan.url, read, problem: settled.problem });
  } catch (error) {
    instance = null;
    log({ event: "function_threw", error: String((error && error.message) || error) });
  }
}

/** Starts a read of the status page when one is due, and returns at once: every event does this
 * (a comparison, when none is due), so that a maintenance on the status page is heard with only
 * healthy traffic too. The fetch sends no header of the viewer's. */
function startStatusRead(now) {
  if (!statusPlan || now < nextStatusReadMs) return;
  nextStatusReadMs = now + statusPlan.refresh_ms;
  const read = ++statusReads;
  const reading = fetchCapped(statusPlan.url, statusPlan.timeout_ms, statusPlan.cap_bytes).then((answer) => {
    if (statusReading === reading) statusReading = null;
    settleStatus(read, answer);
  });
  statusReading = reading;
}

/** Before a page: waits for the read in flight as long as the module says (nothing with a fresh
 * copy, else a short bound). */
async function statusBeforePage(wasm) {
  const waitMs = wasm.edgepages_status_wait(statusReading ? 1 : 0, Date.now());
  if (waitMs === 0) return;
  let timer;
  await Promise.race([statusReading, new Promise((done) => (timer = setTimeout(done, waitMs)))]);
  clearTimeout(timer);
}

export const handler = async (event) => {
  const cf = event && event.Records && event.Records[0] && event.Records[0].cf;
  const original = cf && cf.response;
  let statusMaintenance = false;
  if (statusPlan && instance) {
    try {
      const now = Date.now();
      startStatusRead(now);
      // While the status page switches maintenance on, every response is the module's to answer.
      statusMaintenance = instance.exports.edgepages_status_maintenance(now) === 1;
    } catch (error) {
      instance = null;
      log({ event: "function_threw", error: String((error && error.message) || error) });
    }
  }
  if (replaceable && original && !replaceable.has(Number(original.status)) && !probePath(cf) && !statusMaintenance) {
    return original;
  }
  try {
    if (statusPlan) await statusBeforePage(instance ? instance.exports : fresh());
    const wasm = instance ? instance.exports : fresh();
    const input = encoder.encode(JSON.stringify(event));
    const at = wasm.edgepages_input(input.length);
    new Uint8Array(wasm.memory.buffer, at, input.length).set(input);
    const seed = Math.floor(Math.random() * 0x1_0000_0000);
    const answer = output(wasm, wasm.edgepages_respond(Date.now() / 1000, seed));
    if (answer.error) log({ event: "passed_through", error: answer.error });
    if (answer.response) return answer.response;
    return original;
  } catch (error) {
    // A trap leaves the instance in an unknown state: the next event gets a new one.
    instance = null;
    log({ event: "function_threw", error: String((error && error.message) || error) });
    // The function's own failure never costs a visitor a healthy page: only an origin error
    // (or an unreadable status) gets the fallback page.
    const status = original ? Number(original.status) : NaN;
    if (status >= 100 && status < 500) return original;
    return withReadOnly(structuredClone(fallbackAnswer), original);
  }
};
