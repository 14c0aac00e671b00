// A reference point for the benchmark: the JS pass-through plus only a deadline on the response
// headers (AbortController and a timer), i.e. the least any deadline-keeping worker must do.
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const origin = new URL(env.ORIGIN_URL);
    url.protocol = origin.protocol;
    url.host = origin.host;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), Number(env.ORIGIN_TIMEOUT_MS));
    try {
      return await fetch(new Request(url, request), { redirect: "manual", signal: controller.signal });
    } catch (err) {
      return new Response("origin failed\n", { status: controller.signal.aborted ? 504 : 502 });
    } finally {
      clearTimeout(timer);
    }
  },
};
