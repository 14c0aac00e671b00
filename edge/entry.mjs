// The worker's entry point. The Rust worker (built by worker-build into ./build) owns every rule;
// this file carries out its route for the common case and guards against the wasm module failing.
//
// The fast path: Rust's `route` says where a request goes and within what deadline (synchronously,
// no await in wasm); this file sends it with that deadline (through ./transport.mjs, which Rust's
// own sends use too) and hands a healthy response (below 500) straight back, streaming. A 5xx, a
// missed deadline or a failed connection goes back to Rust (`fail`), and so does every request
// `route` declines (maintenance, a breaker protecting the origin), through the Rust worker's own
// `fetch`. See edge/src/healthy_path.rs. The maintenance switch in KV is read here too, beside the
// requests (edge/src/switch.rs), and so is the status page, started here and read by Rust
// (edge/src/status.rs).
//
// If the wasm module itself fails (a panic or a trap the Rust code could not turn into a page),
// the visitor gets the branded fallback page instead of the platform's unbranded error 1101. A
// panic inside an async task does not reject the promise the request awaits: it surfaces as an
// uncaught WebAssembly.RuntimeError and strands every request in flight in wasm. So each such
// request also watches for a trap, and gets the fallback page; worker-build's shim re-creates the
// wasm instance for the next request. Any other stray error or unhandled rejection in the isolate
// fails nothing: each request keeps its own answer (worker-build's shim draws the same line).
import RustWorker from "./build/index.js";
import { send } from "./transport.mjs";

// Copied out of the wasm module while it is healthy: the fallback page and its headers (the
// markup itself lives in pages/ and is rendered when the worker is built).
let fallbackPage;
// One Rust worker for the calls that pass the request's env and ctx themselves (all but `fetch`):
// making one per request is work the fast path need not do (the guide's benchmarks,
// docs/src/benchmarks.md, have the measurement). The shim still re-creates its wasm instance after a trap.
let shared;
// One callback per request awaiting wasm, called when the wasm module traps.
const inFlight = new Set();

// Where the header edits start in the array `route` returns (edge/src/healthy_path.rs), and the
// upload bound (the same for every request of an isolate; Rust says).
const ROUTE_EDITS = 5;
let uploadMs;

// The maintenance switch in KV (binding EDGEPAGES, key "maintenance"; edge/src/switch.rs): when
// to read it next (Rust says: never more than its refresh interval after a read starts, whether
// that read settles or not), how many reads have started (so that Rust applies a late one only if
// no newer one was), and while the isolate's first read is pending, the one wait every request
// shares (bounded by Rust's first wait). Each read is passed to waitUntil, so it lands even after
// the request that started it is done.
const SWITCH_KEY = "maintenance";
let nextSwitchReadMs = 0;
let switchReads = 0;
let firstSwitchRead;

// The status page (`[status]`; edge/src/status.rs): when to read it next. Rust starts each read
// (in waitUntil, beside the requests) and says when the next is due, never when the site has none;
// until then a request does nothing but this comparison.
let nextStatusReadMs = 0;

// A new wasm instance has heard neither the switch nor the status page: the next request reads
// both again (and waits for the switch).
function forgetReads() {
  nextSwitchReadMs = 0;
  firstSwitchRead = undefined;
  nextStatusReadMs = 0;
}

function trapped(error) {
  if (!(error instanceof WebAssembly.RuntimeError)) {
    // The platform shows nothing for a stray rejection: log it, and fail no request.
    console.error(JSON.stringify({ edgepages: "stray_error", error: String((error && error.message) || error) }));
    return;
  }
  for (const fail of inFlight) fail(error);
  forgetReads();
}
addEventListener("error", (event) => trapped(event.error));
addEventListener("unhandledrejection", (event) => trapped(event.reason));

function fallback(err) {
  console.error(JSON.stringify({ edgepages: "worker_threw", error: String((err && err.message) || err) }));
  if (fallbackPage === undefined) {
    return new Response("Service unavailable. Please try again shortly.\n", {
      status: 500,
      headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", "retry-after": "10" },
    });
  }
  return new Response(fallbackPage.html, { status: 500, headers: fallbackPage.headers });
}

// `pending`, or the error the wasm module trapped with while it was pending.
async function guarded(pending) {
  let fail;
  const crash = new Promise((_, reject) => {
    fail = reject;
  });
  inFlight.add(fail);
  try {
    return await Promise.race([pending, crash]);
  } finally {
    inFlight.delete(fail);
  }
}

// Reads the switch when a read is due, beside the requests. Returns the wait for the isolate's
// first read while it is pending (every request then waits on it, bounded), else nothing: later
// reads land for the requests after them.
function readSwitchIfDue(worker, env, ctx, now) {
  const kv = env.EDGEPAGES;
  if (kv === undefined || now < nextSwitchReadMs) return firstSwitchRead;
  const first = nextSwitchReadMs === 0;
  nextSwitchReadMs = worker.switch_next_read_ms(now);
  const read = ++switchReads;
  const reading = kv.get(SWITCH_KEY).then(
    (value) => worker.switch_read(env, value ?? undefined, read, Date.now()),
    (error) => worker.switch_failed(String((error && error.message) || error), read),
  );
  ctx.waitUntil(reading);
  if (first) {
    const bound = new Promise((resolve) => setTimeout(resolve, worker.switch_first_wait_ms()));
    const wait = Promise.race([reading, bound]).then(() => {
      if (firstSwitchRead === wait) firstSwitchRead = undefined;
    });
    firstSwitchRead = wait;
  }
  return firstSwitchRead;
}

export default {
  async fetch(request, env, ctx) {
    const started = Date.now();
    try {
      const worker = (shared ??= new RustWorker(ctx, env));
      if (fallbackPage === undefined) {
        const [html, headers] = worker.fallback_page();
        fallbackPage = { html, headers: JSON.parse(headers) };
      }
      if (started >= nextStatusReadMs) nextStatusReadMs = worker.status_refresh(env, ctx, started);
      const firstRead = readSwitchIfDue(worker, env, ctx, started);
      if (firstRead !== undefined) await firstRead;
      const headers = request.headers;
      const route = worker.route(
        env,
        request.method,
        request.url,
        headers.get("cookie") ?? undefined,
        headers.get("cf-connecting-ip") ?? undefined,
        started,
      );
      // The Rust worker's own fetch, for the requests route declines, reads this request's ctx.
      if (route === undefined) return await guarded(new RustWorker(ctx, env).fetch(request));

      const [target, deadlineMs, breakerSlot, keep, client] = route;
      uploadMs ??= worker.upload_timeout_ms(env);
      const sent = await send(request, target, route, ROUTE_EDITS, deadlineMs, uploadMs, false);
      const response = sent.response;
      if (response !== undefined && response.status < 500) {
        if (breakerSlot >= 0) worker.healthy(env, breakerSlot, client, Date.now());
        return keep && response.status === 200 ? worker.keep(env, ctx, request, response, started) : response;
      }
      return await guarded(worker.fail(request, env, ctx, sent, deadlineMs, started));
    } catch (err) {
      // A trap the handler caught itself: the new wasm instance has heard neither read either.
      if (err instanceof WebAssembly.RuntimeError) forgetReads();
      return fallback(err);
    }
  },
};
