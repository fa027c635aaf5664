import type { SignalSeries } from "./api";

// Signals worth a chart line on a country page: the measurement counts already have their own
// timeline, and a series with no value (or only zeros, e.g. no watching probe) says nothing.
const SKIP = new Set(["measurements"]);

export interface Aligned {
  xs: number[]; // unix seconds, ascending
  series: { label: string; raw: (number | null)[]; pct: (number | null)[] }[];
}

export function informative(s: SignalSeries): boolean {
  return !SKIP.has(s.datasource) && s.values.some((v) => v !== null && v !== 0);
}

/**
 * Series of different start and step on one time axis (the union of their bin starts), each also
 * scaled to a percentage of its own maximum so that counts of routes and shares of online probes
 * share one axis.
 */
export function align(list: SignalSeries[]): Aligned {
  const keep = list.filter(informative);
  const times = new Set<number>();
  for (const s of keep) s.values.forEach((_, i) => times.add(s.from + i * s.step));
  const xs = [...times].sort((a, b) => a - b);
  const at = new Map(xs.map((x, i) => [x, i]));
  const series = keep.map((s) => {
    const raw: (number | null)[] = new Array(xs.length).fill(null);
    s.values.forEach((v, i) => (raw[at.get(s.from + i * s.step)!] = v));
    let max = 0;
    for (const v of s.values) if (v !== null && Math.abs(v) > max) max = Math.abs(v);
    const pct = raw.map((v) => (v === null || !(max > 0) ? null : (100 * v) / max));
    return { label: s.subtype ? `${s.datasource} ${s.subtype}` : s.datasource, raw, pct };
  });
  return { xs, series };
}
