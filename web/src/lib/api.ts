// Client for the server's OONI-compatible query API (same origin; nothing else is ever fetched).

export interface MeasurementRow {
  measurement_uid: string;
  report_id: string;
  probe_cc: string;
  probe_asn: string; // "AS30722"
  test_name: string;
  input: string | null;
  domain: string;
  measurement_start_time: string;
  // Vigil's verdict when the server sends it (the `vigil` object), else OONI's booleans.
  // anomaly === null: the test has no scoring rule (not analysed), never "accessible".
  anomaly: boolean | null;
  confirmed: boolean | null;
  failure: boolean | null;
  blocking: string | false | null;
  accessible: boolean | null;
  why: string | null;
  fingerprint: string | null;
  category_code: string | null;
}

export interface MeasurementPage {
  count: number;
  limit: number;
  offset: number;
  results: MeasurementRow[];
}

export interface AggRow {
  [axis: string]: string | number;
  measurement_count: number;
  anomaly_count: number;
  confirmed_count: number;
  failure_count: number;
  ok_count: number;
}

export type Params = Record<string, string | number | boolean | undefined | null>;

export class ApiError extends Error {
  constructor(
    message: string,
    public status: number,
  ) {
    super(message);
  }
}

function qs(p: Params): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(p)) if (v !== undefined && v !== null && v !== "") u.set(k, String(v));
  const s = u.toString();
  return s ? "?" + s : "";
}

export async function getJson<T = unknown>(path: string, p: Params = {}, signal?: AbortSignal): Promise<T> {
  const res = await fetch(path + qs(p), { signal, headers: { Accept: "application/json" } });
  if (!res.ok) {
    let msg = `${res.status} ${res.statusText}`;
    try {
      const body = await res.json();
      if (body && (body.error || body.msg)) msg += ` — ${body.error ?? body.msg}`;
    } catch {
      /* not JSON */
    }
    throw new ApiError(msg, res.status);
  }
  if (!(res.headers.get("content-type") ?? "").includes("json")) throw new ApiError(`${path}: not a JSON answer`, 0);
  return (await res.json()) as T;
}

export function asnText(a: unknown): string {
  if (typeof a === "number") return a ? `AS${a}` : "AS0";
  if (typeof a === "string") return /^\d+$/.test(a) ? `AS${a}` : a.toUpperCase();
  return "AS0";
}

export function domainOf(input: string | null | undefined): string {
  if (!input) return "";
  const m = /^[a-z][a-z0-9+.-]*:\/\/(\[[^\]]+\]|[^/:?#]+)/i.exec(input);
  return (m ? m[1] : input).toLowerCase();
}

function optBool(v: unknown): boolean | null {
  return typeof v === "boolean" ? v : null;
}
function optStr(v: unknown): string | null {
  return typeof v === "string" && v !== "" ? v : null;
}

// deno-lint-ignore no-explicit-any
export function normalizeRow(r: any): MeasurementRow {
  // Vigil's verdict: `vigil` (current server), `verdict` (older builds) or the row itself.
  const vo = r.vigil && typeof r.vigil === "object" ? r.vigil : r.verdict && typeof r.verdict === "object" ? r.verdict : null;
  const v = vo ?? r;
  // OONI's fastpath puts the blocking type in scores.analysis.blocking_type.
  const b = v.blocking ?? r.scores?.analysis?.blocking_type ?? null;
  const blocking = b === false || b === "false" ? false : optStr(b);
  // With Vigil's verdict, its nulls are meaningful (no scoring rule): OONI's booleans do not fill them.
  const flag = (k: "anomaly" | "confirmed" | "failure") => (vo ? optBool(vo[k]) : optBool(r[k]));
  return {
    measurement_uid: String(r.measurement_uid ?? ""),
    report_id: String(r.report_id ?? ""),
    probe_cc: String(r.probe_cc ?? "ZZ"),
    probe_asn: asnText(r.probe_asn),
    test_name: String(r.test_name ?? ""),
    input: optStr(r.input),
    domain: optStr(r.domain) ?? domainOf(r.input),
    measurement_start_time: String(r.measurement_start_time ?? ""),
    anomaly: flag("anomaly"),
    confirmed: flag("confirmed"),
    failure: flag("failure"),
    blocking,
    accessible: optBool(v.accessible),
    why: optStr(v.why ?? r.scores?.analysis?.why),
    fingerprint: optStr(v.fingerprint ?? r.scores?.analysis?.fingerprint),
    category_code: optStr(v.category_code ?? r.category_code),
  };
}

export async function measurements(p: Params, signal?: AbortSignal): Promise<MeasurementPage> {
  // deno-lint-ignore no-explicit-any
  const body = await getJson<any>("/api/v1/measurements", p, signal);
  const results = Array.isArray(body?.results) ? body.results.map(normalizeRow) : [];
  const md = body?.metadata ?? {};
  return {
    count: typeof md.count === "number" ? md.count : results.length,
    limit: typeof md.limit === "number" ? md.limit : Number(p.limit ?? results.length),
    offset: typeof md.offset === "number" ? md.offset : Number(p.offset ?? 0),
    results,
  };
}

const COUNTS = ["measurement_count", "anomaly_count", "confirmed_count", "failure_count", "ok_count"] as const;

export async function aggregation(p: Params, signal?: AbortSignal): Promise<AggRow[]> {
  // deno-lint-ignore no-explicit-any
  const body = await getJson<any>("/api/v1/aggregation", p, signal);
  const raw = body?.result;
  const rows: unknown[] = Array.isArray(raw) ? raw : raw && typeof raw === "object" ? [raw] : [];
  return rows.map((r) => {
    // deno-lint-ignore no-explicit-any
    const o: any = { ...(r as object) };
    for (const c of COUNTS) o[c] = Number(o[c] ?? 0);
    if ("probe_asn" in o) o.probe_asn = asnText(o.probe_asn);
    if (typeof o.measurement_start_day === "string") o.measurement_start_day = o.measurement_start_day.slice(0, 10);
    return o as AggRow;
  });
}

// deno-lint-ignore no-explicit-any
export async function rawMeasurement(uid: string, signal?: AbortSignal): Promise<any> {
  return getJson("/api/v1/raw_measurement", { measurement_uid: uid }, signal);
}

/**
 * The stored row (with Vigil's verdict) for one measurement, found in /api/v1/measurements by the
 * raw measurement's own fields (the server has no per-uid metadata route yet).
 */
// deno-lint-ignore no-explicit-any
export async function measurementRow(uid: string, raw: any, signal?: AbortSignal): Promise<MeasurementRow | null> {
  if (!raw) return null;
  const t = String(raw.measurement_start_time ?? "");
  const p: Params = {
    probe_cc: raw.probe_cc,
    test_name: raw.test_name,
    limit: 100,
  };
  if (raw.probe_asn) p.probe_asn = asnText(raw.probe_asn);
  if (typeof raw.input === "string" && raw.input) p.input = raw.input;
  if (t) {
    p.since = t.replace(" ", "T").slice(0, 19) + "Z";
    const d = new Date(t.replace(" ", "T") + "Z");
    if (!isNaN(d.getTime())) p.until = new Date(d.getTime() + 1000).toISOString().slice(0, 19) + "Z";
  }
  const page = await measurements(p, signal);
  return page.results.find((r) => r.measurement_uid === uid) ?? null;
}

// Disruption events and signals (Vigil's IODA-shaped API).

export type EventKind = "full" | "regional" | "mobile" | "platform" | "throttling" | "dns";
export interface DisruptionEvent {
  id: number;
  entity_type: "country" | "region" | "asn" | string;
  entity_code: string;
  kind: EventKind | string;
  start: string;
  end: string | null;
  ongoing: boolean;
  score: number;
  datasources: string[];
}

/** Detected events, newest first; null when the server has no events API (older builds). */
export async function events(p: Params, signal?: AbortSignal): Promise<DisruptionEvent[] | null> {
  let body: any;
  try {
    body = await getJson("/api/v1/events", p, signal);
  } catch (e) {
    if (e instanceof ApiError && (e.status === 404 || e.status === 405 || e.status === 0)) return null;
    throw e;
  }
  const rows: unknown[] = Array.isArray(body?.results) ? body.results : [];
  return rows.map((x) => {
    const r = x as Record<string, any>;
    const ds = r.detail?.datasources;
    return {
      id: Number(r.id ?? 0),
      entity_type: String(r.entity_type ?? ""),
      entity_code: String(r.entity_code ?? ""),
      kind: String(r.kind ?? ""),
      start: String(r.start ?? ""),
      end: optStr(r.end),
      ongoing: r.ongoing === true || (r.ongoing === undefined && !r.end),
      score: typeof r.score === "number" ? r.score : 0,
      datasources: Array.isArray(ds) ? ds.map(String) : [],
    };
  });
}

export interface SignalSeries {
  datasource: string;
  subtype: string;
  from: number; // unix seconds
  step: number;
  values: (number | null)[];
}

/** An entity's signals (IODA's shape: data[0] is the list of series); [] when the server has none. */
export async function signals(type: string, code: string, p: Params, signal?: AbortSignal): Promise<SignalSeries[]> {
  let body: any;
  try {
    body = await getJson(`/api/v1/signals/${encodeURIComponent(type)}/${encodeURIComponent(code)}`, p, signal);
  } catch (e) {
    if (e instanceof ApiError && (e.status === 404 || e.status === 405 || e.status === 0)) return [];
    throw e;
  }
  const groups: unknown[] = Array.isArray(body?.data) ? body.data : [];
  const out: SignalSeries[] = [];
  for (const g of groups) {
    for (const x of Array.isArray(g) ? g : []) {
      const s = x as Record<string, any>;
      if (!Array.isArray(s?.values) || !(Number(s.step) > 0)) continue;
      out.push({
        datasource: String(s.datasource ?? ""),
        subtype: String(s.subtype ?? ""),
        from: Number(s.from ?? 0),
        step: Number(s.step),
        values: s.values.map((v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : null)),
      });
    }
  }
  return out;
}

/**
 * Which of `tests` Vigil has no scoring rule for, from their latest few measurements under `p`
 * (anomaly null in every one). The aggregation counts such measurements as OK; this is how a
 * matrix tells them apart and says "not analysed".
 */
// Whether a test has a scoring rule is the server's, not the measurement's: remembered per test.
const scoredCache = new Map<string, boolean>();

export async function unscoredTests(p: Params, tests: string[], signal?: AbortSignal): Promise<Set<string>> {
  const unknown = tests.filter((x) => !scoredCache.has(x));
  const latest = await Promise.all(unknown.map((x) => measurements({ ...p, test_name: x, limit: 5, order_by: "measurement_start_time" }, signal)));
  unknown.forEach((x, i) => {
    if (latest[i].results.length) scoredCache.set(x, !latest[i].results.every((r) => r.anomaly === null));
  });
  return new Set(tests.filter((x) => scoredCache.get(x) === false));
}
