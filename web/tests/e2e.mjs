#!/usr/bin/env node
// Browser tests of the dashboard: `vigil serve` on a temporary store imported from the OONI sample,
// Debian's Chromium driven by playwright-core. Every page in English and French shows real content,
// filters/navigation/language switch work, no console errors, no request to any host but the server.
// Detected events: the test posts five weeks of hourly `bgp` points for IT ending in a 30-hour drop
// (an editor token made with `vigil user add` / `vigil token create`); `serve --detect-every 1` turns
// them into a full outage that the overview and the country page must list. Unscored tests (dash,
// psiphon: vigil.anomaly null) must read "not analysed", never "accessible".
// Screenshots: build/web-artifacts/<page>-<lang>.png. Exit 77 (skipped) when Chromium, `vigil serve`
// or the front end's packages are missing.
//
//   VIGIL_BIN=build/debug/apps/vigil/vigil node web/tests/e2e.mjs
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const WEB = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const REPO = resolve(WEB, "..");
const VIGIL = resolve(REPO, process.env.VIGIL_BIN ?? "build/debug/apps/vigil/vigil");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const SAMPLE = join(REPO, "data/samples/ooni-sample.jsonl");
// OONI binary values: the two measurements built in the shape of ooniprobe-android 2017 (IR, AE).
const BINARY = join(REPO, "tests/golden/data/binary-values.jsonl");
const ARTIFACTS = resolve(REPO, process.env.VIGIL_WEB_ARTIFACTS ?? "build/web-artifacts");
const SKIP = 77;

function skip(why) {
  console.log(`SKIP: ${why}`);
  process.exit(SKIP);
}
if (!existsSync(CHROMIUM)) skip(`no Chromium at ${CHROMIUM} (apt-get install chromium)`);
if (!existsSync(VIGIL)) skip(`no vigil binary at ${VIGIL} (set VIGIL_BIN)`);
const help = spawnSync(VIGIL, ["--help"], { encoding: "utf8", timeout: 10_000 });
if (!/^\s+serve\s/m.test(help.stdout ?? "")) skip(`${VIGIL} has no \`serve\` subcommand yet`);
if (!/^\s+import\s/m.test(help.stdout ?? "")) skip(`${VIGIL} has no \`import\` subcommand`);
if (!existsSync(join(WEB, "node_modules/playwright-core"))) skip("web/node_modules missing (run scripts/setup)");

// Build the front end when dist/ is missing or older than a source file.
function newest(dir) {
  let t = 0;
  for (const f of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, f.name);
    t = Math.max(t, f.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}
const distIndex = join(WEB, "dist/index.html");
const srcTime = Math.max(newest(join(WEB, "src")), statSync(join(WEB, "index.html")).mtimeMs, statSync(join(WEB, "vite.config.ts")).mtimeMs);
if (!existsSync(distIndex) || statSync(distIndex).mtimeMs < srcTime) {
  console.log("building web/dist");
  const b = spawnSync("npm", ["run", "build"], { cwd: WEB, stdio: "inherit", timeout: 180_000 });
  if (b.status !== 0) {
    console.error("FAIL: npm run build");
    process.exit(1);
  }
}

const { chromium } = await import("playwright-core");

const failures = [];
let passed = 0;
async function check(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    passed++;
    console.log(`ok   ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    failures.push(name);
    console.log(`FAIL ${name}: ${e?.stack ?? e}`);
  }
}
function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

const tmp = mkdtempSync(join(tmpdir(), "vigil-e2e-"));
const data = join(tmp, "data");
let server = null;
let browser = null;
let serverLog = "";
const cleanup = () => {
  try {
    server?.kill("SIGTERM");
  } catch {}
  rmSync(tmp, { recursive: true, force: true });
};
process.on("exit", cleanup);
const hardTimeout = setTimeout(() => {
  console.error("FAIL: e2e run exceeded 240 s");
  process.exit(1);
}, 240_000);
hardTimeout.unref();

try {
  const imp = spawnSync(VIGIL, ["import", "ooni", SAMPLE, "--data", data], { encoding: "utf8", timeout: 60_000 });
  if (imp.status !== 0) throw new Error(`vigil import failed (${imp.status}): ${imp.stderr}`);
  const binaryFile = join(tmp, "binary.jsonl");
  writeFileSync(binaryFile, readFileSync(BINARY, "utf8").split("\n").slice(0, 2).join("\n") + "\n");
  const impBinary = spawnSync(VIGIL, ["import", "ooni", binaryFile, "--data", data], { encoding: "utf8", timeout: 60_000 });
  if (impBinary.status !== 0) throw new Error(`vigil import of binary values failed (${impBinary.status}): ${impBinary.stderr}`);
  // An editor's token, to post signal points (the disruption monitor turns them into events).
  const add = spawnSync(VIGIL, ["user", "add", "e2e-editor", "--role", "editor", "--password-stdin", "--data", data], { input: "e2e-editor-password-0123\n", encoding: "utf8", timeout: 30_000 });
  if (add.status !== 0) throw new Error(`vigil user add failed (${add.status}): ${add.stderr}`);
  const tok = spawnSync(VIGIL, ["token", "create", "--user", "e2e-editor", "--role", "editor", "--label", "e2e", "--data", data], { encoding: "utf8", timeout: 30_000 });
  const editorToken = (tok.stdout ?? "").trim().split(/\s+/).pop();
  if (tok.status !== 0 || !editorToken) throw new Error(`vigil token create failed (${tok.status}): ${tok.stderr}`);
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  server = spawn(VIGIL, ["serve", "--listen", `127.0.0.1:${port}`, "--data", data, "--web", join(WEB, "dist"), "--detect-every", "1"], { stdio: ["ignore", "pipe", "pipe"] });
  server.stdout.on("data", (d) => (serverLog += d));
  server.stderr.on("data", (d) => (serverLog += d));
  let up = false;
  for (let i = 0; i < 100 && !up; i++) {
    try {
      up = (await fetch(`${origin}/api/v1/health`, { signal: AbortSignal.timeout(1000) })).ok;
    } catch {}
    if (!up) await new Promise((r) => setTimeout(r, 200));
  }
  if (!up) throw new Error(`vigil serve did not answer /api/v1/health in 20 s:\n${serverLog}`);
  const api = async (path) => {
    const r = await fetch(origin + path, { signal: AbortSignal.timeout(10_000) });
    if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`);
    return r.json();
  };

  // Facts from the API that the pages must show.
  const anomalies = (await api("/api/v1/measurements?probe_cc=IT&anomaly=true&limit=200")).results;
  const dnsRow = anomalies.find((r) => (r.vigil?.blocking ?? r.scores?.analysis?.blocking_type) === "dns" && r.input);
  assert(dnsRow, "the store has no DNS-blocking anomaly in IT (import or verdicts changed?)");
  const blockedDomain = new URL(dnsRow.input).hostname.toLowerCase();
  const raw = await api(`/api/v1/raw_measurement?measurement_uid=${encodeURIComponent(dnsRow.measurement_uid)}`);
  const dnsAnswer = (raw.test_keys?.queries ?? []).flatMap((q) => q.answers ?? []).map((a) => a.ipv4 ?? a.ipv6).find(Boolean);
  assert(dnsAnswer, "the DNS-blocking sample has no DNS answer");
  assert(typeof dnsRow.vigil?.why === "string" && dnsRow.vigil.why.length > 20, "the DNS-blocking measurement carries Vigil's why");
  // A test Vigil has no scoring rule for (dash, ndt, psiphon...): vigil.anomaly is null.
  const everything = (await api("/api/v1/measurements?probe_cc=IT&limit=1000")).results;
  const unscoredRow = everything.find((r) => r.vigil && r.vigil.anomaly === null && ["dash", "ndt", "psiphon"].includes(r.test_name));
  assert(unscoredRow, "the store has no unscored dash/ndt/psiphon measurement in IT");
  assert(everything.some((r) => r.test_name === "psiphon" && r.vigil?.anomaly === null), "the store has no unscored psiphon measurement in IT");
  console.log(`facts: blocked domain ${blockedDomain}, measurement ${dnsRow.measurement_uid}, DNS answer ${dnsAnswer}, unscored ${unscoredRow.measurement_uid}`);
  const irRow = (await api("/api/v1/measurements?probe_cc=IR&limit=10")).results.find((r) => r.vigil?.fingerprint === "ooni.ir_0");
  const aeRow = (await api("/api/v1/measurements?probe_cc=AE&limit=10")).results.find((r) => r.vigil?.fingerprint === "ooni.ae_0");
  assert(irRow && aeRow, "the measurements with binary values were not stored with their blockpage fingerprints");

  // Five weeks of hourly BGP visibility for Italy, then 30 hours at 1 %: the server's monitor
  // (--detect-every 1) detects a full outage; wait for /api/v1/events to list it (bounded).
  {
    const hour = 3600;
    const now = Math.floor(Date.now() / 1000 / hour) * hour;
    const normal = 5 * 7 * 24, outage = 30, n = normal + outage;
    const points = [];
    for (let i = 0; i < n; i++) {
      let v = 1000 * (1 + 0.2 * Math.sin((2 * Math.PI * (i % 24)) / 24)) + ((i * 7919) % 7);
      if (i >= normal) v *= 0.01;
      points.push({ entity_type: "country", entity_code: "IT", datasource: "bgp", time: now - (n - 1 - i) * hour, step: hour, value: v });
    }
    const r = await fetch(`${origin}/api/v1/signals`, {
      method: "POST",
      headers: { Authorization: `Bearer ${editorToken}`, "Content-Type": "application/json" },
      body: JSON.stringify({ points }),
      signal: AbortSignal.timeout(20_000),
    });
    if (!r.ok) throw new Error(`POST /api/v1/signals: ${r.status} ${await r.text()}`);
    const t0 = Date.now();
    let found = null;
    while (!found && Date.now() - t0 < 30_000) {
      found = (await api("/api/v1/events?entity_type=country&entity_code=IT")).results.find((e) => e.kind === "full");
      if (!found) await new Promise((res) => setTimeout(res, 250));
    }
    assert(found, "no full outage event for IT 30 s after posting the BGP signal");
    console.log(`facts: event ${found.id} (${found.kind}, IT, from ${found.start}) after ${Date.now() - t0} ms`);
  }

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    timeout: 30_000,
  });
  const outside = [];
  const consoleErrors = [];
  async function newPage(viewport = { width: 1280, height: 900 }) {
    const context = await browser.newContext({ viewport, locale: "en-US" });
    await context.route("**/*", (route) => {
      const u = new URL(route.request().url());
      if (u.origin === origin || u.protocol === "data:") return route.continue();
      outside.push(u.href);
      return route.abort("blockedbyclient");
    });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on("console", (m) => m.type() === "error" && consoleErrors.push(`${page.url()}: ${m.text()}`));
    page.on("pageerror", (e) => consoleErrors.push(`${page.url()}: ${e.message}`));
    return page;
  }
  async function ready(page, name) {
    await page.waitForSelector(`#main[data-ready="${name}"]`);
    const err = await page.locator("#main .error").allTextContents();
    assert(err.length === 0, `error shown: ${err.join(" | ")}`);
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  const shot = (page, name) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

  const page = await newPage();
  const L = {
    en: { overview: "Overview", explorer: "Explorer", dns: "DNS answers", switchTo: "Français", events: "Detected events", full: "Full outage", ongoing: "ongoing", bgp: "BGP routes", notAnalysed: "Not analysed", accessible: "Accessible", hex: "binary, shown in hexadecimal", decoded: "decoded from base64" },
    fr: { overview: "Vue d'ensemble", explorer: "Explorateur", dns: "Réponses DNS", switchTo: "English", events: "Événements détectés", full: "Coupure totale", ongoing: "en cours", bgp: "Routes BGP", notAnalysed: "Non analysé", accessible: "Accessible", hex: "binaire, affiché en hexadécimal", decoded: "décodé depuis base64" },
  };
  for (const lang of ["en", "fr"]) {
    const l = L[lang];
    const commonChecks = async () => {
      assert((await page.getAttribute("html", "lang")) === lang, "html lang");
      assert((await page.textContent("#nav")).includes(l.overview), "nav in the page's language");
      assert((await page.textContent("#lang-switch")).trim() === l.switchTo, "language switch label");
      assert(await page.locator('footer a[href="https://db-ip.com"]').count(), "DB-IP credit");
      assert(await page.locator('footer a[href="https://ooni.org"]').count(), "OONI credit");
    };
    await check(`overview (${lang})`, async () => {
      await page.goto(`${origin}/?lang=${lang}`);
      await ready(page, "overview");
      await commonChecks();
      assert(await page.locator('svg.map a[data-cc="IT"] path').count(), "Italy shaded on the map");
      assert(await page.locator('#top tr[data-cc="IT"]').count(), "Italy in the confirmed/anomaly ranking");
      assert((await page.locator("#latest tbody tr").count()) > 0, "latest measurements listed");
      const ev = page.locator('#events tr[data-entity="country:IT"][data-kind="full"]');
      assert((await page.textContent("#events h2")).includes(l.events), "events section heading");
      assert(await ev.count(), "the IT outage is listed among the detected events");
      const evText = await ev.first().textContent();
      for (const w of [l.full, l.ongoing, l.bgp]) assert(evText.includes(w), `event row says "${w}": ${evText}`);
      assert(await ev.first().locator('a[href^="/country/IT"]').count(), "the event links to the country");
      await shot(page, `overview-${lang}`);
    });
    await check(`country page (${lang})`, async () => {
      await page.goto(`${origin}/country/IT?lang=${lang}`);
      await ready(page, "country");
      await commonChecks();
      const cells = page.locator(`#matrix tr[data-row="${blockedDomain}"] td[data-verdict="anomaly"], #matrix tr[data-row="${blockedDomain}"] td[data-verdict="confirmed"]`);
      assert((await cells.count()) > 0, `${blockedDomain} shows as anomaly/confirmed in the matrix`);
      const isp = await page.textContent("#isp");
      assert(isp.includes(dnsRow.probe_asn) && isp.includes(blockedDomain), "the ISP view names the network and the domain");
      assert(await page.locator("#timeline canvas").count(), "timeline drawn");
      assert(await page.locator('#events tr[data-kind="full"]').count(), "the country's outage event listed");
      assert(await page.locator("#signals canvas").count(), "signals chart drawn");
      assert((await page.textContent("#signals")).includes(l.bgp), "the BGP signal named in the chart's legend");
      const row = page.locator('#matrix tr[data-row="@psiphon"]');
      assert(await row.locator('td[data-verdict="unscored"]').count(), "psiphon (no scoring rule) shown as not analysed in the matrix");
      assert((await row.locator('td[data-verdict="accessible"]').count()) === 0, "psiphon never shown as accessible");
      await shot(page, `country-${lang}`);
    });
    await check(`domain page (${lang})`, async () => {
      await page.goto(`${origin}/domain?name=${encodeURIComponent(blockedDomain)}&lang=${lang}`);
      await ready(page, "domain");
      await commonChecks();
      assert(await page.locator('#matrix tr[data-row="IT"] td[data-verdict="anomaly"], #matrix tr[data-row="IT"] td[data-verdict="confirmed"]').count(), "Italy anomalous for the domain");
      await shot(page, `domain-${lang}`);
    });
    await check(`measurement page (${lang})`, async () => {
      await page.goto(`${origin}/measurement?uid=${encodeURIComponent(dnsRow.measurement_uid)}&lang=${lang}`);
      await ready(page, "measurement");
      await commonChecks();
      const dns = await page.textContent("#dns");
      assert(dns.includes(l.dns), "DNS section heading");
      assert(dns.includes(dnsAnswer), `DNS answer ${dnsAnswer} shown`);
      const why = await page.textContent("#why");
      assert(why.length > 40, "the verdict explained");
      assert(why.includes(dnsRow.vigil.why), "Vigil's why shown word for word");
      assert((await page.textContent("#summary")).includes(lang === "fr" ? "Méthode de blocage" : "Blocking method"), "the blocking method named");
      await shot(page, `measurement-${lang}`);
    });
    await check(`measurement page, unscored test (${lang})`, async () => {
      await page.goto(`${origin}/measurement?uid=${encodeURIComponent(unscoredRow.measurement_uid)}&lang=${lang}`);
      await ready(page, "measurement");
      const summary = await page.textContent("#summary");
      const why = await page.textContent("#why");
      assert(summary.includes(l.notAnalysed) && why.includes(l.notAnalysed), `"${l.notAnalysed}" shown`);
      assert((await page.locator("#summary .badge.c-accessible, #why .badge.c-accessible").count()) === 0, "never accessible");
      assert(why.includes(unscoredRow.vigil.why), "Vigil's why shown");
      await shot(page, `measurement-unscored-${lang}`);
    });
    await check(`measurement page, binary values (${lang})`, async () => {
      // Iran: the body is windows-1256 bytes (not UTF-8): hexadecimal; the Connection header
      // was given in base64 but is text: shown decoded.
      await page.goto(`${origin}/measurement?uid=${encodeURIComponent(irRow.measurement_uid)}&lang=${lang}`);
      await ready(page, "measurement");
      await commonChecks();
      assert((await page.textContent("#summary")).includes("ooni.ir_0"), "the blockpage fingerprint named");
      const conn = await page.textContent('#http li[data-header="Connection"]');
      assert(conn.includes("Connection: close") && conn.includes(l.decoded), `Connection decoded from base64: ${conn}`);
      const body = await page.textContent("#http pre.body.hex");
      assert(body.startsWith("3c 68 74 6d 6c 3e"), `the body in hexadecimal: ${body.slice(0, 40)}`);
      assert((await page.textContent("#http")).includes(l.hex), "the body marked as shown in hexadecimal");
      await shot(page, `measurement-binary-${lang}`);
      // United Arab Emirates: the Server header ends in a Latin-1 byte: hexadecimal.
      await page.goto(`${origin}/measurement?uid=${encodeURIComponent(aeRow.measurement_uid)}&lang=${lang}`);
      await ready(page, "measurement");
      const server = await page.textContent('#http li[data-header="Server"]');
      assert(server.includes("Server: 50 72 6f 74 65 63 74 65 64") && server.includes("ae") && server.includes(l.hex), `Server in hexadecimal: ${server}`);
      assert((await page.textContent('#http li[data-header="Content-Type"]')).trim() === "Content-Type: text/html", "plain headers as they are");
    });
    await check(`explorer (${lang})`, async () => {
      await page.goto(`${origin}/explorer?lang=${lang}&probe_cc=IT&verdict=anomaly`);
      await ready(page, "explorer");
      await commonChecks();
      const rows = await page.locator("#results tbody tr").count();
      assert(rows > 0, "results listed");
      const bad = await page.locator("#results tbody tr td:last-child .badge:not(.c-anomaly):not(.c-confirmed)").count();
      assert(bad === 0, "only anomalies listed with verdict=anomaly");
      await shot(page, `explorer-${lang}`);
      await page.goto(`${origin}/explorer?lang=${lang}&probe_cc=IT&test_name=${unscoredRow.test_name}`);
      await ready(page, "explorer");
      const verdicts = await page.locator("#results tbody tr td:last-child").allTextContents();
      assert(verdicts.length > 0 && verdicts.every((v) => v.includes(l.notAnalysed) && !v.includes(l.accessible)), `${unscoredRow.test_name} listed as not analysed: ${verdicts.join(" | ")}`);
    });
  }

  await check("navigation: overview → country → measurement, back", async () => {
    await page.goto(`${origin}/?lang=en`);
    await ready(page, "overview");
    await page.click('#top tr[data-cc="IT"] a');
    await ready(page, "country");
    assert(new URL(page.url()).pathname === "/country/IT", "at /country/IT");
    await page.goto(`${origin}/explorer?lang=en&probe_cc=IT`);
    await ready(page, "explorer");
    await page.locator("#results tbody tr a").first().click();
    await ready(page, "measurement");
    await page.goBack();
    await ready(page, "explorer");
  });
  await check("filters: explorer form writes a shareable URL", async () => {
    await page.goto(`${origin}/explorer?lang=fr`);
    await ready(page, "explorer");
    await page.fill("#f-probe_cc", "IT");
    await page.fill("#f-domain", blockedDomain);
    await page.click('.filters button[type="submit"]');
    await page.waitForURL(/domain=/);
    await ready(page, "explorer");
    const u = new URL(page.url());
    assert(u.searchParams.get("probe_cc") === "IT" && u.searchParams.get("domain") === blockedDomain && u.searchParams.get("lang") === "fr", `URL ${u}`);
    const inputs = await page.locator("#results tbody td.input").allTextContents();
    assert(inputs.length > 0 && inputs.every((x) => x.toLowerCase().includes(blockedDomain)), "results filtered by domain");
    await page.reload();
    await ready(page, "explorer");
    assert((await page.inputValue("#f-domain")) === blockedDomain, "filter restored from the URL");
  });
  await check("filters: explorer by Citizen Lab category", async () => {
    const api = await (await fetch(`${origin}/api/v1/measurements?category_code=HOST&limit=1`)).json();
    assert(api.metadata.count > 0, "the test store has HOST measurements (categories given on import)");
    await page.goto(`${origin}/explorer?lang=en&category=HOST`);
    await ready(page, "explorer");
    assert((await page.inputValue("#f-category")) === "HOST", "category select restored from the URL");
    const rows = await page.locator("#results tbody tr").count();
    assert(rows === Math.min(api.metadata.count, 50), `${rows} rows for ${api.metadata.count} HOST measurements`);
  });
  await check("language switch keeps the page and its filters", async () => {
    await page.goto(`${origin}/country/IT?lang=en&since=2024-01-01`);
    await ready(page, "country");
    await page.click("#lang-switch");
    await page.waitForURL(/lang=fr/);
    await ready(page, "country");
    const u = new URL(page.url());
    assert(u.pathname === "/country/IT" && u.searchParams.get("since") === "2024-01-01", `URL ${u}`);
    assert((await page.getAttribute("html", "lang")) === "fr", "French");
    assert((await page.textContent("#matrix h2")).includes("Domaines"), "French headings");
  });
  await check("keyboard: skip link, then the navigation", async () => {
    await page.goto(`${origin}/?lang=en`);
    await ready(page, "overview");
    await page.keyboard.press("Tab");
    assert((await page.evaluate(() => document.activeElement?.className)) === "skip", "first Tab reaches the skip link");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Tab");
    assert((await page.evaluate(() => document.activeElement?.textContent)) === "Explorer", "Tab order reaches the navigation");
    await page.keyboard.press("Enter");
    await ready(page, "explorer");
  });
  await check("phone-sized layout has no horizontal page scroll", async () => {
    const phone = await newPage({ width: 390, height: 844 });
    for (const [name, path] of [["overview", "/?lang=fr"], ["country", `/country/IT?lang=fr`], ["measurement", `/measurement?uid=${encodeURIComponent(dnsRow.measurement_uid)}&lang=fr`], ["explorer", "/explorer?lang=fr"]]) {
      await phone.goto(origin + path);
      await phone.waitForSelector("#main[data-ready]");
      const [sw, w] = await phone.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
      assert(sw <= w + 1, `${path}: page ${sw}px wide in a ${w}px screen`);
      await phone.screenshot({ path: join(ARTIFACTS, `phone-${name}-fr.png`) });
    }
  });
  await check("no console errors", async () => assert(consoleErrors.length === 0, consoleErrors.join("\n")));
  await check("no request to any host but the server", async () => assert(outside.length === 0, outside.join("\n")));
} catch (e) {
  failures.push("setup");
  console.log(`FAIL setup: ${e?.stack ?? e}`);
} finally {
  await browser?.close().catch(() => {});
  if (server) {
    server.kill("SIGTERM");
    await new Promise((r) => {
      const t = setTimeout(() => (server.kill("SIGKILL"), r()), 5000);
      server.once("exit", () => (clearTimeout(t), r()));
    });
  }
}
console.log(`${passed} passed, ${failures.length} failed${failures.length ? ": " + failures.join(", ") : ""}; screenshots in ${ARTIFACTS}`);
if (failures.length && serverLog) console.log(`server log (tail):\n${serverLog.slice(-3000)}`);
process.exit(failures.length ? 1 : 0);
