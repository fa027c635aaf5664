// OONI's binary values (df-001-httpt "MaybeBinaryData"): a value that is UTF-8 is a JSON
// string; one that is not is {"format": "base64", "data": "..."}. HTTP header values, bodies
// and TLS certificates may take either form. The measurement page shows the decoded value:
// as text when its bytes are printable UTF-8, as hexadecimal otherwise.

export interface BinaryValue {
  format: "base64";
  data: string;
}

/** True for an object in OONI's binary form (whether or not its data is valid base64). */
export function isBinaryValue(v: unknown): v is BinaryValue {
  return typeof v === "object" && v !== null && (v as { format?: unknown }).format === "base64" && typeof (v as { data?: unknown }).data === "string";
}

function base64ToBytes(s: string): Uint8Array | null {
  try {
    const bin = atob(s.replace(/[\s]/g, ""));
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch {
    return null;
  }
}

/** The bytes of a string or binary value; null for anything else or malformed base64. */
export function valueBytes(v: unknown): Uint8Array | null {
  if (typeof v === "string") return new TextEncoder().encode(v);
  if (isBinaryValue(v)) return base64ToBytes(v.data);
  return null;
}

/** The text of UTF-8 bytes with no control character but tab and line breaks, else null. */
export function printableText(bytes: Uint8Array): string | null {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
  // C0 controls (but \t \n \r), DEL and C1 controls would not show as what they are.
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/.test(text) ? null : text;
}

/** Bytes as hexadecimal pairs ("1f 8b 08"), at most `max` bytes then "…". */
export function hexOf(bytes: Uint8Array, max = Infinity): string {
  const n = Math.min(bytes.length, max);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(bytes[i].toString(16).padStart(2, "0"));
  return parts.join(" ") + (bytes.length > n ? " …" : "");
}

export interface Shown {
  /** What to show: the decoded text, or hexadecimal when `hex`. */
  text: string;
  hex: boolean;
  /** The measurement gave the value in the binary form. */
  binary: boolean;
  /** Length in bytes of the decoded value. */
  length: number;
}

/**
 * How a string or binary value is shown; null when it is neither (or its base64 is
 * malformed). `maxHexBytes` bounds the hexadecimal text of long values.
 */
export function showValue(v: unknown, maxHexBytes = 4096): Shown | null {
  const bytes = valueBytes(v);
  if (!bytes) return null;
  const binary = typeof v !== "string";
  const text = typeof v === "string" && printableText(bytes) !== null ? v : printableText(bytes);
  if (text !== null) return { text, hex: false, binary, length: bytes.length };
  return { text: hexOf(bytes, maxHexBytes), hex: true, binary, length: bytes.length };
}
