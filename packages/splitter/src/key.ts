/**
 * Where a split's sticky key comes from (header, cookie, query, attribute or function), read
 * through core's request keys.
 */

import { readRequestKey, type SyRequest } from '@switchyard/core';

/**
 * Where the sticky key of a request comes from: a header (lower-case name), a cookie, a query
 * parameter, a request attribute (user id, API-key id put there by auth), or a function.
 * An absent or empty value means "no key". Values are read raw, by core's `readRequestKey` (the
 * one rule the router, the hash policies and the limiter share: a query value is not
 * percent-decoded, a cookie is parsed as Envoy parses it).
 *
 * @example
 * ```ts
 * import type { SplitKeySource } from '@switchyard/splitter';
 * const key: SplitKeySource[] = [{ attribute: 'userId' }, { cookie: 'sid' }, { header: 'x-api-key' }];
 * ```
 */
export type SplitKeySource =
  | { readonly header: string }
  | { readonly cookie: string }
  | { readonly query: string }
  | { readonly attribute: string }
  | { readonly fn: (req: SyRequest) => string | undefined };

/**
 * @deprecated Use {@link SplitKeySource}: `@switchyard/limiter` exports a different `KeySource`
 * (a request → key function), and one name for both was easy to mix up.
 */
export type KeySource = SplitKeySource;

/**
 * The first non-empty key the sources yield, in order; undefined when none does.
 *
 * @example
 * ```ts
 * import { readKey } from '@switchyard/splitter';
 * readKey([{ header: 'x-user' }], { method: 'GET', scheme: 'https', authority: 'a', path: '/', query: '',
 *   headers: { 'x-user': 'u1' }, attributes: {} }); // 'u1'
 * ```
 */
export function readKey(sources: readonly SplitKeySource[], req: SyRequest): string | undefined {
  for (const s of sources) {
    // Raw values, read as the router and the hash policies read them (core's request-key rule).
    const v = 'fn' in s ? s.fn(req) : readRequestKey(req, s);
    if (v !== undefined && v !== '') return v;
  }
  return undefined;
}

/** @internal Reports problems with key sources through `add` (used by the config validators). */
export function checkKeySources(sources: readonly SplitKeySource[], path: string, add: (path: string, message: string) => void): void {
  sources.forEach((s, i) => {
    const p = `${path}[${i}]`;
    if (typeof s !== 'object' || s === null) return add(p, 'must be an object');
    if ('header' in s) {
      if (typeof s.header !== 'string' || s.header === '') add(`${p}.header`, 'must be a non-empty string');
      else if (s.header !== s.header.toLowerCase()) add(`${p}.header`, 'header names are matched lower-cased: write it in lower case');
    } else if ('cookie' in s) {
      if (typeof s.cookie !== 'string' || s.cookie === '') add(`${p}.cookie`, 'must be a non-empty string');
    } else if ('query' in s) {
      if (typeof s.query !== 'string' || s.query === '') add(`${p}.query`, 'must be a non-empty string');
    } else if ('attribute' in s) {
      if (typeof s.attribute !== 'string' || s.attribute === '') add(`${p}.attribute`, 'must be a non-empty string');
    } else if (!('fn' in s) || typeof s.fn !== 'function') {
      add(p, 'must have one of header, cookie, query, attribute, fn');
    }
  });
}
