import type { MeasurementRow } from "./api";
import { h } from "./dom";
import { countryName, fmtTime, t, type MessageKey } from "./i18n";
import { verdictBadge } from "./matrix";
import { countryHref, domainHref, measurementHref } from "./router";
import { method, rowVerdict } from "./verdict";

/** A table of measurements, each linking to its measurement page. */
export function measurementTable(rows: MeasurementRow[]): HTMLElement {
  if (!rows.length) return h("p", { class: "empty" }, t("common.none"));
  return h(
    "div",
    { class: "scroll", tabindex: 0, role: "region", "aria-label": t("common.measurements") },
    h(
      "table",
      { class: "data measurements" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          [t("common.date"), t("common.country"), t("common.network"), t("common.test"), t("common.input"), t("common.verdict")].map((c) => h("th", { scope: "col" }, c)),
        ),
      ),
      h(
        "tbody",
        {},
        rows.map((r) => {
          const v = rowVerdict(r);
          const how = (v === "anomaly" || v === "confirmed") && method(r) !== "other" ? t(`blocking.${method(r)}` as MessageKey) : null;
          return h(
            "tr",
            { "data-uid": r.measurement_uid },
            h("td", {}, h("a", { href: measurementHref(r.measurement_uid) }, fmtTime(r.measurement_start_time))),
            h("td", {}, h("a", { href: countryHref(r.probe_cc) }, countryName(r.probe_cc))),
            h("td", {}, r.probe_asn),
            h("td", {}, r.test_name),
            h("td", { class: "input" }, r.domain ? h("a", { href: domainHref(r.domain), title: r.input ?? "" }, r.input ?? r.domain) : (r.input ?? "")),
            h("td", {}, verdictBadge(v), how ? h("span", { class: "method" }, how) : null),
          );
        }),
      ),
    ),
  );
}
