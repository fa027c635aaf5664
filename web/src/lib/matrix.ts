import type { AggRow } from "./api";
import { h } from "./dom";
import { fmtDay, fmtNum, t } from "./i18n";
import { explorerHref } from "./router";
import { CELL_SYMBOL, cellVerdict, type Cell } from "./verdict";

export interface MatrixOptions {
  rows: AggRow[]; // one per (day, row key)
  dayKey: string; // "measurement_start_day"
  rowKey: (r: AggRow) => string | null; // null: drop this row
  rowLabel: (key: string) => Node | string;
  rowHeader: string;
  cellFilter: (key: string, day: string) => Record<string, string>; // explorer filters for a cell
  maxDays?: number;
  maxRows?: number;
  /**
   * How many of a cell's measurements Vigil does not score (tests without a rule): the aggregation
   * counts them as OK, so a cell made only of them is "not analysed", not "accessible".
   */
  unscored?: (key: string, day: string) => number;
}

const VERDICT_KEY = {
  confirmed: "verdict.confirmed",
  anomaly: "verdict.anomaly",
  failure: "verdict.failure",
  accessible: "verdict.accessible",
  unscored: "verdict.unscored",
  nodata: "verdict.nodata",
} as const;

export function verdictBadge(v: Cell): HTMLElement {
  return h("span", { class: `badge c-${v}` }, h("span", { "aria-hidden": "true" }, CELL_SYMBOL[v] || "·"), " ", t(VERDICT_KEY[v]));
}

export function legend(withUnscored = false): HTMLElement {
  const cells: Cell[] = ["accessible", "anomaly", "confirmed", "failure", ...(withUnscored ? (["unscored"] as Cell[]) : []), "nodata"];
  return h("ul", { class: "legend" }, cells.map((c) => h("li", {}, verdictBadge(c))));
}

type Counts = { measurement_count: number; anomaly_count: number; confirmed_count: number; failure_count: number };

/** Rows × days table coloured by the worst verdict of each cell (with a symbol, not colour alone). */
export function matrix(o: MatrixOptions): HTMLElement {
  const byRow = new Map<string, Map<string, Counts>>();
  const totals = new Map<string, Counts>();
  const daySet = new Set<string>();
  for (const r of o.rows) {
    const key = o.rowKey(r);
    const day = String(r[o.dayKey] ?? "").slice(0, 10);
    if (key === null || !day || !r.measurement_count) continue;
    daySet.add(day);
    let m = byRow.get(key);
    if (!m) byRow.set(key, (m = new Map()));
    const c = m.get(day) ?? { measurement_count: 0, anomaly_count: 0, confirmed_count: 0, failure_count: 0 };
    const tot = totals.get(key) ?? { measurement_count: 0, anomaly_count: 0, confirmed_count: 0, failure_count: 0 };
    for (const k of ["measurement_count", "anomaly_count", "confirmed_count", "failure_count"] as const) {
      c[k] += r[k];
      tot[k] += r[k];
    }
    m.set(day, c);
    totals.set(key, tot);
  }
  const days = [...daySet].sort().slice(-(o.maxDays ?? 31));
  const keys = [...byRow.keys()].sort((a, b) => {
    const A = totals.get(a)!, B = totals.get(b)!;
    return B.confirmed_count - A.confirmed_count || B.anomaly_count - A.anomaly_count || B.measurement_count - A.measurement_count || a.localeCompare(b);
  });
  const shown = keys.slice(0, o.maxRows ?? 150);
  const multiYear = days.length > 0 && days[0].slice(0, 4) !== days[days.length - 1].slice(0, 4);
  if (!shown.length) return h("p", { class: "empty" }, t("common.none"));
  let anyUnscored = false;

  const head = h("tr", {}, h("th", { scope: "col", class: "rowhead" }, o.rowHeader), days.map((d) => h("th", { scope: "col", class: "day" }, h("span", {}, fmtDay(d, multiYear ? "shortYear" : "short")))));
  const body = shown.map((key) => {
    const m = byRow.get(key)!;
    return h(
      "tr",
      { "data-row": key },
      h("th", { scope: "row", class: "rowhead" }, o.rowLabel(key)),
      days.map((d) => {
        const c = m.get(d);
        let v: Cell = c ? cellVerdict(c) : "nodata";
        // The aggregation counts unscored measurements as OK: a row known to be unscored says so.
        if (v === "accessible" && c && o.unscored && o.unscored(key, d) >= c.measurement_count) v = "unscored";
        if (v === "unscored") anyUnscored = true;
        const label = c
          ? `${fmtDay(d)} — ${t(VERDICT_KEY[v])} — ${t("common.measurements")}: ${fmtNum(c.measurement_count)}, ${t("common.anomalies")}: ${fmtNum(c.anomaly_count)}, ${t("common.confirmed")}: ${fmtNum(c.confirmed_count)}`
          : `${fmtDay(d)} — ${t("verdict.nodata")}`;
        const sym = h("span", { "aria-hidden": "true" }, CELL_SYMBOL[v]);
        // Only cells that show interference are links (evidence to open); others are plain cells.
        const inner =
          v === "anomaly" || v === "confirmed"
            ? h("a", { href: explorerHref(o.cellFilter(key, d)), "aria-label": label, title: label }, sym)
            : h("span", { title: label, "aria-label": label, role: "img" }, sym);
        return h("td", { class: `cell c-${v}`, "data-verdict": v, "data-day": d }, inner);
      }),
    );
  });
  const table = h("table", { class: "matrix" }, h("thead", {}, head), h("tbody", {}, body));
  const scroller = h("div", { class: "scroll", tabindex: 0, role: "region", "aria-label": o.rowHeader }, table);
  // Latest days first in view on narrow screens.
  requestAnimationFrame(() => (scroller.scrollLeft = scroller.scrollWidth));
  return h(
    "div",
    {},
    legend(anyUnscored),
    scroller,
    keys.length > shown.length ? h("p", { class: "note" }, t("country.rows", { shown: shown.length, total: keys.length })) : null,
  );
}
