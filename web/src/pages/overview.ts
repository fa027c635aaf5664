import { geoEqualEarth, geoPath } from "d3-geo";
import { feature } from "topojson-client";
import type { Topology, GeometryCollection } from "topojson-specification";
import worldUrl from "world-atlas/countries-50m.json?url";
import { aggregation, events, measurements, type AggRow } from "../lib/api";
import { eventsTable } from "../lib/events";
import { h, section } from "../lib/dom";
import { countryName, fmtNum, fmtPct, t } from "../lib/i18n";
import { NUMERIC_TO_ALPHA2 } from "../lib/iso-numeric";
import { measurementTable } from "../lib/mtable";
import { countryHref, type Route } from "../lib/router";

const SVG = "http://www.w3.org/2000/svg";
function s<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string>): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  return el;
}

// Sequential scale from pale yellow to dark red, for anomaly rates 0..1.
const STOPS = [
  [255, 245, 204],
  [253, 174, 97],
  [215, 48, 39],
  [127, 0, 0],
];
export function rateColor(r: number): string {
  const x = Math.max(0, Math.min(1, r)) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(x));
  const f = x - i;
  const c = STOPS[i].map((v, k) => Math.round(v + (STOPS[i + 1][k] - v) * f));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

export async function render(root: HTMLElement, _route: Route, signal: AbortSignal): Promise<void> {
  document.title = t("app.title");
  const [byCountry, latest, evs, world] = await Promise.all([
    aggregation({ axis_x: "probe_cc" }, signal),
    measurements({ limit: 20, order_by: "measurement_start_time" }, signal),
    events({ limit: 20 }, signal),
    fetch(worldUrl, { signal }).then((r) => {
      if (!r.ok) throw new Error(`${worldUrl}: ${r.status}`);
      return r.json() as Promise<Topology>;
    }),
  ]);
  root.append(h("h1", {}, t("overview.title")));

  const stats = new Map<string, AggRow>();
  for (const r of byCountry) stats.set(String(r.probe_cc).toUpperCase(), r);

  const [mapSec, mapBody] = section(t("overview.map"), "map");
  mapBody.append(h("p", { class: "help" }, t("overview.mapHelp")), drawMap(world, stats));
  root.append(mapSec);

  const [evSec, evBody] = section(t("overview.events"), "events");
  evBody.append(evs ? eventsTable(evs) : h("p", { class: "note" }, t("overview.eventsUnavailable")));
  root.append(evSec);

  const [topSec, topBody] = section(t("overview.topConfirmed"), "top");
  const ranked = [...stats.values()]
    .filter((r) => r.probe_cc && r.probe_cc !== "ZZ")
    .sort((a, b) => b.confirmed_count - a.confirmed_count || b.anomaly_count - a.anomaly_count || b.measurement_count - a.measurement_count)
    .slice(0, 15);
  topBody.append(
    ranked.length
      ? h("div", { class: "scroll", tabindex: 0, role: "region", "aria-label": t("overview.topConfirmed") }, h(
          "table",
          { class: "data" },
          h("thead", {}, h("tr", {}, [t("common.country"), t("common.confirmed"), t("common.anomalies"), t("common.measurements"), t("common.anomalyRate")].map((c, i) => h("th", { scope: "col", class: i ? "num" : null }, c)))),
          h(
            "tbody",
            {},
            ranked.map((r) =>
              h(
                "tr",
                { "data-cc": String(r.probe_cc) },
                h("th", { scope: "row" }, h("a", { href: countryHref(String(r.probe_cc)) }, countryName(String(r.probe_cc)))),
                h("td", { class: "num" }, fmtNum(r.confirmed_count)),
                h("td", { class: "num" }, fmtNum(r.anomaly_count)),
                h("td", { class: "num" }, fmtNum(r.measurement_count)),
                h("td", { class: "num" }, fmtPct(r.measurement_count ? r.anomaly_count / r.measurement_count : 0)),
              ),
            ),
          ),
        ))
      : h("p", { class: "empty" }, t("common.none")),
  );
  root.append(topSec);

  const [latSec, latBody] = section(t("overview.latest"), "latest");
  latBody.append(measurementTable(latest.results));
  root.append(latSec);
}

function drawMap(world: Topology, stats: Map<string, AggRow>): SVGSVGElement {
  const W = 960, H = 470;
  const obj = world.objects.countries as GeometryCollection<{ name: string }>;
  const fc = feature(world, obj);
  const projection = geoEqualEarth().fitExtent([[4, 4], [W - 4, H - 4]], { type: "Sphere" });
  const path = geoPath(projection);
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, class: "map", role: "group", "aria-label": t("overview.map") });
  svg.append(s("path", { d: path({ type: "Sphere" }) ?? "", class: "sphere" }));
  for (const f of fc.features) {
    const cc = NUMERIC_TO_ALPHA2[String(f.id ?? "").padStart(3, "0")];
    const d = path(f);
    if (!d) continue;
    const st = cc ? stats.get(cc) : undefined;
    if (st && st.measurement_count > 0) {
      const rate = st.anomaly_count / st.measurement_count;
      const label = `${countryName(cc)}: ${t("common.anomalyRate")} ${fmtPct(rate)}, ${t("common.measurements")} ${fmtNum(st.measurement_count)}`;
      const a = s("a", { href: countryHref(cc), "aria-label": label, "data-cc": cc });
      const p = s("path", { d, class: "country has-data", style: `fill:${rateColor(rate)}` });
      const title = s("title", {});
      title.textContent = label;
      p.append(title);
      a.append(p);
      svg.append(a);
    } else {
      const p = s("path", { d, class: "country" });
      const title = s("title", {});
      title.textContent = `${cc ? countryName(cc) : f.properties?.name ?? ""}: ${t("overview.noMeasurements")}`;
      p.append(title);
      svg.append(p);
    }
  }
  return svg;
}
