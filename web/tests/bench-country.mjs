#!/usr/bin/env node
// Driver for bench/dashboard.sh: loads the country page of a running `vigil serve` in Debian's
// Chromium (a fresh browser context per run, so nothing is cached), and prints
//  - the time from navigation start until the page sets data-ready (everything drawn),
//  - the scripts it loaded: bytes on the wire (as the server sent them) and gzip -9 size.
//   node web/tests/bench-country.mjs ORIGIN CC [RUNS]
import { gzipSync } from "node:zlib";
import { chromium } from "playwright-core";

const [origin, cc, runsArg] = process.argv.slice(2);
const runs = Number(runsArg ?? 5);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  timeout: 30_000,
});
const times = [];
let scripts = [];
const outside = [];
const errors = [];
for (let i = 0; i < runs; i++) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.route("**/*", (r) => {
    const u = new URL(r.request().url());
    if (u.origin === origin) return r.continue();
    outside.push(u.href);
    return r.abort();
  });
  const page = await context.newPage();
  page.on("pageerror", (e) => errors.push(e.message));
  const seen = [];
  page.on("requestfinished", async (req) => {
    if (req.resourceType() !== "script") return;
    seen.push(req);
  });
  await page.goto(`${origin}/country/${cc}?lang=en`, { waitUntil: "commit" });
  await page.waitForSelector('#main[data-ready="country"]', { timeout: 60_000 });
  const ms = await page.evaluate(() => performance.getEntriesByName("vigil-ready-country")[0]?.startTime ?? NaN);
  const cells = await page.locator("#matrix td.cell").count();
  const err = await page.locator("#main .error").allTextContents();
  if (err.length) errors.push(...err);
  times.push(ms);
  if (i === 0) {
    scripts = [];
    for (const req of seen) {
      const res = await req.response();
      const body = await res.body();
      const sizes = await req.sizes();
      scripts.push({
        url: new URL(req.url()).pathname,
        encoding: (await res.headerValue("content-encoding")) ?? "identity",
        wire: sizes.responseBodySize,
        raw: body.length,
        gzip: gzipSync(body, { level: 9 }).length,
      });
    }
    console.log(`matrix cells drawn: ${cells}`);
  }
  await context.close();
}
await browser.close();
const sorted = [...times].sort((a, b) => a - b);
const median = sorted[Math.floor(sorted.length / 2)];
console.log(`country page ${cc}, ${runs} cold loads: ready in ${times.map((t) => t.toFixed(0)).join(", ")} ms; median ${median.toFixed(0)} ms (target < 1500 ms)`);
console.log("scripts:");
let wire = 0, raw = 0, gz = 0;
for (const s of scripts) {
  wire += s.wire;
  raw += s.raw;
  gz += s.gzip;
  console.log(`  ${s.url.padEnd(40)} ${String(s.raw).padStart(8)} B raw ${String(s.wire).padStart(8)} B on the wire (${s.encoding}) ${String(s.gzip).padStart(8)} B gzip -9`);
}
console.log(`scripts total: ${(raw / 1000).toFixed(1)} kB raw, ${(wire / 1000).toFixed(1)} kB transferred, ${(gz / 1000).toFixed(1)} kB gzip-compressed (target < 300 kB)`);
if (outside.length) console.log(`requests to other hosts (blocked): ${outside.join(" ")}`);
if (errors.length) {
  console.log(`errors: ${errors.join(" | ")}`);
  process.exit(1);
}
