/**
 * The path stage of a rule: compile its `path` config (Gateway API `ReplaceFullPath` /
 * `ReplacePrefixMatch`, `StripPrefix`, Envoy `prefix_rewrite` / `regex_rewrite`, a template) into
 * a {@link PathOp}, apply it to a request path, and decide whether the result needs the
 * normalized-path check. The reference operations themselves are in `path-rewrite.ts`.
 */
import type { IssueCollector } from '@switchyard/core';
import type { RewriteConfig } from './config.js';
import { isNormalizedPath } from './internal/path-check.js';
import { compileRegexRewrite, prefixRewrite, regexRewrite, replaceFullPath, replaceTrimmedPrefixMatch, trimTrailingSlashes } from './path-rewrite.js';
import type { CompiledRegexRewrite } from './path-rewrite.js';
import type { TemplateCompiler } from './plan.js';
import { renderTemplate } from './template.js';
import type { CompiledTemplate, TemplateScope } from './template.js';

/** A compiled path rewrite. */
export type PathOp =
  | { readonly kind: 'none' }
  | { readonly kind: 'full'; readonly path: string }
  /** `prefix` and `replacement` without trailing slashes (trimmed once, at compile time). */
  | { readonly kind: 'prefix-match'; readonly prefix: string | undefined; readonly replacement: string }
  | { readonly kind: 'prefix-rewrite'; readonly prefix: string | undefined; readonly replacement: string }
  | { readonly kind: 'regex'; readonly rewrite: CompiledRegexRewrite }
  | { readonly kind: 'template'; readonly template: CompiledTemplate };

/** RFC 3986 `pchar`s and `/` (with `%`): what a configured path may hold unencoded. */
const PATH_LITERAL = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*$/;

/** Reports a path template (placeholders standing for one segment character) that is not a normalized origin-form path. */
export function checkPathTemplate(text: string, at: string, issues: IssueCollector): void {
  const literal = text.replace(/\$\{[^}]*\}/g, 'x');
  if (!literal.startsWith('/')) issues.add(at, `path must start with '/', got ${JSON.stringify(text)}`);
  else if (!PATH_LITERAL.test(literal)) issues.add(at, 'path has characters that must be percent-encoded');
  else if (!isNormalizedPath(literal)) issues.add(at, `path must be normalized (no '//', no '.' or '..' segments), got ${JSON.stringify(text)}`);
}

function checkLiteralPath(text: string, at: string, issues: IssueCollector, allowEmpty: boolean): void {
  if (allowEmpty && text === '') return;
  checkPathTemplate(text.replace(/\$\{/g, '$('), at, issues);
}

/** Validates a `path` (or `redirect.path`) config, reporting under `at`, and compiles it. */
export function compilePathOp(cfg: RewriteConfig['path'], at: string, issues: IssueCollector, tpl: TemplateCompiler): PathOp {
  if (cfg === undefined) return { kind: 'none' };
  switch (cfg.type) {
    case 'ReplaceFullPath':
      checkLiteralPath(cfg.replaceFullPath, `${at}.replaceFullPath`, issues, false);
      return { kind: 'full', path: cfg.replaceFullPath };
    case 'ReplacePrefixMatch':
      checkLiteralPath(cfg.replacePrefixMatch, `${at}.replacePrefixMatch`, issues, true);
      if (cfg.prefix !== undefined) checkLiteralPath(cfg.prefix, `${at}.prefix`, issues, false);
      return { kind: 'prefix-match', prefix: trimOptional(cfg.prefix), replacement: trimTrailingSlashes(cfg.replacePrefixMatch) };
    case 'StripPrefix':
      checkLiteralPath(cfg.prefix, `${at}.prefix`, issues, false);
      return { kind: 'prefix-match', prefix: trimTrailingSlashes(cfg.prefix), replacement: '' };
    case 'PrefixRewrite':
      if (cfg.prefixRewrite !== '' && !PATH_LITERAL.test(cfg.prefixRewrite)) issues.add(`${at}.prefixRewrite`, 'has characters that must be percent-encoded');
      if (cfg.prefix !== undefined && !cfg.prefix.startsWith('/')) issues.add(`${at}.prefix`, "must start with '/'");
      return { kind: 'prefix-rewrite', prefix: cfg.prefix, replacement: cfg.prefixRewrite };
    case 'RegexRewrite': {
      const r = compileRegexRewrite(cfg.pattern, cfg.substitution);
      if (typeof r === 'string') {
        issues.add(`${at}.pattern`, r);
        return { kind: 'none' };
      }
      return { kind: 'regex', rewrite: r };
    }
    case 'Template':
      checkPathTemplate(cfg.template, `${at}.template`, issues);
      return { kind: 'template', template: tpl(cfg.template, 'path', `${at}.template`) };
    default:
      issues.add(`${at}.type`, `unknown path rewrite type ${JSON.stringify((cfg as { type: unknown }).type)}`);
      return { kind: 'none' };
  }
}

function trimOptional(s: string | undefined): string | undefined {
  return s === undefined ? undefined : trimTrailingSlashes(s);
}

/** Whether an operation can assemble `//` (Envoy's prefix and regex rewrites): the stage merges them. */
export function mergesSlashes(op: PathOp): boolean {
  return op.kind === 'prefix-rewrite' || op.kind === 'regex';
}

/** Applies a compiled path rewrite; `undefined` when a template placeholder is missing or empty. */
export function rewritePath(op: PathOp, path: string, matchedPrefix: string | undefined, scope: TemplateScope): string | undefined {
  switch (op.kind) {
    case 'none':
      return path;
    case 'full':
      return replaceFullPath(path, op.path);
    case 'prefix-match': {
      if (op.prefix !== undefined) return replaceTrimmedPrefixMatch(path, op.prefix, op.replacement);
      return matchedPrefix === undefined ? path : replaceTrimmedPrefixMatch(path, trimTrailingSlashes(matchedPrefix), op.replacement);
    }
    case 'prefix-rewrite': {
      const prefix = op.prefix ?? matchedPrefix;
      return prefix === undefined ? path : prefixRewrite(path, prefix, op.replacement);
    }
    case 'regex':
      return regexRewrite(path, op.rewrite);
    case 'template':
      return renderTemplate(op.template, scope);
  }
}

/**
 * Whether a rewritten path is still normalized. Some operations are normalized by
 * construction (input checked, config literals validated at compile time, values encoded so
 * they contain no `/` and never `%2E`): only dot segments assembled from values need a look,
 * and they need a `/.`. String and regex rewrites always get the full check.
 */
export function pathStillNormalized(kind: PathOp['kind'], fromUrl: boolean, path: string): boolean {
  if (!fromUrl && (kind === 'none' || kind === 'full' || kind === 'prefix-match')) return true;
  if (fromUrl || kind === 'template') return path.indexOf('/.') === -1 || isNormalizedPath(path);
  return isNormalizedPath(path);
}
