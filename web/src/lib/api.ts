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
  anomaly: boolean | null;
  confirmed: boolean | null;
  failure: boolean | null;
  // Vigil's verdict fields, when the server sends them.
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
  const v = r.verdict && typeof r.verdict === "object" ? r.verdict : r;
  // Vigil's server puts the blocking type where OONI's fastpath does: scores.analysis.blocking_type.
  const b = v.blocking ?? r.scores?.analysis?.blocking_type ?? null;
  const blocking = b === false || b === "false" ? false : optStr(b);
  return {
    measurement_uid: String(r.measurement_uid ?? ""),
    report_id: String(r.report_id ?? ""),
    probe_cc: String(r.probe_cc ?? "ZZ"),
    probe_asn: asnText(r.probe_asn),
    test_name: String(r.test_name ?? ""),
    input: optStr(r.input),
    domain: optStr(r.domain) ?? domainOf(r.input),
    measurement_start_time: String(r.measurement_start_time ?? ""),
    anomaly: optBool(r.anomaly ?? v.anomaly),
    confirmed: optBool(r.confirmed ?? v.confirmed),
    failure: optBool(r.failure ?? v.failure),
    blocking,
    accessible: optBool(v.accessible),
    why: optStr(v.why ?? r.scores?.analysis?.why),
    fingerprint: optStr(v.fingerprint ?? r.scores?.analysis?.fingerprint),
    category_code: optStr(r.category_code),
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
