/**
 * Where a request goes and the `Host` it carries: compile `upstream`, `allowedUpstreams` and
 * `host`; when applied, parse (once) the gateway's `RewriteInput.upstream` and pick the `Host`
 * header. A request-derived origin or host is only ever one of `allowedUpstreams` (the lookup
 * is in `rewrite.ts`, step 4).
 */
import type { IssueCollector } from '@switchyard/core';
import type { HostRewriteConfig } from './config.js';
import { TOKEN } from './internal/encode.js';
import { parseAuthority, parseUpstream } from './internal/origin.js';
import type { Origin, UpstreamBase } from './internal/origin.js';
import { isNormalizedPath } from './internal/path-check.js';
import type { PlanInternals, TemplateCompiler } from './plan.js';
import type { CompiledTemplate } from './template.js';

/** A compiled `host` option. */
export type HostOp =
  | { readonly kind: 'preserve' }
  | { readonly kind: 'upstream' }
  | { readonly kind: 'literal'; readonly value: string }
  | { readonly kind: 'dynamic'; readonly template: CompiledTemplate };

/** Validates `upstream` and `allowedUpstreams` (reported by path) and parses them. */
export function compileUpstreams(
  upstreamText: string | undefined,
  allowedTexts: readonly string[] | undefined,
  issues: IssueCollector,
): { readonly upstream: UpstreamBase | undefined; readonly allowed: Map<string, Origin> } {
  let upstream: UpstreamBase | undefined;
  if (upstreamText !== undefined) {
    upstream = parseUpstream(upstreamText) ?? undefined;
    if (upstream === undefined) issues.add('upstream', `must be http(s)://host[:port][/path] without userinfo, query or fragment, got ${JSON.stringify(upstreamText)}`);
    else if (upstream.basePath !== '' && !isNormalizedPath(upstream.basePath)) issues.add('upstream', 'base path must be a normalized path');
  }
  const allowed = new Map<string, Origin>();
  (allowedTexts ?? []).forEach((a, i) => {
    const o = parseUpstream(a);
    if (o === null || o.basePath !== '') issues.add(`allowedUpstreams[${i}]`, `must be an origin http(s)://host[:port], got ${JSON.stringify(a)}`);
    else {
      allowed.set(o.origin, o);
      allowed.set(o.authority, o);
    }
  });
  return { upstream, allowed };
}

/** Validates the `host` option (reported under `host`) and compiles it. */
export function compileHost(h: HostRewriteConfig | undefined, allowed: ReadonlyMap<string, Origin>, issues: IssueCollector, tpl: TemplateCompiler): HostOp {
  let host: HostOp;
  if (h === undefined || h === 'preserve') host = { kind: 'preserve' };
  else if (h === 'upstream') host = { kind: 'upstream' };
  else if ('literal' in h) {
    if (parseAuthority(h.literal) === null) issues.add('host.literal', `must be host[:port], got ${JSON.stringify(h.literal)}`);
    host = { kind: 'literal', value: h.literal.toLowerCase() };
  } else if ('fromHeader' in h) {
    if (!TOKEN.test(h.fromHeader)) issues.add('host.fromHeader', 'must be a header name');
    host = { kind: 'dynamic', template: tpl(`\${headers.${h.fromHeader}}`, 'host', 'host.fromHeader') };
  } else {
    host = { kind: 'dynamic', template: tpl(h.template, 'host', 'host.template') };
  }
  if (host.kind === 'dynamic' && allowed.size === 0) issues.add('host', 'a request-derived host needs allowedUpstreams');
  return host;
}

/** Parsed `RewriteInput.upstream` values remembered per plan (bounded, so a misuse cannot grow it forever). */
const UPSTREAM_CACHE_SIZE = 256;

/**
 * `input.upstream` comes from the gateway's config, so the set of distinct values is small:
 * parse each once and keep it on the plan.
 */
export function parsedUpstream(p: PlanInternals, url: string): UpstreamBase | undefined {
  const cache = p.upstreamCache;
  const hit = cache.get(url);
  if (hit !== undefined) return hit;
  const parsed = parseUpstream(url) ?? undefined;
  if (parsed !== undefined) {
    if (cache.size >= UPSTREAM_CACHE_SIZE) cache.clear();
    cache.set(url, parsed);
  }
  return parsed;
}

/**
 * The `Host` header a forwarded request carries when no request-derived host chose it: the
 * literal, the upstream's authority, or the client's (already refused in step 4 unless a valid
 * host[:port] or empty). A literal was validated at compile time and an upstream authority was
 * parsed: neither can hold CR/LF/NUL.
 */
export function configuredHostHeader(host: HostOp, target: Origin, requestAuthority: string): string {
  switch (host.kind) {
    case 'literal':
      return host.value;
    case 'upstream':
      return target.authority;
    default:
      return requestAuthority;
  }
}
