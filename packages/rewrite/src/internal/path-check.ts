/**
 * The invariant every upstream path satisfies: it is already in normal form, so a server
 * (or the router) normalizing it again sees the same path. "Normal form" is the one a
 * conforming normalizer produces (RFC 3986 §6.2.2 and §5.2.4, plus merged slashes as Envoy's
 * `merge_slashes` does): starts with `/`, no empty segment but a trailing one, no `.` or
 * `..` segment (also not as `%2E`), percent-escapes of unreserved characters decoded,
 * remaining escapes in upper case, and only `pchar`s and `/`.
 *
 * Deliberately independent of `@switchyard/router`'s normalizer: it is the yardstick the
 * rewriter and its property tests measure against.
 */

const UNRESERVED = /[A-Za-z0-9\-._~]/;
const PCHAR_OR_SLASH = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*$/;

/**
 * The normal form of an origin-form path: RFC 3986 §6.2.2 syntax-based normalization (escaped
 * unreserved characters decoded, the other escapes in upper case, dot segments removed as
 * §5.2.4 does) plus repeated slashes merged (Envoy's `merge_slashes`). A small, complete
 * normalizer, the yardstick of {@link isNormalizedPath}. Returns `null` for input that is not
 * an origin-form path at all (no leading `/`, characters outside `pchar`, bad escapes).
 *
 * Not `@switchyard/router`'s `normalizePath` (the router's configurable request-path
 * normalizer, which returns a result object): this one has no options and answers one question.
 *
 * @example
 * ```ts
 * import { pathNormalForm } from '@switchyard/rewrite';
 * pathNormalForm('/a//b/./c/../%7euser/%2f'); // '/a/b/~user/%2F'
 * pathNormalForm('a/b');                      // null
 * ```
 */
export function pathNormalForm(path: string): string | null {
  if (path.length === 0 || path.charCodeAt(0) !== 47 /* / */) return null;
  if (!PCHAR_OR_SLASH.test(path)) return null;
  let decoded = '';
  for (let i = 0; i < path.length; i++) {
    const c = path[i] as string;
    if (c !== '%') {
      decoded += c;
      continue;
    }
    const hex = path.slice(i + 1, i + 3);
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return null;
    const ch = String.fromCharCode(parseInt(hex, 16));
    decoded += UNRESERVED.test(ch) ? ch : `%${hex.toUpperCase()}`;
    i += 2;
  }
  const trailing = decoded.length > 1 && decoded.endsWith('/');
  const out: string[] = [];
  const segments = decoded.split('/');
  for (let i = 1; i < segments.length; i++) {
    const s = segments[i] as string;
    if (s === '' || s === '.') continue;
    if (s === '..') {
      out.pop();
      continue;
    }
    out.push(s);
  }
  const joined = `/${out.join('/')}`;
  const last = segments[segments.length - 1];
  // A path ending in `/.` or `/..` keeps its directory form, as RFC 3986 §5.2.4 does.
  const dirForm = trailing || last === '.' || last === '..';
  return dirForm && joined !== '/' ? `${joined}/` : joined;
}

/**
 * @deprecated Use {@link pathNormalForm} (renamed: `@switchyard/router` exports a different
 * `normalizePath`).
 */
export const normalizePath: (path: string) => string | null = pathNormalForm;

/** RFC 3986 `pchar` / `/` (with `%` allowed; escapes are checked by the normalizer). */
export function isPathChar(c: number): boolean {
  // 36..59 is `$%&'()*+,-./0-9:;`, all allowed.
  return (c >= 36 && c <= 59) || (c >= 97 && c <= 122) || (c >= 64 && c <= 90) || c === 95 || c === 61 || c === 33 || c === 126;
}

/**
 * True when `path` is already in normal form. One pass over the characters; only a path
 * with a `%`, `//` or `/.` goes through the full normalizer.
 */
export function isNormalizedPath(path: string): boolean {
  const n = path.length;
  if (n === 0 || path.charCodeAt(0) !== 47) return false;
  let slow = false;
  let prev = 47;
  for (let i = 1; i < n; i++) {
    const c = path.charCodeAt(i);
    if (!isPathChar(c)) return false;
    if (c === 37 || (prev === 47 && (c === 47 || c === 46))) slow = true;
    prev = c;
  }
  return slow ? pathNormalForm(path) === path : true;
}
