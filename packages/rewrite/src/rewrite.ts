/**
 * Compile a rewrite rule once ({@link compileRewrite}), apply it to routed requests as a pure
 * function ({@link applyRewrite}) and to upstream responses ({@link rewriteResponseHeaders}).
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
import { CheckedRequest, ConfigError, IssueCollector, SwitchyardError, checkSendable, cidrContains, describeUnsendable, isSendableHeaderValue, isSendableHost, isSendableMethod, isSendableTarget, parseCidr, parseIp } from '@switchyard/core';
import type { Cidr, RequestHeaders, ResponseHeaders, SyRequest, SyResponse, UpstreamRequest } from '@switchyard/core';
import type { HeaderModifierConfig, PathRewriteConfig, RewriteConfig } from './config.js';
import { connectionOptions, isHopByHop } from './headers.js';
import {
  HEADER_UNSAFE_TEST,
  TOKEN,
  decodeQueryComponent,
  encodePathComponent,
  encodeQueryComponent,
  hasUnsafeHeaderChar,
  sanitizeRawQuery,
  stripUnsafeHeaderChars,
  tokenCase,
} from './internal/encode.js';
import { defaultPort, isValidAuthority, makeOrigin, parseAuthority, parseUpstream } from './internal/origin.js';
import type { Origin, UpstreamBase } from './internal/origin.js';
import { isNormalizedPath } from './internal/path-check.js';
import { compileRegexRewrite, prefixRewrite, regexRewrite, replaceFullPath, replaceTrimmedPrefixMatch, trimTrailingSlashes } from './path-rewrite.js';
import type { CompiledRegexRewrite } from './path-rewrite.js';
import { compileTemplate, renderTemplate } from './template.js';
import type { CompiledTemplate, TemplatePlaceholder, TemplateScope } from './template.js';

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

/** The upstream a request is forwarded to. */
export interface UpstreamTarget {
  readonly scheme: 'http' | 'https';
  readonly host: string;
  readonly port: number;
  /** `scheme://host[:port]` (default port omitted). */
  readonly origin: string;
}

/** Why a request was refused. All but `no-upstream` (a wiring bug: 500) are the client's fault (400). */
export type RewriteRejectReason =
  | 'path-not-normalized'
  | 'empty-path-value'
  | 'unsafe-path'
  | 'unsafe-header'
  | 'invalid-connection-header'
  | 'upstream-not-allowed'
  | 'invalid-authority'
  | 'unsendable'
  | 'no-upstream';

/** The result of {@link applyRewrite}: a tagged union, never an exception. */
export type RewriteResult =
  | { readonly kind: 'forward'; readonly upstream: UpstreamTarget; readonly request: UpstreamRequest }
  | { readonly kind: 'redirect'; readonly status: number; readonly location: string; readonly response: SyResponse }
  | { readonly kind: 'rejected'; readonly reason: RewriteRejectReason; readonly error: SwitchyardError };

type PathOp =
  | { readonly kind: 'none' }
  | { readonly kind: 'full'; readonly path: string }
  /** `prefix` and `replacement` without trailing slashes (trimmed once, at compile time). */
  | { readonly kind: 'prefix-match'; readonly prefix: string | undefined; readonly replacement: string }
  | { readonly kind: 'prefix-rewrite'; readonly prefix: string | undefined; readonly replacement: string }
  | { readonly kind: 'regex'; readonly rewrite: CompiledRegexRewrite }
  | { readonly kind: 'template'; readonly template: CompiledTemplate };

/** A query parameter to set or add: its name as given, its encoding (computed once) and the value template. */
interface QueryParam {
  readonly name: string;
  readonly encoded: string;
  readonly value: CompiledTemplate;
}

interface CompiledQuery {
  readonly removeAll: boolean;
  readonly remove: ReadonlySet<string>;
  readonly rename: ReadonlyMap<string, string>;
  readonly set: readonly QueryParam[];
  readonly add: readonly QueryParam[];
  /** No `set` entry can replace another (true unless names collide once encoded, e.g. lone surrogates). */
  readonly setDistinct: boolean;
}

interface CompiledModifier {
  readonly set: readonly (readonly [string, CompiledTemplate])[];
  readonly add: readonly (readonly [string, CompiledTemplate])[];
  readonly remove: ReadonlySet<string>;
}

type HostOp =
  | { readonly kind: 'preserve' }
  | { readonly kind: 'upstream' }
  | { readonly kind: 'literal'; readonly value: string }
  | { readonly kind: 'dynamic'; readonly template: CompiledTemplate };

interface CompiledRedirect {
  readonly scheme: 'http' | 'https' | undefined;
  readonly hostname: string | undefined;
  readonly port: number | undefined;
  readonly path: PathOp;
  readonly status: number;
  readonly stripQuery: boolean;
}

/**
 * A compiled, frozen rewrite rule. Opaque: pass it to {@link applyRewrite} and
 * {@link rewriteResponseHeaders}. `idempotent` is true when applying the rule to its own
 * output changes nothing (the property tests hold it to that claim).
 */
export interface RewritePlan {
  readonly idempotent: boolean;
  /** @internal */ readonly upstream: UpstreamBase | undefined;
  /** @internal */ readonly allowed: ReadonlyMap<string, Origin>;
  /** @internal */ readonly url: { readonly upstreamPrefix: boolean; readonly origin: UpstreamBase | CompiledTemplate | undefined; readonly path: CompiledTemplate; readonly query: CompiledTemplate | undefined } | undefined;
  /** @internal */ readonly path: PathOp;
  /** @internal */ readonly mergeSlashes: boolean;
  /** @internal */ readonly query: CompiledQuery | undefined;
  /** @internal */ readonly host: HostOp;
  /** @internal */ readonly requestHeaders: CompiledModifier;
  /** @internal */ readonly responseHeaders: CompiledModifier;
  /** @internal */ readonly forwardedMode: 'trusted' | 'append' | 'overwrite' | 'off';
  /** @internal `'trusted'` mode: who is a trusted proxy, and a bounded cache of peer address → trusted (not state). */
  readonly forwardedTrust: { readonly cidrs: readonly Cidr[]; readonly hops: number; readonly peers: Map<string, boolean> };
  /** @internal */ readonly xForwarded: boolean;
  /** @internal */ readonly forwardedHeader: boolean;
  /** @internal */ readonly strictConnection: boolean;
  /** @internal */ readonly rejectUnsafe: boolean;
  /** @internal */ readonly originalPathHeader: string | undefined;
  /** @internal */ readonly redirect: CompiledRedirect | undefined;
  /** @internal */ readonly usesTemplates: boolean;
  /** @internal Whether `requestHeaders` sets or adds anything (`remove` is applied while copying). */
  readonly modifiesRequestHeaders: boolean;
  /** @internal Parsed `RewriteInput.upstream` values (a cache, not state: same answer either way). */
  readonly upstreamCache: Map<string, UpstreamBase>;
  /** @internal Request header name → what this rule does with it (a cache, as above; see {@link headerName}). */
  readonly headerNames: Map<string, HeaderName | null>;
  /** Response header names: their lower-case form, or null when dropped (invalid, hop-by-hop, `remove`). Bounded like `headerNames`. */
  readonly responseNames: Map<string, string | null>;
}

/**
 * A request header name as this rule sees it: lower-cased, and its fate decided once.
 * `action`: 0 keep, 1 drop (hop-by-hop, `remove`d, an overwritten forwarding header, `host`),
 * 2 `te` (kept only as `te: trailers`). `null` in the cache: not a token (or `__proto__`).
 */
interface HeaderName {
  readonly lower: string;
  readonly action: 0 | 1 | 2;
}

/** Names longer than this are classified every time (bounds the cache's memory). */
const HEADER_NAME_CACHE_MAX_LENGTH = 64;
const HEADER_NAME_CACHE_SIZE = 512;

const FORWARDED_NAMES = ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'forwarded'] as const;
const PATH_LITERAL = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*$/;
const QUERY_LITERAL = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]*$/;
const NO_MODIFIER: CompiledModifier = Object.freeze({ set: [], add: [], remove: new Set<string>() });
/** Stands in for the scope of a rule without placeholders: nothing reads it. */
const NO_SCOPE: Partial<TemplateScope> = Object.freeze({});

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
  const tpl = (text: string, ctx: 'path' | 'query' | 'header' | 'host', at: string, allowUpstream = false): CompiledTemplate => {
    const t = compileTemplate(text, ctx, issues, at, allowUpstream);
    if (!t.literal) usesTemplates = true;
    return t;
  };

  // Upstream and allow-list.
  let upstream: UpstreamBase | undefined;
  if (config.upstream !== undefined) {
    upstream = parseUpstream(config.upstream) ?? undefined;
    if (upstream === undefined) issues.add('upstream', `must be http(s)://host[:port][/path] without userinfo, query or fragment, got ${JSON.stringify(config.upstream)}`);
    else if (upstream.basePath !== '' && !isNormalizedPath(upstream.basePath)) issues.add('upstream', 'base path must be a normalized path');
  }
  const allowed = new Map<string, Origin>();
  (config.allowedUpstreams ?? []).forEach((a, i) => {
    const o = parseUpstream(a);
    if (o === null || o.basePath !== '') issues.add(`allowedUpstreams[${i}]`, `must be an origin http(s)://host[:port], got ${JSON.stringify(a)}`);
    else {
      allowed.set(o.origin, o);
      allowed.set(o.authority, o);
    }
  });

  // Full URL template.
  let url: RewritePlan['url'];
  if (config.url !== undefined) {
    const text = config.url;
    let rest: string;
    let origin: UpstreamBase | CompiledTemplate | undefined;
    let upstreamPrefix = false;
    if (text.startsWith('${upstream}')) {
      upstreamPrefix = true;
      rest = text.slice('${upstream}'.length);
      if (rest === '') rest = '/';
    } else {
      const m = /^([a-z]+:\/\/[^/?#]*)(.*)$/i.exec(text);
      if (m === null) {
        issues.add('url', 'must start with http(s)://host or ${upstream}');
        rest = '/';
      } else {
        const originText = m[1] as string;
        rest = m[2] === '' ? '/' : (m[2] as string);
        if (originText.includes('${')) {
          origin = tpl(originText, 'host', 'url');
          if (allowed.size === 0) issues.add('url', 'a request-derived origin needs allowedUpstreams');
        } else {
          origin = parseUpstream(originText) ?? undefined;
          if (origin === undefined) issues.add('url', `invalid origin ${JSON.stringify(originText)}`);
        }
      }
    }
    const q = rest.indexOf('?');
    const pathText = q === -1 ? rest : rest.slice(0, q);
    const queryText = q === -1 ? undefined : rest.slice(q + 1);
    checkPathTemplate(pathText, 'url', issues);
    if (queryText !== undefined && !QUERY_LITERAL.test(queryText.replace(/\$\{[^}]*\}/g, ''))) issues.add('url', 'query part has characters that must be percent-encoded');
    url = Object.freeze({
      upstreamPrefix,
      origin,
      path: tpl(pathText, 'path', 'url'),
      query: queryText === undefined ? undefined : tpl(queryText, 'query', 'url'),
    });
    if (config.path !== undefined) issues.add('path', 'url and path are exclusive: put the path in the url template');
  }

  // Path rewrite.
  const path = compilePathOp(config.path, 'path', issues, tpl);
  const mergeSlashes = path.kind === 'prefix-rewrite' || path.kind === 'regex';

  // Query.
  let query: RewritePlan['query'];
  if (config.query !== undefined) {
    const q = config.query;
    const rename = new Map<string, string>();
    for (const [from, to] of Object.entries(q.rename ?? {})) {
      if (to === '') issues.add(`query.rename[${JSON.stringify(from)}]`, 'new name must not be empty');
      rename.set(from, encodeQueryComponent(to));
    }
    const pairs = (rec: Readonly<Record<string, string>> | undefined, at: string): QueryParam[] =>
      Object.entries(rec ?? {}).map(([name, value]) => {
        if (name === '') issues.add(at, 'query parameter name must not be empty');
        const t = tpl(value, 'query', `${at}[${JSON.stringify(name)}]`);
        // Config values are plain text: their literal parts (and the name) are encoded once, here.
        const parts = t.parts.map((part) => (typeof part === 'string' ? encodeQueryComponent(part) : part));
        return Object.freeze({ name, encoded: encodeQueryComponent(name), value: Object.freeze({ ...t, parts: Object.freeze(parts) }) });
      });
    const set = pairs(q.set, 'query.set');
    query = Object.freeze({
      removeAll: q.removeAll === true,
      remove: new Set(q.remove ?? []),
      rename,
      set,
      add: pairs(q.add, 'query.add'),
      setDistinct: set.every((a, i) => set.every((b, j) => i === j || decodeQueryComponent(a.encoded) !== b.name)),
    });
  }

  // Host.
  let host: HostOp;
  const h = config.host;
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

  const requestHeaders = compileModifier(config.requestHeaders, 'requestHeaders', issues, tpl, true);
  const responseHeaders = compileModifier(config.responseHeaders, 'responseHeaders', issues, tpl, false);

  const fw = config.forwarded ?? {};
  const fwMode = fw.mode ?? 'trusted';
  if (!['trusted', 'append', 'overwrite', 'off'].includes(fwMode)) issues.add('forwarded.mode', "must be 'trusted', 'append', 'overwrite' or 'off'");
  const trustCidrs: Cidr[] = [];
  (fw.trustedProxies ?? []).forEach((c, i) => {
    const parsed = parseCidr(c);
    if (parsed === undefined) issues.add(`forwarded.trustedProxies[${i}]`, `not an address or CIDR: ${JSON.stringify(c)}`);
    else trustCidrs.push(parsed);
  });
  const trustHops = fw.trustedHops ?? 0;
  if (!(Number.isInteger(trustHops) && trustHops >= 0)) issues.add('forwarded.trustedHops', 'must be an integer >= 0');
  if (fw.trustedProxies !== undefined && fw.trustedHops !== undefined) issues.add('forwarded', 'trustedProxies and trustedHops are exclusive');
  if (fwMode !== 'trusted' && (fw.trustedProxies !== undefined || fw.trustedHops !== undefined)) issues.add('forwarded.mode', "trustedProxies and trustedHops only apply to mode 'trusted'");
  const which = fw.headers ?? 'x-forwarded';
  if (!['x-forwarded', 'forwarded', 'both'].includes(which)) issues.add('forwarded.headers', "must be 'x-forwarded', 'forwarded' or 'both'");
  if (config.connectionHeader !== undefined && !['reject', 'ignore'].includes(config.connectionHeader)) issues.add('connectionHeader', "must be 'reject' or 'ignore'");
  if (config.unsafeHeaders !== undefined && !['reject', 'strip'].includes(config.unsafeHeaders)) issues.add('unsafeHeaders', "must be 'reject' or 'strip'");
  if (config.originalPathHeader !== undefined && (!TOKEN.test(config.originalPathHeader) || isHopByHop(config.originalPathHeader.toLowerCase())))
    issues.add('originalPathHeader', 'must be a header name that is not hop-by-hop');

  // Redirect.
  let redirect: CompiledRedirect | undefined;
  if (config.redirect !== undefined) {
    const r = config.redirect;
    for (const k of ['url', 'path', 'query', 'host', 'upstream'] as const) {
      if (config[k] !== undefined) issues.add(k, 'a redirect rule cannot also rewrite the forwarded request (Gateway API: RequestRedirect and URLRewrite are exclusive)');
    }
    if (r.scheme !== undefined && r.scheme !== 'http' && r.scheme !== 'https') issues.add('redirect.scheme', "must be 'http' or 'https'");
    if (r.hostname !== undefined && (parseAuthority(r.hostname) === null || r.hostname.includes(':') && !r.hostname.startsWith('[')))
      issues.add('redirect.hostname', `must be a hostname without port, got ${JSON.stringify(r.hostname)}`);
    if (r.port !== undefined && !(Number.isInteger(r.port) && r.port >= 1 && r.port <= 65535)) issues.add('redirect.port', 'must be an integer in 1..65535');
    const status = r.statusCode ?? 302;
    if (![301, 302, 303, 307, 308].includes(status)) issues.add('redirect.statusCode', 'must be 301, 302, 303, 307 or 308');
    redirect = Object.freeze({
      scheme: r.scheme,
      hostname: r.hostname?.toLowerCase(),
      port: r.port,
      path: compilePathOp(r.path, 'redirect.path', issues, tpl),
      status,
      stripQuery: r.stripQuery === true,
    });
  }

  issues.throwIfAny();

  const literalOnly = (m: CompiledModifier) => m.add.length === 0 && m.set.every(([, t]) => t.literal);
  const idempotent =
    redirect === undefined &&
    (path.kind === 'none' || path.kind === 'full' || (path.kind === 'template' && path.template.literal)) &&
    (url === undefined || (url.path.literal && (url.query === undefined || url.query.literal))) &&
    (query === undefined || (query.rename.size === 0 && query.add.length === 0 && query.set.every((q) => q.value.literal))) &&
    literalOnly(requestHeaders) &&
    fwMode !== 'append' &&
    (fwMode !== 'trusted' || (trustCidrs.length === 0 && trustHops === 0)) &&
    config.originalPathHeader === undefined;

  return Object.freeze({
    idempotent,
    upstream,
    allowed,
    url,
    path,
    mergeSlashes,
    query,
    host,
    requestHeaders,
    responseHeaders,
    forwardedMode: fwMode,
    forwardedTrust: Object.freeze({ cidrs: Object.freeze(trustCidrs), hops: trustHops, peers: new Map<string, boolean>() }),
    xForwarded: which !== 'forwarded',
    forwardedHeader: which !== 'x-forwarded',
    strictConnection: config.connectionHeader !== 'ignore',
    rejectUnsafe: config.unsafeHeaders !== 'strip',
    originalPathHeader: config.originalPathHeader?.toLowerCase(),
    redirect,
    usesTemplates,
    modifiesRequestHeaders: requestHeaders.set.length !== 0 || requestHeaders.add.length !== 0,
    upstreamCache: new Map<string, UpstreamBase>(),
    headerNames: new Map<string, HeaderName | null>(),
    responseNames: new Map<string, string | null>(),
  });
}

type Tpl = (text: string, ctx: 'path' | 'query' | 'header' | 'host', at: string) => CompiledTemplate;

function checkPathTemplate(text: string, at: string, issues: IssueCollector): void {
  const literal = text.replace(/\$\{[^}]*\}/g, 'x');
  if (!literal.startsWith('/')) issues.add(at, `path must start with '/', got ${JSON.stringify(text)}`);
  else if (!PATH_LITERAL.test(literal)) issues.add(at, 'path has characters that must be percent-encoded');
  else if (!isNormalizedPath(literal)) issues.add(at, `path must be normalized (no '//', no '.' or '..' segments), got ${JSON.stringify(text)}`);
}

function checkLiteralPath(text: string, at: string, issues: IssueCollector, allowEmpty: boolean): void {
  if (allowEmpty && text === '') return;
  checkPathTemplate(text.replace(/\$\{/g, '$('), at, issues);
}

function compilePathOp(cfg: RewriteConfig['path'], at: string, issues: IssueCollector, tpl: Tpl): PathOp {
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

function compileModifier(cfg: HeaderModifierConfig | undefined, at: string, issues: IssueCollector, tpl: Tpl, templates: boolean): CompiledModifier {
  if (cfg === undefined) return NO_MODIFIER;
  const seen = new Set<string>();
  const name = (n: string, where: string): string => {
    const lower = n.toLowerCase();
    if (!TOKEN.test(n)) issues.add(where, 'header name must be a token (RFC 9110 §5.6.2)');
    else if (isHopByHop(lower)) issues.add(where, 'hop-by-hop headers cannot be modified');
    else if (lower === 'host') issues.add(where, "use the 'host' option to rewrite Host");
    if (seen.has(lower)) issues.add(where, 'only one action per header name (Gateway API)');
    seen.add(lower);
    return lower;
  };
  const entries = (rec: Readonly<Record<string, string>> | undefined, kind: string) =>
    Object.entries(rec ?? {}).map(([n, v]) => {
      const where = `${at}.${kind}[${JSON.stringify(n)}]`;
      const lower = name(n, where);
      if (HEADER_UNSAFE_TEST.test(v)) issues.add(where, 'value must not contain CR, LF or NUL');
      if (!templates && v.includes('${')) issues.add(where, 'response header values cannot be templates');
      return [lower, tpl(v, 'header', where)] as const;
    });
  const set = entries(cfg.set, 'set');
  const add = entries(cfg.add, 'add');
  const remove = new Set((cfg.remove ?? []).map((n, i) => name(n, `${at}.remove[${i}]`)));
  return Object.freeze({ set, add, remove });
}

function reject(reason: RewriteRejectReason, message: string): RewriteResult {
  const code = reason === 'no-upstream' ? 'SY_INVALID_ARGUMENT' : 'SY_BAD_REQUEST';
  return { kind: 'rejected', reason, error: new SwitchyardError(code, message) };
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
  const req = input.request;
  if (!isNormalizedPath(req.path)) return reject('path-not-normalized', 'request path is not normalized');

  // 1-2. Headers as received: safety checks and hop-by-hop stripping, in one pass that copies
  // what survives. A plain object (V8 keeps it fast); `__proto__` is treated as an invalid name.
  // Every check is a char-code scan (`tokenCase`, `hasUnsafeHeaderChar`), not a regex call.
  const headers: Record<string, string> = {};
  const inHeaders = req.headers;
  let nominated: string[] | null = null;
  const conn = inHeaders['connection'];
  if (conn !== undefined) {
    nominated = connectionOptions(conn);
    if (nominated === null) {
      if (plan.strictConnection) return reject('invalid-connection-header', 'Connection header option is not a token');
      nominated = conn.split(',').map((s) => s.trim().toLowerCase()).filter((s) => TOKEN.test(s));
    }
  }
  // Hop-by-hop names are dropped anyway: only the others (`Connection: x-foo`) need a look.
  if (nominated !== null) nominated = nominated.filter((n) => !isHopByHop(n) || n === 'te');
  if (nominated !== null && nominated.length === 0) nominated = null;
  for (const name in inHeaders) {
    let value = inHeaders[name];
    if (typeof value !== 'string') continue;
    const info = headerName(plan, name);
    if (info === null) {
      if (plan.rejectUnsafe) return reject('unsafe-header', 'request header name is not a token');
      continue;
    }
    // One scan per value when all is well: core's sendable rule (what undici will send) is
    // stricter than "no CR, LF or NUL", so only a refused value is looked at again.
    const sendable = isSendableHeaderValue(value);
    if (!sendable && hasUnsafeHeaderChar(value)) {
      if (plan.rejectUnsafe) return reject('unsafe-header', `request header ${name} contains CR, LF or NUL`);
      value = stripUnsafeHeaderChars(value);
    }
    if (info.action !== 0) {
      if (info.action === 1 || value.trim().toLowerCase() !== 'trailers') continue;
    }
    if (nominated !== null && nominated.includes(info.lower)) continue;
    if (!sendable && !isSendableHeaderValue(value)) return unsendable(info.lower, value);
    headers[info.lower] = value;
  }

  // Only a rule with placeholders reads the scope: a literal template never looks anything up.
  const scope = (plan.usesTemplates || plan.redirect !== undefined ? { request: req, params: input.params, query: undefined, upstream: undefined } : NO_SCOPE) as TemplateScope;

  // 3. Redirect.
  if (plan.redirect !== undefined) return applyRedirect(plan, plan.redirect, input, scope);

  // The client's Host goes upstream (as Host, X-Forwarded-Host or Forwarded host=): one that is
  // not a valid host[:port] (`[::1`, `a b`, `x:99999`) is refused here, never forwarded verbatim.
  if (req.authority !== '' && !isValidAuthority(req.authority)) return reject('invalid-authority', 'request Host is not a valid host[:port] (RFC 3986 section 3.2.2)');

  // 4. Upstream.
  let base: UpstreamBase | undefined = plan.upstream;
  if (base === undefined && input.upstream !== undefined) {
    base = parsedUpstream(plan, input.upstream);
    if (base === undefined) return reject('no-upstream', 'input.upstream is not an http(s) URL');
  }
  let target: Origin | undefined = base;
  let basePath = base?.basePath ?? '';
  const url = plan.url;
  if (url !== undefined && !url.upstreamPrefix) {
    const o = url.origin as UpstreamBase | CompiledTemplate;
    if ('parts' in o) {
      const rendered = renderTemplate(o, scope) ?? '';
      const allowedOrigin = plan.allowed.get(rendered.toLowerCase());
      if (allowedOrigin === undefined) return reject('upstream-not-allowed', 'request-derived upstream is not in allowedUpstreams');
      target = allowedOrigin;
      basePath = '';
    } else {
      target = o;
      basePath = o.basePath;
    }
  }
  let hostHeader: string | undefined;
  if (plan.host.kind === 'dynamic') {
    const v = renderTemplate(plan.host.template, scope);
    if (v !== undefined && v !== '') {
      const allowedOrigin = plan.allowed.get(v.toLowerCase());
      if (allowedOrigin === undefined) return reject('upstream-not-allowed', 'request-derived host is not in allowedUpstreams');
      target = allowedOrigin;
      hostHeader = allowedOrigin.authority;
    }
  }
  if (target === undefined) return reject('no-upstream', 'no upstream: set RewriteConfig.upstream or RewriteInput.upstream');

  // 5. Path.
  let path: string;
  let queryRaw = req.query;
  if (url !== undefined) {
    const p = renderTemplate(url.path, scope);
    if (p === undefined) return reject('empty-path-value', 'a path placeholder is missing or empty');
    path = p;
    if (url.query !== undefined) queryRaw = renderTemplate(url.query, scope) ?? '';
  } else {
    const p = rewritePath(plan.path, req.path, input.matchedPrefix, scope);
    if (p === undefined) return reject('empty-path-value', 'a path placeholder is missing or empty');
    path = p;
  }
  if (plan.mergeSlashes && path.includes('//')) path = path.replace(/\/{2,}/g, '/');
  if (!pathStillNormalized(plan.path.kind, url !== undefined, path)) return reject('unsafe-path', 'the rewritten path would not be normalized (dot segment, empty segment or bad escape)');
  // A normalized base path without trailing slash + a normalized path is normalized.
  if (basePath !== '') path = basePath + path;

  // 6. Query.
  const query = plan.query === undefined ? sanitizeRawQuery(queryRaw) : rewriteQuery(plan.query, queryRaw, scope);

  // 7. Forwarding headers.
  if (plan.forwardedMode !== 'off') {
    const r = addForwarded(plan, headers, req);
    if (r !== undefined) return r;
  }

  // 8. Request header modifiers (remove was applied while copying).
  if (plan.modifiesRequestHeaders) {
    for (const [name, t] of plan.requestHeaders.set) {
      const v = renderTemplate(t, scope) ?? '';
      const safe = checkValue(plan, name, v);
      if (typeof safe !== 'string') return safe;
      headers[name] = safe;
    }
    for (const [name, t] of plan.requestHeaders.add) {
      const v = renderTemplate(t, scope) ?? '';
      const safe = checkValue(plan, name, v);
      if (typeof safe !== 'string') return safe;
      const prev = headers[name];
      headers[name] = prev === undefined ? safe : `${prev},${safe}`;
    }
  }
  if (plan.originalPathHeader !== undefined && path !== req.path) {
    if (!isSendableHeaderValue(req.path)) return unsendable(plan.originalPathHeader, req.path);
    headers[plan.originalPathHeader] = req.path;
  }

  // 9. Host. A literal was validated at compile time and an upstream authority was parsed
  // (neither can hold CR/LF/NUL); only the request's authority needs a look, once.
  if (hostHeader === undefined) {
    switch (plan.host.kind) {
      case 'literal':
        hostHeader = plan.host.value;
        break;
      case 'upstream':
        hostHeader = target.authority;
        break;
      default:
        // Already refused above unless a valid host[:port] (or empty): that implies sendable.
        hostHeader = req.authority;
    }
  }
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

/**
 * A header name's classification, memoised in one of the plan's caches: header names repeat
 * from message to message, so the token scan, lower-casing and the rule's decisions are made
 * once per name. A name that is not a token, or is `__proto__`, is `null` without asking
 * `classify`. Bounded (long names are not cached, a full cache is cleared), so hostile names
 * cost the scan, never unbounded memory.
 */
function memoName<V>(cache: Map<string, V | null>, plan: RewritePlan, name: string, classify: (plan: RewritePlan, lower: string) => V | null): V | null {
  const hit = cache.get(name);
  if (hit !== undefined) return hit;
  const nameCase = tokenCase(name);
  const value = nameCase === -1 || name === '__proto__' ? null : classify(plan, nameCase === 0 ? name : name.toLowerCase());
  if (name.length <= HEADER_NAME_CACHE_MAX_LENGTH) {
    if (cache.size >= HEADER_NAME_CACHE_SIZE) cache.clear();
    cache.set(name, value);
  }
  return value;
}

/** What this rule does with a request header (see {@link headerName}). */
function classifyRequestName(plan: RewritePlan, lower: string): HeaderName {
  const drop =
    (isHopByHop(lower) && lower !== 'te') ||
    plan.requestHeaders.remove.has(lower) ||
    (plan.forwardedMode === 'overwrite' && isForwardingHeader(lower)) ||
    lower === 'host'; // decided in step 9
  return Object.freeze({ lower, action: lower === 'te' ? 2 : drop ? 1 : 0 });
}

/** A response header's lower-case form, or null when the response drops it (hop-by-hop, or in the rule's `remove`). */
function classifyResponseName(plan: RewritePlan, lower: string): string | null {
  return isHopByHop(lower) || plan.responseHeaders.remove.has(lower) ? null : lower;
}

/** A request header name's classification for this rule (memoised on the plan). */
function headerName(plan: RewritePlan, name: string): HeaderName | null {
  return memoName(plan.headerNames, plan, name, classifyRequestName);
}

/** A response header name's lower-case form, or null when the response drops it (memoised on the plan). */
function responseName(plan: RewritePlan, name: string): string | null {
  return memoName(plan.responseNames, plan, name, classifyResponseName);
}

const NO_NAMES: readonly string[] = Object.freeze([]);

/** The headers the forwarding policy owns (`overwrite` drops what the client sent). */
function isForwardingHeader(lower: string): boolean {
  switch (lower.length) {
    case 9:
      return lower === 'forwarded';
    case 15:
      return lower === 'x-forwarded-for';
    case 16:
      return lower === 'x-forwarded-host';
    case 17:
      return lower === 'x-forwarded-proto';
    default:
      return false;
  }
}

/**
 * Whether a rewritten path is still normalized. Some operations are normalized by
 * construction (input checked, config literals validated at compile time, values encoded so
 * they contain no `/` and never `%2E`): only dot segments assembled from values need a look,
 * and they need a `/.`. String and regex rewrites always get the full check.
 */
function pathStillNormalized(kind: PathOp['kind'], fromUrl: boolean, path: string): boolean {
  if (!fromUrl && (kind === 'none' || kind === 'full' || kind === 'prefix-match')) return true;
  if (fromUrl || kind === 'template') return path.indexOf('/.') === -1 || isNormalizedPath(path);
  return isNormalizedPath(path);
}

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
  return plan.path.kind !== 'none' || plan.url !== undefined || plan.redirect !== undefined;
}

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
  const plan = compileRewrite({ path: config });
  for (const part of plan.path.kind === 'template' ? plan.path.template.parts : []) {
    if (typeof part !== 'string' && part.source !== 'params') throw new ConfigError([{ path: 'template', message: 'compilePathRewriter templates may only use ${params.*}' }]);
  }
  const op = plan.path;
  const merge = plan.mergeSlashes;
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
    let out = rewritePath(op, path, matchedPrefix, NO_SCOPE as TemplateScope);
    if (out === undefined) return undefined;
    if (merge && out.includes('//')) out = out.replace(/\/{2,}/g, '/');
    return pathStillNormalized(op.kind, false, out) ? out : undefined;
  };
}

/**
 * `input.upstream` comes from the gateway's config, so the set of distinct values is small:
 * parse each once and keep it on the plan (bounded, so a misuse cannot grow it forever).
 */
function parsedUpstream(plan: RewritePlan, url: string): UpstreamBase | undefined {
  const cache = plan.upstreamCache;
  const hit = cache.get(url);
  if (hit !== undefined) return hit;
  const parsed = parseUpstream(url) ?? undefined;
  if (parsed !== undefined) {
    if (cache.size >= 256) cache.clear();
    cache.set(url, parsed);
  }
  return parsed;
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

function checkValue(plan: RewritePlan, name: string, v: string): string | RewriteResult {
  if (isSendableHeaderValue(v)) return v;
  let out = v;
  if (hasUnsafeHeaderChar(v)) {
    if (plan.rejectUnsafe) return reject('unsafe-header', `value for ${name} contains CR, LF or NUL`);
    out = stripUnsafeHeaderChars(v);
  }
  return isSendableHeaderValue(out) ? out : unsendable(name, out);
}

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/** The `rejected` result for a header value undici would refuse: names the header, never the bytes. */
function unsendable(name: string, value: string): RewriteResult {
  const u = checkSendable({ method: 'GET', path: '/', headers: { [name]: value } });
  return reject('unsendable', u === undefined ? `the upstream request header ${name} cannot be sent` : describeUnsendable(u));
}

function rewritePath(op: PathOp, path: string, matchedPrefix: string | undefined, scope: TemplateScope): string | undefined {
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

function rewriteQuery(q: CompiledQuery, raw: string, scope: TemplateScope): string {
  // Fast path: no incoming pairs, so nothing to remove, rename or replace; set and add just
  // append (set names are distinct object keys, so no set can replace another).
  if ((q.removeAll || raw === '') && q.setDistinct) {
    let out = '';
    for (const p of q.set) out += (out === '' ? '' : '&') + p.encoded + '=' + (renderTemplate(p.value, scope) ?? '');
    for (const p of q.add) out += (out === '' ? '' : '&') + p.encoded + '=' + (renderTemplate(p.value, scope) ?? '');
    return out;
  }
  const pairs: [string, string | undefined][] = [];
  if (!q.removeAll && raw !== '') {
    for (const pair of sanitizeRawQuery(raw).split('&')) {
      if (pair === '') continue;
      const eq = pair.indexOf('=');
      const rawName = eq === -1 ? pair : pair.slice(0, eq);
      const name = decodeQueryComponent(rawName);
      if (q.remove.has(name)) continue;
      const renamed = q.rename.get(name);
      pairs.push([renamed ?? rawName, eq === -1 ? undefined : pair.slice(eq + 1)]);
    }
  }
  for (const { name, encoded: encName, value: t } of q.set) {
    const value = renderTemplate(t, scope) ?? '';
    let placed = false;
    for (let i = 0; i < pairs.length; i++) {
      const p = pairs[i] as [string, string | undefined];
      if (decodeQueryComponent(p[0]) !== name) continue;
      if (!placed) {
        pairs[i] = [encName, value];
        placed = true;
      } else {
        pairs.splice(i, 1);
        i--;
      }
    }
    if (!placed) pairs.push([encName, value]);
  }
  for (const p of q.add) pairs.push([p.encoded, renderTemplate(p.value, scope) ?? '']);
  let out = '';
  for (const [n, v] of pairs) out += (out === '' ? '' : '&') + (v === undefined ? n : `${n}=${v}`);
  return out;
}

function forwardedValue(v: string): string {
  if (/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(v)) return v;
  return `"${v.replace(/[\\"]/g, '\\$&')}"`;
}

function addForwarded(plan: RewritePlan, headers: Record<string, string>, req: SyRequest): RewriteResult | undefined {
  const client = req.clientAddress;
  // Both are copied into header values. The authority needs no scan here: `applyRewrite` refused
  // any non-empty one that is not a valid host[:port] (printable ASCII only, an IP literal with
  // its `]`), which implies sendable. The client address: one scan when all is well (sendable
  // excludes CR, LF and NUL), the CR/LF/NUL look only for a refused value.
  if (client !== undefined && !isSendableHeaderValue(client)) {
    if (hasUnsafeHeaderChar(client)) return reject('unsafe-header', 'client address or authority contains CR, LF or NUL');
    return unsendable('x-forwarded-for', client);
  }
  // `'trusted'`: a peer that is not a trusted proxy does not get to say where the request came
  // from. Envoy (`conn_manager_utility.cc`, `use_remote_address`): "If the prior hop is not a
  // trusted proxy, overwrite any x-forwarded-proto value it set as untrusted." Here all four
  // headers go, and this hop's values are written fresh. Deleting is the rare path: legitimate
  // direct clients do not send these headers.
  if (plan.forwardedMode === 'trusted' && !peerTrusted(plan, client)) {
    if (headers['x-forwarded-for'] !== undefined) delete headers['x-forwarded-for'];
    if (headers['x-forwarded-proto'] !== undefined) delete headers['x-forwarded-proto'];
    if (headers['x-forwarded-host'] !== undefined) delete headers['x-forwarded-host'];
    if (headers['forwarded'] !== undefined) delete headers['forwarded'];
  }
  if (plan.xForwarded) {
    // Constant property names (not a shared helper with a name argument): each site stays a cheap named access.
    if (client !== undefined && client !== '') {
      const prev = headers['x-forwarded-for'];
      headers['x-forwarded-for'] = prev === undefined || prev === '' ? client : `${prev}, ${client}`;
    }
    const proto = headers['x-forwarded-proto'];
    headers['x-forwarded-proto'] = proto === undefined || proto === '' ? req.scheme : `${proto}, ${req.scheme}`;
    if (req.authority !== '') {
      const prev = headers['x-forwarded-host'];
      headers['x-forwarded-host'] = prev === undefined || prev === '' ? req.authority : `${prev}, ${req.authority}`;
    }
  }
  if (plan.forwardedHeader) {
    // RFC 7239 §6: IPv6 is bracketed and quoted; an unknown client is `unknown`.
    const forNode = client === undefined || client === '' ? 'unknown' : client.includes(':') ? `"[${client.replace(/[\\"]/g, '')}]"` : forwardedValue(client);
    let element = `for=${forNode}`;
    if (req.authority !== '') element += `;host=${forwardedValue(req.authority)}`;
    element += `;proto=${req.scheme}`;
    appendForwarded(headers, 'forwarded', element);
  }
  return undefined;
}

/** Peer addresses remembered per plan (a cache: same answer either way), cleared when full. */
const TRUSTED_PEER_CACHE_SIZE = 1024;

/** Whether the request's peer (`clientAddress`) is a trusted proxy for the `'trusted'` mode. */
function peerTrusted(plan: RewritePlan, client: string | undefined): boolean {
  const trust = plan.forwardedTrust;
  if (trust.hops > 0) return true;
  if (trust.cidrs.length === 0 || client === undefined) return false;
  let trusted = trust.peers.get(client);
  if (trusted === undefined) {
    const ip = parseIp(client);
    trusted = ip !== undefined && trust.cidrs.some((c) => cidrContains(c, ip));
    if (trust.peers.size >= TRUSTED_PEER_CACHE_SIZE) trust.peers.clear();
    trust.peers.set(client, trusted);
  }
  return trusted;
}

function appendForwarded(headers: Record<string, string>, name: string, value: string): void {
  const prev = headers[name];
  headers[name] = prev === undefined || prev === '' ? value : `${prev}, ${value}`;
}

function applyRedirect(plan: RewritePlan, r: CompiledRedirect, input: RewriteInput, scope: TemplateScope): RewriteResult {
  const req = input.request;
  const auth = parseAuthority(req.authority);
  if (r.hostname === undefined && auth === null) return reject('invalid-authority', 'request authority is not a valid host[:port]');
  const scheme = r.scheme ?? req.scheme;
  const host = r.hostname ?? (auth as { host: string }).host;
  // Gateway API: unset port ⇒ the scheme's well-known port if the scheme is set, else the listener port.
  const port = r.port ?? (r.scheme !== undefined ? defaultPort(r.scheme) : (input.listenerPort ?? auth?.port ?? defaultPort(req.scheme)));
  const path = rewritePath(r.path, req.path, input.matchedPrefix, scope) ?? req.path;
  if (!isNormalizedPath(path)) return reject('unsafe-path', 'the redirect path would not be normalized');
  const query = r.stripQuery ? '' : sanitizeRawQuery(req.query);
  const location = `${makeOrigin(scheme, host, port).origin}${path}${query === '' ? '' : `?${query}`}`;
  const headers = rewriteResponseHeaders(plan, { location });
  return { kind: 'redirect', status: r.status, location, response: { status: r.status, headers, body: null } };
}

/**
 * Rewrites upstream response headers: strips hop-by-hop headers and those the response's
 * `Connection` names (invalid options ignored), drops CR/LF/NUL, then applies the rule's
 * `responseHeaders` modifier. Returns a new object.
 *
 * @example
 * ```ts
 * import { compileRewrite, rewriteResponseHeaders } from '@switchyard/rewrite';
 * const plan = compileRewrite({ responseHeaders: { set: { 'x-served-by': 'switchyard' }, remove: ['server'] } });
 * rewriteResponseHeaders(plan, { server: 'nginx', connection: 'close', 'content-type': 'text/plain' });
 * // { 'content-type': 'text/plain', 'x-served-by': 'switchyard' }
 * ```
 */
export function rewriteResponseHeaders(plan: RewritePlan, input: ResponseHeaders): ResponseHeaders {
  const out: Record<string, string | readonly string[]> = {};
  const conn = input['connection'];
  const nominated = conn === undefined ? NO_NAMES : (typeof conn === 'string' ? conn : conn.join(',')).split(',').map((s) => s.trim().toLowerCase()).filter((s) => TOKEN.test(s));
  for (const name in input) {
    const value = input[name];
    if (value === undefined || (typeof value !== 'string' && !Array.isArray(value))) continue;
    const lower = responseName(plan, name);
    if (lower === null || nominated.includes(lower)) continue;
    if (typeof value === 'string') out[lower] = HEADER_UNSAFE_TEST.test(value) ? stripUnsafeHeaderChars(value) : value;
    else out[lower] = value.map((v) => (HEADER_UNSAFE_TEST.test(v) ? stripUnsafeHeaderChars(v) : v));
  }
  for (const [name, t] of plan.responseHeaders.set) out[name] = t.source;
  for (const [name, t] of plan.responseHeaders.add) {
    const prev = out[name];
    out[name] = prev === undefined ? t.source : typeof prev === 'string' ? `${prev},${t.source}` : [...prev, t.source];
  }
  return out;
}

/** Re-exported for tests and the guide: which request headers the forwarding policy owns. */
export const FORWARDING_HEADERS: readonly string[] = FORWARDED_NAMES;

/** Turns a rewrite's output back into a request, to apply the rule again (used by idempotence checks). */
export function requestFromForward(original: SyRequest, out: UpstreamRequest): SyRequest {
  const q = out.path.indexOf('?');
  return { ...original, path: q === -1 ? out.path : out.path.slice(0, q), query: q === -1 ? '' : out.path.slice(q + 1), headers: out.headers as RequestHeaders };
}
