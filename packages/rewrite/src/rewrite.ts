/**
 * Compile a rewrite rule once ({@link compileRewrite}), apply it to routed requests as a pure
 * function ({@link applyRewrite}); responses go through {@link rewriteResponseHeaders}
 * (`response.ts`). This file composes the concerns, each compiled and applied by its own file:
 * `upstream.ts`, `url.ts`, `path-stage.ts`, `query.ts`, `request-headers.ts`,
 * `header-modifier.ts`, `forwarded.ts`, `redirect.ts`, `response.ts`; the compiled rule's shape
 * is in `plan.ts`.
 *
 * Order of operations on a request (the Gateway API asks filters to run in listed order;
 * this is the one fixed order switchyard uses):
 * 1. check the path is normalized, headers are safe (CR/LF/NUL, token names);
 * 2. strip hop-by-hop headers and those `Connection` names;
 * 3. redirect, if the rule is one (then stop);
 * 4. choose the upstream (config, or a request-derived host inside `allowedUpstreams`);
 * 5. rewrite the path, prepend the upstream base path, verify the result is normalized;
 * 6. query operations; 7. forwarding headers; 8. request header modifiers; 9. `Host`.
 */
import { CheckedRequest, IssueCollector, checkSendable, describeUnsendable, isSendableHeaderValue, isSendableHost, isSendableMethod, isSendableTarget } from '@switchyard/core';
import type { RequestHeaders, SyRequest, UpstreamRequest } from '@switchyard/core';
import type { RewriteConfig } from './config.js';
import { compileForwarded, addForwarded } from './forwarded.js';
import { applyRequestModifier, compileModifier } from './header-modifier.js';
import type { HeaderModifier } from './header-modifier.js';
import { sanitizeRawQuery } from './internal/encode.js';
import { isValidAuthority } from './internal/origin.js';
import type { Origin, UpstreamBase } from './internal/origin.js';
import { isNormalizedPath } from './internal/path-check.js';
import { compilePathOp, mergesSlashes, pathStillNormalized, rewritePath } from './path-stage.js';
import { PLAN, planInternals } from './plan.js';
import type { PlanInternals, RewritePlan } from './plan.js';
import { compileQuery, rewriteQuery } from './query.js';
import { applyRedirect, compileRedirect } from './redirect.js';
import { compileHeaderPolicy, copyRequestHeaders } from './request-headers.js';
import type { HeaderName } from './request-headers.js';
import { reject, unsendable } from './result.js';
import type { RewriteResult } from './result.js';
import { NO_SCOPE, compileTemplate, renderTemplate } from './template.js';
import type { CompiledTemplate } from './template.js';
import { compileUrl } from './url.js';
import { compileHost, compileUpstreams, configuredHostHeader, parsedUpstream } from './upstream.js';

export type { RewritePlan } from './plan.js';
export type { RewriteRejectReason, RewriteResult, UpstreamTarget } from './result.js';

/** What {@link applyRewrite} needs: the routed request and what the router found. */
export interface RewriteInput {
  /** The request; its `path` is the router-normalized path. */
  readonly request: SyRequest;
  /** Path parameters the route matched (decoded values). */
  readonly params?: Readonly<Record<string, string | undefined>>;
  /** The route's matched path prefix, for `ReplacePrefixMatch` / `PrefixRewrite` without their own `prefix`. */
  readonly matchedPrefix?: string | undefined;
  /** The configured upstream base URL, used unless the rule has its own `upstream` or `url`. */
  readonly upstream?: string;
  /** The port the request arrived on (the Gateway API "listener port"), for redirect port derivation. */
  readonly listenerPort?: number;
}

/**
 * Validates `config` (every problem reported with its path, thrown together as a
 * `ConfigError`) and compiles it into a frozen {@link RewritePlan}. Call once per config
 * load, never per request.
 *
 * @example
 * ```ts
 * import { compileRewrite, applyRewrite } from '@switchyard/rewrite';
 * const plan = compileRewrite({
 *   url: 'https://orders.internal/orders/${params.id}',
 * });
 * const r = applyRewrite(plan, {
 *   request: { method: 'GET', scheme: 'https', authority: 'api.example.com', path: '/api/v2/orders/42',
 *              query: '', headers: {}, attributes: {} },
 *   params: { id: '42' },
 * });
 * // r.kind === 'forward', r.upstream.origin === 'https://orders.internal', r.request.path === '/orders/42'
 * ```
 */
export function compileRewrite(config: RewriteConfig): RewritePlan {
  const issues = new IssueCollector();
  let usesTemplates = false;
  const tpl = (text: string, ctx: 'path' | 'query' | 'header' | 'host', at: string): CompiledTemplate => {
    const t = compileTemplate(text, ctx, issues, at, false);
    if (!t.literal) usesTemplates = true;
    return t;
  };

  // Each concern in the order its problems are reported.
  const { upstream, allowed } = compileUpstreams(config.upstream, config.allowedUpstreams, issues);
  const url = config.url === undefined ? undefined : compileUrl(config.url, allowed, issues, tpl);
  if (config.url !== undefined && config.path !== undefined) issues.add('path', 'url and path are exclusive: put the path in the url template');
  const path = compilePathOp(config.path, 'path', issues, tpl);
  const query = config.query === undefined ? undefined : compileQuery(config.query, issues, tpl);
  const host = compileHost(config.host, allowed, issues, tpl);
  const requestHeaders = compileModifier(config.requestHeaders, 'requestHeaders', issues, tpl, true);
  const responseHeaders = compileModifier(config.responseHeaders, 'responseHeaders', issues, tpl, false);
  const forwarded = compileForwarded(config.forwarded ?? {}, issues);
  const headerPolicy = compileHeaderPolicy(config, issues);
  const redirect = config.redirect === undefined ? undefined : compileRedirect(config.redirect, config, issues, tpl);

  issues.throwIfAny();

  const literalOnly = (m: HeaderModifier) => m.add.length === 0 && m.set.every(([, t]) => t.literal);
  const idempotent =
    redirect === undefined &&
    (path.kind === 'none' || path.kind === 'full' || (path.kind === 'template' && path.template.literal)) &&
    (url === undefined || (url.path.literal && (url.query === undefined || url.query.literal))) &&
    (query === undefined || (query.rename.size === 0 && query.add.length === 0 && query.set.every((q) => q.value.literal))) &&
    literalOnly(requestHeaders) &&
    forwarded.forwardedMode !== 'append' &&
    (forwarded.forwardedMode !== 'trusted' || (forwarded.forwardedTrust.cidrs.length === 0 && forwarded.forwardedTrust.hops === 0)) &&
    config.originalPathHeader === undefined;

  const internals: PlanInternals = Object.freeze({
    upstream,
    allowed,
    url,
    path,
    mergeSlashes: mergesSlashes(path),
    query,
    host,
    requestHeaders,
    responseHeaders,
    // Written out, not spread: a literal keeps the plan's fields fast (named) properties.
    forwardedMode: forwarded.forwardedMode,
    forwardedTrust: forwarded.forwardedTrust,
    xForwarded: forwarded.xForwarded,
    forwardedHeader: forwarded.forwardedHeader,
    strictConnection: headerPolicy.strictConnection,
    rejectUnsafe: headerPolicy.rejectUnsafe,
    originalPathHeader: headerPolicy.originalPathHeader,
    redirect,
    usesTemplates,
    modifiesRequestHeaders: requestHeaders.set.length !== 0 || requestHeaders.add.length !== 0,
    upstreamCache: new Map<string, UpstreamBase>(),
    headerNames: new Map<string, HeaderName | null>(),
    responseNames: new Map<string, string | null>(),
  });
  return Object.freeze({ idempotent, [PLAN]: internals });
}

/**
 * Applies a compiled rule to a routed request. Pure: same input, same output; never throws
 * for any request (bad input is a `rejected` result).
 *
 * @example
 * ```ts
 * import { compileRewrite, applyRewrite } from '@switchyard/rewrite';
 * const plan = compileRewrite({ path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' } });
 * const r = applyRewrite(plan, {
 *   request: { method: 'GET', scheme: 'https', authority: 'api.example.com', path: '/v1/users',
 *              query: 'page=2', headers: {}, attributes: {} },
 *   matchedPrefix: '/v1', upstream: 'http://users.internal:8080',
 * });
 * // r.kind === 'forward' && r.request.path === '/users?page=2'
 * ```
 */
export function applyRewrite(plan: RewritePlan, input: RewriteInput): RewriteResult {
  const p = planInternals(plan);
  const req = input.request;
  if (!isNormalizedPath(req.path)) return reject('path-not-normalized', 'request path is not normalized');

  // 1-2. Headers as received: safety checks and hop-by-hop stripping, in one pass that copies
  // what survives (`request-headers.ts`).
  const headers: Record<string, string> = {};
  const refused = copyRequestHeaders(p, req.headers, headers);
  if (refused !== undefined) return refused;

  // Only a rule with placeholders reads the scope: a literal template never looks anything up.
  const scope = p.usesTemplates || p.redirect !== undefined ? { request: req, params: input.params, query: undefined, upstream: undefined } : NO_SCOPE;

  // 3. Redirect.
  if (p.redirect !== undefined) return applyRedirect(p, p.redirect, input, scope);

  // The client's Host goes upstream (as Host, X-Forwarded-Host or Forwarded host=): one that is
  // not a valid host[:port] (`[::1`, `a b`, `x:99999`) is refused here, never forwarded verbatim.
  if (req.authority !== '' && !isValidAuthority(req.authority)) return reject('invalid-authority', 'request Host is not a valid host[:port] (RFC 3986 section 3.2.2)');

  // 4. Upstream: the rule's, else the gateway's; a `url` origin or a request-derived host
  // (only ever one of `allowedUpstreams`) replaces it.
  let base: UpstreamBase | undefined = p.upstream;
  if (base === undefined && input.upstream !== undefined) {
    base = parsedUpstream(p, input.upstream);
    if (base === undefined) return reject('no-upstream', 'input.upstream is not an http(s) URL');
  }
  let target: Origin | undefined = base;
  let basePath = base?.basePath ?? '';
  const url = p.url;
  if (url !== undefined && !url.upstreamPrefix) {
    const o = url.origin as UpstreamBase | CompiledTemplate;
    if ('parts' in o) {
      const rendered = renderTemplate(o, scope) ?? '';
      const allowedOrigin = p.allowed.get(rendered.toLowerCase());
      if (allowedOrigin === undefined) return reject('upstream-not-allowed', 'request-derived upstream is not in allowedUpstreams');
      target = allowedOrigin;
      basePath = '';
    } else {
      target = o;
      basePath = o.basePath;
    }
  }
  let hostHeader: string | undefined;
  if (p.host.kind === 'dynamic') {
    const v = renderTemplate(p.host.template, scope);
    if (v !== undefined && v !== '') {
      const allowedOrigin = p.allowed.get(v.toLowerCase());
      if (allowedOrigin === undefined) return reject('upstream-not-allowed', 'request-derived host is not in allowedUpstreams');
      target = allowedOrigin;
      hostHeader = allowedOrigin.authority;
    }
  }
  if (target === undefined) return reject('no-upstream', 'no upstream: set RewriteConfig.upstream or RewriteInput.upstream');

  // 5. Path (`path-stage.ts`, or the `url` template).
  let path: string;
  let queryRaw = req.query;
  if (url !== undefined) {
    const rendered = renderTemplate(url.path, scope);
    if (rendered === undefined) return reject('empty-path-value', 'a path placeholder is missing or empty');
    path = rendered;
    if (url.query !== undefined) queryRaw = renderTemplate(url.query, scope) ?? '';
  } else {
    const rewritten = rewritePath(p.path, req.path, input.matchedPrefix, scope);
    if (rewritten === undefined) return reject('empty-path-value', 'a path placeholder is missing or empty');
    path = rewritten;
  }
  if (p.mergeSlashes && path.includes('//')) path = path.replace(/\/{2,}/g, '/');
  if (!pathStillNormalized(p.path.kind, url !== undefined, path)) return reject('unsafe-path', 'the rewritten path would not be normalized (dot segment, empty segment or bad escape)');
  // A normalized base path without trailing slash + a normalized path is normalized.
  if (basePath !== '') path = basePath + path;

  // 6. Query (`query.ts`).
  const query = p.query === undefined ? sanitizeRawQuery(queryRaw) : rewriteQuery(p.query, queryRaw, scope);

  // 7. Forwarding headers (`forwarded.ts`).
  if (p.forwardedMode !== 'off') {
    const r = addForwarded(p, headers, req);
    if (r !== undefined) return r;
  }

  // 8. Request header modifiers (`header-modifier.ts`; remove was applied while copying).
  if (p.modifiesRequestHeaders) {
    const r = applyRequestModifier(p.requestHeaders, headers, scope, p.rejectUnsafe);
    if (r !== undefined) return r;
  }
  if (p.originalPathHeader !== undefined && path !== req.path) {
    if (!isSendableHeaderValue(req.path)) return unsendable(p.originalPathHeader, req.path);
    headers[p.originalPathHeader] = req.path;
  }

  // 9. Host (`upstream.ts`). Only the request's authority needs a look, once.
  if (hostHeader === undefined) hostHeader = configuredHostHeader(p.host, target, req.authority);
  if (hostHeader !== '') {
    // Its characters were checked above (checkValue, the valid-authority check) or at compile
    // time; this is undici's `[` without `]` (its getHostname asserts, the dispatch throws).
    // The request's own authority passed `isValidAuthority` (an IP literal has its `]`): no scan.
    if (hostHeader !== req.authority && !isSendableHost(hostHeader)) return unsendable('host', hostHeader);
    headers['host'] = hostHeader;
  }

  // 10. Sendable: core's definition (`checkSendable`, undici's rules), applied field by field as
  // the request was built (header values while copying and rendering, the Host just above) and
  // here for the method and the target. What the client put in the path, a templated header or
  // the Host may be something the HTTP client refuses (a control character, DEL, a code point
  // above U+00FF, `[::1`): the client's fault, answered 400 before anything is sent.
  const fullPath = query === '' ? path : `${path}?${query}`;
  if (!isSendableMethod(req.method) || !isSendableTarget(fullPath)) {
    const u = checkSendable({ method: req.method, path: fullPath, headers: NO_HEADERS });
    if (u !== undefined) return reject('unsendable', describeUnsendable(u));
  }
  // A `CheckedRequest` (core's brand): every rule of `checkSendable(request, 'undici')` but the
  // `content-length` digits was applied above, so the undici transport skips its second pass.
  // A layer that changes the request copies it into a plain object, which is checked in full.
  const upstreamRequest: UpstreamRequest = new CheckedRequest(req.method, fullPath, headers, req.body);
  // `target.target` is a frozen UpstreamTarget built when the origin was parsed: no copy per request.
  return { kind: 'forward', upstream: target.target, request: upstreamRequest };
}

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * Whether a compiled rule decides the upstream path itself: a path rewrite, a `url`, or a
 * redirect. A rule that does not forwards the request's path as it is (behind the upstream's
 * base path), which is when an adapter's mount mapping (`HandleOptions.upstreamPath` of the
 * gateway) applies.
 *
 * @example
 * ```ts
 * import { compileRewrite, rewritesPath } from '@switchyard/rewrite';
 * rewritesPath(compileRewrite({})); // false
 * rewritesPath(compileRewrite({ path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/v2' } })); // true
 * ```
 */
export function rewritesPath(plan: RewritePlan): boolean {
  const p = planInternals(plan);
  return p.path.kind !== 'none' || p.url !== undefined || p.redirect !== undefined;
}

/** Turns a rewrite's output back into a request, to apply the rule again (used by idempotence checks). */
export function requestFromForward(original: SyRequest, out: UpstreamRequest): SyRequest {
  const q = out.path.indexOf('?');
  return { ...original, path: q === -1 ? out.path : out.path.slice(0, q), query: q === -1 ? '' : out.path.slice(q + 1), headers: out.headers as RequestHeaders };
}
