// Benchmarks the packaged Lambda@Edge function in this Node, side by side in one run (see
// scripts/bench-lambda-edge): the cold start (module load to the first answer, in a fresh process
// each time), a warm intercepted 502 (p50, p99), a pass-through 200 against a plain JS handler
// that returns its input, and the zip's size. Prints one JSON object.
import { execFileSync } from "node:child_process";
import { statSync } from "node:fs";
import { performance } from "node:perf_hooks";

import { extract, load, originResponse } from "../lambda-edge/event.mjs";

const [zip, runsArg] = process.argv.slice(2);
const runs = Number(runsArg || 7);

function event(status) {
  return originResponse({
    status,
    uri: "/products/42",
    querystring: "page=2",
    requestHeaders: [["Host", "shop.example"], ["Accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"], ["Accept-Language", "fr-FR,fr;q=0.9,en;q=0.8"]],
    responseHeaders: [["Server", "awselb/2.0"], ["Content-Type", "text/html"]],
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const percentile = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

if (process.env.EDGEPAGES_BENCH_COLD) {
  // One cold start, in this fresh process: import, then the first intercepted answer.
  const start = performance.now();
  const handler = await load(process.env.EDGEPAGES_BENCH_COLD);
  await handler(event(502));
  console.log(performance.now() - start);
  process.exit(0);
}

const dir = extract(zip);
const cold = [];
for (let i = 0; i < runs; i++) {
  const out = execFileSync(process.execPath, [process.argv[1], zip], { env: { ...process.env, EDGEPAGES_BENCH_COLD: dir } });
  cold.push(Number(String(out).trim()));
}

const handler = await load(dir);
const plain = async (e) => e.Records[0].cf.response;

async function perCall(fn, status, n) {
  const events = Array.from({ length: n }, () => event(status));
  const times = [];
  for (const e of events) {
    const t = performance.now();
    await fn(e);
    times.push(performance.now() - t);
  }
  return times;
}

/** Nanoseconds per call of `fn` over the same `n` events. */
async function nsPerCall(fn, events) {
  const t = performance.now();
  for (const e of events) await fn(e);
  return ((performance.now() - t) * 1e6) / events.length;
}

await perCall(handler, 502, 2000); // warm-up
const healthy = Array.from({ length: 100_000 }, () => event(200));
await nsPerCall(handler, healthy);
await nsPerCall(plain, healthy);
const warm = [];
const p99s = [];
const ratios = [];
const oursNs = [];
const plainNs = [];
for (let i = 0; i < runs; i++) {
  const times = await perCall(handler, 502, 5000);
  warm.push(median(times));
  p99s.push(percentile(times, 0.99));
  // Side by side in the same run, the order alternating: time per call, ours over plain.
  let a;
  let b;
  if (i % 2) {
    b = await nsPerCall(plain, healthy);
    a = await nsPerCall(handler, healthy);
  } else {
    a = await nsPerCall(handler, healthy);
    b = await nsPerCall(plain, healthy);
  }
  oursNs.push(a);
  plainNs.push(b);
  ratios.push(a / b);
}

console.log(JSON.stringify({
  runs,
  cold_start_ms: Number(median(cold).toFixed(1)),
  warm_502_p50_ms: Number(median(warm).toFixed(3)),
  warm_502_p99_ms: Number(median(p99s).toFixed(3)),
  pass_through_ns: Number(median(oursNs).toFixed(1)),
  plain_js_ns: Number(median(plainNs).toFixed(1)),
  pass_through_time_ratio: Number(median(ratios).toFixed(3)),
  zip_bytes: statSync(zip).size,
}));
