/**
 * Percent-encoding of request-derived values (RFC 3986 §2.1, §3.3, §3.4). A value encoded
 * here can never add a path segment (`/` → `%2F`), start a query or fragment (`?`, `#`),
 * split a query pair (`&`, `=`) or change the authority: only unreserved characters and
 * `!'()*` pass through, which is exactly `encodeURIComponent`. Lone UTF-16 surrogates (which
 * make `encodeURIComponent` throw) become U+FFFD first, so encoding never throws.
 */

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const HAS_SURROGATE = /[\uD800-\uDFFF]/;

/** The string with every lone surrogate replaced by U+FFFD (ES2024 `toWellFormed`). */
export function wellFormed(value: string): string {
  return HAS_SURROGATE.test(value) ? value.replace(LONE_SURROGATE, '\uFFFD') : value;
}

/**
 * The characters `encodeURIComponent` leaves alone: RFC 3986 unreserved plus `!'()*`.
 * None of them is `/ ? # & = + % @ :`, so a value made only of these is its own encoding.
 */
function isComponentChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 45 || c === 46 || c === 95 || c === 126 || c === 33 || (c >= 39 && c <= 42);
}

/**
 * `encodeURIComponent(wellFormed(value))`, with a one-pass fast path: a value that needs no
 * escaping (the usual id or slug) is returned as it is, without the regex and the runtime call.
 */
function encodeComponent(value: string): string {
  for (let i = 0; i < value.length; i++) {
    if (!isComponentChar(value.charCodeAt(i))) return encodeURIComponent(wellFormed(value));
  }
  return value;
}

/** Encodes `value` as (part of) one path segment: it cannot contain `/`, `?` or `#` afterwards. */
export function encodePathComponent(value: string): string {
  return encodeComponent(value);
}

/** Encodes `value` as a query name or value: it cannot contain `&`, `=`, `+`, `#` afterwards. */
export function encodeQueryComponent(value: string): string {
  return encodeComponent(value);
}

export { decodeQueryComponent } from '@switchyard/core';


/** Characters allowed unescaped in a query (RFC 3986 `query` = pchar / "/" / "?"). */
const QUERY_UNSAFE = /[^A-Za-z0-9\-._~!$&'()*+,;=:@/?%]|%(?![0-9A-Fa-f]{2})/gu;

/** Fast path: only query characters and well-formed escapes. */
function isPlainQuery(raw: string): boolean {
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 37) {
      if (!(isHex(raw.charCodeAt(i + 1)) && isHex(raw.charCodeAt(i + 2)))) return false;
    } else if (!((c >= 36 && c <= 59) || (c >= 97 && c <= 122) || (c >= 63 && c <= 90) || c === 95 || c === 61 || c === 33 || c === 126)) {
      return false;
    }
  }
  return true;
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

/**
 * Makes a raw query string (as received) safe to put on the request line: every character
 * outside RFC 3986's `query` production, and every `%` not starting an escape, is
 * percent-encoded. Valid queries come back unchanged (the common case costs one regex test).
 */
export function sanitizeRawQuery(raw: string): string {
  if (isPlainQuery(raw)) return raw;
  return wellFormed(raw).replace(QUERY_UNSAFE, (c) => encodeURIComponent(c));
}

/** CR, LF and NUL: the characters that split or truncate a header (RFC 9110 §5.5). */
export const HEADER_UNSAFE_TEST = /[\r\n\0]/;

/**
 * True when `value` contains CR, LF or NUL: the same answer as `HEADER_UNSAFE_TEST`, in one
 * char-code pass (no regex call; this runs for every header of every request).
 */
export function hasUnsafeHeaderChar(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c <= 13 && (c === 13 || c === 10 || c === 0)) return true;
  }
  return false;
}
const HEADER_UNSAFE = /[\r\n\0]/g;

/** `value` without CR, LF and NUL. */
export function stripUnsafeHeaderChars(value: string): string {
  return value.replace(HEADER_UNSAFE, '');
}

/** RFC 9110 §5.6.2 `token`: what a header name (and a `Connection` option) must be. */
export const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** One `tchar` of RFC 9110 §5.6.2 (the class of {@link TOKEN}). */
export function isTokenChar(c: number): boolean {
  return (
    (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || c === 45 || c === 95 || c === 46 ||
    c === 33 || (c >= 35 && c <= 39) || c === 42 || c === 43 || c === 94 || c === 96 || c === 124 || c === 126
  );
}

/**
 * Classifies a header name in one pass: `-1` when it is not a token (or empty), `0` for a
 * token without upper-case letters (already lower-case: no `toLowerCase` copy needed), `1`
 * for a token with some.
 */
export function tokenCase(name: string): -1 | 0 | 1 {
  const n = name.length;
  if (n === 0) return -1;
  let upper: 0 | 1 = 0;
  for (let i = 0; i < n; i++) {
    const c = name.charCodeAt(i);
    if (c >= 65 && c <= 90) upper = 1;
    else if (!isTokenChar(c)) return -1;
  }
  return upper;
}
