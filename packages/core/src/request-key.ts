/**
 * Where a key lives in a request, read one way everywhere: the router's query and cookie
 * conditions, the hashing balancers' hash policies, the splitter's sticky keys and selectors, the
 * limiter's key sources and the rewrite's `${query.x}` placeholders all read through this module,
 * so a request is keyed on the same string by each of them (a user's canary assignment and their
 * sticky endpoint cannot disagree).
 *
 * **The decoding rule: values are read raw, as they arrived.** A query parameter's name and value
 * are not percent-decoded and `+` stays `+`; a cookie's value is taken as it is (surrounding
 * double quotes removed). This is what Envoy does for route matching and for hash policies
 * (`Http::Utility::QueryParamsMulti::parseQueryString` and `Utility::parseCookieValue` in
 * `source/common/http/utility.cc`, called from `RouteEntryImplBase::matchRoute` and
 * `source/common/http/hash_policy.cc`), so a config that routes or hashes on `?user=a%20b` behaves
 * as the same config does in Envoy, and keys never depend on a decoder's choices (`+` as space,
 * malformed escapes). Only where a value is *substituted* into a new URL or header (the rewrite's
 * templates, an API key taken from the query) is it decoded, once, by
 * {@link decodeQueryComponent}.
 *
 * @module
 */
import type { SyRequest } from './http.js';

/**
 * A place in a request that a key is read from: a header (lower-case name), a cookie, a query
 * parameter, a request attribute (set by an adapter or a policy: user id, tenant, API-key id),
 * or the client address (`SyRequest.clientAddress`, the TCP peer as the adapter saw it).
 *
 * @example
 * ```ts
 * import type { RequestKey } from '@switchyard/core';
 * const keys: RequestKey[] = [{ attribute: 'userId' }, { cookie: 'sid' }, { query: 'user' }];
 * ```
 */
export type RequestKey =
  | { readonly header: string }
  | { readonly cookie: string }
  | { readonly query: string }
  | { readonly attribute: string }
  | { readonly clientAddress: true };

/**
 * The raw first value of query parameter `name` in a raw query string (`a=1&b=2`, without the
 * `?`), or `undefined` when absent. A parameter written without `=` (`?debug`) has the value
 * `''`. Names are compared as they arrived (case-sensitive, not decoded); the first occurrence
 * wins; values are not decoded. Envoy's `QueryParamsMulti::parseQueryString` +
 * `getFirstValue`, which route matching and the `query_parameter` hash policy use.
 *
 * @example
 * ```ts
 * import { queryValue } from '@switchyard/core';
 * queryValue('user=a%20b&x', 'user'); // 'a%20b'
 * queryValue('user=a%20b&x', 'x'); // ''
 * ```
 */
export function queryValue(query: string, name: string): string | undefined {
  const n = query.length;
  const len = name.length;
  let i = 0;
  while (i < n) {
    let amp = query.indexOf('&', i);
    if (amp < 0) amp = n;
    if (query.startsWith(name, i)) {
      const end = i + len;
      if (end === amp) return '';
      if (query.charCodeAt(end) === 61 /* = */) return query.slice(end + 1, amp);
    }
    i = amp + 1;
  }
  return undefined;
}

/**
 * The value of cookie `name` in a `cookie` header (`a=1; b=2`), or `undefined` when absent.
 * Envoy's parser (`Utility::forEachCookie` in `source/common/http/utility.cc`): the header is
 * split on `;`; in each part the name runs from the first non-space character to the first `=`
 * (a part without `=` is skipped); the value is the rest, as it is, with one pair of surrounding
 * double quotes removed (RFC 6265 §4.1.1); the first cookie of that name wins.
 *
 * @example
 * ```ts
 * import { cookieValue } from '@switchyard/core';
 * cookieValue('a=1; sid="x y"', 'sid'); // 'x y'
 * ```
 */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  const n = header.length;
  let i = 0;
  while (i < n) {
    let semi = header.indexOf(';', i);
    if (semi < 0) semi = n;
    let start = i;
    while (start < semi && header.charCodeAt(start) === 0x20) start++;
    const eq = header.indexOf('=', start);
    if (eq >= 0 && eq < semi && eq - start === name.length && header.startsWith(name, start)) {
      let v = header.slice(eq + 1, semi);
      if (v.length >= 2 && v.charCodeAt(0) === 0x22 && v.charCodeAt(v.length - 1) === 0x22) v = v.slice(1, -1);
      return v;
    }
    i = semi + 1;
  }
  return undefined;
}

/**
 * An attribute as key text: a string as it is; a finite number, a boolean or a bigint by
 * `String(v)`; anything else (objects, functions, `NaN`, `Infinity`, absent) `undefined`, so a
 * name like `constructor` (a function on `Object.prototype`) is never a key.
 *
 * @example
 * ```ts
 * import { attributeText } from '@switchyard/core';
 * attributeText({ attributes: { tier: 2 } } as never, 'tier'); // '2'
 * ```
 */
export function attributeText(request: Pick<SyRequest, 'attributes'>, name: string): string | undefined {
  const v = request.attributes[name];
  if (typeof v === 'string') return v;
  if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return undefined;
}

/**
 * The raw value `key` names in `request`, or `undefined` when the request does not carry it.
 * An empty value is returned as `''`: whether an empty key counts is the caller's rule (a
 * sticky key ignores it; Envoy hashes a present-but-empty header).
 *
 * @example
 * ```ts
 * import { readRequestKey } from '@switchyard/core';
 * readRequestKey(request, { query: 'user' }); // the raw first value of ?user=
 * ```
 */
export function readRequestKey(request: SyRequest, key: RequestKey): string | undefined {
  if ('header' in key) return request.headers[key.header];
  if ('cookie' in key) return cookieValue(request.headers['cookie'], key.cookie);
  if ('query' in key) return queryValue(request.query, key.query);
  if ('attribute' in key) return attributeText(request, key.attribute);
  return request.clientAddress;
}

/**
 * Decodes one raw query component for substitution elsewhere (never for keys: see the module
 * comment): `+` is a space, then percent-decoding as UTF-8 (WHATWG
 * `application/x-www-form-urlencoded`). Malformed input never throws: when the whole string is
 * not valid percent-encoded UTF-8, each `%XX` of an ASCII byte is decoded and everything else
 * is kept as written.
 *
 * @example
 * ```ts
 * import { decodeQueryComponent } from '@switchyard/core';
 * decodeQueryComponent('a+b%20c'); // 'a b c'
 * decodeQueryComponent('100%'); // '100%'
 * ```
 */
export function decodeQueryComponent(raw: string): string {
  const s = raw.indexOf('+') === -1 ? raw : raw.replace(/\+/g, ' ');
  if (s.indexOf('%') === -1) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s.replace(/%([0-9A-Fa-f]{2})/g, (m, hex: string) => {
      const code = parseInt(hex, 16);
      return code < 0x80 ? String.fromCharCode(code) : m;
    });
  }
}
