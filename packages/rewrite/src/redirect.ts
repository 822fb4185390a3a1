/**
 * Redirect rules (Gateway API `RequestRedirect`): compile the `redirect` option, and answer a
 * request with the `Location` it builds: scheme, hostname and path replaced as configured, the
 * port derived as the Gateway API specifies, the query kept unless `stripQuery`.
 */
import type { IssueCollector } from '@switchyard/core';
import type { RedirectConfig, RewriteConfig } from './config.js';
import { sanitizeRawQuery } from './internal/encode.js';
import { defaultPort, makeOrigin, parseAuthority } from './internal/origin.js';
import { isNormalizedPath } from './internal/path-check.js';
import { compilePathOp, rewritePath } from './path-stage.js';
import type { PathOp } from './path-stage.js';
import type { PlanInternals, TemplateCompiler } from './plan.js';
import { responseHeadersOf } from './response.js';
import { reject } from './result.js';
import type { RewriteResult } from './result.js';
import type { RewriteInput } from './rewrite.js';
import type { TemplateScope } from './template.js';

/** A compiled `redirect` option. */
export interface CompiledRedirect {
  readonly scheme: 'http' | 'https' | undefined;
  readonly hostname: string | undefined;
  readonly port: number | undefined;
  readonly path: PathOp;
  readonly status: number;
  readonly stripQuery: boolean;
}

/** Validates the `redirect` option (reported under `redirect`, and the options it excludes) and compiles it. */
export function compileRedirect(r: RedirectConfig, config: RewriteConfig, issues: IssueCollector, tpl: TemplateCompiler): CompiledRedirect {
  for (const k of ['url', 'path', 'query', 'host', 'upstream'] as const) {
    if (config[k] !== undefined) issues.add(k, 'a redirect rule cannot also rewrite the forwarded request (Gateway API: RequestRedirect and URLRewrite are exclusive)');
  }
  if (r.scheme !== undefined && r.scheme !== 'http' && r.scheme !== 'https') issues.add('redirect.scheme', "must be 'http' or 'https'");
  if (r.hostname !== undefined && (parseAuthority(r.hostname) === null || r.hostname.includes(':') && !r.hostname.startsWith('[')))
    issues.add('redirect.hostname', `must be a hostname without port, got ${JSON.stringify(r.hostname)}`);
  if (r.port !== undefined && !(Number.isInteger(r.port) && r.port >= 1 && r.port <= 65535)) issues.add('redirect.port', 'must be an integer in 1..65535');
  const status = r.statusCode ?? 302;
  if (![301, 302, 303, 307, 308].includes(status)) issues.add('redirect.statusCode', 'must be 301, 302, 303, 307 or 308');
  return Object.freeze({
    scheme: r.scheme,
    hostname: r.hostname?.toLowerCase(),
    port: r.port,
    path: compilePathOp(r.path, 'redirect.path', issues, tpl),
    status,
    stripQuery: r.stripQuery === true,
  });
}

/** The `redirect` result for a request (its response headers pass the rule's `responseHeaders`). */
export function applyRedirect(p: PlanInternals, r: CompiledRedirect, input: RewriteInput, scope: TemplateScope): RewriteResult {
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
  const headers = responseHeadersOf(p, { location });
  return { kind: 'redirect', status: r.status, location, response: { status: r.status, headers, body: null } };
}
