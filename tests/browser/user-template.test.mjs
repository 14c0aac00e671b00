// A site's own page template in a real browser: the example config with the shipped example
// template (pages/examples/custom-page.html) as its [pages] template, rendered by the real CLI.
// Every page kind, in every locale, light and dark, at 320 px and 1280 px: axe-core finds no WCAG
// 2.1 AA violation, the page requests nothing but itself, the CSP `check` computed from the
// rendered pages blocks nothing, the retry script runs (its countdown shows), nothing overflows.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { KINDS, LOCALES, ROOT, artifact, configWith, launch, pageHandler, render, serve, visit } from "./helpers.mjs";

let site;
let browser;
let server;

before(async () => {
  const config = configWith((text) => `${text}\n[pages]\ntemplate = "custom-page.html"\n`);
  copyFileSync(join(ROOT, "pages", "examples", "custom-page.html"), join(dirname(config), "custom-page.html"));
  site = render(config);
  server = await serve((req, res) => {
    const [, locale, kind] = req.url.split("?")[0].split("/");
    if (!LOCALES.includes(locale) || !KINDS.includes(kind)) {
      res.writeHead(404).end();
      return;
    }
    pageHandler(join(site.out, site.prefix, locale, `${kind}.html`))(req, res);
  });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test("the example user template's pages pass axe, load nothing, run their retry and fit", async () => {
  const failures = [];
  let checked = 0;
  for (const locale of LOCALES) {
    for (const kind of KINDS) {
      for (const scheme of ["light", "dark"]) {
        for (const width of [320, 1280]) {
          const where = `${locale}/${kind} ${scheme} ${width}px`;
          const { page, failures: found } = await visit(browser, `${server.url}/${locale}/${kind}`, { width, scheme, where });
          if (!(await page.content()).includes('<main class="card">')) failures.push(`${where}: not the user's template`);
          failures.push(...(await found()));
          // retry.js unhides the countdown once it runs: proof its hash is in the computed CSP.
          const counting = await page.evaluate(() => {
            const box = document.getElementById("ep-retry");
            return box && !box.hidden && document.getElementById("ep-count").textContent.length > 0;
          });
          if (!counting) failures.push(`${where}: the retry countdown did not start`);
          const wide = await page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth);
          if (wide) failures.push(`${where}: the page scrolls sideways`);
          if (width === 320 && scheme === "light") {
            await page.screenshot({ path: artifact(`user-template-${locale}-${kind}.png`), fullPage: true });
          }
          await page.close();
          checked += 1;
        }
      }
    }
  }
  assert.equal(checked, LOCALES.length * KINDS.length * 4);
  assert.deepEqual(failures, []);
});
