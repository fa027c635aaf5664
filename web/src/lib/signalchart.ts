import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { SignalSeries } from "./api";
import { h } from "./dom";
import { sourceText } from "./events";
import { fmtNum, fmtPct, fmtTime, t } from "./i18n";
import { align } from "./series";

// Colour-blind-safe (Okabe-Ito), dark enough on white.
const COLOURS = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#6b4100", "#56b4e9"];

/** Signals of an entity, each as a share of its maximum; false (nothing drawn) when none has data. */
export function signalChart(container: HTMLElement, list: SignalSeries[]): boolean {
  const a = align(list);
  if (!a.series.length || a.xs.length < 2) return false;
  const width = Math.max(280, Math.min(container.clientWidth || 800, 1100));
  const span = a.xs[a.xs.length - 1] - a.xs[0];
  const iso = (s: number) => new Date(s * 1000).toISOString();
  const opts: uPlot.Options = {
    width,
    height: 220,
    scales: { x: { time: true }, pct: { range: [0, 105] } },
    series: [
      { label: t("common.date"), value: (_u, v) => (v == null ? "—" : fmtTime(iso(v))) },
      ...a.series.map((s, k) => {
        const [ds, ...sub] = s.label.split(" ");
        return {
          label: [sourceText(ds), ...sub].join(" "),
          scale: "pct",
          stroke: COLOURS[k % COLOURS.length],
          width: 2,
          points: { show: false },
          value: (_u: uPlot, _v: number | null, _si: number, i: number | null) => {
            const raw = i == null ? null : s.raw[i];
            return raw == null ? "—" : fmtNum(raw, { maximumFractionDigits: raw < 10 ? 2 : 0 });
          },
        } satisfies uPlot.Series;
      }),
    ],
    axes: [
      {
        values: (_u, splits) =>
          splits.map((x) => {
            const d = new Date(x * 1000);
            return span > 3 * 86400
              ? new Intl.DateTimeFormat(document.documentElement.lang, { day: "numeric", month: "short", timeZone: "UTC" }).format(d)
              : new Intl.DateTimeFormat(document.documentElement.lang, { hour: "2-digit", minute: "2-digit", timeZone: "UTC" }).format(d);
          }),
      },
      { scale: "pct", values: (_u, splits) => splits.map((s) => fmtPct(s / 100)) },
    ],
  };
  const wrap = h("div", { class: "chart", role: "img", "aria-label": `${t("country.signals")}: ${a.series.map((s) => sourceText(s.label.split(" ")[0])).join(", ")}` });
  container.append(wrap);
  new uPlot(opts, [a.xs, ...a.series.map((s) => s.pct)], wrap);
  return true;
}
