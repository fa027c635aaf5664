import { describe, expect, it } from "vitest";
import { en, fr } from "../src/lib/i18n-catalogue";
import { cellVerdict, method, nextDay } from "../src/lib/verdict";
import { domainOf, asnText } from "../src/lib/api";

describe("catalogues", () => {
  it("English and French have the same keys", () => {
    expect(Object.keys(fr).sort()).toEqual(Object.keys(en).sort());
  });
  it("no empty values", () => {
    for (const cat of [en, fr] as Record<string, string>[])
      for (const [k, v] of Object.entries(cat)) expect(v.trim(), k).not.toBe("");
  });
  it("the same placeholders in both languages", () => {
    const ph = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort();
    for (const k of Object.keys(en) as (keyof typeof en)[]) expect(ph(fr[k]), k).toEqual(ph(en[k]));
  });
  it("every key used in the code exists", async () => {
    const { readFileSync, readdirSync, statSync } = await import("node:fs");
    const { join } = await import("node:path");
    const files: string[] = [];
    const walk = (d: string) => {
      for (const f of readdirSync(d)) {
        const p = join(d, f);
        if (statSync(p).isDirectory()) walk(p);
        else if (p.endsWith(".ts")) files.push(p);
      }
    };
    walk(join(__dirname, "../src"));
    for (const f of files) {
      const src = readFileSync(f, "utf8");
      for (const m of src.matchAll(/\bt\("([\w.-]+)"/g)) expect(Object.keys(en), `${f}: ${m[1]}`).toContain(m[1]);
    }
  });
});

describe("verdicts", () => {
  const c = (n: number, a: number, cf: number, f: number) => ({ measurement_count: n, anomaly_count: a, confirmed_count: cf, failure_count: f });
  it("worst verdict of a cell", () => {
    expect(cellVerdict(c(0, 0, 0, 0))).toBe("nodata");
    expect(cellVerdict(c(3, 0, 0, 0))).toBe("accessible");
    expect(cellVerdict(c(3, 1, 0, 0))).toBe("anomaly");
    expect(cellVerdict(c(3, 1, 1, 0))).toBe("confirmed");
    expect(cellVerdict(c(2, 0, 0, 2))).toBe("failure");
    expect(cellVerdict(c(2, 0, 0, 1))).toBe("accessible");
  });
  it("method of interference", () => {
    expect(method({ blocking: "dns", confirmed: false, fingerprint: null })).toBe("dns");
    expect(method({ blocking: "http-diff", confirmed: true, fingerprint: "x" })).toBe("blockpage");
    expect(method({ blocking: false, confirmed: false, fingerprint: null })).toBe("other");
  });
  it("helpers", () => {
    expect(nextDay("2024-02-29")).toBe("2024-03-01");
    expect(domainOf("https://Www.Example.com:444/x")).toBe("www.example.com");
    expect(asnText(30722)).toBe("AS30722");
    expect(asnText("as137")).toBe("AS137");
  });
});
