/**
 * A Gateway API rule's `timeouts`, `retry` and `sessionPersistence`, written onto the draft route.
 */
import type { RetryConfig } from '@switchyard/gateway';
import { arr, at, gatewayDuration, get, has, int, str, unmapped, type Obj, type Sink } from '../util.js';
import type { SessionPersistenceConfig } from '../../types.js';
import type { Mutable, RouteDraft } from './common.js';

function duration(sink: Sink, o: Obj, key: string, p: string): number | undefined {
  const v = get(o, key);
  if (v === undefined || v === null) return undefined;
  const ms = typeof v === 'string' ? gatewayDuration(v) : undefined;
  if (ms === undefined) sink.problem(at(p, key), 'must be a Gateway API duration (GEP-2257: ^([0-9]{1,5}(h|m|s|ms)){1,4}$, e.g. "10s", "1h30m", "500ms")');
  return ms;
}

export function applyTimeouts(sink: Sink, route: RouteDraft, t: Obj, tp: string): void {
  unmapped(sink, t, ['request', 'backendRequest'], tp);
  const request = duration(sink, t, 'request', tp);
  const backend = duration(sink, t, 'backendRequest', tp);
  // httproute_types.go HTTPRouteTimeouts: "backendRequest timeout cannot be longer than request timeout" (unless request is 0s).
  if (request !== undefined && backend !== undefined && request !== 0 && backend > request) return sink.problem(tp, 'backendRequest timeout cannot be longer than request timeout');
  // "0s" SHOULD disable the timeout: switchyard's 0 does.
  if (request !== undefined) route.timeoutMs = request;
  if (backend !== undefined && backend > 0) {
    route.perTryTimeoutMs = backend;
    // Unset request timeout is implementation-specific: without one, do not cut a try shorter than asked.
    if (request === undefined && backend > 15_000) route.timeoutMs = 0;
  }
}

export function applyRetry(sink: Sink, route: RouteDraft, r: Obj, rp: string): void {
  unmapped(sink, r, ['codes', 'attempts', 'backoff'], rp);
  const codes: number[] = [];
  arr(sink, r, 'codes', rp).forEach((c, i) => {
    if (typeof c !== 'number' || !Number.isInteger(c) || c < 400 || c > 599) return sink.problem(`${rp}.codes[${i}]`, 'must be an HTTP status between 400 and 599');
    if (!codes.includes(c)) codes.push(c);
  });
  const attempts = has(r, 'attempts') ? int(sink, r, 'attempts', rp, 1, Number.MAX_SAFE_INTEGER) : undefined;
  const backoff = duration(sink, r, 'backoff', rp);
  const retry: Mutable<RetryConfig> = {
    // GEP-1731: "Implementations SHOULD retry on connection errors … if a retry stanza is configured".
    retryOn: codes.length > 0 ? ['connect-failure', 'reset', 'retriable-status-codes'] : ['connect-failure', 'reset'],
    // Envoy-based implementations retry every method; the Gateway API does not restrict them.
    retryNonIdempotent: true,
  };
  if (codes.length > 0) retry.retriableStatusCodes = codes;
  if (attempts !== undefined) {
    if (attempts > 100) sink.warn(at(rp, 'attempts'), 'switchyard allows at most 100 retries: 100 imported');
    retry.numRetries = Math.min(attempts, 100);
  }
  if (backoff !== undefined) {
    if (backoff < 1) sink.warn(at(rp, 'backoff'), 'a back-off below 1 ms is raised to 1 ms');
    retry.baseIntervalMs = Math.max(1, backoff);
  }
  route.retry = retry;
}

/** The session cookie / header name when a `sessionPersistence` gives none. */
const DEFAULT_SESSION_NAME = 'sy-session';

/** GEP-1619 `sessionPersistence`: the v1.6 shape (`sessionName`, `cookieConfig`) and the newer one (`cookie`, `header`). */
export function applySessionPersistence(sink: Sink, route: RouteDraft, s: Obj, sp: string): void {
  unmapped(sink, s, ['sessionName', 'absoluteTimeout', 'idleTimeout', 'type', 'cookieConfig', 'cookie', 'header'], sp);
  const type = get(s, 'type') ?? 'Cookie';
  if (type !== 'Cookie' && type !== 'Header') return sink.problem(at(sp, 'type'), "must be one of 'Cookie', 'Header'");
  // shared_types.go SessionPersistence XValidations (newer shape).
  if (has(s, 'cookie') && type !== 'Cookie') sink.problem(at(sp, 'cookie'), 'cookie must be nil if type is not Cookie');
  if (has(s, 'header') && type !== 'Header') sink.problem(at(sp, 'header'), 'header must be nil if type is not Header');
  const lifetime = get(get(s, 'cookie'), 'lifetimeType') ?? get(get(s, 'cookieConfig'), 'lifetimeType');
  if (lifetime === 'Permanent' && !has(s, 'absoluteTimeout')) sink.problem(sp, 'AbsoluteTimeout must be specified when cookie lifetimeType is Permanent');
  const name = str(sink, s, 'sessionName', sp) ?? (typeof get(get(s, 'cookie'), 'name') === 'string' ? (get(get(s, 'cookie'), 'name') as string) : undefined) ?? (typeof get(get(s, 'header'), 'name') === 'string' ? (get(get(s, 'header'), 'name') as string) : undefined);
  if (name !== undefined && name.length > 128) sink.problem(at(sp, 'sessionName'), 'must be at most 128 characters');
  const absolute = duration(sink, s, 'absoluteTimeout', sp);
  const idle = duration(sink, s, 'idleTimeout', sp);
  if (lifetime !== undefined) sink.warn(has(s, 'cookie') ? `${sp}.cookie.lifetimeType` : `${sp}.cookieConfig.lifetimeType`, 'has no switchyard counterpart: a cookie gets Max-Age from absoluteTimeout when one is set, else it is a session cookie');
  if (has(get(s, 'cookie'), 'path')) sink.warn(`${sp}.cookie.path`, 'has no switchyard counterpart in route session persistence: ignored');
  // GEP-1619 leaves the name to the implementation when `sessionName` is absent; the gateway's
  // route `sessionPersistence` needs one (affinity.ts), so a fixed default is given.
  const out: Mutable<SessionPersistenceConfig> = { type, sessionName: name ?? DEFAULT_SESSION_NAME };
  if (absolute !== undefined) out.absoluteTimeoutMs = absolute;
  if (idle !== undefined) out.idleTimeoutMs = idle;
  route.sessionPersistence = out;
}
