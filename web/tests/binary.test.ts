import { describe, expect, it } from "vitest";
import { hexOf, isBinaryValue, printableText, showValue, valueBytes } from "../src/lib/binary";

const b64 = (bytes: number[]) => btoa(String.fromCharCode(...bytes));
const enc = (s: string) => [...new TextEncoder().encode(s)];

describe("OONI binary values on the measurement page", () => {
  it("a plain string is shown as it is", () => {
    expect(showValue("nginx")).toEqual({ text: "nginx", hex: false, binary: false, length: 5 });
    expect(showValue("Яндекс")?.length).toBe(12); // bytes, not characters
  });
  it("a binary value whose bytes are printable UTF-8 is shown decoded", () => {
    const v = { format: "base64", data: b64(enc("Protected by WireFilter — é")) };
    expect(isBinaryValue(v)).toBe(true);
    expect(showValue(v)).toEqual({ text: "Protected by WireFilter — é", hex: false, binary: true, length: enc("Protected by WireFilter — é").length });
  });
  it("bytes that are not UTF-8 are shown in hexadecimal", () => {
    const latin1 = { format: "base64", data: b64([...enc("WireFilter "), 0xae]) };
    const s = showValue(latin1);
    expect(s?.hex).toBe(true);
    expect(s?.text).toBe("57 69 72 65 46 69 6c 74 65 72 20 ae");
    expect(s?.length).toBe(12);
    const gzip = { format: "base64", data: "H4sIAAAAAAAAA8tIzcnJBwCGphA2BQAAAA==" };
    expect(showValue(gzip)?.text.startsWith("1f 8b 08")).toBe(true);
  });
  it("UTF-8 with control characters is not printable: hexadecimal", () => {
    expect(printableText(new Uint8Array([0x61, 0x00, 0x62]))).toBeNull();
    expect(printableText(new Uint8Array(enc("a\tb\r\nc")))).toBe("a\tb\r\nc");
    expect(showValue({ format: "base64", data: b64([0x1b, 0x5b, 0x32, 0x4a]) })?.hex).toBe(true);
    expect(showValue("bell\u0007")?.hex).toBe(true);
  });
  it("long hexadecimal is cut", () => {
    expect(hexOf(new Uint8Array([1, 2, 3, 4]), 2)).toBe("01 02 …");
    expect(showValue({ format: "base64", data: b64(new Array(600).fill(0xff)) }, 512)?.text.split(" ").length).toBe(513);
  });
  it("malformed or foreign values are not shown", () => {
    expect(valueBytes({ format: "base64", data: "not base64!" })).toBeNull();
    expect(showValue({ format: "hex", data: "00" })).toBeNull();
    expect(showValue({ format: "base64" })).toBeNull();
    expect(showValue(42)).toBeNull();
    expect(showValue(null)).toBeNull();
  });
});
