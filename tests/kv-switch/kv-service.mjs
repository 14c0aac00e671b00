// A KV namespace the kv_switch tests control, for a worker run in workerd directly: workerd's
// kvNamespace binding asks this service for each key (GET /<key>), and the tests set what it
// answers over its own socket (/control), including reads that are held back, or never answered,
// as a slow or stuck KV read would be.
//
// GET /control?value=on|off|unset&hold_ms=N&hold=next|all|none
//   value: what the key holds from now on (unset: no such key);
//   hold=next holds the next read back by hold_ms (0: for as long as a test runs); all holds every read; none stops;
// GET /control/reads answers how many reads have arrived.
let value;
let hold = "none";
let holdMs = 0;
let reads = 0;

export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/control/reads") return new Response(String(reads));
    if (url.pathname === "/control") {
      const p = url.searchParams;
      if (p.has("value")) value = p.get("value") === "unset" ? undefined : p.get("value");
      if (p.has("hold")) hold = p.get("hold");
      if (p.has("hold_ms")) holdMs = Number(p.get("hold_ms"));
      return new Response(JSON.stringify({ value: value ?? null, hold, holdMs, reads }));
    }
    reads += 1;
    const answer = value;
    if (hold !== "none") {
      if (hold === "next") hold = "none";
      // 0 holds for as long as a test runs: the read never settles. (A timer, not a bare promise:
      // workerd fails a request whose promises can never settle, and a failed read is not a stuck one.)
      await new Promise((resolve) => setTimeout(resolve, holdMs > 0 ? holdMs : 10 * 60 * 1000));
    }
    return answer === undefined ? new Response(null, { status: 404 }) : new Response(answer);
  },
};
