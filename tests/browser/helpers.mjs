// Shared helpers for the browser suite: Debian's Chromium driven by playwright-core, the pages
// rendered by the real CLI, and small local HTTP servers. Nothing here reaches beyond 127.0.0.1.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const ARTIFACTS = join(ROOT, "tests", "artifacts", "browser");
export const KINDS = ["500", "502", "503", "504", "maintenance", "error"];
export const LOCALES = ["en", "cy", "fr", "de", "ar"];
export const AXE_SOURCE = readFileSync(join(ROOT, "node_modules", "axe-core", "axe.min.js"), "utf8");

const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** A browser context with a fresh user-data dir. */
export async function launch(options = {}) {
  const profile = mkdtempSync(join(tmpdir(), "edgepages-chromium-"));
  return chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: CHROMIUM_ARGS,
    headless: true,
    ...options,
  });
}

/** Renders `config` with the real CLI into a fresh folder; returns the folder and the prefix. */
export function render(config = join(ROOT, "edgepages.toml")) {
  const out = mkdtempSync(join(tmpdir(), "edgepages-pages-"));
  execFileSync("cargo", ["run", "--quiet", "--locked", "-p", "edgepages", "--", "--config", config, "render", "--out", out], {
    cwd: ROOT,
    stdio: ["ignore", "ignore", "inherit"],
  });
  const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8"));
  const prefix = Object.keys(manifest.files)[0].split("/")[0];
  return { out, prefix };
}

/** A config like the example, with `replace` applied to its text, written next to it. */
export function configWith(replace) {
  const text = replace(readFileSync(join(ROOT, "edgepages.toml"), "utf8"));
  const dir = mkdtempSync(join(ROOT, "target", "browser-config-"));
  const path = join(dir, "edgepages.toml");
  // The files a config names stay in its folder: the logo goes beside it, where the text names it.
  mkdirSync(join(dir, "pages", "brand"), { recursive: true });
  copyFileSync(join(ROOT, "pages", "brand", "logo.svg"), join(dir, "pages", "brand", "logo.svg"));
  writeFileSync(path, text);
  return path;
}

/** Starts an HTTP server on 127.0.0.1; `handler(req, res, log)` answers; `log` records hits. */
export async function serve(handler) {
  const log = [];
  const server = createServer((req, res) => {
    log.push({ url: req.url, at: Date.now() });
    handler(req, res, log);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  const close = () =>
    new Promise((resolve) => {
      server.close(resolve);
      server.closeAllConnections();
    });
  return { url: `http://127.0.0.1:${port}`, log, close };
}

/** Serves a rendered page with `status`, as CloudFront serves a custom error response. */
export function pageHandler(file, status = 503) {
  const body = readFileSync(file);
  return (req, res) => {
    res.writeHead(status, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
    res.end(body);
  };
}

export function artifact(name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  return join(ARTIFACTS, name);
}

/** Runs axe-core's WCAG 2.1 A and AA rules on `page`. */
export async function axe(page) {
  await page.evaluate(AXE_SOURCE);
  return page.evaluate(() =>
    // eslint-disable-next-line no-undef
    axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } }),
  );
}

/**
 * Opens `url` at `width` px in `scheme`, recording every request the page makes and every CSP
 * violation Chromium logs; `failures()` lists axe's violations, requests for anything but the
 * page itself, and the CSP's blocks, each prefixed with `where`.
 */
export async function visit(browser, url, { width, scheme, where }) {
  const page = await browser.newPage();
  const requests = [];
  const csp = [];
  page.on("request", (r) => requests.push(r.url()));
  page.on("console", (m) => m.text().includes("Content Security Policy") && csp.push(m.text()));
  await page.setViewportSize({ width, height: 800 });
  await page.emulateMedia({ colorScheme: scheme });
  await page.goto(url);
  const failures = async () => {
    const out = [];
    for (const v of (await axe(page)).violations) {
      out.push(`${where}: axe ${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
    }
    const others = requests.filter((r) => r !== url);
    if (others.length) out.push(`${where}: requested ${others.join(", ")}`);
    if (csp.length) out.push(`${where}: CSP blocked something: ${csp.join("; ")}`);
    return out;
  };
  return { page, failures };
}
