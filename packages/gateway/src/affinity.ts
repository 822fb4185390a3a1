/**
 * Session affinity by cookie (or header), two kinds:
 *
 * - **Endpoint affinity**: a `cookie` hash policy with `ttlMs` (Istio DestinationRule
 *   `consistentHash.httpCookie { name, path, ttl }`, Envoy `RouteAction.HashPolicy.Cookie` with
 *   `ttl`). When the cookie is absent the gateway generates a value, hashes the request as if
 *   the client had sent it, and sets it on the response (`Set-Cookie: name=value; Max-Age=ttl;
 *   Path=path; HttpOnly`), as Envoy's router does (`Filter::addDownstreamSetCookie`: the value is
 *   a hex 64-bit hash; here 64 random bits from the gateway's `Rng`, since a library does not
 *   always know the connection's addresses). The generated cookie is not forwarded upstream.
 *   The ring/table then keeps the user on one endpoint for as long as that endpoint stays in
 *   the ring (unrelated reloads keep it).
 * - **Version affinity**: Gateway API `HTTPRoute.rules[].sessionPersistence` (experimental:
 *   `sessionName`, `type: Cookie | Header`, `absoluteTimeout`, `idleTimeout`) on a route with a
 *   split. The session names the backend (version) the user got; while that backend still has
 *   weight > 0 in the route's split, every request of the session goes to it, whatever the
 *   rollout step, so a user who reached the canary at 5 % stays there at 25 %, and a user on the
 *   baseline stays there too. **When the backend has no weight any more** (the canary rolled
 *   back or aborted, or the baseline at 0 % after promotion) the session is not honoured: the
 *   request is split as usual and the session is rewritten with the new backend. Canary
 *   selectors (explicit opt-in rules) still come first. The value is `<backend>.<created>`
 *   (URI-encoded backend name, creation time in wall-clock seconds for `absoluteTimeoutMs`); a
 *   client can edit it, but only to choose among backends that have weight, like Envoy's
 *   stateful-session cookie, which carries the upstream address.
 */
import { cookieValue, type Clock, type Rng, type SyRequest } from '@switchyard/core';
import { decideSplit, type SplitDecision, type SplitPlan } from '@switchyard/splitter';
import type { RoutePlan, UpstreamRuntime } from './compile.js';

/** Gateway API `sessionPersistence` of a route. */
export interface SessionPersistenceConfig {
  /** Cookie or header name. */
  readonly sessionName: string;
  /** `Cookie` (default) or `Header`. */
  readonly type?: 'Cookie' | 'Header';
  /** The session ends this long after it started, ms (default: a browser-session cookie). */
  readonly absoluteTimeoutMs?: number;
  /** The session ends after this long without a request, ms (refreshed on every response). */
  readonly idleTimeoutMs?: number;
}

/** An endpoint-affinity cookie (a `cookie` hash policy with `ttlMs`), kept on its `UpstreamRuntime`. */
export interface CookieAffinity {
  readonly name: string;
  readonly ttlMs: number;
  readonly path: string | undefined;
}

/** Called by compile: the route's session persistence as the plan keeps it (frozen), if any. */
export function compileSession(config: SessionPersistenceConfig | undefined): SessionPersistenceConfig | undefined {
  return config === undefined ? undefined : Object.freeze({ ...config });
}

/** Called by compile: the upstream's generated-cookie hash policy, if any (the first `cookie` policy with `ttlMs`). */
export function compileCookieAffinity(balancer: unknown): CookieAffinity | undefined {
  const policies = (balancer as { hashPolicies?: ReadonlyArray<{ kind: string; name?: string; ttlMs?: number; path?: string }> } | undefined)?.hashPolicies;
  const p = policies?.find((x) => x.kind === 'cookie' && x.ttlMs !== undefined);
  return p === undefined ? undefined : Object.freeze({ name: p.name as string, ttlMs: p.ttlMs as number, path: p.path });
}

function setCookie(name: string, value: string, maxAgeMs: number | undefined, path: string | undefined): string {
  const age = maxAgeMs === undefined ? '' : `; Max-Age=${Math.max(0, Math.floor(maxAgeMs / 1000))}`;
  return `${name}=${value}${age}; Path=${path ?? '/'}; HttpOnly`;
}

/**
 * Endpoint affinity for one pick: the request to hash (with the generated cookie added) and
 * the `Set-Cookie` to send back, or undefined when the upstream has no such policy or the
 * client already sent the cookie.
 */
export function endpointAffinity(up: UpstreamRuntime, request: SyRequest, rng: Rng): { readonly request: SyRequest; readonly setCookie: string } | undefined {
  const c = up.cookieAffinity;
  if (c === undefined || cookieValue(request.headers['cookie'], c.name) !== undefined) return undefined;
  const hex = (): string => Math.floor(rng.next() * 0x1_0000_0000).toString(16).padStart(8, '0');
  const value = hex() + hex();
  const existing = request.headers['cookie'];
  const cookie = existing === undefined || existing === '' ? `${c.name}=${value}` : `${existing}; ${c.name}=${value}`;
  return { request: { ...request, headers: { ...request.headers, cookie } }, setCookie: setCookie(c.name, value, c.ttlMs, c.path) };
}

/**
 * The route's split decision with its session persistence applied (see the module doc), and
 * the response header that carries the session (`set-cookie`, or the session header), if any.
 */
export function decideWithSession(route: RoutePlan, split: SplitPlan, request: SyRequest, rng: Rng, clock: Pick<Clock, 'wallNow'>): { readonly decision: SplitDecision; readonly header: readonly [string, string] | undefined } {
  const decision = decideSplit(split, request, rng);
  const s = route.session;
  if (s === undefined || (decision.kind === 'backend' && decision.by === 'selector')) return { decision, header: undefined };
  const isHeader = s.type === 'Header';
  const raw = isHeader ? request.headers[s.sessionName.toLowerCase()] : cookieValue(request.headers['cookie'], s.sessionName);
  // The wall clock only for routes with session persistence (a cookie timestamp), not per split.
  const nowS = Math.floor(clock.wallNow() / 1000);
  let created = nowS;
  let chosen: SplitDecision = decision;
  if (raw !== undefined) {
    const dot = raw.lastIndexOf('.');
    const backend = safeDecode(dot < 0 ? raw : raw.slice(0, dot));
    const at = dot < 0 ? Number.NaN : Number(raw.slice(dot + 1));
    const index = split.backends.findIndex((b) => b.name === backend);
    const live = index >= 0 && (split.backends[index]?.weight ?? 0) > 0;
    const fresh = Number.isFinite(at) && (s.absoluteTimeoutMs === undefined || (nowS - at) * 1000 < s.absoluteTimeoutMs);
    if (live && fresh && backend !== undefined) {
      created = at;
      chosen = { kind: 'backend', split: split.name, backend, index, by: 'selector', rule: 'session-persistence' };
    }
  }
  if (chosen.kind !== 'backend') return { decision: chosen, header: undefined };
  const value = `${encodeURIComponent(chosen.backend)}.${created}`;
  if (isHeader) return { decision: chosen, header: [s.sessionName.toLowerCase(), value] };
  // Max-Age: the idle timeout (refreshed on every response), capped by what remains of the absolute one.
  const remaining = s.absoluteTimeoutMs === undefined ? undefined : s.absoluteTimeoutMs - (nowS - created) * 1000;
  const maxAge = s.idleTimeoutMs === undefined ? remaining : remaining === undefined ? s.idleTimeoutMs : Math.min(s.idleTimeoutMs, remaining);
  return { decision: chosen, header: ['set-cookie', setCookie(s.sessionName, value, maxAge, undefined)] };
}

function safeDecode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

/** Adds a `Set-Cookie` to response headers, keeping the upstream's own (a list). */
export function appendSetCookie(headers: Record<string, string | readonly string[]>, value: string): void {
  const cur = headers['set-cookie'];
  headers['set-cookie'] = cur === undefined ? value : typeof cur === 'string' ? [cur, value] : [...cur, value];
}
