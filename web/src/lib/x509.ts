// Just enough DER to show a certificate's subject, issuer, validity and names (no validation).
interface Tlv {
  tag: number;
  start: number; // content start
  end: number; // content end
}

function readTlv(b: Uint8Array, pos: number): Tlv {
  const tag = b[pos];
  let len = b[pos + 1];
  let p = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n > 4) throw new Error("DER length");
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[p++];
  }
  if (p + len > b.length) throw new Error("DER truncated");
  return { tag, start: p, end: p + len };
}

function children(b: Uint8Array, t: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let p = t.start; p < t.end; ) {
    const c = readTlv(b, p);
    out.push(c);
    p = c.end;
  }
  return out;
}

const dec = new TextDecoder();
const OID_CN = "2.5.4.3", OID_O = "2.5.4.10", OID_SAN = "2.5.29.17";

function oid(b: Uint8Array, t: Tlv): string {
  const v = b.subarray(t.start, t.end);
  const parts = [Math.floor(v[0] / 40), v[0] % 40];
  let n = 0;
  for (let i = 1; i < v.length; i++) {
    n = n * 128 + (v[i] & 0x7f);
    if (!(v[i] & 0x80)) {
      parts.push(n);
      n = 0;
    }
  }
  return parts.join(".");
}

function name(b: Uint8Array, t: Tlv): string {
  const attrs: Record<string, string> = {};
  for (const set of children(b, t))
    for (const atv of children(b, set)) {
      const [o, v] = children(b, atv);
      if (o && v) attrs[oid(b, o)] = dec.decode(b.subarray(v.start, v.end));
    }
  return [attrs[OID_CN] && `CN=${attrs[OID_CN]}`, attrs[OID_O] && `O=${attrs[OID_O]}`].filter(Boolean).join(", ");
}

function time(b: Uint8Array, t: Tlv): string {
  const s = dec.decode(b.subarray(t.start, t.end));
  const full = t.tag === 0x17 ? (Number(s.slice(0, 2)) >= 50 ? "19" : "20") + s : s; // UTCTime has a 2-digit year
  return `${full.slice(0, 4)}-${full.slice(4, 6)}-${full.slice(6, 8)}`;
}

export interface CertInfo {
  subject: string;
  issuer: string;
  notBefore: string;
  notAfter: string;
  names: string[];
}

export function parseCertificate(der: Uint8Array): CertInfo | null {
  try {
    const cert = readTlv(der, 0);
    const tbs = children(der, children(der, cert)[0]);
    let i = tbs[0].tag === 0xa0 ? 1 : 0; // optional version
    i += 2; // serial, signature algorithm
    const issuer = name(der, tbs[i]);
    const [nb, na] = children(der, tbs[i + 1]);
    const subject = name(der, tbs[i + 2]);
    const names: string[] = [];
    const ext = tbs.find((x) => x.tag === 0xa3);
    if (ext)
      for (const e of children(der, children(der, ext)[0])) {
        const parts = children(der, e);
        if (oid(der, parts[0]) !== OID_SAN) continue;
        const octets = parts[parts.length - 1];
        const seq = readTlv(der, octets.start);
        for (const gn of children(der, seq)) if (gn.tag === 0x82) names.push(dec.decode(der.subarray(gn.start, gn.end)));
      }
    return { subject, issuer, notBefore: time(der, nb), notAfter: time(der, na), names };
  } catch {
    return null;
  }
}

export function base64Bytes(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export async function sha256Hex(b: Uint8Array): Promise<string> {
  if (!crypto?.subtle) return "";
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", b as BufferSource));
  return [...d].map((x) => x.toString(16).padStart(2, "0")).join(":");
}
