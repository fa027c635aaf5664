import { aggregation, measurements, unscoredTests, type Params } from "../lib/api";
import { h, section } from "../lib/dom";
import { countryName, t } from "../lib/i18n";
import { filterForm } from "../lib/filters";
import { matrix } from "../lib/matrix";
import { navigate } from "../lib/nav";
import { networks } from "../lib/networks";
import { countryHref, domainHref, type Route } from "../lib/router";
import { timeline } from "../lib/timeline";
import { nextDay } from "../lib/verdict";

export async function render(root: HTMLElement, route: Route, signal: AbortSignal): Promise<void> {
  const domain = route.arg.toLowerCase();
  const q = route.query;
  const p: Params = { domain, probe_cc: q.get("probe_cc") ?? "", since: q.get("since") ?? "", until: q.get("until") ? nextDay(q.get("until")!) : "" };
  document.title = `${domain} — ${t("app.name")}`;

  // Measurements of tests Vigil does not score (e.g. dnscheck, urlgetter), per country and day: a
  // matrix cell made only of them is "not analysed", not "accessible".
  const unscoredCellsP = aggregation({ ...p, axis_x: "test_name" }, signal)
    .then((rows) => unscoredTests(p, rows.filter((r) => r.measurement_count).map((r) => String(r.test_name)), signal))
    .then((un) => Promise.all([...un].map((x) => aggregation({ ...p, test_name: x, axis_x: "measurement_start_day", axis_y: "probe_cc" }, signal))));
  const [byCountryDay, byNet, anomalies, unscoredCells] = await Promise.all([
    aggregation({ ...p, axis_x: "measurement_start_day", axis_y: "probe_cc" }, signal),
    aggregation({ ...p, axis_x: "probe_cc", axis_y: "probe_asn" }, signal),
    measurements({ ...p, anomaly: true, limit: 1000, order_by: "measurement_start_time" }, signal),
    unscoredCellsP,
  ]);
  const unscoredIn = new Map<string, number>();
  for (const r of unscoredCells.flat()) {
    const k = `${r.probe_cc} ${String(r.measurement_start_day).slice(0, 10)}`;
    unscoredIn.set(k, (unscoredIn.get(k) ?? 0) + r.measurement_count);
  }

  root.append(h("h1", {}, t("domain.title", { domain })));
  const ccs = [...new Set(byNet.map((r) => String(r.probe_cc)))].sort();
  root.append(
    filterForm(
      [
        { name: "probe_cc", label: t("common.country"), type: "select", options: [["", t("common.all")], ...ccs.map((c) => [c, countryName(c)] as [string, string])] },
        { name: "since", label: t("common.since"), type: "date" },
        { name: "until", label: t("common.until"), type: "date" },
      ],
      q,
      (values) => navigate(domainHref(domain, values)),
    ),
  );

  const [mSec, mBody] = section(t("domain.matrix"), "matrix");
  mBody.append(
    h("p", { class: "help" }, t("country.matrixHelp")),
    matrix({
      rows: byCountryDay,
      dayKey: "measurement_start_day",
      rowKey: (r) => String(r.probe_cc),
      rowHeader: t("common.country"),
      rowLabel: (k) => h("a", { href: countryHref(k) }, countryName(k)),
      cellFilter: (k, d) => ({ probe_cc: k, domain, since: d, until: d }),
      unscored: (k, d) => unscoredIn.get(`${k} ${d}`) ?? 0,
    }),
  );
  root.append(mSec);

  const [nSec, nBody] = section(t("domain.networks"), "isp");
  nBody.append(networks(byNet, anomalies.results, "domain"));
  root.append(nSec);

  const [tSec, tBody] = section(t("domain.timeline"), "timeline");
  root.append(tSec);
  timeline(tBody, byCountryDay);
}
