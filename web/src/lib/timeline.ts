import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { AggRow } from "./api";
import { h } from "./dom";
import { fmtDay, fmtNum, fmtPct, t } from "./i18n";

/** Measurements per day (bars) and anomaly rate (line, right axis), drawn with uPlot. */
export function timeline(container: HTMLElement, rows: AggRow[]): void {
  const byDay = new Map<string, { n: number; a: number }>();
  for (const r of rows) {
    const d = String(r.measurement_start_day ?? "").slice(0, 10);
    if (!d) continue;
    const c = byDay.get(d) ?? { n: 0, a: 0 };
    c.n += r.measurement_count;
    c.a += r.anomaly_count;
    byDay.set(d, c);
  }
  const days = [...byDay.keys()].sort();
  if (!days.length) {
    container.append(h("p", { class: "empty" }, t("common.none")));
    return;
  }
  const xs = days.map((d) => Date.parse(d + "T00:00:00Z") / 1000);
  const counts = days.map((d) => byDay.get(d)!.n);
  const rates = days.map((d) => {
    const c = byDay.get(d)!;
    return c.n ? (100 * c.a) / c.n : null;
  });
  const dayOf = (s: number) => new Date(s * 1000).toISOString().slice(0, 10);
  const width = Math.max(280, Math.min(container.clientWidth || 800, 1100));
  const bars = uPlot.paths.bars!({ size: [0.8, 40] });
  const opts: uPlot.Options = {
    width,
    height: 240,
    scales: { x: { time: true }, n: { range: (_u, _min, max) => [0, Math.max(1, max)] }, pct: { range: [0, 100] } },
    series: [
      { label: t("common.date"), value: (_u, v) => (v == null ? "—" : fmtDay(dayOf(v))) },
      { label: t("common.measurements"), scale: "n", stroke: "#3b5b8c", fill: "rgba(59,91,140,0.35)", paths: bars, points: { show: false }, value: (_u, v) => (v == null ? "—" : fmtNum(v)) },
      { label: t("common.anomalyRate"), scale: "pct", stroke: "#b3261e", width: 2, spanGaps: true, value: (_u, v) => (v == null ? "—" : fmtPct(v / 100)) },
    ],
    axes: [
      { values: (_u, splits) => splits.map((s) => fmtDay(dayOf(s), xs[xs.length - 1] - xs[0] > 300 * 86400 ? "shortYear" : "short")) },
      { scale: "n", values: (_u, splits) => splits.map((s) => fmtNum(s)) },
      { scale: "pct", side: 1, grid: { show: false }, values: (_u, splits) => splits.map((s) => fmtPct(s / 100)) },
    ],
  };
  const wrap = h("div", { class: "chart", role: "img", "aria-label": `${t("common.measurements")} / ${t("common.anomalyRate")}` });
  container.append(wrap);
  new uPlot(opts, [xs, counts, rates], wrap);
}
