/**
 * Path rewrites with the reference systems' exact semantics:
 *
 * - Kubernetes Gateway API `HTTPPathModifier` (`apis/v1/httproute_types.go`):
 *   `ReplaceFullPath` and `ReplacePrefixMatch`, the latter *segment arithmetic* per the
 *   normative table (never empty, never `//`, the request's trailing slash kept, trailing
 *   slashes of the configured values ignored).
 * - Envoy `RouteAction.prefix_rewrite` (plain string replacement of the matched prefix) and
 *   `regex_rewrite` (`RegexMatchAndSubstitute`: every match replaced, `\1`… capture groups).
 *   Istio's `rewrite.uri` and `uriRegexRewrite` compile to these.
 */
import { checkRegexSafety } from '@switchyard/core';

/**
 * Gateway API `ReplacePrefixMatch`: replaces the path *elements* matched by `prefix` with
 * `replacement`.
 *
 * Gotchas: a trailing `/` on `prefix` or `replacement` is ignored; the request's is kept
 * (`/foo/` → `/xyz/`); the result is never empty (`/foo` with `''` → `/`) and never starts
 * with `//`. Prefix `/` is unspecified upstream (gateway-api #3592, #4660): here it matches
 * every path and the replacement is put in front (`/foo` + `/xyz` → `/xyz/foo`). A path the
 * prefix does not match segment-wise (`/foobar` for `/foo`) is returned unchanged.
 *
 * @example
 * ```ts
 * import { replacePrefixMatch } from '@switchyard/rewrite';
 * replacePrefixMatch('/foo/bar', '/foo', '/xyz'); // '/xyz/bar'
 * replacePrefixMatch('/strip-prefix', '/strip-prefix', '/'); // '/'
 * ```
 */
export function replacePrefixMatch(path: string, prefix: string, replacement: string): string {
  return replaceTrimmedPrefixMatch(path, trimTrailingSlashes(prefix), trimTrailingSlashes(replacement));
}

/**
 * {@link replacePrefixMatch} with `p` and `r` already without trailing slashes (a compiled
 * rule trims them once). One `startsWith`, at most one `slice` and one concatenation.
 * @internal
 */
export function replaceTrimmedPrefixMatch(path: string, p: string, r: string): string {
  const n = p.length;
  if (n !== 0 && !(path.startsWith(p) && (path.length === n || path.charCodeAt(n) === 47))) return path;
  if (path.length === n) return r === '' ? '/' : r; // the rest is empty
  // The rest starts with '/', so the result is never empty.
  if (n === 0) return r === '' ? path : r + path;
  return r === '' ? path.slice(n) : r + path.slice(n);
}

/**
 * Gateway API `ReplaceFullPath`: the whole path becomes `replacement` (the query string is
 * kept, as Envoy's `path_rewrite` does; the spec does not mention it).
 *
 * @example
 * ```ts
 * import { replaceFullPath } from '@switchyard/rewrite';
 * replaceFullPath('/full/one/two', '/one'); // '/one'
 * ```
 */
export function replaceFullPath(_path: string, replacement: string): string {
  return replacement === '' ? '/' : replacement;
}

/**
 * Envoy `prefix_rewrite`: if `path` starts with the string `prefix`, that string is replaced
 * by `replacement`. Pure string substitution, so trailing slashes matter: `/prefix/etc` with
 * prefix `/prefix` and replacement `/` gives `//etc` in Envoy (the rewriter then merges the
 * slashes, see the guide). A path not starting with `prefix` is returned unchanged.
 *
 * @example
 * ```ts
 * import { prefixRewrite } from '@switchyard/rewrite';
 * prefixRewrite('/prefix/etc', '/prefix/', '/'); // '/etc'
 * prefixRewrite('/prefix', '/prefix', '/');      // '/'
 * ```
 */
export function prefixRewrite(path: string, prefix: string, replacement: string): string {
  return path.startsWith(prefix) ? replacement + path.slice(prefix.length) : path;
}

/** A compiled Envoy `regex_rewrite`: a global JS regex and a JS replacement string. */
export interface CompiledRegexRewrite {
  readonly regex: RegExp;
  readonly replacement: string;
}

/**
 * Compiles an Envoy/Istio `regex_rewrite` (`pattern` + `substitution`). RE2 syntax is mostly
 * JavaScript's; a leading `(?i)` becomes the `i` flag. In `substitution`, `\0`…`\9` are
 * capture groups (`\0` the whole match) and `\\` a backslash; `$` is literal. Returns an
 * error message instead of throwing for an invalid pattern, one that fails the ReDoS screen
 * (`checkRegexSafety` from `@switchyard/core`, the router's screen and message), or a group that
 * does not exist.
 *
 * @example
 * ```ts
 * import { compileRegexRewrite, regexRewrite } from '@switchyard/rewrite';
 * const r = compileRegexRewrite('^/service/([^/]+)(/.*)$', '\\2/instance/\\1');
 * if (typeof r !== 'string') regexRewrite('/service/foo/v1/api', r); // '/v1/api/instance/foo'
 * ```
 */
export function compileRegexRewrite(pattern: string, substitution: string): CompiledRegexRewrite | string {
  let source = pattern;
  let flags = 'g';
  if (source.startsWith('(?i)')) {
    source = source.slice(4);
    flags += 'i';
  }
  // The router's ReDoS screen (core), with the router's wording: a rewrite runs on every routed
  // request's path, so `^/(.*)/(.*)/(.*)/end$` would block the event loop as a route regex would.
  // `search`: `replace` with `g` tries every start position, where the router matches `^(?:…)$`.
  const safety = checkRegexSafety(source, { ignoreCase: flags.includes('i'), search: true });
  if (safety.kind === 'unsafe') return `rejected regular expression: ${safety.reason}`;
  const regex = new RegExp(source, flags);
  const groups = (new RegExp(`${source}|`).exec('') as RegExpExecArray).length - 1;
  let replacement = '';
  for (let i = 0; i < substitution.length; i++) {
    const c = substitution[i] as string;
    if (c === '$') {
      replacement += '$$';
    } else if (c === '\\') {
      const next = substitution[i + 1];
      if (next === '\\') {
        replacement += '\\';
        i++;
      } else if (next !== undefined && next >= '0' && next <= '9') {
        const n = Number(next);
        if (n > groups) return `substitution refers to group \\${n} but the pattern has ${groups}`;
        replacement += n === 0 ? '$&' : `$0${n}`;
        i++;
      } else {
        return 'a backslash in the substitution must be followed by a digit or another backslash';
      }
    } else {
      replacement += c;
    }
  }
  return Object.freeze({ regex, replacement });
}

/** Envoy `regex_rewrite`: replaces every match of the compiled pattern in `path`. */
export function regexRewrite(path: string, r: CompiledRegexRewrite): string {
  r.regex.lastIndex = 0;
  return path.replace(r.regex, r.replacement);
}

/** `s` without trailing `/`s. @internal */
export function trimTrailingSlashes(s: string): string {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 47) end--;
  return end === s.length ? s : s.slice(0, end);
}
