// The benchmark's baseline: a hand-written JS worker that does only what the Rust worker does on
// the healthy path (rewrite the URL to the origin and stream the response back), nothing more.
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const origin = new URL(env.ORIGIN_URL);
    url.protocol = origin.protocol;
    url.host = origin.host;
    return fetch(new Request(url, request), { redirect: "manual" });
  },
};
