import { aggregation, events, measurements, signals, unscoredTests, type AggRow, type Params } from "../lib/api";
import { eventsTable } from "../lib/events";
import { h, section } from "../lib/dom";
import { countryName, t } from "../lib/i18n";
import { matrix } from "../lib/matrix";
import { navigate } from "../lib/nav";
import { domainHref, href, type Route } from "../lib/router";
import { networks } from "../lib/networks";
import { signalChart } from "../lib/signalchart";
import { timeline } from "../lib/timeline";
import { PLATFORM_TESTS, nextDay } from "../lib/verdict";
import { filterForm } from "../lib/filters";

export async function render(root: HTMLElement, route: Route, signal: AbortSignal): Promise<void> {
  const cc = route.arg.toUpperCase();
  const q = route.query;
  const category = q.get("category") ?? "";
  const since = q.get("since") ?? "";
  const until = q.get("until") ?? "";
  const base: Params = { probe_cc: cc, since, until: until ? nextDay(until) : "" };
  const filtered: Params = { ...base, category_code: category };
  document.title = `${countryName(cc)} — ${t("app.name")}`;

  // Signals over the filtered dates, else the last two weeks; a step that keeps the chart small.
  const now = Date.now();
  const sigFrom = since ? Date.parse(since + "T00:00:00Z") : now - 14 * 86400_000;
  const sigUntil = until ? Math.min(now, Date.parse(nextDay(until) + "T00:00:00Z")) : now;
  const span = (sigUntil - sigFrom) / 1000;
  const step = span <= 3 * 86400 ? 300 : span <= 45 * 86400 ? 3600 : 86400;
  const sec = (ms: number) => (Number.isFinite(ms) ? Math.floor(ms / 1000) : undefined);

  const byTestP = aggregation({ ...filtered, axis_x: "measurement_start_day", axis_y: "test_name" }, signal);
  // Tests Vigil has no scoring rule for (psiphon, dnscheck, ...): the aggregation counts them as OK.
  // Their measurements per domain and day let the matrix say "not analysed" where they are all a cell has.
  const domainTestsP = aggregation({ ...filtered, axis_x: "domain", axis_y: "test_name" }, signal);
  const unscoredP = byTestP.then((rows) => unscoredTests(filtered, [...new Set(rows.map((r) => String(r.test_name)).filter(Boolean))], signal));
  const unscoredCellsP = Promise.all([unscoredP, domainTestsP]).then(([un, dt]) => {
    const withDomains = [...new Set(dt.filter((r) => r.domain && r.measurement_count && un.has(String(r.test_name))).map((r) => String(r.test_name)))];
    return Promise.all(withDomains.map((x) => aggregation({ ...filtered, test_name: x, axis_x: "measurement_start_day", axis_y: "domain" }, signal)));
  });
  const [byDomain, byTest, byAsn, anomalies, categories, catCheck, unscored, unscoredCells, evs, sigs] = await Promise.all([
    aggregation({ ...filtered, axis_x: "measurement_start_day", axis_y: "domain" }, signal),
    byTestP,
    aggregation({ ...filtered, axis_x: "probe_asn" }, signal),
    measurements({ ...filtered, anomaly: true, limit: 1000, order_by: "measurement_start_time" }, signal),
    aggregation({ ...base, axis_x: "category_code" }, signal),
    // A server that does not filter by category answers with every category: say so, never
    // show unfiltered data as if it were filtered.
    category ? aggregation({ ...filtered, axis_x: "category_code" }, signal) : Promise.resolve([]),
    unscoredP,
    unscoredCellsP,
    events({ entity_type: "country", entity_code: cc, limit: 20 }, signal),
    signals("country", cc, { from: sec(sigFrom), until: sec(sigUntil), step }, signal).catch(() => []),
  ]);
  const categoryIgnored = catCheck.some((r) => r.measurement_count > 0 && String(r.category_code ?? "") !== category);

  root.append(h("h1", {}, t("country.title", { country: countryName(cc) }), " ", h("span", { class: "code" }, cc)));

  const catCodes = categories.map((r) => String(r.category_code ?? "")).filter(Boolean).sort();
  root.append(
    filterForm(
      [
        { name: "category", label: t("common.category"), type: "select", options: [["", t("common.allCategories")], ...catCodes.map((c) => [c, c] as [string, string])] },
        { name: "since", label: t("common.since"), type: "date" },
        { name: "until", label: t("common.until"), type: "date" },
      ],
      q,
      (values) => navigate(href(`/country/${encodeURIComponent(cc)}`, values)),
    ),
  );

  if (categoryIgnored) root.append(h("p", { class: "error", role: "alert" }, t("country.categoryUnsupported")));

  // Unscored measurements per "domain day" (the matrix's cells).
  const unscoredIn = new Map<string, number>();
  for (const r of unscoredCells.flat()) {
    const k = `${r.domain} ${String(r.measurement_start_day).slice(0, 10)}`;
    unscoredIn.set(k, (unscoredIn.get(k) ?? 0) + r.measurement_count);
  }

  // Matrix: domains (web tests) and platforms (tests without a URL, one row per test).
  const rows: AggRow[] = [
    ...byDomain.filter((r) => r.domain),
    ...byTest.filter((r) => PLATFORM_TESTS.has(String(r.test_name))).map((r) => ({ ...r, domain: `@${r.test_name}` })),
  ];
  const [mSec, mBody] = section(t("country.matrix"), "matrix");
  mBody.append(
    h("p", { class: "help" }, t("country.matrixHelp")),
    matrix({
      rows,
      dayKey: "measurement_start_day",
      rowKey: (r) => String(r.domain),
      rowHeader: t("common.domain"),
      rowLabel: (k) => (k.startsWith("@") ? h("span", { class: "platform" }, k.slice(1)) : h("a", { href: domainHref(k) }, k)),
      cellFilter: (k, d) => ({
        probe_cc: cc,
        ...(k.startsWith("@") ? { test_name: k.slice(1) } : { domain: k }),
        since: d,
        until: d,
      }),
      unscored: (k, d) => (k.startsWith("@") ? (unscored.has(k.slice(1)) ? Infinity : 0) : (unscoredIn.get(`${k} ${d}`) ?? 0)),
    }),
  );
  root.append(mSec);

  const [iSec, iBody] = section(t("country.isp"), "isp");
  iBody.append(h("p", { class: "help" }, t("country.ispHelp")), networks(byAsn, anomalies.results, "country", cc));
  root.append(iSec);

  if (evs) {
    const [eSec, eBody] = section(t("country.events"), "events");
    eBody.append(eventsTable(evs, { showEntity: false }));
    root.append(eSec);
  }
  // Only when the server has signals with data for this country.
  const [sSec, sBody] = section(t("country.signals"), "signals");
  sBody.append(h("p", { class: "help" }, t("country.signalsHelp")));
  root.append(sSec);
  if (!signalChart(sBody, sigs)) sSec.remove();

  const [tSec, tBody] = section(t("country.timeline"), "timeline");
  root.append(tSec);
  timeline(tBody, byTest);
}
