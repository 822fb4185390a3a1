/**
 * `@switchyard/rewrite`: URL templates, prefix/full/regex path rewrites, query and header
 * modifiers, redirects and forwarding-header hygiene, compiled once and applied as pure
 * functions, with the safety guarantees listed in docs/guides/rewriting.md.
 *
 * @packageDocumentation
 */
export type {
  RewriteConfig,
  PathRewriteConfig,
  QueryRewriteConfig,
  HeaderModifierConfig,
  HostRewriteConfig,
  ForwardedConfig,
  RedirectConfig,
} from './config.js';
export type { RewriteInput } from './rewrite.js';
export type { RewriteResult, RewriteRejectReason, UpstreamTarget } from './result.js';
export type { RewritePlan } from './plan.js';
export type { PathRewriter } from './path-rewriter.js';
export { compileRewrite, applyRewrite, rewritesPath, requestFromForward } from './rewrite.js';
export { compilePathRewriter } from './path-rewriter.js';
export { rewriteResponseHeaders } from './response.js';
export { FORWARDING_HEADERS } from './forwarded.js';
export type { CompiledTemplate, TemplateContext, TemplateSource, TemplatePlaceholder, TemplateScope } from './template.js';
export { compileTemplate, renderTemplate, parseQuery } from './template.js';
export type { CompiledRegexRewrite } from './path-rewrite.js';
export { replacePrefixMatch, replaceFullPath, prefixRewrite, compileRegexRewrite, regexRewrite } from './path-rewrite.js';
export { HOP_BY_HOP_HEADERS, isHopByHop, connectionOptions } from './headers.js';
export { pathNormalForm, normalizePath, isNormalizedPath } from './internal/path-check.js';
