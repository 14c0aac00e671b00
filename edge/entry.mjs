// The worker's entry point. The Rust worker (built by worker-build into ./build) owns every rule;
// this file carries out its route for the common case and guards against the wasm module failing.
//
// The fast path: Rust's `route` says where a request goes and within what deadline (synchronously,
// no await in wasm); this file sends it with that deadline and hands a healthy response (below
// 500) straight back, streaming. A 5xx, a missed deadline or a failed connection goes back to
// Rust (`fail`), and so does every request `route` declines (maintenance, a breaker protecting
// the origin), through the Rust worker's own `fetch`. See edge/src/healthy_path.rs. The maintenance
// switch in KV is read here too, beside the requests (edge/src/switch.rs).
//
// If the wasm module itself fails (a panic or a trap the Rust code could not turn into a page),
// the visitor gets the branded fallback page instead of the platform's unbranded error 1101. A
// panic inside an async task does not reject the promise the request awaits: it surfaces as an
// uncaught WebAssembly.RuntimeError and strands every request in flight in wasm. So each such
// request also watches for a trap, and gets the fallback page; worker-build's shim re-creates the
// wasm instance for the next request. Any other stray error or unhandled rejection in the isolate
// fails nothing: each request keeps its own answer (worker-build's shim draws the same line).
import RustWorker from "./build/index.js";

// Copied out of the wasm module while it is healthy: the fallback page and its headers (the
// markup itself lives in pages/ and is rendered when the worker is built).
let fallbackPage;
// One Rust worker for the calls that pass the request's env and ctx themselves (all but `fetch`):
// making one per request is work the fast path need not do (the README's benchmarks section has
// the measurement). The shim still re-creates its wasm instance after a trap.
let shared;
// One callback per request awaiting wasm, called when the wasm module traps.
const inFlight = new Set();

// The maintenance switch in KV (binding EDGEPAGES, key "maintenance"; edge/src/switch.rs): when
// to read it next (Rust says), and how long an isolate's first request waits for the first read.
// A read runs beside the requests, one at a time; only the isolate's first request waits.
const SWITCH_KEY = "maintenance";
let nextSwitchReadMs = 0;
let switchFirstWaitMs;

function trapped(error) {
  if (!(error instanceof WebAssembly.RuntimeError)) {
    // The platform shows nothing for a stray rejection: log it, and fail no request.
    console.error(JSON.stringify({ edgepages: "stray_error", error: String((error && error.message) || error) }));
    return;
  }
  for (const fail of inFlight) fail(error);
  // The new wasm instance has not heard the switch: read it again before the next request.
  nextSwitchReadMs = 0;
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

// Sends `request` to the route's target (`route[0]`) as the Rust worker's origin::send does: same
// method, headers (with the edits the route lists from index 4 on, as name, value pairs, null
// deleting: core's forward rules) and streamed body, redirects handed back, the subrequest aborted if its response
// headers have not come within `deadlineMs`. The timer is cleared once they have, so a long body
// is never cut.
async function send(request, route, deadlineMs) {
  const controller = new AbortController();
  const outbound = new Request(route[0], {
    method: request.method,
    headers: request.headers,
    body: request.body,
    redirect: "manual",
    signal: controller.signal,
  });
  for (let i = 4; i < route.length; i += 2) {
    if (route[i + 1] === null) outbound.headers.delete(route[i]);
    else outbound.headers.set(route[i], route[i + 1]);
  }
  const timer = setTimeout(() => controller.abort(), deadlineMs);
  try {
    return { response: await fetch(outbound) };
  } catch (error) {
    return { error, aborted: controller.signal.aborted };
  } finally {
    clearTimeout(timer);
  }
}

// Reads the switch when a read is due. Returns a promise to wait on for the isolate's first read
// (bounded by `switchFirstWaitMs`), else nothing: later reads land for the requests after them.
function readSwitchIfDue(worker, env, ctx, now) {
  const kv = env.EDGEPAGES;
  if (kv === undefined || now < nextSwitchReadMs) return undefined;
  const first = nextSwitchReadMs === 0;
  nextSwitchReadMs = Infinity;
  const reading = kv.get(SWITCH_KEY).then(
    (value) => {
      nextSwitchReadMs = worker.switch_read(env, value ?? undefined, Date.now());
    },
    (error) => {
      nextSwitchReadMs = worker.switch_failed(String((error && error.message) || error), Date.now());
    },
  );
  if (!first) {
    ctx.waitUntil(reading);
    return undefined;
  }
  switchFirstWaitMs ??= worker.switch_first_wait_ms();
  return Promise.race([reading, new Promise((resolve) => setTimeout(resolve, switchFirstWaitMs))]);
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
      const firstRead = readSwitchIfDue(worker, env, ctx, started);
      if (firstRead !== undefined) await firstRead;
      const route = worker.route(env, request.method, request.url, request.headers.get("cookie") ?? undefined, started);
      // The Rust worker's own fetch, for the requests route declines, reads this request's ctx.
      if (route === undefined) return await guarded(new RustWorker(ctx, env).fetch(request));

      const [, deadlineMs, breakerSlot, keep] = route;
      const { response, error, aborted } = await send(request, route, deadlineMs);
      if (response !== undefined && response.status < 500) {
        if (breakerSlot >= 0) worker.healthy(env, breakerSlot, Date.now());
        return keep && response.status === 200 ? worker.keep(env, ctx, request, response, started) : response;
      }
      return await guarded(worker.fail(request, env, ctx, response, error, aborted === true, deadlineMs, started));
    } catch (err) {
      return fallback(err);
    }
  },
};
