import { describe, expect, it } from "vitest";
import { normalizeRow } from "../src/lib/api";
import { align } from "../src/lib/series";
import { plainKey, rowVerdict } from "../src/lib/verdict";

const base = { measurement_uid: "u", probe_cc: "IT", probe_asn: "AS30722", test_name: "dash", input: null, measurement_start_time: "2024-01-01T00:00:00Z" };

describe("Vigil's verdict in measurement rows", () => {
  it("an unscored test is 'not analysed', never accessible, whatever OONI's booleans say", () => {
    const r = normalizeRow({ ...base, anomaly: false, confirmed: false, failure: false, vigil: { anomaly: null, confirmed: null, failure: null, blocking: null, accessible: null, fingerprint: null, why: "No verdict: no rule.", category_code: null } });
    expect(r.anomaly).toBeNull();
    expect(rowVerdict(r)).toBe("unscored");
    expect(plainKey(r)).toBe("why.unscored");
    expect(r.why).toBe("No verdict: no rule.");
  });
  it("uses the vigil object's blocking, fingerprint and category", () => {
    const r = normalizeRow({
      ...base,
      test_name: "web_connectivity",
      input: "https://x.example/",
      anomaly: true,
      confirmed: true,
      failure: false,
      vigil: { anomaly: true, confirmed: true, failure: false, blocking: "http-diff", accessible: false, fingerprint: "ooni.it_1", why: "Block page.", category_code: "NEWS" },
    });
    expect(rowVerdict(r)).toBe("confirmed");
    expect(r.blocking).toBe("http-diff");
    expect(r.fingerprint).toBe("ooni.it_1");
    expect(r.category_code).toBe("NEWS");
    expect(r.domain).toBe("x.example");
    expect(plainKey(r)).toBe("why.confirmed");
  });
  it("an accessible site, a DNS anomaly and a failed measurement", () => {
    const v = (o: object) => normalizeRow({ ...base, test_name: "web_connectivity", vigil: { anomaly: false, confirmed: false, failure: false, blocking: false, accessible: true, ...o } });
    expect(rowVerdict(v({}))).toBe("accessible");
    expect(plainKey(v({}))).toBe("why.accessible");
    expect(plainKey(v({ anomaly: true, blocking: "dns", accessible: false }))).toBe("why.dns");
    expect(rowVerdict(v({ failure: true, blocking: null, accessible: null }))).toBe("failure");
    expect(plainKey(v({ anomaly: true, blocking: null, accessible: false }))).toBe("why.anomaly");
  });
  it("without a vigil object (older server), OONI's booleans", () => {
    const r = normalizeRow({ ...base, anomaly: false, confirmed: false, failure: false });
    expect(rowVerdict(r)).toBe("accessible");
  });
});

describe("signals", () => {
  it("aligns series of different steps and scales each to its maximum", () => {
    const a = align([
      { datasource: "bgp", subtype: "", from: 0, step: 3600, values: [100, 50, null] },
      { datasource: "watch-online", subtype: "", from: 1800, step: 1800, values: [1, 0.5, 0, 1] },
      { datasource: "watch-checkins", subtype: "", from: 0, step: 300, values: [0, 0, 0] },
      { datasource: "measurements", subtype: "", from: 0, step: 86400, values: [5] },
    ]);
    expect(a.xs).toEqual([0, 1800, 3600, 5400, 7200]);
    expect(a.series.map((s) => s.label)).toEqual(["bgp", "watch-online"]);
    expect(a.series[0].pct).toEqual([100, null, 50, null, null]);
    expect(a.series[1].raw).toEqual([null, 1, 0.5, 0, 1]);
  });
});
