import { isLang, lang, type Lang } from "./i18n";

// URLs: /, /country/CC, /domain/NAME, /measurement/UID, /explorer — filters and language in the query
// (?lang=fr&category=NEWS...), so every view is a shareable link. The server answers index.html for them.
export interface Route {
  page: "overview" | "country" | "domain" | "measurement" | "explorer" | "notfound";
  arg: string;
  query: URLSearchParams;
}

export function parse(loc: { pathname: string; search: string }): Route {
  const query = new URLSearchParams(loc.search);
  const parts = loc.pathname.split("/").filter(Boolean).map(decodeURIComponent);
  const [p, arg = ""] = parts;
  if (!p) return { page: "overview", arg, query };
  // Domains and measurement uids contain dots, and `vigil serve` answers index.html only for paths
  // whose last segment has no dot (a dotted one is a missing asset): they travel in the query.
  if (p === "domain" && !arg && query.get("name")) return { page: p, arg: query.get("name")!, query };
  if (p === "measurement" && !arg && query.get("uid")) return { page: p, arg: query.get("uid")!, query };
  if ((p === "country" || p === "domain" || p === "measurement") && arg) return { page: p, arg, query };
  if (p === "explorer") return { page: "explorer", arg, query };
  return { page: "notfound", arg: loc.pathname, query };
}

export function langFromUrl(q: URLSearchParams): Lang | null {
  const l = q.get("lang");
  return isLang(l) ? l : null;
}

/** A link target inside the app, carrying the current language. */
export function href(path: string, params: Record<string, string | number | undefined | null> = {}, l: Lang = lang()): string {
  const q = new URLSearchParams();
  q.set("lang", l);
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  return `${path}?${q.toString()}`;
}

export const countryHref = (cc: string, p = {}) => href(`/country/${encodeURIComponent(cc)}`, p);
export const domainHref = (d: string, p = {}) => href("/domain", { name: d, ...p });
export const measurementHref = (uid: string) => href("/measurement", { uid });
export const explorerHref = (p: Record<string, string | number | undefined | null> = {}) => href("/explorer", p);
