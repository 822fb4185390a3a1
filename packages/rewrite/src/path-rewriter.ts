/**
 * {@link compilePathRewriter}: just the path stage of a rule, as a function from path to path,
 * with specialised closures for the common operations (the piece the benchmark compares with
 * http-proxy-middleware's `pathRewrite`).
 */
import { ConfigError, IssueCollector } from '@switchyard/core';
import type { PathRewriteConfig } from './config.js';
import { encodePathComponent } from './internal/encode.js';
import { isNormalizedPath } from './internal/path-check.js';
import { replaceTrimmedPrefixMatch } from './path-rewrite.js';
import { compilePathOp, mergesSlashes, pathStillNormalized, rewritePath } from './path-stage.js';
import { NO_SCOPE, compileTemplate } from './template.js';
import type { CompiledTemplate, TemplatePlaceholder } from './template.js';

/** A compiled path stage: the rewritten path, or `undefined` when the result would be unsafe. */
export type PathRewriter = (path: string, params?: Readonly<Record<string, string | undefined>>, matchedPrefix?: string) => string | undefined;

/**
 * Compiles just the path stage of a rule (templates, `ReplacePrefixMatch`,
 * `ReplaceFullPath`, `PrefixRewrite`, `RegexRewrite`, `StripPrefix`) into a function, with
 * the same guarantees as {@link applyRewrite}: values encoded as segment parts, the result
 * normalized or `undefined`. The input path must already be normalized (the router's job):
 * unlike `applyRewrite`, this function does not check it. Templates may use `params` only.
 *
 * Use it where only the path changes and you manage headers yourself; it is the piece the
 * benchmark compares with http-proxy-middleware's `pathRewrite`.
 *
 * @example
 * ```ts
 * import { compilePathRewriter } from '@switchyard/rewrite';
 * const rewrite = compilePathRewriter({ type: 'Template', template: '/orders/${params.id}' });
 * rewrite('/api/v2/orders/42', { id: '42' }); // '/orders/42'
 * rewrite('/api/v2/orders/x', { id: '..' });  // undefined
 * ```
 */
export function compilePathRewriter(config: PathRewriteConfig): PathRewriter {
  // What `compileRewrite({ path: config })` validates and compiles, reported under `path`.
  const issues = new IssueCollector();
  const op = compilePathOp(config, 'path', issues, (text, ctx, at) => compileTemplate(text, ctx, issues, at, false));
  issues.throwIfAny();
  for (const part of op.kind === 'template' ? op.template.parts : []) {
    if (typeof part !== 'string' && part.source !== 'params') throw new ConfigError([{ path: 'template', message: 'compilePathRewriter templates may only use ${params.*}' }]);
  }
  const merge = mergesSlashes(op);
  // Specialised closures for the common stages, with the same results as the general one below.
  if (op.kind === 'prefix-match' && op.prefix !== undefined) {
    // Segment arithmetic is normalized by construction (input normalized, config validated).
    const { prefix, replacement } = op;
    return (path) => replaceTrimmedPrefixMatch(path, prefix, replacement);
  }
  if (op.kind === 'template') {
    const parts = op.template.parts;
    return (_path, params) => {
      const out = renderParamsPath(parts, params);
      return out === undefined || (out.indexOf('/.') !== -1 && !isNormalizedPath(out)) ? undefined : out;
    };
  }
  // The remaining kinds (full, prefix with the route's matched prefix, Envoy prefix and regex) read no scope.
  return (path, _params, matchedPrefix) => {
    let out = rewritePath(op, path, matchedPrefix, NO_SCOPE);
    if (out === undefined) return undefined;
    if (merge && out.includes('//')) out = out.replace(/\/{2,}/g, '/');
    return pathStillNormalized(op.kind, false, out) ? out : undefined;
  };
}

/**
 * `renderTemplate` for a path template that reads only `params` (checked at compile time),
 * without building a scope: each value encoded as one segment part, missing or empty ⇒ undefined.
 */
function renderParamsPath(parts: CompiledTemplate['parts'], params: Readonly<Record<string, string | undefined>> | undefined): string | undefined {
  let out = '';
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string | TemplatePlaceholder;
    if (typeof part === 'string') {
      out += part;
      continue;
    }
    const v = params?.[part.name];
    if (typeof v !== 'string' || v === '') return undefined;
    out += encodePathComponent(v);
  }
  return out;
}
