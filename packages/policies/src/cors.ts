/**
 * The `cors` policy: the Fetch standard's CORS protocol
 * (https://fetch.spec.whatwg.org/#http-cors-protocol) answered at the gateway.
 *
 * - A CORS-preflight request (`OPTIONS` with `Origin` and `Access-Control-Request-Method`, the
 *   test Envoy's CORS filter uses) from an allowed origin is answered here with 204 (the `cors`
 *   npm package's `optionsSuccessStatus`) and the `Access-Control-Allow-*` headers; it never
 *   reaches an auth policy (a preflight carries no credentials: Fetch "CORS-preflight fetch",
 *   #cors-preflight-fetch) or the upstream.
 * - A preflight from an origin that is not allowed is refused with 403 `SY_FORBIDDEN`, as
 *   Spring's `DefaultCorsProcessor` does ("Invalid CORS request"). The other references differ
 *   only in what the browser is told, never in the outcome (the browser fails the preflight
 *   either way): the `cors` npm package answers 204 without `Access-Control-Allow-Origin`;
 *   Envoy forwards it upstream (`forward_not_matching_preflights`, default true) or answers 200
 *   without it. Answering here keeps such preflights away from the upstream and the auth
 *   policies, and a 403 shows in metrics as the refusal it is.
 * - Every response of the route (every status: the upstream's, a 401 from an auth policy, a 429,
 *   a 404) gets `Access-Control-Allow-Origin` (and `-Credentials`, `-Expose-Headers`) for an
 *   allowed origin: the policy is a finalizer, so a 401 is not reported by the browser as a CORS
 *   error (`policies.md` §7 #7, the Zuplo complaint). A disallowed origin gets no CORS headers
 *   and no error: the browser keeps the response from the page (Fetch "CORS check", #cors-check).
 * - With `credentials`, `Access-Control-Allow-Origin` is never `*` (Fetch "CORS protocol and
 *   credentials", #cors-protocol-and-credentials: a credentialed request fails the CORS check on
 *   `*`): the request's origin is echoed; and `*` is refused in
 *   `methods`, `allowHeaders` and `exposeHeaders`, where it would be taken literally.
 * - When the answer depends on the `Origin` (any config but `origins: '*'` without credentials),
 *   every response carries `Vary: Origin`, also responses to requests without one, so a shared
 *   cache never serves one origin's answer to another (Fetch "CORS protocol and HTTP
 *   caches").
 *
 * Origins are compared as data, never compiled into a regular expression from config: an exact
 * origin is a set lookup; a pattern `https://*.example.com` matches one or more DNS labels in
 * place of `*` (letters, digits, `-`), with the same scheme and port, and never the bare
 * `https://example.com` (list it too if wanted). `null` (sandboxed documents, `file:`) is never
 * allowed: it cannot be told apart from an attacker's sandboxed iframe.
 *
 * @module
 */
import * as v from 'valibot';
import { CONTINUE, definePolicy, isSendableHeaderName, type InboundResult, type PolicyContext, type PolicyReject, type ResponseHeaders, type SyRequest, type SyResponse } from '@switchyard/core';
import { nonNegativeInt } from './internal/traffic-schema.js';

/** Options of the `cors` policy. */
export interface CorsOptions {
  /**
   * `'*'` (any origin), or a list of exact origins (`https://app.example.com`,
   * `http://localhost:5173`) and patterns (`https://*.example.com`).
   */
  readonly origins: '*' | readonly string[];
  /** `Access-Control-Allow-Methods` (default `GET, HEAD, PUT, PATCH, POST, DELETE`, as the `cors` package). */
  readonly methods?: readonly string[] | undefined;
  /**
   * `Access-Control-Allow-Headers`; default: the preflight's `Access-Control-Request-Headers`
   * reflected (when every name in it is a valid token), as the `cors` package. `['*']` only
   * without credentials (and it never covers `Authorization`: Fetch, `Access-Control-Allow-Headers`
   * in "HTTP responses", #http-responses).
   */
  readonly allowHeaders?: readonly string[] | undefined;
  /** `Access-Control-Expose-Headers`: response headers the page may read beyond the safelisted ones. */
  readonly exposeHeaders?: readonly string[] | undefined;
  /** `Access-Control-Allow-Credentials: true` (cookies, HTTP auth). Default false. */
  readonly credentials?: boolean | undefined;
  /** `Access-Control-Max-Age` of preflight answers, seconds; unset: no header (browsers cache 5 s). */
  readonly maxAgeSeconds?: number | undefined;
}

const DEFAULT_METHODS = ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE'];

// scheme "://" host [":" port]: the serialization of a tuple origin (HTML "ASCII serialization
// of an origin"): no path, no trailing slash, no userinfo. Hosts: DNS names or [IPv6].
const ORIGIN = /^([a-z][a-z0-9+.-]*):\/\/([a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(?::(\d{1,5}))?$/;
const PATTERN = /^([a-z][a-z0-9+.-]*):\/\/\*((?:\.[a-z0-9-]+)+)(?::(\d{1,5}))?$/;
// What may stand in for `*`: one or more DNS labels.
const LABELS = /^[a-z0-9-]+(?:\.[a-z0-9-]+)*$/;

const DEFAULT_PORTS: Readonly<Record<string, string>> = { http: '80', https: '443', ws: '80', wss: '443' };

/** `https://a.example.com:443` → `https://a.example.com` (browsers omit the scheme's default port). */
function canonicalOrigin(scheme: string, host: string, port: string | undefined): string {
  return port === undefined || DEFAULT_PORTS[scheme] === String(Number(port)) ? `${scheme}://${host}` : `${scheme}://${host}:${Number(port)}`;
}

interface OriginPattern {
  /** `https://` */
  readonly prefix: string;
  /** `.example.com` or `.example.com:8443` */
  readonly suffix: string;
}

interface OriginMatcher {
  readonly any: boolean;
  readonly exact: ReadonlySet<string>;
  readonly patterns: readonly OriginPattern[];
}

function originProblem(entry: string): string | undefined {
  const s = entry.toLowerCase();
  if (s === 'null') return "'null' is never allowed (sandboxed documents and file: pages all send it)";
  if (s.includes('*')) {
    if (!PATTERN.test(s)) return "a pattern is 'scheme://*.domain[:port]' with '*' as the whole first label";
    return undefined;
  }
  if (!ORIGIN.test(s)) return "must be an origin: 'scheme://host[:port]' without path or trailing slash";
  return undefined;
}

function compileOrigins(origins: '*' | readonly string[]): OriginMatcher {
  if (origins === '*') return { any: true, exact: new Set(), patterns: [] };
  const exact = new Set<string>();
  const patterns: OriginPattern[] = [];
  for (const [i, entry] of origins.entries()) {
    const problem = originProblem(entry);
    if (problem !== undefined) throw new TypeError(`cors: origins[${i}]: ${problem}`);
    const s = entry.toLowerCase();
    const p = PATTERN.exec(s);
    if (p !== null) {
      const [, scheme, domain, port] = p as unknown as [string, string, string, string | undefined];
      const portPart = port === undefined || DEFAULT_PORTS[scheme] === String(Number(port)) ? '' : `:${Number(port)}`;
      patterns.push({ prefix: `${scheme}://`, suffix: `${domain}${portPart}` });
      continue;
    }
    const m = ORIGIN.exec(s) as unknown as [string, string, string, string | undefined];
    exact.add(canonicalOrigin(m[1], m[2], m[3]));
  }
  return { any: false, exact, patterns };
}

/** True if `origin` (the request's `Origin`, as sent) is allowed; never for `null` or malformed values. */
function originAllowed(m: OriginMatcher, origin: string): boolean {
  // Browsers serialize origins lower-case; anything else (or `null`) is not a browser's origin.
  if (origin.length > 2048 || !ORIGIN.test(origin)) return false;
  if (m.any || m.exact.has(origin)) return true;
  for (const p of m.patterns) {
    if (origin.length <= p.prefix.length + p.suffix.length || !origin.startsWith(p.prefix) || !origin.endsWith(p.suffix)) continue;
    const labels = origin.slice(p.prefix.length, origin.length - p.suffix.length);
    if (LABELS.test(labels)) return true;
  }
  return false;
}

const headerList = (what: string) =>
  v.pipe(
    v.array(v.pipe(v.string('must be a string'), v.check((s) => s === '*' || isSendableHeaderName(s), 'must be a header name (a token) or *')), `must be an array of ${what}`),
    v.check((l) => !l.includes('*') || l.length === 1, "'*' stands alone"),
  );

/** The `cors` policy's option schema. */
export const corsOptionsSchema = v.pipe(
  v.strictObject({
    origins: v.union(
      [
        v.literal('*'),
        v.pipe(
          v.array(
            v.pipe(
              v.string('must be a string'),
              v.rawCheck(({ dataset, addIssue }) => {
                if (!dataset.typed) return;
                const problem = originProblem(dataset.value);
                if (problem !== undefined) addIssue({ message: problem });
              }),
            ),
          ),
          v.minLength(1, "must list at least one origin (or be '*')"),
        ),
      ],
      "must be '*' or an array of origins",
    ),
    methods: v.optional(
      v.pipe(
        v.array(v.pipe(v.string('must be a string'), v.check((s) => s === '*' || isSendableHeaderName(s), 'must be a method (a token) or *')), 'must be an array of methods'),
        v.minLength(1, 'must list at least one method'),
      ),
    ),
    allowHeaders: v.optional(headerList('header names')),
    exposeHeaders: v.optional(headerList('header names')),
    credentials: v.optional(v.boolean('must be true or false')),
    maxAgeSeconds: v.optional(nonNegativeInt),
  }),
  v.forward(
    v.check((o) => o.credentials !== true || !(o.allowHeaders?.includes('*') ?? false), "'*' is not a wildcard with credentials (Fetch: CORS protocol and credentials): list the headers, or leave allowHeaders unset to reflect the preflight's"),
    ['allowHeaders'],
  ),
  v.forward(v.check((o) => o.credentials !== true || !(o.exposeHeaders?.includes('*') ?? false), "'*' is not a wildcard with credentials (Fetch: CORS protocol and credentials): list the headers"), ['exposeHeaders']),
  v.forward(v.check((o) => o.credentials !== true || !(o.methods?.includes('*') ?? false), "'*' is not a wildcard with credentials (Fetch: CORS protocol and credentials): list the methods"), ['methods']),
);

const PREFLIGHT_FORBIDDEN: PolicyReject = Object.freeze({ kind: 'reject', code: 'SY_FORBIDDEN', message: 'CORS preflight from an origin that is not allowed.' });

/** The preflight's `Access-Control-Request-Headers`, lower-cased, if every name is a token; else undefined. */
function reflectableHeaders(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const names: string[] = [];
  for (const part of value.split(',')) {
    const name = part.trim().toLowerCase();
    if (name === '') continue;
    if (!isSendableHeaderName(name) || names.length >= 64) return undefined;
    names.push(name);
  }
  return names.join(', ');
}

/** Adds `tokens` to a `Vary` value unless present (or `*`). */
function mergeVary(existing: string | readonly string[] | undefined, tokens: readonly string[]): string {
  const current = existing === undefined ? '' : typeof existing === 'string' ? existing : existing.join(', ');
  const have = new Set(
    current
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter((s) => s !== ''),
  );
  if (have.has('*')) return current;
  const add = tokens.filter((t) => !have.has(t.toLowerCase()));
  if (add.length === 0) return current;
  return current.trim() === '' ? add.join(', ') : `${current}, ${add.join(', ')}`;
}

/** True for a CORS-preflight request (Fetch "HTTP requests", #http-requests; Envoy's test: OPTIONS, `Origin`, `Access-Control-Request-Method`). */
export function isCorsPreflight(request: SyRequest): boolean {
  return request.method === 'OPTIONS' && nonEmpty(request.headers['origin']) && nonEmpty(request.headers['access-control-request-method']);
}

function nonEmpty(s: string | undefined): s is string {
  return s !== undefined && s !== '';
}

/**
 * `cors`: answers CORS preflights at the gateway and adds the CORS response headers to every
 * response of the route, every status (a finalizer).
 *
 * @example
 * ```ts
 * // config: policies: { web: { type: 'cors', options: { origins: ['https://app.example.com', 'https://*.preview.example.com'],
 * //   credentials: true, exposeHeaders: ['x-request-id'], maxAgeSeconds: 600 } } }
 * import { corsPolicy } from '@switchyard/policies';
 * const policy = corsPolicy.create({ origins: ['https://app.example.com'], credentials: true }, deps);
 * ```
 */
export const corsPolicy = definePolicy<CorsOptions>({
  type: 'cors',
  summary: 'Fetch-standard CORS: preflights answered at the gateway (204, 403 for a disallowed origin), CORS headers on every response of every status.',
  options: corsOptionsSchema,
  create(options) {
    const matcher = compileOrigins(options.origins);
    const credentials = options.credentials === true;
    // `Access-Control-Allow-Origin: *` only for any origin without credentials; otherwise the
    // origin is echoed and the answer varies by it.
    const wildcard = matcher.any && !credentials;
    const varyOrigin = !wildcard;
    const methods = (options.methods ?? DEFAULT_METHODS).map((m) => (m === '*' ? m : m.toUpperCase())).join(', ');
    const allowHeaders = options.allowHeaders?.map((h) => h.toLowerCase()).join(', ');
    const exposeHeaders = options.exposeHeaders !== undefined && options.exposeHeaders.length > 0 ? options.exposeHeaders.map((h) => h.toLowerCase()).join(', ') : undefined;
    const maxAge = options.maxAgeSeconds === undefined ? undefined : String(options.maxAgeSeconds);

    const allowedOrigin = (request: SyRequest): string | undefined => {
      const origin = request.headers['origin'];
      if (!nonEmpty(origin) || !originAllowed(matcher, origin)) return undefined;
      return wildcard ? '*' : origin;
    };

    return {
      type: 'cors',
      finalizer: true,
      inbound(request: SyRequest): InboundResult {
        if (!isCorsPreflight(request)) return CONTINUE;
        const allowOrigin = allowedOrigin(request);
        if (allowOrigin === undefined) return PREFLIGHT_FORBIDDEN;
        const headers: Record<string, string> = { 'access-control-allow-origin': allowOrigin, 'access-control-allow-methods': methods };
        if (credentials) headers['access-control-allow-credentials'] = 'true';
        const vary: string[] = varyOrigin ? ['Origin'] : [];
        if (allowHeaders !== undefined) {
          headers['access-control-allow-headers'] = allowHeaders;
        } else {
          const reflected = reflectableHeaders(request.headers['access-control-request-headers']);
          if (reflected !== undefined && reflected !== '') headers['access-control-allow-headers'] = reflected;
          vary.push('Access-Control-Request-Headers');
        }
        if (maxAge !== undefined) headers['access-control-max-age'] = maxAge;
        if (vary.length > 0) headers['vary'] = vary.join(', ');
        return { kind: 'respond', response: { status: 204, headers, body: null } };
      },
      outbound(response: SyResponse, request: SyRequest, _ctx: PolicyContext): SyResponse {
        const allowOrigin = allowedOrigin(request);
        if (allowOrigin === undefined && !varyOrigin) return response;
        const headers: Record<string, string | readonly string[] | undefined> = { ...(response.headers as ResponseHeaders) };
        if (varyOrigin) headers['vary'] = mergeVary(headers['vary'], ['Origin']);
        if (allowOrigin !== undefined) {
          headers['access-control-allow-origin'] = allowOrigin;
          if (credentials) headers['access-control-allow-credentials'] = 'true';
          if (exposeHeaders !== undefined && !isCorsPreflight(request)) headers['access-control-expose-headers'] = exposeHeaders;
        }
        // A spread, not a new object: it keeps the gateway's own marks on its error responses (the
        // error code and context symbols), so the `errors` config and the request id still apply to a
        // 401 or 429 this finalizer decorated (examples/policies test: the custom 429 with CORS).
        return { ...response, headers };
      },
      describe() {
        const origins = options.origins === '*' ? 'any origin' : options.origins.join(', ');
        return `cors for ${origins}${credentials ? ' with credentials' : ''}: preflights answered 204 (403 for other origins), headers on every response`;
      },
    };
  },
});
