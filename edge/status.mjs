// The status page's JSON, fetched for the Rust worker (edge/src/status.rs), which says where, within
// what bounds, and what the answer means. Like ./transport.mjs, this file only moves bytes and keeps
// time; Rust imports it, and nothing on a request's path waits for it.

// Fetches `url` within `timeoutMs` (the headers and the whole body), reading at most `capBytes` of
// the body: a longer one is given up as soon as it passes the cap, never read whole. Resolves to
// { status, body } (a Uint8Array), or to { error } (the runtime's words, never the body's); it never
// rejects.
export async function fetchCapped(url, timeoutMs, capBytes) {
  const signal = AbortSignal.timeout(timeoutMs);
  let reader;
  try {
    const response = await fetch(url, { signal, headers: { accept: "application/json" } });
    if (response.body === null) return { status: response.status, body: new Uint8Array(0) };
    const declared = Number(response.headers.get("content-length"));
    if (declared > capBytes) {
      response.body.cancel().catch(() => {});
      return { error: `its Content-Length, ${declared} bytes, is over the ${capBytes}-byte cap` };
    }
    reader = response.body.getReader();
    const chunks = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > capBytes) {
        reader.cancel().catch(() => {});
        return { error: `its body passed the ${capBytes}-byte cap` };
      }
      chunks.push(value);
    }
    const body = new Uint8Array(size);
    let at = 0;
    for (const chunk of chunks) {
      body.set(chunk, at);
      at += chunk.byteLength;
    }
    return { status: response.status, body };
  } catch (error) {
    if (reader !== undefined) reader.cancel().catch(() => {});
    if (signal.aborted) return { error: `no whole answer within ${timeoutMs} ms` };
    return { error: String((error && error.message) || error) };
  }
}
