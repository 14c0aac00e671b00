// A KV namespace for the benchmark's worker: workerd's kvNamespace binding asks this service for
// each key, and the maintenance switch answers "off", as a namespace does once maintenance is
// over. Answered at once, so the figure is the worker's own cost of having the switch.
export default {
  async fetch() {
    return new Response("off");
  },
};
