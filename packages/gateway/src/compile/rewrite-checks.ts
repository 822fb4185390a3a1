/**
 * The gateway's own checks of a route's rewrite and redirect, which need the rest of the route:
 * `${params.x}` templates against the parameters its matches capture, and a `rewrite.url`
 * origin against the upstreams the config names.
 */
import type { ConfigIssue } from '@switchyard/core';
import type { BackendConfig, GatewayConfig, RouteConfig } from '../config.js';
import { keyPath } from './issue-paths.js';

/** The parameters a route's matches capture: `:name` / `*name` of templates, named regex groups. */
function routeParams(route: RouteConfig): Set<string> {
  const names = new Set<string>();
  for (const m of route.matches ?? []) {
    const value = m.path?.value;
    if (value === undefined) continue;
    if (m.path?.type === 'Template') {
      for (const seg of value.split('/')) if (seg.startsWith(':') || (seg.startsWith('*') && seg.length > 1)) names.add(seg.slice(1));
    } else if (m.path?.type === 'RegularExpression') {
      try {
        // As the router reads them: the groups of the pattern, whatever it matches.
        for (const name of Object.keys(new RegExp(`${value}|`).exec('')?.groups ?? {})) names.add(name);
      } catch {
        // An invalid pattern is the router's error to report.
      }
    }
  }
  return names;
}

const PARAM_PLACEHOLDER = /\$\{\s*params\.([^}]*?)\s*\}/g;

/**
 * A rewrite or redirect template naming `${params.x}` that no match of the route captures would
 * render empty on every request: a config error, at the path of the string that names it.
 */
export function checkTemplateParams(route: RouteConfig, at: string, issues: ConfigIssue[]): void {
  if (route.rewrite === undefined && route.redirect === undefined) return;
  const params = routeParams(route);
  const visit = (value: unknown, path: string): void => {
    if (typeof value === 'string') {
      for (const m of value.matchAll(PARAM_PLACEHOLDER)) {
        const name = m[1] as string;
        if (name !== '' && !params.has(name)) {
          const have = params.size === 0 ? 'it captures none' : `it captures ${[...params].map((p) => `:${p}`).join(', ')}`;
          issues.push({ path, message: `names \${params.${name}}, but no match of this route captures ${JSON.stringify(name)} (${have})` });
        }
      }
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => visit(item, `${path}[${i}]`));
    } else if (typeof value === 'object' && value !== null) {
      for (const [k, item] of Object.entries(value)) visit(item, keyPath(path, k));
    }
  };
  visit(route.rewrite, `${at}.rewrite`);
  visit(route.redirect, `${at}.redirect`);
}

/** `http://Host:80` → `http://host` (scheme and host folded, the scheme's default port dropped). */
function canonicalOrigin(origin: string): string {
  const lower = origin.toLowerCase().replace(/\/$/, '');
  if (lower.startsWith('http://') && lower.endsWith(':80')) return lower.slice(0, -3);
  if (lower.startsWith('https://') && lower.endsWith(':443')) return lower.slice(0, -4);
  return lower;
}

/**
 * A `rewrite.url` with a literal origin sends every request there instead of the endpoint the
 * balancer picked: allowed only for an origin the config names as an upstream, i.e. one of
 * `allowedUpstreams` or an endpoint of one of the route's backends. Anything else is a typo
 * or a way around the upstream list, and an error.
 */
export function checkRewriteOrigin(
  url: string,
  allowedUpstreams: readonly string[],
  backends: readonly BackendConfig[],
  upstreams: GatewayConfig['upstreams'],
  at: string,
  issues: ConfigIssue[],
): void {
  if (url.startsWith('${upstream}')) return;
  const origin = /^([a-z][a-z0-9+.-]*:\/\/[^/?#]*)/i.exec(url)?.[1];
  // A malformed URL, or a request-derived origin (checked against allowedUpstreams per request),
  // is for the rewriter to judge.
  if (origin === undefined || origin.includes('${')) return;
  const allowed = new Set<string>(allowedUpstreams.map(canonicalOrigin));
  for (const b of backends) for (const e of upstreams[b.upstream]?.endpoints ?? []) allowed.add(canonicalOrigin(e.url));
  if (allowed.has(canonicalOrigin(origin))) return;
  issues.push({
    path: at,
    message: `origin ${JSON.stringify(origin)} is not an allowed upstream (an endpoint of the route's backends or an entry of allowedUpstreams); use \${upstream}/… to keep the endpoint the balancer picked`,
  });
}
