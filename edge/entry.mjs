// The worker's entry point. It runs the Rust worker (built by worker-build into ./build) and, if
// the wasm module itself fails (a panic or a trap the Rust code could not turn into a page),
// answers with the branded fallback page instead of the platform's unbranded error 1101.
//
// A panic inside an async task does not reject the promise the request awaits: it surfaces as an
// uncaught error and strands every request in flight on the isolate. So each request also
// watches for that error, and every visitor in flight gets the fallback page; worker-build's
// shim re-creates the wasm instance for the next request.
import RustWorker from "./build/index.js";

// The fallback page and its headers, copied out of the wasm module while it is healthy; the
// markup itself lives in pages/ and is rendered when the worker is built.
let fallbackPage;
// One callback per request in flight, called when the wasm module traps.
const inFlight = new Set();

function trapped(error) {
  for (const fail of inFlight) fail(error);
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

export default {
  async fetch(request, env, ctx) {
    let fail;
    const crash = new Promise((_, reject) => {
      fail = reject;
    });
    inFlight.add(fail);
    try {
      const worker = new RustWorker(ctx, env);
      if (fallbackPage === undefined) {
        const [html, headers] = worker.fallback_page();
        fallbackPage = { html, headers: JSON.parse(headers) };
      }
      return await Promise.race([worker.fetch(request), crash]);
    } catch (err) {
      return fallback(err);
    } finally {
      inFlight.delete(fail);
    }
  },
};
