import type { AggRow, MeasurementRow } from "./api";
import type { MessageKey } from "./i18n-catalogue";

// "unscored": measured, but Vigil has no scoring rule for the test (not analysed): never "accessible".
export type Cell = "confirmed" | "anomaly" | "failure" | "accessible" | "unscored" | "nodata";

/** The worst verdict among the measurements counted in one aggregation cell. */
export function cellVerdict(c: Pick<AggRow, "measurement_count" | "anomaly_count" | "confirmed_count" | "failure_count">): Cell {
  if (!c.measurement_count) return "nodata";
  if (c.confirmed_count > 0) return "confirmed";
  if (c.anomaly_count > 0) return "anomaly";
  if (c.failure_count >= c.measurement_count) return "failure";
  return "accessible";
}

export function rowVerdict(r: Pick<MeasurementRow, "confirmed" | "anomaly" | "failure">): Cell {
  if (r.confirmed) return "confirmed";
  if (r.anomaly) return "anomaly";
  if (r.failure) return "failure";
  if (r.anomaly === false) return "accessible";
  return "unscored";
}

/** How a network interfered, as a catalogue key suffix: dns, tcp_ip, http-failure, http-diff, blockpage. */
export function method(r: Pick<MeasurementRow, "blocking" | "confirmed" | "fingerprint">): string {
  if (r.confirmed || r.fingerprint) return "blockpage";
  if (r.blocking === "dns" || r.blocking === "tcp_ip" || r.blocking === "http-failure" || r.blocking === "http-diff")
    return r.blocking;
  return "other";
}

/** The catalogue key that explains a verdict in plain words. */
export function plainKey(r: Pick<MeasurementRow, "anomaly" | "confirmed" | "failure" | "blocking" | "accessible">): MessageKey {
  if (r.confirmed) return "why.confirmed";
  if (r.anomaly && (r.blocking === "dns" || r.blocking === "tcp_ip" || r.blocking === "http-failure" || r.blocking === "http-diff")) return `why.${r.blocking}`;
  if (r.anomaly) return "why.anomaly";
  if (r.failure) return "why.failure";
  // No scoring rule for this test: not analysed, which is not "accessible".
  if (r.anomaly === null) return "why.unscored";
  if (r.accessible === true || (r.anomaly === false && r.failure === false)) return "why.accessible";
  return "why.unknown";
}

export const CELL_SYMBOL: Record<Cell, string> = {
  confirmed: "■",
  anomaly: "▲",
  failure: "✕",
  accessible: "✓",
  unscored: "?",
  nodata: "",
};

// Tests without an input URL that stand for a platform (a row of their own in the matrix).
export const PLATFORM_TESTS = new Set([
  "whatsapp",
  "telegram",
  "signal",
  "facebook_messenger",
  "tor",
  "vanilla_tor",
  "torsf",
  "psiphon",
  "riseupvpn",
]);

/** "2024-02-12" -> "2024-02-13" (OONI's `until` bound is exclusive). */
export function nextDay(day: string): string {
  const d = new Date(day + "T00:00:00Z");
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}
