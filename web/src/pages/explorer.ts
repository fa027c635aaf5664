import { aggregation, measurements, type Params } from "../lib/api";
import { h, section } from "../lib/dom";
import { filterForm } from "../lib/filters";
import { fmtNum, t } from "../lib/i18n";
import { measurementTable } from "../lib/mtable";
import { navigate } from "../lib/nav";
import { explorerHref, type Route } from "../lib/router";
import { nextDay } from "../lib/verdict";

const PAGE = 50;
const FIELDS = ["probe_cc", "probe_asn", "test_name", "domain", "category", "verdict", "since", "until"] as const;
const TESTS = ["web_connectivity", "whatsapp", "telegram", "signal", "facebook_messenger", "tor", "psiphon", "dnscheck", "urlgetter", "sni_blocking", "stun_reachability", "ndt", "dash"];

export async function render(root: HTMLElement, route: Route, signal: AbortSignal): Promise<void> {
  document.title = `${t("explorer.title")} — ${t("app.name")}`;
  const q = route.query;
  const page = Math.max(1, Number.parseInt(q.get("page") ?? "1", 10) || 1);
  const values: Record<string, string> = {};
  for (const f of FIELDS) {
    const v = q.get(f);
    if (v) values[f] = v;
  }
  const p: Params = {
    probe_cc: values.probe_cc?.toUpperCase(),
    probe_asn: values.probe_asn,
    test_name: values.test_name,
    domain: values.domain,
    category_code: values.category,
    since: values.since,
    until: values.until ? nextDay(values.until) : undefined,
    limit: PAGE,
    offset: (page - 1) * PAGE,
    order_by: "measurement_start_time",
  };
  if (values.verdict === "confirmed") p.confirmed = true;
  else if (values.verdict === "anomaly") p.anomaly = true;
  else if (values.verdict === "failure") p.failure = true;
  else if (values.verdict === "ok") {
    p.anomaly = false;
    p.failure = false;
  }

  // The categories the store knows (Citizen Lab codes given on receipt or import).
  const cats = await aggregation({ axis_x: "category_code" }, signal).catch(() => []);
  const catCodes = cats.map((r) => String(r.category_code ?? "")).filter(Boolean).sort();
  root.append(h("h1", {}, t("explorer.title")));
  root.append(
    filterForm(
      [
        { name: "probe_cc", label: t("common.country"), type: "text", placeholder: t("explorer.ccHint") },
        { name: "probe_asn", label: t("common.network"), type: "text", placeholder: t("explorer.asnHint") },
        { name: "test_name", label: t("common.test"), type: "select", options: [["", t("common.any")], ...TESTS.map((x) => [x, x] as [string, string])] },
        { name: "domain", label: t("common.domain"), type: "text" },
        { name: "category", label: t("common.category"), type: "select", options: [["", t("common.allCategories")], ...catCodes.map((c) => [c, c] as [string, string])] },
        {
          name: "verdict",
          label: t("common.verdict"),
          type: "select",
          options: [
            ["", t("explorer.verdictAny")],
            ["anomaly", t("verdict.anomaly")],
            ["confirmed", t("verdict.confirmed")],
            ["failure", t("verdict.failure")],
            ["ok", t("verdict.ok")],
          ],
        },
        { name: "since", label: t("common.since"), type: "date" },
        { name: "until", label: t("common.until"), type: "date" },
      ],
      q,
      (v) => navigate(explorerHref(v)),
    ),
  );
  const res = await measurements(p, signal);
  const pages = Math.max(1, Math.ceil(res.count / PAGE));
  const [sec, body] = section(t("explorer.results", { count: res.count }), "results");
  body.append(measurementTable(res.results));
  const nav = h("nav", { class: "pager", "aria-label": t("explorer.page", { page, pages }) });
  if (page > 1) nav.append(h("a", { href: explorerHref({ ...values, page: page - 1 }), rel: "prev" }, "← ", t("explorer.prev")));
  nav.append(h("span", { "aria-current": "page" }, t("explorer.page", { page: fmtNum(page), pages: fmtNum(pages) })));
  if (page < pages) nav.append(h("a", { href: explorerHref({ ...values, page: page + 1 }), rel: "next" }, t("explorer.next"), " →"));
  body.append(nav);
  root.append(sec);
}
