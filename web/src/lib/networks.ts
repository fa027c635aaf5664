import type { AggRow, MeasurementRow } from "./api";
import { h } from "./dom";
import { countryName, fmtNum, t, type MessageKey } from "./i18n";
import { countryHref, domainHref, explorerHref } from "./router";
import { method } from "./verdict";

/**
 * Which network interfered with what, and how: one row per network (ASN, or country+ASN across
 * countries), the measured totals from the aggregation, and from the anomalous measurements the
 * targets with the methods seen (DNS, TCP/IP, HTTP failure, HTTP difference, block page).
 */
export function networks(agg: AggRow[], anomalies: MeasurementRow[], mode: "country" | "domain", cc?: string): HTMLElement {
  const key = (cc: string, asn: string) => (mode === "domain" ? `${cc} ${asn}` : asn);
  const totals = new Map<string, { n: number; a: number; c: number }>();
  for (const r of agg) {
    const k = key(String(r.probe_cc ?? cc ?? ""), String(r.probe_asn ?? "AS0"));
    const tt = totals.get(k) ?? { n: 0, a: 0, c: 0 };
    tt.n += r.measurement_count;
    tt.a += r.anomaly_count;
    tt.c += r.confirmed_count;
    totals.set(k, tt);
  }
  // network -> target -> methods
  const seen = new Map<string, Map<string, Set<string>>>();
  for (const m of anomalies) {
    if (!m.anomaly && !m.confirmed) continue;
    const k = key(m.probe_cc, m.probe_asn);
    const target = mode === "domain" ? m.test_name : m.domain || m.test_name;
    let tm = seen.get(k);
    if (!tm) seen.set(k, (tm = new Map()));
    let s = tm.get(target);
    if (!s) tm.set(target, (s = new Set()));
    s.add(method(m));
    if (!totals.has(k)) totals.set(k, { n: 0, a: 0, c: 0 });
  }
  const keys = [...totals.keys()].sort((a, b) => totals.get(b)!.c - totals.get(a)!.c || totals.get(b)!.a - totals.get(a)!.a || a.localeCompare(b));
  if (!keys.length) return h("p", { class: "empty" }, t("common.none"));
  const rows = keys.map((k) => {
    const [kcc, asn] = mode === "domain" ? k.split(" ") : [cc ?? "", k];
    const tt = totals.get(k)!;
    const targets = [...(seen.get(k) ?? new Map<string, Set<string>>()).entries()].sort((a, b) => a[0].localeCompare(b[0]));
    return h(
      "tr",
      { "data-asn": asn },
      mode === "domain" ? h("td", {}, h("a", { href: countryHref(kcc) }, countryName(kcc))) : null,
      h("th", { scope: "row" }, h("a", { href: explorerHref({ probe_cc: kcc, probe_asn: asn }) }, asn)),
      h("td", { class: "num" }, fmtNum(tt.n)),
      h("td", { class: "num" }, fmtNum(tt.a)),
      h("td", { class: "num" }, fmtNum(tt.c)),
      h(
        "td",
        {},
        targets.length
          ? h(
              "ul",
              { class: "targets" },
              targets.map(([target, methods]) =>
                h(
                  "li",
                  {},
                  mode === "country" && target.includes(".") ? h("a", { href: domainHref(target) }, target) : target,
                  " ",
                  [...methods].sort().map((mm) => h("span", { class: `method m-${mm}` }, t(`blocking.${mm}` as MessageKey))),
                ),
              ),
            )
          : h("span", { class: "muted" }, t("country.noAnomalies")),
      ),
    );
  });
  return h(
    "div",
    { class: "scroll", tabindex: 0, role: "region", "aria-label": t("common.network") },
    h(
      "table",
      { class: "data networks" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          mode === "domain" ? h("th", { scope: "col" }, t("common.country")) : null,
          h("th", { scope: "col" }, t("common.network")),
          h("th", { scope: "col", class: "num" }, t("common.measurements")),
          h("th", { scope: "col", class: "num" }, t("common.anomalies")),
          h("th", { scope: "col", class: "num" }, t("common.confirmed")),
          h("th", { scope: "col" }, mode === "domain" ? `${t("common.test")} — ${t("common.blocking")}` : `${t("country.blocks")} — ${t("common.blocking")}`),
        ),
      ),
      h("tbody", {}, rows),
    ),
  );
}
