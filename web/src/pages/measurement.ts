/* eslint-disable @typescript-eslint/no-explicit-any */
import { ApiError, asnText, measurementRow, rawMeasurement } from "../lib/api";
import { h, section } from "../lib/dom";
import { colon, countryName, fmtNum, fmtTime, t, type MessageKey } from "../lib/i18n";
import { verdictBadge } from "../lib/matrix";
import { countryHref, domainHref, explorerHref, type Route } from "../lib/router";
import { method, plainKey, rowVerdict } from "../lib/verdict";
import { showValue, valueBytes, type Shown } from "../lib/binary";
import { parseCertificate, sha256Hex } from "../lib/x509";

type Any = any;

export async function render(root: HTMLElement, route: Route, signal: AbortSignal): Promise<void> {
  const uid = route.arg;
  document.title = `${t("measurement.title")} ${uid} — ${t("app.name")}`;
  let raw: Any;
  try {
    raw = await rawMeasurement(uid, signal);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) {
      root.append(h("h1", {}, t("measurement.title")), h("p", { class: "error", role: "alert" }, t("measurement.notFound")));
      return;
    }
    throw e;
  }
  const row = await measurementRow(uid, raw, signal);
  const tk = raw?.test_keys ?? {};
  const cc = String(raw.probe_cc ?? row?.probe_cc ?? "ZZ");
  const asn = asnText(raw.probe_asn ?? row?.probe_asn);
  const input: string = typeof raw.input === "string" ? raw.input : "";

  root.append(h("h1", {}, t("measurement.title"), colon(), h("span", { class: "input-title" }, input || String(raw.test_name ?? ""))));

  // Summary
  const [sumSec, sumBody] = section(t("measurement.summary"), "summary");
  const dl = h("dl", { class: "kv" });
  const kv = (k: string, v: Node | string) => dl.append(h("dt", {}, k), h("dd", {}, v));
  kv(t("common.test"), `${raw.test_name ?? ""} ${raw.test_version ?? ""}`.trim());
  if (input) kv(t("common.input"), row?.domain || input.includes("://") ? h("a", { href: domainHref(row?.domain || hostOf(input)) }, input) : input);
  kv(t("common.country"), h("a", { href: countryHref(cc) }, countryName(cc)));
  kv(t("common.network"), h("span", {}, h("a", { href: explorerHref({ probe_cc: cc, probe_asn: asn }) }, asn), raw.probe_network_name ? ` — ${raw.probe_network_name}` : ""));
  if (raw.resolver_ip) kv(t("measurement.resolverIp"), `${raw.resolver_ip}${raw.resolver_asn ? ` (${raw.resolver_asn})` : ""}`);
  kv(t("common.date"), fmtTime(String(raw.measurement_start_time ?? "")));
  if (raw.report_id) kv(t("measurement.report"), h("code", {}, String(raw.report_id)));
  kv("UID", h("code", {}, uid));
  if (row) {
    const v = rowVerdict(row);
    kv(t("measurement.vigilVerdict"), verdictBadge(v));
    const how = v === "anomaly" || v === "confirmed" ? method(row) : null;
    if (how && how !== "other") kv(t("measurement.method"), t(`blocking.${how}` as MessageKey));
    if (row.fingerprint) kv(t("measurement.blockpage"), h("code", { class: "fingerprint" }, row.fingerprint));
  }
  sumBody.append(dl, h("p", {}, h("a", { href: `/api/v1/raw_measurement?measurement_uid=${encodeURIComponent(uid)}`, download: `${uid}.json` }, t("measurement.raw"))));
  root.append(sumSec);

  // Why
  const [whySec, whyBody] = section(t("measurement.why"), "why");
  if (row) {
    const v = rowVerdict(row);
    whyBody.append(h("p", { class: "verdict-line" }, verdictBadge(v)));
    // Vigil's own reasoning for this measurement (the server writes it in English).
    if (row.why) whyBody.append(h("p", { class: "rule", "data-why": "" }, h("strong", {}, t("measurement.vigilRule"), colon()), h("span", { lang: "en" }, row.why)));
    whyBody.append(h("p", { class: "plain" }, h("strong", {}, t("measurement.plain"), colon()), t(plainKey(row))));
    if (row.fingerprint) whyBody.append(h("p", {}, t("measurement.fingerprintMatched", { name: row.fingerprint })));
  } else whyBody.append(h("p", { class: "note" }, t("measurement.noVerdict")));
  root.append(whySec);

  const control = tk.control ?? {};
  if (Array.isArray(tk.queries) && tk.queries.length) root.append(dnsSection(tk.queries, control.dns));
  if (Array.isArray(tk.tcp_connect) && tk.tcp_connect.length) root.append(tcpSection(tk.tcp_connect, control.tcp_connect ?? {}));
  if (Array.isArray(tk.tls_handshakes) && tk.tls_handshakes.length) root.append(await tlsSection(tk.tls_handshakes, control.tls_handshake ?? {}));
  if ((Array.isArray(tk.requests) && tk.requests.length) || control.http_request) root.append(httpSection(tk.requests ?? [], control.http_request));

  const [rawSec, rawBody] = section(t("measurement.testKeys"), "testkeys");
  const pre = h("pre", { class: "json" });
  pre.textContent = JSON.stringify(tk, null, 2).slice(0, 200_000);
  rawBody.append(h("details", {}, h("summary", {}, t("common.details")), pre));
  root.append(rawSec);
}

function hostOf(u: string): string {
  try {
    return new URL(u).hostname;
  } catch {
    return u;
  }
}

const dash = "—";
function failureCell(f: unknown): Node | string {
  return f ? h("span", { class: "fail" }, String(f)) : dash;
}
function table(head: string[], rows: (Node | string)[][], cls = "data"): HTMLElement {
  return h(
    "div",
    { class: "scroll", tabindex: 0, role: "region", "aria-label": head.join(", ") },
    h("table", { class: cls }, h("thead", {}, h("tr", {}, head.map((x) => h("th", { scope: "col" }, x)))), h("tbody", {}, rows.map((r) => h("tr", {}, r.map((c) => h("td", {}, c)))))),
  );
}

function dnsSection(queries: Any[], control: Any): HTMLElement {
  const [sec, body] = section(t("measurement.dns"), "dns");
  const rows = queries.map((q) => {
    const answers = (q.answers ?? []).map((a: Any) => a.ipv4 ?? a.ipv6 ?? a.hostname ?? a.answer_type).filter(Boolean);
    const resolver = q.resolver_address || q.resolver_hostname || q.engine || dash;
    return [
      `${resolver}${q.engine && q.resolver_address ? ` (${q.engine})` : ""}`,
      String(q.hostname ?? ""),
      String(q.query_type ?? ""),
      answers.length ? h("ul", { class: "answers" }, answers.map((x: string) => h("li", {}, h("code", {}, x)))) : dash,
      failureCell(q.failure),
    ];
  });
  const probe = h("div", {}, h("h3", {}, t("measurement.probe")), table([t("measurement.resolver"), t("common.domain"), t("measurement.queryType"), t("measurement.answers"), t("measurement.failure")], rows));
  const parts: HTMLElement[] = [probe];
  if (control) {
    const addrs: string[] = control.addrs ?? [];
    parts.push(
      h(
        "div",
        { class: "control" },
        h("h3", {}, t("measurement.control")),
        table([t("measurement.answers"), t("measurement.failure")], [[addrs.length ? h("ul", { class: "answers" }, addrs.map((x) => h("li", {}, h("code", {}, x)))) : dash, failureCell(control.failure)]]),
      ),
    );
  }
  body.append(h("div", { class: "side" }, parts));
  return sec;
}

function tcpSection(conns: Any[], control: Any): HTMLElement {
  const [sec, body] = section(t("measurement.tcp"), "tcp");
  const ok = (s: Any) => (s?.success === true ? t("common.yes") : s?.success === false ? h("span", { class: "fail" }, t("common.no")) : dash);
  const rows = conns.map((c) => {
    const addr = c.ip?.includes(":") ? `[${c.ip}]:${c.port}` : `${c.ip}:${c.port}`;
    const ctl = control[`${c.ip}:${c.port}`] ?? control[addr];
    return [h("code", {}, addr), ok(c.status), failureCell(c.status?.failure), ctl ? ok(ctl) : dash, ctl ? failureCell(ctl.failure) : dash];
  });
  body.append(
    table(
      [t("measurement.address"), `${t("measurement.probe")}${colon()}${t("measurement.success")}`, `${t("measurement.probe")}${colon()}${t("measurement.failure")}`, `${t("measurement.control")}${colon()}${t("measurement.success")}`, `${t("measurement.control")}${colon()}${t("measurement.failure")}`],
      rows,
    ),
  );
  return sec;
}

async function tlsSection(hs: Any[], control: Any): Promise<HTMLElement> {
  const [sec, body] = section(t("measurement.tls"), "tls");
  for (const x of hs.slice(0, 20)) {
    const ctl = control[x.address];
    const dl = h("dl", { class: "kv" });
    const kv = (k: string, v: Node | string) => dl.append(h("dt", {}, k), h("dd", {}, v));
    kv(t("measurement.address"), h("code", {}, String(x.address ?? dash)));
    kv(t("measurement.sni"), String(x.server_name ?? dash));
    kv(t("measurement.tlsVersion"), [x.tls_version, x.cipher_suite, x.negotiated_protocol].filter(Boolean).join(" · ") || dash);
    kv(`${t("measurement.probe")}${colon()}${t("measurement.failure")}`, failureCell(x.failure));
    if (ctl) kv(`${t("measurement.control")}${colon()}${t("measurement.failure")}`, failureCell(ctl.failure));
    const first = (x.peer_certificates ?? [])[0];
    const der = first ? valueBytes(first) : null;
    if (der && der.length) {
      const info = parseCertificate(der);
      if (info) {
        kv(`${t("measurement.certificate")} — ${t("measurement.subject")}`, info.subject || dash);
        kv(t("measurement.issuer"), info.issuer || dash);
        kv(t("measurement.validity"), `${info.notBefore} → ${info.notAfter}`);
        if (info.names.length) kv("DNS", info.names.slice(0, 12).join(", "));
      }
      const fp = await sha256Hex(der);
      if (fp) kv(t("measurement.fingerprint"), h("code", { class: "fp" }, fp));
    }
    body.append(h("div", { class: "tls" }, dl));
  }
  return sec;
}

// Header values and bodies may be OONI binary values (lib/binary.ts): shown decoded when
// printable, in hexadecimal otherwise, and marked so a reader knows which.
function headersOf(x: Any): [string, unknown][] {
  if (Array.isArray(x?.headers_list)) return x.headers_list.filter((p: Any) => Array.isArray(p)).map((p: Any) => [String(p[0]), p[1]]);
  if (x?.headers && typeof x.headers === "object") return Object.entries(x.headers).flatMap(([k, v]) => (Array.isArray(v) ? v.map((e) => [k, e] as [string, unknown]) : [[k, v] as [string, unknown]]));
  return [];
}
function valueNote(s: Shown | null): Node | null {
  if (!s) return h("span", { class: "value-note malformed" }, ` (${t("measurement.malformedValue")})`);
  if (s.hex) return h("span", { class: "value-note hex" }, ` (${t("measurement.binaryHex")})`);
  if (s.binary) return h("span", { class: "value-note decoded" }, ` (${t("measurement.decodedBase64")})`);
  return null;
}
function headerList(hdrs: [string, unknown][]): HTMLElement {
  return h(
    "ul",
    { class: "headers" },
    hdrs.slice(0, 30).map(([k, v]) => {
      const s = showValue(v, 256);
      return h("li", { "data-header": k }, h("code", { class: s?.hex ? "hex" : null }, `${k}: ${s ? s.text : ""}`), valueNote(s));
    }),
  );
}
function titleOf(s: string): string {
  const m = /<title[^>]*>([^<]{0,300})/i.exec(s);
  return m ? m[1].trim() : "";
}

function httpSection(reqs: Any[], control: Any): HTMLElement {
  const [sec, body] = section(t("measurement.http"), "http");
  const last = reqs[0]; // OONI lists the last request of a redirect chain first
  const side: HTMLElement[] = [];
  for (const r of reqs.slice(0, 10)) {
    const resp = r.response ?? {};
    const body = resp.body === null || resp.body === undefined ? null : showValue(resp.body, 512);
    const text = body && !body.hex ? body.text : "";
    const dl = h("dl", { class: "kv" });
    const kv = (k: string, v: Node | string) => dl.append(h("dt", {}, k), h("dd", {}, v));
    kv(t("measurement.request"), h("code", {}, `${r.request?.method ?? "GET"} ${r.request?.url ?? ""}`));
    kv(t("measurement.failure"), failureCell(r.failure));
    kv(t("measurement.status"), resp.code ? String(resp.code) : dash);
    kv(t("measurement.bodyLength"), body && body.length ? fmtNum(body.length) : dash);
    const title = titleOf(text);
    if (title) kv(t("measurement.pageTitle"), title);
    const hdrs = headersOf(resp);
    if (hdrs.length) kv(t("measurement.headers"), headerList(hdrs));
    if (resp.body !== null && resp.body !== undefined && (!body || body.length)) {
      const pre = h("pre", { class: body?.hex ? "body hex" : "body" });
      pre.textContent = body ? body.text.slice(0, 2000) : "";
      dl.append(h("dt", {}, t("measurement.body"), valueNote(body)), h("dd", { "data-body": "" }, h("details", {}, h("summary", {}, t("common.details")), pre)));
    }
    side.push(h("div", { class: r === last ? "probe" : "probe earlier" }, h("h3", {}, r === last ? t("measurement.probe") : `${t("measurement.probe")} — ${t("measurement.redirect")}`), dl));
  }
  if (control) {
    const dl = h("dl", { class: "kv" });
    const kv = (k: string, v: Node | string) => dl.append(h("dt", {}, k), h("dd", {}, v));
    kv(t("measurement.failure"), failureCell(control.failure));
    kv(t("measurement.status"), control.status_code > 0 ? String(control.status_code) : dash);
    kv(t("measurement.bodyLength"), typeof control.body_length === "number" && control.body_length >= 0 ? fmtNum(control.body_length) : dash);
    if (control.title) kv(t("measurement.pageTitle"), String(control.title));
    const hdrs = headersOf(control);
    if (hdrs.length) kv(t("measurement.headers"), headerList(hdrs));
    side.splice(1, 0, h("div", { class: "control" }, h("h3", {}, t("measurement.control")), dl));
  }
  body.append(h("div", { class: "side" }, side));
  return sec;
}
