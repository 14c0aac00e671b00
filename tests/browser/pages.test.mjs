// Every page kind, in every locale, light and dark, at 320 px and 1280 px, in a real browser:
// axe-core finds no WCAG 2.1 AA violation, the page requests nothing but itself, no text
// overflows, the server-set lang and dir hold, and the page still speaks with JavaScript off.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { join } from "node:path";
import { KINDS, LOCALES, ROOT, artifact, axe, launch, pageHandler, render, serve, visit } from "./helpers.mjs";

let site;
let browser;
let server;
const files = new Map();
const albPages = new Map();

before(async () => {
  site = render();
  for (const locale of LOCALES) {
    for (const kind of KINDS) files.set(`/${locale}/${kind}`, join(site.out, site.prefix, locale, `${kind}.html`));
  }
  // The ALB's own maintenance page, as `edgepages maintenance page` prints it for each locale.
  for (const locale of LOCALES) {
    const page = execFileSync(
      "cargo",
      ["run", "--quiet", "--locked", "-p", "edgepages", "--", "--config", join(ROOT, "edgepages.toml"), "maintenance", "page", "--locale", locale, "--until", "2099-12-02T18:00:00Z"],
      { cwd: ROOT, encoding: "utf8" },
    );
    const file = join(site.out, `alb-${locale}.html`);
    writeFileSync(file, page.replace(/\n$/, ""));
    albPages.set(`/alb/${locale}`, file);
  }
  server = await serve((req, res) => {
    const alb = albPages.get(req.url.split("?")[0]);
    if (alb) {
      // As an ALB fixed response serves it: text/html, no charset parameter.
      res.writeHead(503, { "content-type": "text/html" });
      res.end(readFileSync(alb));
      return;
    }
    const file = files.get(req.url.split("?")[0]);
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    pageHandler(file)(req, res);
  });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** Elements whose box sticks out of the viewport sideways. */
function overflowing() {
  const width = document.documentElement.clientWidth;
  const out = [];
  if (document.documentElement.scrollWidth > width) out.push(`page scrolls sideways (${document.documentElement.scrollWidth} > ${width})`);
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.width > 0 && (box.right > width + 0.5 || box.left < -0.5)) out.push(`${el.tagName.toLowerCase()}.${el.className} [${box.left}, ${box.right}]`);
  }
  return out;
}

test("the axe harness reports violations on a page that has them", async () => {
  const page = await browser.newPage();
  await page.setContent('<html><body><p style="color:#bbb;background:#fff">faint</p><img src="data:,"></body></html>');
  const ids = (await axe(page)).violations.map((v) => v.id);
  await page.close();
  assert.ok(ids.includes("color-contrast") && ids.includes("image-alt") && ids.includes("html-has-lang"), ids.join(", "));
});

test("every page, locale, colour scheme and width passes axe, stays self-contained and fits", async () => {
  const failures = [];
  for (const locale of LOCALES) {
    for (const kind of KINDS) {
      for (const scheme of ["light", "dark"]) {
        for (const width of [320, 1280]) {
          const where = `${locale}/${kind} ${scheme} ${width}px`;
          const visited = await visit(browser, `${server.url}/${locale}/${kind}`, { width, scheme, where });
          const page = visited.page;
          failures.push(...(await visited.failures()));
          if (width === 320) {
            for (const o of await page.evaluate(overflowing)) failures.push(`${where}: overflow: ${o}`);
          }
          await page.screenshot({ path: artifact(`${locale}-${kind}-${scheme}-${width}.png`), fullPage: true });
          await page.close();
        }
      }
    }
  }
  assert.deepEqual(failures, []);
});

test("the ALB's compact maintenance page passes axe, requests nothing, fits its 1024 characters and the screen", async () => {
  const failures = [];
  for (const locale of LOCALES) {
    const text = readFileSync(albPages.get(`/alb/${locale}`), "utf8");
    if ([...text].length > 1024) failures.push(`${locale}: ${[...text].length} characters`);
    for (const scheme of ["light", "dark"]) {
      for (const width of [320, 1280]) {
        const page = await browser.newPage();
        const url = `${server.url}/alb/${locale}`;
        const requests = [];
        page.on("request", (r) => requests.push(r.url()));
        await page.setViewportSize({ width, height: 800 });
        await page.emulateMedia({ colorScheme: scheme });
        await page.goto(url);
        const where = `alb/${locale} ${scheme} ${width}px`;
        for (const v of (await axe(page)).violations) {
          failures.push(`${where}: axe ${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
        }
        const others = requests.filter((r) => r !== url);
        if (others.length) failures.push(`${where}: requested ${others.join(", ")}`);
        if (width === 320) {
          for (const o of await page.evaluate(overflowing)) failures.push(`${where}: overflow: ${o}`);
        }
        const seen = await page.evaluate(() => ({
          lang: document.documentElement.lang,
          heading: document.querySelector("h1")?.innerText.trim(),
          until: document.querySelector("time")?.getAttribute("datetime"),
        }));
        if (seen.lang !== locale || !seen.heading || seen.until !== "2099-12-02T18:00:00Z") {
          failures.push(`${where}: ${JSON.stringify(seen)}`);
        }
        await page.screenshot({ path: artifact(`alb-${locale}-${scheme}-${width}.png`), fullPage: true });
        await page.close();
      }
    }
  }
  assert.deepEqual(failures, []);
});

test("lang and dir are set on the server, and every page fits in 6 KB gzipped", () => {
  for (const locale of LOCALES) {
    for (const kind of KINDS) {
      const html = readFileSync(files.get(`/${locale}/${kind}`));
      const dir = locale === "ar" ? "rtl" : "ltr";
      assert.ok(html.includes(`<html lang="${locale}" dir="${dir}">`), `${locale}/${kind}`);
      const gz = gzipSync(html, { level: 9 }).length;
      assert.ok(gz <= 6144, `${locale}/${kind} is ${gz} bytes gzipped`);
    }
  }
});

test("with JavaScript off, every page still says what happened and what to do", async () => {
  const noJs = await launch({ javaScriptEnabled: false });
  try {
    for (const locale of LOCALES) {
      for (const kind of KINDS) {
        const page = await noJs.newPage();
        await page.goto(`${server.url}/${locale}/${kind}`);
        const seen = await page.evaluate(() => ({
          heading: document.querySelector("h1")?.innerText.trim(),
          paragraphs: [...document.querySelectorAll("main > p")].filter((p) => p.offsetParent && p.innerText.trim()).length,
          noscript: document.querySelector("noscript") !== null,
          tryNow: document.getElementById("ep-now")?.offsetParent !== null,
          countdownHidden: document.getElementById("ep-retry")?.hidden === true,
        }));
        const where = `${locale}/${kind}`;
        assert.ok(seen.heading, `${where}: no heading`);
        assert.ok(seen.paragraphs >= 3, `${where}: only ${seen.paragraphs} visible paragraphs`);
        assert.ok(seen.noscript, `${where}: no noscript advice`);
        assert.ok(seen.tryNow, `${where}: the try-again link is hidden`);
        assert.ok(seen.countdownHidden, `${where}: a countdown that cannot run is shown`);
        const noscriptText = await page.locator("noscript p").innerText();
        assert.ok(noscriptText.length > 10, `${where}: the noscript advice is not shown`);
        await page.close();
      }
    }
  } finally {
    await noJs.close();
  }
});

test("prefers-reduced-motion stops the status dot's pulse", async () => {
  const page = await browser.newPage();
  const animation = () => getComputedStyle(document.querySelector(".code"), "::before").animationName;
  await page.emulateMedia({ reducedMotion: "no-preference" });
  await page.goto(`${server.url}/en/503`);
  assert.equal(await page.evaluate(animation), "ep-pulse");
  await page.emulateMedia({ reducedMotion: "reduce" });
  assert.equal(await page.evaluate(animation), "none");
  await page.close();
});

test("the screenshots of the README and the guide: the 503 page light and dark, and in Arabic on a phone", async () => {
  const backgrounds = {};
  for (const [name, locale, scheme, width, height] of [
    ["light", "en", "light", 1000, 720],
    ["dark", "en", "dark", 1000, 720],
    ["ar-phone", "ar", "light", 360, 720],
  ]) {
    const page = await browser.newPage();
    await page.setViewportSize({ width, height });
    await page.emulateMedia({ colorScheme: scheme });
    await page.goto(`${server.url}/${locale}/503`);
    const shot = artifact(`readme-503-${name}.png`);
    const png = await page.screenshot({ path: shot });
    // The picture is the viewport, as the README and the guide show it: a PNG's IHDR holds width and height.
    assert.equal(png.toString("ascii", 1, 4), "PNG", name);
    assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [width, height], `${name}: picture size`);
    const seen = await page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      dir: document.documentElement.dir,
      heading: document.querySelector("h1")?.textContent.trim() ?? "",
      background: getComputedStyle(document.body).backgroundColor,
    }));
    assert.ok(seen.scrollWidth <= width, `${name}: the page is ${seen.scrollWidth} px wide in a ${width} px viewport`);
    assert.equal(seen.dir, locale === "ar" ? "rtl" : "ltr", name);
    assert.ok(seen.heading.length > 0, `${name}: no heading in the picture`);
    backgrounds[name] = seen.background;
    await page.close();
    if (process.env.UPDATE_SCREENSHOTS === "1") {
      mkdirSync(join(ROOT, "docs", "src", "images"), { recursive: true });
      copyFileSync(shot, join(ROOT, "docs", "src", "images", `503-${name}.png`));
    }
  }
  assert.notEqual(backgrounds.dark, backgrounds.light, "the dark picture is not dark");
});
