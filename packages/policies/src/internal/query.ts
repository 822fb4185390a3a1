/**
 * Reading and removing one parameter of a raw query string (`a=1&b=2`, no `?`), as WHATWG
 * `application/x-www-form-urlencoded` parsing names them: `+` is a space, then percent-decoding.
 * Malformed escapes are kept as they are (never a thrown `URIError`).
 */

function decode(s: string): string {
  const plus = s.indexOf('+') >= 0 ? s.replace(/\+/g, ' ') : s;
  if (plus.indexOf('%') < 0) return plus;
  try {
    return decodeURIComponent(plus);
  } catch {
    return plus;
  }
}

function nameOf(part: string): string {
  const eq = part.indexOf('=');
  return decode(eq < 0 ? part : part.slice(0, eq));
}

/** The decoded value of the first parameter called `name`, or `undefined`. */
export function queryParam(query: string, name: string): string | undefined {
  if (query === '') return undefined;
  for (const part of query.split('&')) {
    if (nameOf(part) !== name) continue;
    const eq = part.indexOf('=');
    return eq < 0 ? '' : decode(part.slice(eq + 1));
  }
  return undefined;
}

/** `query` without any parameter called `name` (the others untouched, in order). */
export function withoutQueryParam(query: string, name: string): string {
  if (query === '') return query;
  const parts = query.split('&');
  const kept = parts.filter((p) => nameOf(p) !== name);
  return kept.length === parts.length ? query : kept.join('&');
}
