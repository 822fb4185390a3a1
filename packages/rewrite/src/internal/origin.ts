/** Parsing of configured upstream URLs and of request authorities. */
import { parseIp } from '@switchyard/core';

/** A parsed origin: scheme, lower-cased host, explicit or default port. */
export interface Origin {
  readonly scheme: 'http' | 'https';
  readonly host: string;
  readonly port: number;
  /** `scheme://host[:port]`, the port omitted when it is the scheme's default. */
  readonly origin: string;
  /** `host[:port]` as it goes into a `Host` header. */
  readonly authority: string;
  /** The `UpstreamTarget` a forward result carries, built once here and shared (frozen). */
  readonly target: { readonly scheme: 'http' | 'https'; readonly host: string; readonly port: number; readonly origin: string };
}

export interface UpstreamBase extends Origin {
  /** Path prefix without trailing slashes (`''` for none). */
  readonly basePath: string;
}

const HOSTNAME = /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.?$/;
const IPV6 = /^\[[0-9a-f:.]+\]$/;

export function defaultPort(scheme: 'http' | 'https'): number {
  return scheme === 'https' ? 443 : 80;
}

/** Parses `host[:port]`; `null` if it is not a valid DNS name, IPv4 or bracketed IPv6 with an optional port. */
export function parseAuthority(authority: string): { host: string; port: number | undefined } | null {
  const a = authority.toLowerCase();
  let host = a;
  let port: number | undefined;
  const close = a.lastIndexOf(']');
  const colon = a.lastIndexOf(':');
  if (colon > close) {
    host = a.slice(0, colon);
    const p = a.slice(colon + 1);
    if (!/^[0-9]{1,5}$/.test(p)) return null;
    port = Number(p);
    if (port < 1 || port > 65535) return null;
  }
  if (!(HOSTNAME.test(host) || IPV6.test(host))) return null;
  return { host, port };
}

/**
 * RFC 3986 §3.2.2 reg-name characters: unreserved (`A-Z a-z 0-9 - . _ ~`), sub-delims
 * (`! $ & ' ( ) * + , ; =`) and `%` (checked as pct-encoded by the caller).
 */
function isRegNameChar(c: number): boolean {
  return (
    (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) ||
    c === 45 || c === 46 || c === 95 || c === 126 || // - . _ ~
    c === 33 || c === 36 || (c >= 38 && c <= 44) || c === 59 || c === 61 // ! $ & ' ( ) * + , ; =
  );
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

/**
 * Whether a request's `Host` is `uri-host [ ":" port ]` (RFC 9110 §7.2 over RFC 3986 §3.2.2-3):
 * a non-empty reg-name (unreserved, sub-delims, pct-encoded; IPv4 is a reg-name syntactically) or
 * a bracketed IPv6 address (no zone), and a port of 0-65535 when the `:` is there (`host:` with an
 * empty port is valid RFC 3986). One char-code scan, no allocation for a reg-name.
 * Refused: `[::1`, `a b`, `x:99999`, `:80`, `a@b`, control characters, anything non-ASCII.
 */
export function isValidAuthority(a: string): boolean {
  const n = a.length;
  let i = 0;
  if (n > 0 && a.charCodeAt(0) === 91) {
    // IP-literal: `[` IPv6address `]` (IPvFuture is left out: no HTTP stack sends it).
    const close = a.indexOf(']');
    if (close < 0) return false;
    const inner = a.slice(1, close);
    for (let k = 0; k < inner.length; k++) {
      const c = inner.charCodeAt(k);
      if (!(isHex(c) || c === 58 || c === 46)) return false; // no zone (`%25`), no spaces
    }
    if (!inner.includes(':') || parseIp(inner) === undefined) return false;
    i = close + 1;
  } else {
    for (; i < n; i++) {
      const c = a.charCodeAt(i);
      if (c === 58) break;
      if (c === 37) {
        if (i + 2 >= n || !isHex(a.charCodeAt(i + 1)) || !isHex(a.charCodeAt(i + 2))) return false;
        i += 2;
      } else if (!isRegNameChar(c)) return false;
    }
    if (i === 0) return false; // RFC 9110 §4.2.1: an http(s) URI's host is never empty
  }
  if (i === n) return true;
  if (a.charCodeAt(i) !== 58) return false;
  let port = 0;
  for (let j = i + 1; j < n; j++) {
    const c = a.charCodeAt(j);
    if (c < 48 || c > 57) return false;
    port = port * 10 + (c - 48);
    if (port > 65535) return false;
  }
  return true;
}

export function makeOrigin(scheme: 'http' | 'https', host: string, port: number): Origin {
  const authority = port === defaultPort(scheme) ? host : `${host}:${port}`;
  const origin = `${scheme}://${authority}`;
  return Object.freeze({ scheme, host, port, origin, authority, target: Object.freeze({ scheme, host, port, origin }) });
}

/** Parses `http(s)://host[:port][/base]`; `null` when it is anything else (userinfo, query, fragment, bad host). */
export function parseUpstream(url: string): UpstreamBase | null {
  const m = /^(https?):\/\/([^/?#@\s]+)(\/[^?#\s]*)?$/i.exec(url);
  if (m === null) return null;
  const scheme = (m[1] as string).toLowerCase() as 'http' | 'https';
  const auth = parseAuthority(m[2] as string);
  if (auth === null) return null;
  let basePath = m[3] ?? '';
  while (basePath.endsWith('/')) basePath = basePath.slice(0, -1);
  const o = makeOrigin(scheme, auth.host, auth.port ?? defaultPort(scheme));
  return Object.freeze({ ...o, basePath });
}
