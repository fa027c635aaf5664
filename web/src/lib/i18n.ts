import { en, fr, type MessageKey } from "./i18n-catalogue";

export type Lang = "en" | "fr";
export const LANGS: Lang[] = ["en", "fr"];
const catalogues: Record<Lang, Record<MessageKey, string>> = { en, fr };

let current: Lang = "en";

export function setLang(l: Lang): void {
  current = l;
  document.documentElement.lang = l;
}
/** ": " in English, " : " (narrow no-break space) in French typography. */
export function colon(): string {
  return current === "fr" ? "\u202f: " : ": ";
}
export function lang(): Lang {
  return current;
}
export function isLang(s: string | null | undefined): s is Lang {
  return s === "en" || s === "fr";
}

/** The message for `key` in the current language, {name} placeholders filled. */
export function t(key: MessageKey, vars: Record<string, string | number> = {}): string {
  const msg = catalogues[current][key];
  return msg.replace(/\{(\w+)\}/g, (_, k: string) => {
    const v = vars[k];
    return v === undefined ? `{${k}}` : typeof v === "number" ? fmtNum(v) : v;
  });
}

const numCache = new Map<string, Intl.NumberFormat>();
export function fmtNum(n: number, opts: Intl.NumberFormatOptions = {}): string {
  const k = current + JSON.stringify(opts);
  let f = numCache.get(k);
  if (!f) {
    f = new Intl.NumberFormat(current, opts);
    numCache.set(k, f);
  }
  return f.format(n);
}
export function fmtPct(ratio: number): string {
  return fmtNum(ratio, { style: "percent", maximumFractionDigits: 1 });
}

/** "2024-01-24" (a UTC day) in the current language. */
export function fmtDay(day: string, style: "short" | "medium" | "shortYear" = "medium"): string {
  const d = new Date(day.length === 10 ? day + "T00:00:00Z" : day);
  if (isNaN(d.getTime())) return day;
  const o: Intl.DateTimeFormatOptions =
    style === "short"
      ? { day: "numeric", month: "short", timeZone: "UTC" }
      : style === "shortYear"
        ? { day: "numeric", month: "short", year: "2-digit", timeZone: "UTC" }
        : { dateStyle: "medium", timeZone: "UTC" };
  return new Intl.DateTimeFormat(current, o).format(d);
}
/** A measurement time (ISO or OONI's "YYYY-MM-DD HH:MM:SS", UTC) in the current language. */
export function fmtTime(s: string): string {
  const d = parseUtc(s);
  if (!d) return s;
  return new Intl.DateTimeFormat(current, { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" }).format(d) + " UTC";
}
export function parseUtc(s: string): Date | null {
  if (!s) return null;
  let iso = s.trim().replace(" ", "T");
  if (/^\d{4}-\d{2}-\d{2}$/.test(iso)) iso += "T00:00:00Z";
  else if (!/[zZ]|[+-]\d{2}:?\d{2}$/.test(iso)) iso += "Z";
  const d = new Date(iso);
  return isNaN(d.getTime()) ? null : d;
}

let regionNames: Intl.DisplayNames | null = null;
let regionLang = "";
/** "IT" -> "Italy" / "Italie"; unknown codes are returned as they are. */
export function countryName(cc: string): string {
  if (!cc || cc === "ZZ") return t("common.unknown");
  if (regionLang !== current) {
    regionNames = new Intl.DisplayNames([current], { type: "region" });
    regionLang = current;
  }
  try {
    return regionNames!.of(cc.toUpperCase()) ?? cc;
  } catch {
    return cc;
  }
}
export { en, fr };
export type { MessageKey };
