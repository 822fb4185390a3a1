/**
 * IP addresses and CIDR ranges without dependencies (core must stay dependency-free, and the
 * router's client-IP matches and the limiter's trusted-proxy and IPv6-prefix keys need the
 * same parser). IPv4-mapped IPv6 (`::ffff:1.2.3.4`) is treated as the IPv4 address it carries.
 */

/** A parsed address: 4 bytes for IPv4, 16 for IPv6. */
export interface IpAddress {
  readonly version: 4 | 6;
  readonly bytes: Uint8Array;
}

/** A parsed CIDR range. */
export interface Cidr {
  readonly version: 4 | 6;
  readonly bytes: Uint8Array;
  readonly prefix: number;
}

/**
 * Parses IPv4 dotted-quad or IPv6 (with `::`, embedded IPv4, optional brackets and zone id).
 * IPv4-mapped IPv6 addresses come back as IPv4. Returns `undefined` for anything else.
 *
 * @example
 * ```ts
 * import { parseIp, formatIp } from '@switchyard/core';
 * formatIp(parseIp('::ffff:203.0.113.7')!); // '203.0.113.7'
 * formatIp(parseIp('[2001:DB8::1]')!);      // '2001:db8::1'
 * ```
 */
export function parseIp(input: string): IpAddress | undefined {
  let s = input.trim();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  if (s.includes(':')) {
    const bytes = parseV6(s);
    if (bytes === undefined) return undefined;
    if (isV4Mapped(bytes)) return { version: 4, bytes: bytes.slice(12) };
    return { version: 6, bytes };
  }
  const v4 = parseV4(s);
  return v4 === undefined ? undefined : { version: 4, bytes: v4 };
}

function parseV4(s: string): Uint8Array | undefined {
  // One char-code scan (no split, no regex): four decimal octets 0-255 separated by dots,
  // no leading zeros (an octal-looking "010" is ambiguous, so refused).
  const n = s.length;
  if (n < 7 || n > 15) return undefined;
  const out = new Uint8Array(4);
  let octet = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? s.charCodeAt(i) : 46; // a virtual "." closes the last octet
    if (c === 46) {
      if (digits === 0 || octet > 3) return undefined;
      out[octet++] = value;
      value = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && value === 0) return undefined; // leading zero
      value = value * 10 + (c - 48);
      if (++digits > 3 || value > 255) return undefined;
    } else {
      return undefined;
    }
  }
  return octet === 4 ? out : undefined;
}

function parseV6(s: string): Uint8Array | undefined {
  const double = s.indexOf('::');
  if (double !== s.lastIndexOf('::')) return undefined;
  const head = double >= 0 ? s.slice(0, double) : s;
  const tail = double >= 0 ? s.slice(double + 2) : '';
  const headParts = head === '' ? [] : head.split(':');
  const tailParts = tail === '' ? [] : tail.split(':');
  const words: number[] = [];
  const tailWords: number[] = [];
  const all = [...headParts.map((p) => [p, words] as const), ...tailParts.map((p) => [p, tailWords] as const)];
  for (let i = 0; i < all.length; i++) {
    const [p, into] = all[i] as readonly [string, number[]];
    if (p.includes('.')) {
      // Embedded IPv4 only as the last group (`1.2.3.4::` puts it before the zeros).
      if (i !== all.length - 1 || s.endsWith('::')) return undefined;
      const v4 = parseV4(p);
      if (v4 === undefined) return undefined;
      into.push(((v4[0] as number) << 8) | (v4[1] as number), ((v4[2] as number) << 8) | (v4[3] as number));
      continue;
    }
    if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return undefined;
    into.push(parseInt(p, 16));
  }
  const total = words.length + tailWords.length;
  if (double >= 0 ? total > 7 : total !== 8) return undefined;
  const full = [...words, ...new Array<number>(8 - total).fill(0), ...tailWords];
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const w = full[i] as number;
    out[i * 2] = w >> 8;
    out[i * 2 + 1] = w & 0xff;
  }
  return out;
}

function isV4Mapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

/** Canonical text: dotted quad, or RFC 5952 IPv6 (lower case, longest zero run as `::`). */
export function formatIp(ip: IpAddress): string {
  const b = ip.bytes;
  if (ip.version === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push(((b[i * 2] as number) << 8) | (b[i * 2 + 1] as number));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/**
 * Parses `10.0.0.0/8`, `2001:db8::/32`, or a bare address (a /32 or /128). Host bits are
 * cleared. IPv4-mapped IPv6 ranges with prefix ≥ 96 become IPv4 ranges.
 */
export function parseCidr(input: string): Cidr | undefined {
  const slash = input.indexOf('/');
  const addr = parseIp(slash >= 0 ? input.slice(0, slash) : input);
  if (addr === undefined) return undefined;
  const bits = addr.bytes.length * 8;
  let prefix = bits;
  if (slash >= 0) {
    const p = input.slice(slash + 1).trim();
    if (!/^\d{1,3}$/.test(p)) return undefined;
    prefix = Number(p);
    // `::ffff:10.0.0.0/104` names the IPv4 range 10.0.0.0/8.
    const raw = input.slice(0, slash).trim();
    if (addr.version === 4 && raw.includes(':')) prefix -= 96;
    if (prefix < 0 || prefix > bits) return undefined;
  }
  return { version: addr.version, bytes: maskBytes(addr.bytes, prefix), prefix };
}

/** True if `ip` lies in `cidr` (versions must agree; mapped addresses are already IPv4). */
export function cidrContains(cidr: Cidr, ip: IpAddress): boolean {
  if (cidr.version !== ip.version) return false;
  const full = cidr.prefix >> 3;
  for (let i = 0; i < full; i++) if (cidr.bytes[i] !== ip.bytes[i]) return false;
  const rem = cidr.prefix & 7;
  if (rem === 0) return true;
  const mask = (0xff << (8 - rem)) & 0xff;
  return ((ip.bytes[full] as number) & mask) === cidr.bytes[full];
}

/** `ip` with all but the first `prefix` bits cleared (e.g. an IPv6 client reduced to its /56). */
export function maskIp(ip: IpAddress, prefix: number): IpAddress {
  return { version: ip.version, bytes: maskBytes(ip.bytes, Math.min(prefix, ip.bytes.length * 8)) };
}

function maskBytes(bytes: Uint8Array, prefix: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let i = 0; i < out.length; i++) {
    const keep = Math.max(0, Math.min(8, prefix - i * 8));
    out[i] = (out[i] as number) & ((0xff << (8 - keep)) & 0xff);
  }
  return out;
}
