import { aggregation, measurements, type AggRow, type Params } from "../lib/api";
import { h, section } from "../lib/dom";
import { countryName, t } from "../lib/i18n";
import { matrix } from "../lib/matrix";
import { navigate } from "../lib/nav";
import { domainHref, href, type Route } from "../lib/router";
import { networks } from "../lib/networks";
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

  const [byDomain, byTest, byAsn, anomalies, categories, catCheck] = await Promise.all([
    aggregation({ ...filtered, axis_x: "measurement_start_day", axis_y: "domain" }, signal),
    aggregation({ ...filtered, axis_x: "measurement_start_day", axis_y: "test_name" }, signal),
    aggregation({ ...filtered, axis_x: "probe_asn" }, signal),
    measurements({ ...filtered, anomaly: true, limit: 1000, order_by: "measurement_start_time" }, signal),
    aggregation({ ...base, axis_x: "category_code" }, signal),
    // A server that does not filter by category answers with every category: say so, never
    // show unfiltered data as if it were filtered.
    category ? aggregation({ ...filtered, axis_x: "category_code" }, signal) : Promise.resolve([]),
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
    }),
  );
  root.append(mSec);

  const [iSec, iBody] = section(t("country.isp"), "isp");
  iBody.append(h("p", { class: "help" }, t("country.ispHelp")), networks(byAsn, anomalies.results, "country", cc));
  root.append(iSec);

  const [tSec, tBody] = section(t("country.timeline"), "timeline");
  root.append(tSec);
  timeline(tBody, byTest);
}
