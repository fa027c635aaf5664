import type { DisruptionEvent } from "./api";
import { h } from "./dom";
import { countryName, fmtPct, fmtTime, t, type MessageKey } from "./i18n";
import { countryHref, explorerHref } from "./router";

const KINDS = new Set(["full", "regional", "mobile", "platform", "throttling", "dns"]);
const SOURCES = new Set(["bgp", "active-probing", "watch-online", "watch-checkins", "watch-state", "measurements"]);

/** "full" -> "Full outage"; an unknown kind is shown as the server names it. */
export function kindText(kind: string): string {
  return KINDS.has(kind) ? t(`kind.${kind}` as MessageKey) : kind;
}
/** "bgp" -> "BGP routes"; an unknown datasource is shown as the server names it. */
export function sourceText(ds: string): string {
  return SOURCES.has(ds) ? t(`source.${ds}` as MessageKey) : ds;
}

function entity(e: DisruptionEvent): Node | string {
  if (e.entity_type === "country") return h("a", { href: countryHref(e.entity_code) }, countryName(e.entity_code));
  if (e.entity_type === "asn") {
    const asn = /^\d+$/.test(e.entity_code) ? `AS${e.entity_code}` : e.entity_code.toUpperCase();
    return h("a", { href: explorerHref({ probe_asn: asn }) }, t("events.network", { asn }));
  }
  if (e.entity_type === "region") return t("events.region", { code: e.entity_code });
  return `${e.entity_type} ${e.entity_code}`;
}

/** Detected disruptions: kind in words, where, start, end or "ongoing", the signals that saw it. */
export function eventsTable(list: DisruptionEvent[], opts: { showEntity?: boolean } = {}): HTMLElement {
  if (!list.length) return h("p", { class: "empty" }, t("events.none"));
  const showEntity = opts.showEntity ?? true;
  const head = [t("events.kind"), showEntity ? t("events.entity") : null, t("events.start"), t("events.end"), t("events.datasources"), t("events.score")];
  return h(
    "div",
    { class: "scroll", tabindex: 0, role: "region", "aria-label": t("overview.events") },
    h(
      "table",
      { class: "data events" },
      h("thead", {}, h("tr", {}, head.map((c, i) => (c === null ? null : h("th", { scope: "col", class: i === head.length - 1 ? "num" : null }, c))))),
      h(
        "tbody",
        {},
        list.map((e) =>
          h(
            "tr",
            { "data-event": e.id, "data-kind": e.kind, "data-entity": `${e.entity_type}:${e.entity_code}`, class: e.ongoing ? "ongoing" : null },
            h("th", { scope: "row" }, kindText(e.kind)),
            showEntity ? h("td", {}, entity(e)) : null,
            h("td", {}, h("time", { datetime: e.start }, fmtTime(e.start))),
            h("td", {}, e.end && !e.ongoing ? h("time", { datetime: e.end }, fmtTime(e.end)) : h("span", { class: "badge ongoing" }, t("events.ongoing"))),
            h("td", {}, e.datasources.length ? h("ul", { class: "sources" }, e.datasources.map((d) => h("li", {}, sourceText(d)))) : "—"),
            h("td", { class: "num" }, fmtPct(e.score)),
          ),
        ),
      ),
    ),
  );
}
