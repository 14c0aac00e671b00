// The Lambda@Edge handler (origin-response): loads edgepages.wasm, hands it each event, and
// returns either CloudFront's own response object, untouched, or the branded page the Rust core
// chose. Lambda@Edge runs only AWS's Node.js runtimes and has no environment, so the site is
// baked into the wasm when it is built; this file holds no rule of its own.
//
// The function never throws: a thrown error or a timeout would give the viewer CloudFront's
// unbranded 502/503. If the module traps (a panic), an origin error gets the fallback page copied
// out of the module at load time (a healthy response goes back untouched), and the next event
// gets a fresh instance.
import { readFileSync } from "node:fs";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

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
// The statuses the module may replace, as it said at load time; any other response goes back
// without entering the module. Until it has said, every status is asked about.
let replaceable = null;

function fresh() {
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

function log(fields) {
  console.error(JSON.stringify({ edgepages: fields.event, ...fields, event: undefined }));
}

try {
  const wasm = fresh();
  fallbackAnswer = output(wasm, wasm.edgepages_fallback()).response;
  replaceable = new Set(output(wasm, wasm.edgepages_replaceable()));
} catch (error) {
  instance = null;
  log({ event: "load_failed", error: String((error && error.message) || error) });
}

export const handler = async (event) => {
  const original = event && event.Records && event.Records[0] && event.Records[0].cf && event.Records[0].cf.response;
  if (replaceable && original && !replaceable.has(Number(original.status))) return original;
  try {
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
    return structuredClone(fallbackAnswer);
  }
};
