// One origin-response invocation as CloudFront makes it: the event in, the function's result
// checked against CloudFront's rules (rules.mjs), and what the viewer gets out: the origin's
// response, the function's answer, or CloudFront's own error when the function throws, times
// out, is throttled or returns a result that fails validation. The Node tests of the function
// (tests/lambda-edge/) and the emulator (emulator.mjs) both call it.
import { cloudfrontErrorPage, validate } from "./rules.mjs";

/** The timeout `publish` gives the function (docs/src/lambda-edge-publish.md: "128 MB and a 5 s timeout"). */
export const FUNCTION_TIMEOUT_MS = 5000;

/**
 * Runs `handler` on `event` (an origin-response event) as Lambda@Edge would. Returns
 * `{ outcome, response, error }`:
 * - `outcome: "passed"`: the result has no body of its own, so the origin's body goes to the
 *   viewer (with the result's status and headers);
 * - `outcome: "answered"`: the function's answer, accepted (`response`: its result);
 * - `outcome: "cloudfront"`: CloudFront's own error (`response`: its page; `error`: why).
 * `throttled` stands for Lambda's regional quotas refusing the invocation.
 */
export async function invoke(handler, event, { timeoutMs = FUNCTION_TIMEOUT_MS, throttled = false } = {}) {
  const requestId = event.Records[0].cf.config.requestId;
  if (throttled) return { outcome: "cloudfront", error: "throttled", response: cloudfrontErrorPage("throttled", requestId) };
  const original = structuredClone(event.Records[0].cf.response);
  let timer;
  let result;
  try {
    result = await Promise.race([
      Promise.resolve().then(() => handler(event)),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(Object.assign(new Error("timed out"), { timedOut: true })), timeoutMs);
      }),
    ]);
  } catch (error) {
    const kind = error && error.timedOut ? "timeout" : "execution";
    return { outcome: "cloudfront", error: kind, response: cloudfrontErrorPage(kind, requestId) };
  } finally {
    clearTimeout(timer);
  }
  const invalid = validate(result, original);
  if (invalid) {
    return { outcome: "cloudfront", error: invalid.message, response: cloudfrontErrorPage("validation", requestId, invalid.message) };
  }
  // A result with no body of its own keeps the origin's (UPDATING: "If you don't update the body
  // field in your function, the original body returned by the origin server is returned back to
  // viewer").
  return { outcome: result.body === undefined ? "passed" : "answered", response: result };
}
