/**
 * Request-path normalization, done once before matching so that a route on `/admin` cannot be
 * bypassed with `/%61dmin`, `//admin`, `/public/../admin` or `/admin/.`.
 *
 * Follows RFC 3986 §6.2.2 (case and percent-encoding normalization, §5.2.4 remove_dot_segments)
 * and Envoy's `normalize_path` / `merge_slashes` / `path_with_escaped_slashes_action`
 * (`http_connection_manager.proto`), with the safer choices as defaults.
 */

/** What to do with `%2F`, `%5C` (encoded `/` and `\`) and a raw `\` in a path. */
export type EscapedSlashesAction = 'reject' | 'keep' | 'decode';

/**
 * Normalization options. The defaults are the safe ones; every field is named after the Envoy
 * connection-manager option that does the same thing.
 */
export interface NormalizeOptions {
  /** Resolve `.` and `..` segments (RFC 3986 §5.2.4). Default `true` (Envoy `normalize_path`). */
  readonly resolveDotSegments?: boolean;
  /** Collapse runs of `/` into one. Default `true` (Envoy `merge_slashes`). */
  readonly mergeSlashes?: boolean;
  /**
   * `%2F`, `%5C` and raw `\`: `'reject'` (default: the request is a 400), `'keep'` (left as is:
   * `%2F` is then an ordinary character inside a segment, not a separator), or `'decode'` (turned
   * into `/` before slashes are merged and dots resolved, Envoy `UNESCAPE_AND_MERGE`).
   */
  readonly escapedSlashes?: EscapedSlashesAction;
}

/** The outcome of {@link normalizePath}: the normalized path, or why it cannot be normalized. */
export type NormalizeResult = { readonly kind: 'ok'; readonly path: string } | { readonly kind: 'invalid'; readonly reason: string };

const HEX = '0123456789ABCDEF';

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** RFC 3986 unreserved: ALPHA / DIGIT / "-" / "." / "_" / "~". */
function isUnreserved(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 46 || c === 95 || c === 126;
}

/**
 * @internal ASCII lower case (only `A`-`Z` change): how case-insensitive path values, and the paths
 * compared with them, are folded. Returns `s` itself when it has no upper-case letter.
 */
export function asciiLower(s: string): string {
  return /[A-Z]/.test(s) ? s.replace(/[A-Z]+/g, (m) => m.toLowerCase()) : s;
}

/**
 * @internal True when `path` needs no work: no `%`, no `\`, no `#`, no control characters or spaces,
 * no `//`, and no segment starting with `.`. This is the common case and costs one scan, no allocation.
 */
export function isTrivial(path: string): boolean {
  const n = path.length;
  let prev = 0;
  for (let i = 0; i < n; i++) {
    const c = path.charCodeAt(i);
    if (c <= 32 || c === 35 || c === 37 || c === 92 || c === 127) return false;
    if (prev === 47 && (c === 47 || c === 46)) return false;
    prev = c;
  }
  return true;
}

/**
 * Normalizes a request path (without its query string) for matching.
 *
 * Defaults, in order: reject control characters, spaces and `#` (a fragment); decode percent-escapes of
 * unreserved characters (`%61` → `a`, `%2E` → `.`) and upper-case the hex of the others
 * (`%2f` → `%2F`); reject a malformed escape; reject `%2F`, `%5C` and `\` (see
 * {@link NormalizeOptions.escapedSlashes}); merge slashes; resolve dot segments (never above the
 * root). A trailing slash is kept (`/a/` and `/a` are different paths, as in Gateway API).
 * The result is idempotent: normalizing a normalized path returns it unchanged.
 *
 * Use it when something after the router (the rewriter, a gateway log line) must see the same
 * path the router matched; {@link match} already returns it as `path`.
 *
 * @example
 * ```ts
 * import { normalizePath } from '@switchyard/router';
 * normalizePath('/%61dmin');            // { kind: 'ok', path: '/admin' }
 * normalizePath('//public/../admin/.'); // { kind: 'ok', path: '/admin/' }
 * normalizePath('/a%2Fb');              // { kind: 'invalid', reason: 'encoded slash ...' }
 * ```
 */
export function normalizePath(path: string, options: NormalizeOptions = {}): NormalizeResult {
  if (path.length === 0 || path.charCodeAt(0) !== 47) return { kind: 'invalid', reason: 'path must start with "/"' };
  if (isTrivial(path)) return { kind: 'ok', path };
  const slashes = options.escapedSlashes ?? 'reject';
  // Pass 1: percent-decoding of unreserved characters and character checks.
  let out = '';
  const n = path.length;
  for (let i = 0; i < n; i++) {
    const c = path.charCodeAt(i);
    if (c <= 32 || c === 127) return { kind: 'invalid', reason: `control character or space at offset ${i}` };
    // A fragment is never part of a request target (RFC 9112 §3.2, RFC 3986 §3.5), and frameworks
    // cut the path at it (Express `/admin#x` runs the `/admin` handler): matching the raw text
    // would let `/admin#x` skip a route on `/admin`. Envoy rejects it too (1.19.1,
    // `http_reject_path_with_fragment`).
    if (c === 35) return { kind: 'invalid', reason: `fragment ('#') in request path at offset ${i}` };
    if (c === 92) {
      if (slashes === 'reject') return { kind: 'invalid', reason: 'backslash in path' };
      out += slashes === 'decode' ? '/' : '\\';
      continue;
    }
    if (c !== 37) {
      out += path[i];
      continue;
    }
    const h = i + 2 < n ? hexValue(path.charCodeAt(i + 1)) : -1;
    const l = h >= 0 ? hexValue(path.charCodeAt(i + 2)) : -1;
    if (h < 0 || l < 0) return { kind: 'invalid', reason: `malformed percent-escape at offset ${i}` };
    const v = h * 16 + l;
    i += 2;
    if (isUnreserved(v)) {
      out += String.fromCharCode(v);
    } else if (v === 0x2f || v === 0x5c) {
      if (slashes === 'reject') return { kind: 'invalid', reason: 'encoded slash or backslash (%2F, %5C) in path' };
      out += slashes === 'decode' ? '/' : `%${HEX[h]}${HEX[l]}`;
    } else {
      out += `%${HEX[h]}${HEX[l]}`;
    }
  }
  // Pass 2: merge slashes and resolve dot segments, segment by segment.
  const merge = options.mergeSlashes ?? true;
  const dots = options.resolveDotSegments ?? true;
  const segments = out.split('/');
  const stack: string[] = [];
  // segments[0] is '' (the path starts with '/').
  for (let i = 1; i < segments.length; i++) {
    const seg = segments[i] as string;
    const last = i === segments.length - 1;
    if (dots && seg === '.') {
      if (last) stack.push('');
      continue;
    }
    if (dots && seg === '..') {
      stack.pop();
      if (last) stack.push('');
      continue;
    }
    if (merge && seg === '' && !last) continue;
    if (merge && seg === '' && last && stack.length > 0 && stack[stack.length - 1] === '') continue;
    stack.push(seg);
  }
  const result = `/${stack.join('/')}`;
  // Merging can expose a new `//` only through empty segments we kept; one more pass settles it.
  return { kind: 'ok', path: merge && result.includes('//') ? result.replace(/\/{2,}/g, '/') : result };
}
