/**
 * Reading and removing one parameter of a raw query string (`a=1&b=2`, no `?`). Reading finds the
 * raw name (core's one rule for request keys); removal compares decoded names (WHATWG
 * `application/x-www-form-urlencoded`: `+` is a space, then percent-decoding, malformed escapes
 * kept), so a credential is stripped from the upstream URL in every spelling of its name.
 */
import { decodeQueryComponent, queryValue } from '@switchyard/core';

function nameOf(part: string): string {
  const eq = part.indexOf('=');
  return decodeQueryComponent(eq < 0 ? part : part.slice(0, eq));
}

/**
 * The decoded value of the first parameter called `name`, or `undefined`. The parameter is found
 * as every request key is found (core's `queryValue`: the raw name, the first occurrence), and
 * its value decoded once (a credential travels form-encoded).
 */
export function queryParam(query: string, name: string): string | undefined {
  const v = queryValue(query, name);
  return v === undefined ? undefined : decodeQueryComponent(v);
}

/** `query` without any parameter called `name` (the others untouched, in order). */
export function withoutQueryParam(query: string, name: string): string {
  if (query === '') return query;
  const parts = query.split('&');
  const kept = parts.filter((p) => nameOf(p) !== name);
  return kept.length === parts.length ? query : kept.join('&');
}
