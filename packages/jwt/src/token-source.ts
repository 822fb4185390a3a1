/**
 * Reading the token from a request and removing it before the request goes upstream (Envoy
 * `jwt_authn`: `from_headers`, `from_params`, `from_cookies`, `forward: false`).
 *
 * @module
 */
import type { RequestHeaders, SyRequest } from '@switchyard/core';
import type { JwtTokenSource } from './options.js';

/** What a source found: no credential of its kind, or a candidate token (maybe empty or garbage). */
export type Extracted = { readonly kind: 'missing' } | { readonly kind: 'token'; readonly token: string };

const MISSING: Extracted = Object.freeze({ kind: 'missing' });

/** A compiled token source. */
export interface TokenReader {
  read(request: SyRequest): Extracted;
  /**
   * The request without the token (and without `dropHeaders`, the headers the policy owns),
   * with `setHeaders` set. Returns `request` itself when nothing changes.
   */
  rewrite(request: SyRequest, strip: boolean, dropHeaders: readonly string[], setHeaders: readonly (readonly [string, string])[] | undefined): SyRequest;
}

/** Compiles a validated token source. */
export function compileTokenSource(source: JwtTokenSource): TokenReader {
  switch (source.from) {
    case 'bearer':
      return headerReader('authorization', 'bearer');
    case 'header':
      return headerReader(source.name.toLowerCase(), source.prefix);
    case 'cookie':
      return cookieReader(source.name);
    case 'query':
      return queryReader(source.name);
  }
}

/** True when `value` starts with `prefix`, ASCII case-insensitively. */
function startsWithIgnoreCase(value: string, prefix: string): boolean {
  if (value.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) {
    let a = value.charCodeAt(i);
    let b = prefix.charCodeAt(i);
    if (a >= 0x41 && a <= 0x5a) a |= 0x20;
    if (b >= 0x41 && b <= 0x5a) b |= 0x20;
    if (a !== b) return false;
  }
  return true;
}

function trimSpaces(s: string, from: number): string {
  let start = from;
  let end = s.length;
  while (start < end && (s.charCodeAt(start) === 0x20 || s.charCodeAt(start) === 0x09)) start++;
  while (end > start && (s.charCodeAt(end - 1) === 0x20 || s.charCodeAt(end - 1) === 0x09)) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

function headerReader(name: string, prefix: string | undefined): TokenReader {
  const read = (request: SyRequest): Extracted => {
    const value = request.headers[name];
    if (value === undefined) return MISSING;
    if (prefix === 'bearer') {
      // RFC 6750 §2.1: `Bearer 1*SP b64token`; the auth-scheme is case-insensitive (RFC 9110
      // §11.1). Another scheme (Basic, DPoP…) is "no bearer token": RFC 6750 §3.1 answers it
      // without an error code, and allowAnonymous lets it through.
      if (value.length < 7 || !startsWithIgnoreCase(value, 'bearer') || (value.charCodeAt(6) !== 0x20 && value.charCodeAt(6) !== 0x09)) return MISSING;
      return { kind: 'token', token: trimSpaces(value, 7) };
    }
    if (prefix !== undefined && prefix !== '') {
      if (!startsWithIgnoreCase(value, prefix)) return MISSING;
      return { kind: 'token', token: trimSpaces(value, prefix.length) };
    }
    return { kind: 'token', token: trimSpaces(value, 0) };
  };
  return {
    read,
    rewrite: (request, strip, drop, set) => rewriteHeaders(request, strip ? name : undefined, drop, set, null),
  };
}

function cookieReader(cookieName: string): TokenReader {
  return {
    read(request) {
      const header = request.headers['cookie'];
      if (header === undefined) return MISSING;
      // RFC 6265 §5.4: `name=value` pairs joined by `; ` (Node joins repeated Cookie headers so).
      for (const part of header.split(';')) {
        const eq = part.indexOf('=');
        if (eq < 0) continue;
        if (trimSpaces(part.slice(0, eq), 0) !== cookieName) continue;
        let value = trimSpaces(part.slice(eq + 1), 0);
        if (value.length >= 2 && value.charCodeAt(0) === 0x22 && value.charCodeAt(value.length - 1) === 0x22) value = value.slice(1, -1);
        return { kind: 'token', token: value };
      }
      return MISSING;
    },
    rewrite(request, strip, drop, set) {
      let cookie: string | undefined | null = null;
      if (strip && request.headers['cookie'] !== undefined) {
        const kept = request.headers['cookie'].split(';').filter((part) => {
          const eq = part.indexOf('=');
          return eq < 0 ? part.trim() !== '' : trimSpaces(part.slice(0, eq), 0) !== cookieName;
        });
        cookie = kept.length === 0 ? undefined : kept.map((p) => p.trim()).join('; ');
      }
      return rewriteHeaders(request, undefined, drop, set, cookie);
    },
  };
}

/** `decodeURIComponent` of a query component (`+` is a space in form encoding), or undefined if malformed. */
function decodeComponent(s: string): string | undefined {
  if (s.indexOf('%') < 0 && s.indexOf('+') < 0) return s;
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

function queryReader(paramName: string): TokenReader {
  const isParam = (pair: string): boolean => {
    const eq = pair.indexOf('=');
    return decodeComponent(eq < 0 ? pair : pair.slice(0, eq)) === paramName;
  };
  return {
    read(request) {
      if (request.query === '') return MISSING;
      for (const pair of request.query.split('&')) {
        if (!isParam(pair)) continue;
        const eq = pair.indexOf('=');
        // A malformed escape is a present but invalid token (not a missing one).
        return { kind: 'token', token: eq < 0 ? '' : (decodeComponent(pair.slice(eq + 1)) ?? '') };
      }
      return MISSING;
    },
    rewrite(request, strip, drop, set) {
      const base = rewriteHeaders(request, undefined, drop, set, null);
      if (!strip || request.query === '') return base;
      const pairs = request.query.split('&');
      const kept = pairs.filter((p) => !isParam(p));
      if (kept.length === pairs.length) return base;
      return { ...base, query: kept.join('&') };
    },
  };
}

/**
 * Copies the request with `remove` deleted, `drop` deleted, `set` applied and the cookie header
 * replaced when `cookie` is not null (undefined deletes it). Returns `request` when nothing changes.
 */
function rewriteHeaders(
  request: SyRequest,
  remove: string | undefined,
  drop: readonly string[],
  set: readonly (readonly [string, string])[] | undefined,
  cookie: string | undefined | null,
): SyRequest {
  const h = request.headers;
  let changed = (remove !== undefined && h[remove] !== undefined) || (set !== undefined && set.length > 0) || cookie !== null;
  if (!changed) for (let i = 0; i < drop.length; i++) if (h[drop[i] as string] !== undefined) changed = true;
  if (!changed) return request;
  // Copy what stays rather than spread and `delete`: a delete turns the copy into a
  // dictionary-mode object (measured with `benchmarks/src/_jwt-overhead.ts` under callgrind: a
  // visible share of the policy's own cost per request).
  const headers: Record<string, string | undefined> = {};
  for (const name in h) {
    if (name === remove || (cookie !== null && name === 'cookie') || (drop.length > 0 && drop.includes(name))) continue;
    headers[name] = h[name];
  }
  if (typeof cookie === 'string') headers['cookie'] = cookie;
  if (set !== undefined) for (const [name, value] of set) headers[name] = value;
  return { ...request, headers: headers as RequestHeaders };
}
