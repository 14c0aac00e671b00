// The origin-response event AWS documents ("Lambda@Edge event structure", CloudFront Developer
// Guide), built for the Node tests, the benchmark and the CloudFront emulator, and the packaged
// function unpacked as Lambda would.
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

/** Headers in CloudFront's shape, from [name, value] pairs: lower-case key → [{ key, value }]. */
export function cfHeaders(pairs) {
  const out = {};
  for (const [key, value] of pairs) (out[key.toLowerCase()] ||= []).push({ key, value });
  return out;
}

/** An origin-response event for one request and the origin's answer to it. */
export function originResponse({
  status,
  requestHeaders = [],
  responseHeaders = [],
  method = "GET",
  uri = "/",
  querystring = "",
  requestId = "4TyzHTaYWb1GX1qTfsHhEqV6HUDd_BzoBZnwfnvQc_1oF26ClkoUSEQ==",
  clientIp = "203.0.113.178",
  statusDescription = "From the origin",
}) {
  return {
    Records: [{
      cf: {
        config: {
          distributionDomainName: "d111111abcdef8.cloudfront.net",
          distributionId: "EDFDVBD6EXAMPLE",
          eventType: "origin-response",
          requestId,
        },
        request: {
          clientIp,
          headers: cfHeaders(requestHeaders),
          method,
          origin: { custom: { customHeaders: {}, domainName: "alb.example", keepaliveTimeout: 5, path: "", port: 443, protocol: "https", readTimeout: 30, sslProtocols: ["TLSv1.2"] } },
          querystring,
          uri,
        },
        response: { headers: cfHeaders(responseHeaders), status: String(status), statusDescription },
      },
    }],
  };
}

/** Unpacks the function's zip into a fresh folder; returns the folder. */
export function extract(zip) {
  const dir = mkdtempSync(join(tmpdir(), "edgepages-lambda-"));
  execFileSync("python3", ["-m", "zipfile", "-e", zip, dir]);
  return dir;
}

/** The `handler` of the function unpacked in `dir`, imported as Lambda does. */
export async function load(dir) {
  return (await import(pathToFileURL(join(dir, "index.mjs")).href)).handler;
}

/** Unpacks the function's zip into a fresh folder and imports its `handler`. */
export async function unpack(zip) {
  const dir = extract(zip);
  return { dir, handler: await load(dir) };
}
