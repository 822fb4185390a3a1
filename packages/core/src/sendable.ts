/**
 * One definition of a sendable upstream request: exactly what a transport will accept, checked
 * before anything is dispatched. Both the rewriter (the client made the request unsendable:
 * 400) and the transports (never hand the HTTP client something it refuses: a refused
 * dispatch must not reach a connection pool) call {@link checkSendable}.
 *
 * Two profiles:
 * - `'undici'` (the Node transport), from undici 7's `lib/core/request.js` and
 *   `lib/core/util.js`:
 *   - method: `isValidHTTPToken` (RFC 9110 §5.6.2 token);
 *   - path: must start with `/` (undici also takes an absolute URL, which the gateway never
 *     produces) and match no `invalidPathRegex = /[^\u0021-\u00ff]/`: no space, no control
 *     character below 0x21, nothing above U+00FF (0x7F and 0x80-0xFF pass: undici writes the
 *     path as latin1);
 *   - header names: `isValidHTTPToken` (checked on the name as given: undici lower-cases
 *     first, so a non-ASCII name whose lower case is ASCII, such as U+212A KELVIN SIGN, would
 *     be written as a different byte);
 *   - header values: `headerCharRegex = /[^\t\x20-\x7e\x80-\xff]/` (Node's `_http_common`):
 *     HTAB, visible ASCII, space and obs-text only;
 *   - `content-length`: `1*DIGIT` (`isValidContentLengthHeaderValue`);
 *   - Host: a header value, and one that starts with `[` must close it (`getServerName` →
 *     `getHostname` asserts on `[::1` and the dispatch throws an `AssertionError`).
 * - `'fetch'` (the edge transport), from the Fetch standard and the URL standard:
 *   - method: a token and not a forbidden method (`CONNECT`, `TRACE`, `TRACK`, any case:
 *     Fetch §2.2.1, `new Request` throws a `TypeError`);
 *   - path: starts with `/`, visible ASCII only (0x21-0x7E), no `#` and no `\`: the URL parser
 *     would not refuse those but send a different request (a fragment is cut off, `\` becomes
 *     `/`, a space or a non-ASCII character is percent-encoded as UTF-8), so they are refused;
 *   - header names: a token; header values: a ByteString (nothing above U+00FF, WebIDL) with
 *     no NUL, CR or LF (Fetch §2.2.2 "header value"; leading and trailing whitespace is
 *     trimmed by `Headers`, which changes nothing HTTP cares about);
 *   - Host: a header value (fetch sends the URL's authority whatever the header says).
 *
 * The check never throws and allocates nothing when the request is sendable: one precompiled
 * RegExp test per field (a char-code scan only to name the reason of a refusal).
 *
 * @packageDocumentation
 */
import type { UpstreamRequest } from './http.js';

/** Which transport's rules a request is checked against. */
export type SendableProfile = 'undici' | 'fetch';

/** The part of the request that cannot be sent. */
export type UnsendableField = 'method' | 'path' | 'header-name' | 'header-value' | 'host';

/**
 * Why a request cannot be sent: the field and a fixed reason. Never carries the offending bytes;
 * `header` is the header's name, and only when that name is itself a valid token (so it can be
 * named in an error message without echoing hostile input).
 */
export interface Unsendable {
  readonly field: UnsendableField;
  /** A fixed phrase, e.g. `'control character'`, `'not a token'`, `'character above U+00FF'`. */
  readonly reason: string;
  readonly header?: string;
}

// One precompiled RegExp per rule: V8's irregexp compiles each to native code, which scans a
// long header value faster than a charCodeAt loop (measured: docs/guides/security.md);
// short strings take the loops below (`SHORT`). None has the `g` or `y` flag, so `test` keeps no
// state between calls.
/** RFC 9110 §5.6.2 `1*tchar` (undici's `tokenRegExp` / `validTokenChars`). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** undici / Node `headerCharRegex`: anything but HTAB, 0x20-0x7E and 0x80-0xFF. */
const UNDICI_VALUE_BAD = /[^\t\x20-\x7e\x80-\xff]/;
/** Fetch "header value" (NUL, CR, LF) and WebIDL ByteString (nothing above U+00FF). */
const FETCH_VALUE_BAD = /[\0\r\n\u0100-\uffff]/;
/** undici `invalidPathRegex`. */
const UNDICI_PATH_BAD = /[^\u0021-\u00ff]/;
/** What fetch's URL parser would refuse or rewrite in a path: anything but visible ASCII, `#` and `\`. */
const FETCH_PATH_BAD = /[^\x21-\x7e]|[#\\]/;

// A RegExp call has a fixed cost of a few hundred instructions before it reads a character; a
// char-code loop costs a few per character. Strings of up to 16 characters (methods, most header
// names, short values, client addresses) take the loop, longer ones the RegExp: the same rule
// either way. 16 rather than 32 or RegExp only: `_sendable-probe` `check`, `check-small` and
// `rewrite` under callgrind (benchmarks/HISTORY.md, 2026-12-07). Not the target (see `pathProblem`).
const SHORT = 16;
/** RFC 9110 tchar, by char code. */
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") TCHAR[c.charCodeAt(0)] = 1;

/** `TOKEN.test(s)`. */
function isToken(s: string): boolean {
  const n = s.length;
  if (n > SHORT) return TOKEN.test(s);
  if (n === 0) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 127 || TCHAR[c] === 0) return false;
  }
  return true;
}

/** `UNDICI_VALUE_BAD.test(v)`: a character other than HTAB, 0x20-0x7E or 0x80-0xFF. */
function hasUndiciBadValueChar(v: string): boolean {
  const n = v.length;
  if (n > SHORT) return UNDICI_VALUE_BAD.test(v);
  for (let i = 0; i < n; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x20 ? c !== 9 : c === 0x7f || c > 0xff) return true;
  }
  return false;
}

const f = (field: UnsendableField, reason: string): Unsendable => Object.freeze({ field, reason });
const METHOD_NOT_TOKEN = f('method', 'not a token');
const METHOD_FORBIDDEN = f('method', 'forbidden by the Fetch standard');
const PATH_NOT_ORIGIN_FORM = f('path', 'does not start with /');
const PATH_CONTROL = f('path', 'space or control character');
const PATH_WIDE = f('path', 'character above U+00FF');
const PATH_NON_ASCII = f('path', 'non-ASCII character');
const PATH_FRAGMENT = f('path', 'fragment or backslash');
const NAME_NOT_TOKEN = f('header-name', 'not a token');
const HOST_CONTROL = f('host', 'control character');
const HOST_WIDE = f('host', 'character above U+00FF');
const HOST_BRACKET = f('host', 'unclosed IP literal');

/** 0 when valid for the profile, 1 for a control character (or DEL, NUL, CR, LF), 2 above U+00FF. */
function valueProblem(v: string, fetch: boolean): 0 | 1 | 2 {
  if (!(fetch ? FETCH_VALUE_BAD.test(v) : hasUndiciBadValueChar(v))) return 0;
  // Refused: find out why (the rare path).
  for (let i = 0; i < v.length; i++) if (v.charCodeAt(i) > 0xff) return 2;
  return 1;
}

function pathProblem(p: string, fetch: boolean): Unsendable | undefined {
  if (p.charCodeAt(0) !== 0x2f) return PATH_NOT_ORIGIN_FORM;
  // A target is usually built by concatenation (a cons string), where the RegExp, which flattens
  // it once, beats charCodeAt at every length (measured with `_sendable-probe` under callgrind, benchmarks/HISTORY.md).
  if (!(fetch ? FETCH_PATH_BAD : UNDICI_PATH_BAD).test(p)) return undefined;
  // Refused: find out why (the rare path).
  for (let i = 0; i < p.length; i++) {
    const c = p.charCodeAt(i);
    if (c <= 0x20 || (fetch && c === 0x7f)) return PATH_CONTROL;
    if (c > 0xff) return fetch ? PATH_NON_ASCII : PATH_WIDE;
    if (fetch && c > 0x7f) return PATH_NON_ASCII;
  }
  return PATH_FRAGMENT;
}

function isForbiddenMethod(m: string): boolean {
  // Fetch §2.2.1: a byte-case-insensitive match for CONNECT, TRACE or TRACK.
  if (m.length !== 5 && m.length !== 7) return false;
  const u = m.toUpperCase();
  return u === 'CONNECT' || u === 'TRACE' || u === 'TRACK';
}

/** `content-length` / `host` compared without allocating: `name` is known to be a token. */
function isNamed(name: string, lower: string): boolean {
  if (name.length !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) if ((name.charCodeAt(i) | 0x20) !== lower.charCodeAt(i)) return false;
  return true;
}

function headerValueProblem(name: string, problem: 1 | 2): Unsendable {
  // Rare path (a refused request): the only allocation the check ever makes.
  return { field: 'header-value', reason: problem === 2 ? 'character above U+00FF' : 'control character', header: name.toLowerCase() };
}

/**
 * The building blocks of {@link checkSendable}, for code that assembles a request piece by piece
 * and wants each byte scanned once (the rewriter checks each header value as it copies it). Each
 * is the same rule `checkSendable` applies to that field. No allocation, never throws.
 *
 * @example
 * ```ts
 * import { isSendableHeaderValue, isSendableHost } from '@switchyard/core';
 * isSendableHeaderValue('caf\u00e9'); // true (obs-text)
 * isSendableHeaderValue('a\u0001');   // false
 * isSendableHost('[::1');              // false (undici)
 * ```
 */
export function isSendableMethod(method: string, profile: SendableProfile = 'undici'): boolean {
  return isToken(method) && (profile !== 'fetch' || !isForbiddenMethod(method));
}

/** The path with its query (see {@link isSendableMethod}). */
export function isSendableTarget(path: string, profile: SendableProfile = 'undici'): boolean {
  return pathProblem(path, profile === 'fetch') === undefined;
}

/** A header name (see {@link isSendableMethod}). */
export function isSendableHeaderName(name: string): boolean {
  return isToken(name);
}

/** A header value other than the Host (see {@link isSendableMethod}). */
export function isSendableHeaderValue(value: string, profile: SendableProfile = 'undici'): boolean {
  return !(profile === 'fetch' ? FETCH_VALUE_BAD.test(value) : hasUndiciBadValueChar(value));
}

/** The Host header's value (see {@link isSendableMethod}). */
export function isSendableHost(value: string, profile: SendableProfile = 'undici'): boolean {
  if (profile === 'fetch') return !FETCH_VALUE_BAD.test(value);
  return !hasUndiciBadValueChar(value) && !(value.charCodeAt(0) === 0x5b && value.indexOf(']') === -1);
}

/**
 * Checks that a transport will send `request` as it is: method, path with query, every header
 * name and value, and the Host (a `host` header). Returns `undefined` when it is sendable, else
 * the first problem found. Never throws.
 *
 * When to use: right before handing a request to an HTTP client (the transports do), and at
 * the end of a rewrite, where a problem means the client's input made the request unsendable
 * (answer 400, send nothing, blame no endpoint).
 *
 * Gotchas: `'undici'` (the default) is the Node transport's rule set; `'fetch'` is stricter on
 * paths and methods and looser on header controls (see the module comment for each rule and
 * its source). Header names are checked as given; a name that is not a token is never echoed
 * back in `header`.
 *
 * @example
 * ```ts
 * import { checkSendable } from '@switchyard/core';
 * checkSendable({ method: 'GET', path: '/a?b=c', headers: { host: 'api.example.com' } }); // undefined
 * checkSendable({ method: 'GET', path: '/a', headers: { host: '[::1' } });
 * // { field: 'host', reason: 'unclosed IP literal' }
 * checkSendable({ method: 'GET', path: '/a', headers: { 'x-tenant': 'a\u0001' } });
 * // { field: 'header-value', reason: 'control character', header: 'x-tenant' }
 * ```
 */
export function checkSendable(request: UpstreamRequest, profile: SendableProfile = 'undici'): Unsendable | undefined {
  const fetch = profile === 'fetch';
  const method = request.method;
  if (typeof method !== 'string' || !isToken(method)) return METHOD_NOT_TOKEN;
  if (fetch && isForbiddenMethod(method)) return METHOD_FORBIDDEN;
  const path = request.path;
  if (typeof path !== 'string') return PATH_NOT_ORIGIN_FORM;
  const p = pathProblem(path, fetch);
  if (p !== undefined) return p;
  const headers = request.headers;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    if (!isToken(name)) return NAME_NOT_TOKEN;
    if (typeof value !== 'string') return headerValueProblem(name, 1);
    const v = valueProblem(value, fetch);
    if (name.length === 4 && isNamed(name, 'host')) {
      if (v !== 0) return v === 2 ? HOST_WIDE : HOST_CONTROL;
      // undici `getHostname`: `assert(host.indexOf(']') !== -1)` when the host starts with `[`.
      if (!fetch && value.charCodeAt(0) === 0x5b && value.indexOf(']') === -1) return HOST_BRACKET;
      continue;
    }
    if (v !== 0) return headerValueProblem(name, v);
    if (!fetch && name.length === 14 && isNamed(name, 'content-length')) {
      // undici `isValidContentLengthHeaderValue`: 1*DIGIT.
      if (value.length === 0) return { field: 'header-value', reason: 'not a decimal length', header: 'content-length' };
      for (let i = 0; i < value.length; i++) {
        const c = value.charCodeAt(i);
        if (c < 0x30 || c > 0x39) return { field: 'header-value', reason: 'not a decimal length', header: 'content-length' };
      }
    }
  }
  return undefined;
}

/**
 * A fixed, human sentence for an {@link Unsendable}, safe to put in a response: it names the
 * field (and the header when its name is a token), never the bytes.
 *
 * @example
 * ```ts
 * import { checkSendable, describeUnsendable } from '@switchyard/core';
 * const u = checkSendable({ method: 'GET', path: '/a b', headers: {} });
 * if (u) describeUnsendable(u); // 'the upstream request path cannot be sent: space or control character'
 * ```
 */
export function describeUnsendable(u: Unsendable): string {
  const what = u.field === 'header-value' && u.header !== undefined ? `header ${u.header}` : u.field === 'header-value' ? 'header value' : u.field === 'header-name' ? 'header name' : u.field;
  return `the upstream request ${what} cannot be sent: ${u.reason}`;
}

/**
 * An {@link UpstreamRequest} whose producer applied every rule of `checkSendable(request,
 * 'undici')` to it field by field as it built it (method, target, each header name and value,
 * the Host), except the `content-length` digits rule (a consumer that sends the header checks
 * it). The class is the brand: a consumer that would run `checkSendable` with the `'undici'`
 * profile may skip it for an instance (`request instanceof CheckedRequest`).
 *
 * Why the brand holds: it is the object's class, not a property, so any layer that changes the
 * request the usual way, by a copy (`{ ...request, headers: {...} }`, as a deadline header or a
 * different body does), yields a plain object and loses it: the consumer then checks in full.
 * The fields are `readonly` (and `UpstreamRequest.headers` is a read-only record): mutating an
 * instance in place breaks its type contract. A second copy of `@switchyard/core` has another
 * class, so its instances are simply checked again.
 *
 * When to use: only in a producer that applies those rules itself (the rewriter, whose property
 * test asserts every forwarded request passes `checkSendable`); anything else builds a plain
 * object literal.
 *
 * @example
 * ```ts
 * import { CheckedRequest, checkSendable } from '@switchyard/core';
 * const r = new CheckedRequest('GET', '/a', { host: 'api' });
 * const problem = r instanceof CheckedRequest ? undefined : checkSendable(r);
 * ```
 */
export class CheckedRequest implements UpstreamRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: UpstreamRequest['headers'];
  // Declared, not initialized: a request without a body has no `body` key, as a literal would.
  declare readonly body?: UpstreamRequest['body'];

  /** `body` is set only when defined. */
  constructor(method: string, path: string, headers: UpstreamRequest['headers'], body?: UpstreamRequest['body']) {
    this.method = method;
    this.path = path;
    this.headers = headers;
    if (body !== undefined) (this as { body?: UpstreamRequest['body'] }).body = body;
  }
}
