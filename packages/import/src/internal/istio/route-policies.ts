/**
 * The per-route policies of an Istio `HTTPRoute`: retries (with the mesh default), fault
 * injection, header operations and the CORS policy, each written onto the draft route.
 */
import type { RetryConfig, RouteConfig } from '@switchyard/gateway';
import { corsOptions } from '../cors.js';
import { arr, at, get, has, int, isObj, obj, str, unmapped, type Obj, type Sink } from '../util.js';
import { stringMatch } from './match.js';
import { durationField, HEADER_NAME_RE, type Draft, type Mutable } from './values.js';

type RetryOn = NonNullable<RetryConfig['retryOn']>[number];

/** MeshConfig `defaultHttpRetryPolicy`: 2 retries on `connect-failure,refused-stream,unavailable,cancelled`. */
export function meshDefaultRetry(): RetryConfig {
  // refused-stream is a reset before the upstream saw the request; switchyard's `reset` is that and more,
  // so non-idempotent requests keep switchyard's default (not retried after a reset).
  return { numRetries: 2, retryOn: ['connect-failure', 'reset'] };
}

const RETRY_ON: Readonly<Record<string, RetryOn | null>> = {
  '5xx': '5xx',
  'gateway-error': 'gateway-error',
  reset: 'reset',
  'reset-before-request': 'reset',
  'connect-failure': 'connect-failure',
  'retriable-4xx': 'retriable-4xx',
  'retriable-status-codes': 'retriable-status-codes',
  'refused-stream': 'reset',
  'envoy-ratelimited': null,
  'retriable-headers': null,
  'http3-post-connect-failure': null,
  cancelled: null,
  'deadline-exceeded': null,
  internal: null,
  'resource-exhausted': null,
  unavailable: null,
};

export function retryPolicy(sink: Sink, r: Obj, rp: string, route: Draft): RetryConfig | undefined {
  unmapped(sink, r, ['attempts', 'perTryTimeout', 'retryOn', 'retryRemoteLocalities', 'retryIgnorePreviousHosts', 'backoff'], rp);
  const rawAttempts = get(r, 'attempts');
  if (typeof rawAttempts === 'number' && rawAttempts < 0) sink.problem(at(rp, 'attempts'), 'attempts cannot be negative');
  const attempts = typeof rawAttempts === 'number' && rawAttempts < 0 ? undefined : int(sink, r, 'attempts', rp, 0, 2_147_483_647);
  // proto3: an absent `attempts` is 0, so `retries: { retryOn: … }` alone is refused too.
  if ((rawAttempts === undefined || rawAttempts === 0) && (has(r, 'perTryTimeout') || has(r, 'retryOn') || has(r, 'retryRemoteLocalities'))) {
    sink.problem(rp, 'http retry policy configured when attempts are set to 0 (disabled)');
  }
  const perTry = durationField(sink, r, 'perTryTimeout', rp, true);
  if (perTry !== undefined) route.perTryTimeoutMs = perTry;
  if (attempts === 0 || attempts === undefined) return undefined; // 0 (or absent) disables retries
  const retryOn: RetryOn[] = [];
  const codes: number[] = [];
  const on = str(sink, r, 'retryOn', rp);
  for (const raw of (on ?? 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes').split(',')) {
    const t = raw.trim();
    if (t === '') continue;
    if (/^\d+$/.test(t)) {
      const n = Number(t);
      if (n < 100 || n > 599) sink.problem(at(rp, 'retryOn'), `${JSON.stringify(t)} is not a valid retryOn policy`);
      else codes.push(n);
      continue;
    }
    if (!Object.prototype.hasOwnProperty.call(RETRY_ON, t)) {
      sink.problem(at(rp, 'retryOn'), `${JSON.stringify(t)} is not a valid retryOn policy`);
      continue;
    }
    const mapped = RETRY_ON[t];
    if (mapped === null || mapped === undefined) {
      if (on !== undefined) sink.warn(at(rp, 'retryOn'), `${JSON.stringify(t)} (a gRPC status or Envoy-only condition) has no switchyard counterpart: ignored`);
      continue;
    }
    if (!retryOn.includes(mapped)) retryOn.push(mapped);
  }
  if (codes.length > 0 && !retryOn.includes('retriable-status-codes')) retryOn.push('retriable-status-codes');
  if (codes.length === 0) {
    const i = retryOn.indexOf('retriable-status-codes');
    if (i >= 0) retryOn.splice(i, 1);
  }
  if (has(r, 'retryRemoteLocalities')) sink.warn(at(rp, 'retryRemoteLocalities'), 'has no switchyard counterpart: ignored');
  if (get(r, 'retryIgnorePreviousHosts') === false) sink.warn(at(rp, 'retryIgnorePreviousHosts'), 'switchyard always tries another endpoint when it can: ignored');
  const backoff = durationField(sink, r, 'backoff', rp, true);
  return {
    // HTTPRetry.attempts: "Number of retries to be allowed for a given request"; Istio's default is 2.
    numRetries: Math.min(attempts, 100),
    retryOn,
    ...(codes.length > 0 ? { retriableStatusCodes: codes } : {}),
    ...(backoff !== undefined ? { baseIntervalMs: backoff } : {}),
    // Envoy retries every method.
    retryNonIdempotent: true,
  };
}

export function faultPolicy(sink: Sink, f: Obj, fp: string, route: Draft): void {
  unmapped(sink, f, ['delay', 'abort'], fp);
  const percentage = (o: Obj, p: string): number | undefined => {
    if (has(o, 'percentage')) {
      const v = get(get(o, 'percentage'), 'value');
      if (typeof v !== 'number' || v < 0 || v > 100) return (sink.problem(at(p, 'percentage'), 'percentage must be between 0 and 100'), undefined);
      return v;
    }
    if (has(o, 'percent')) return int(sink, o, 'percent', p, 0, 100); // deprecated integer form
    // No percentage: no request is faulted (Envoy / Istio).
    sink.warn(p, 'has no percentage: it applies to no request (Istio)');
    return 0;
  };
  const out: Mutable<NonNullable<RouteConfig['fault']>> = {};
  if (!has(f, 'delay') && !has(f, 'abort')) sink.problem(fp, 'HTTP fault injection must have an abort and/or a delay');
  const delay = obj(sink, f, 'delay', fp);
  if (delay !== undefined) {
    const dp = at(fp, 'delay');
    unmapped(sink, delay, ['fixedDelay', 'exponentialDelay', 'percentage', 'percent'], dp);
    if (has(delay, 'exponentialDelay')) sink.problem(at(dp, 'exponentialDelay'), 'exponentialDelay not supported yet');
    const ms = durationField(sink, delay, 'fixedDelay', dp, true);
    if (ms === undefined && !has(delay, 'exponentialDelay')) sink.problem(at(dp, 'fixedDelay'), 'delay must have a fixedDelay');
    const percent = percentage(delay, dp);
    if (ms !== undefined && percent !== undefined) out.delay = { fixedDelayMs: ms, percent };
  }
  const abort = obj(sink, f, 'abort', fp);
  if (abort !== undefined) {
    const ap = at(fp, 'abort');
    unmapped(sink, abort, ['httpStatus', 'grpcStatus', 'http2Error', 'percentage'], ap);
    const percent = percentage(abort, ap);
    if (has(abort, 'http2Error')) sink.problem(at(ap, 'http2Error'), 'HTTP/2 abort fault injection not supported yet');
    else if (has(abort, 'grpcStatus')) sink.warn(at(ap, 'grpcStatus'), 'a gRPC status abort has no switchyard counterpart: ignored');
    else if (!has(abort, 'httpStatus')) sink.warn(ap, 'abort configured, but error type not set');
    else {
      const raw = get(abort, 'httpStatus');
      const status = typeof raw === 'number' && Number.isInteger(raw) && raw >= 200 && raw <= 599 ? raw : undefined;
      if (status === undefined) sink.problem(at(ap, 'httpStatus'), `HTTP status ${String(raw)} is not in range 200-599`);
      if (status !== undefined && percent !== undefined) out.abort = { httpStatus: status, percent };
    }
  }
  if (out.delay !== undefined || out.abort !== undefined) route.fault = { ...route.fault, ...out };
}

export function headerOperations(sink: Sink, h: Obj, hp: string, route: Draft): void {
  unmapped(sink, h, ['request', 'response'], hp);
  for (const [dir, key] of [['request', 'requestHeaders'], ['response', 'responseHeaders']] as const) {
    const ops = obj(sink, h, dir, hp);
    if (ops === undefined) continue;
    const op = at(hp, dir);
    unmapped(sink, ops, ['set', 'add', 'remove'], op);
    const mod: { set?: Record<string, string>; add?: Record<string, string>; remove?: string[] } = {};
    for (const k of ['set', 'add'] as const) {
      const m = obj(sink, ops, k, op);
      if (m === undefined) continue;
      const map: Record<string, string> = {};
      for (const [name, v] of Object.entries(m)) {
        if (!HEADER_NAME_RE.test(name)) sink.problem(`${op}.${k}.${name}`, `invalid header name ${JSON.stringify(name)}`);
        else if (typeof v !== 'string') sink.problem(`${op}.${k}.${name}`, 'must be a string');
        else map[name] = v;
      }
      mod[k] = map;
    }
    const remove = arr(sink, ops, 'remove', op).filter((n, i): n is string => (typeof n === 'string' && HEADER_NAME_RE.test(n)) || (sink.problem(`${op}.remove[${i}]`, 'invalid header name'), false));
    if (remove.length > 0) mod.remove = remove;
    const prev = route.rewrite?.[key];
    route.rewrite = {
      ...route.rewrite,
      [key]: {
        ...(prev?.set !== undefined || mod.set !== undefined ? { set: { ...prev?.set, ...mod.set } } : {}),
        ...(prev?.add !== undefined || mod.add !== undefined ? { add: { ...prev?.add, ...mod.add } } : {}),
        ...(prev?.remove !== undefined || mod.remove !== undefined ? { remove: [...(prev?.remove ?? []), ...(mod.remove ?? [])] } : {}),
      },
    };
  }
}

export function corsPolicy(sink: Sink, cp: Obj, p: string): Record<string, unknown> | undefined {
  unmapped(sink, cp, ['allowOrigins', 'allowOrigin', 'allowMethods', 'allowHeaders', 'exposeHeaders', 'maxAge', 'allowCredentials', 'unmatchedPreflights'], p);
  const origins: string[] = [];
  arr(sink, cp, 'allowOrigins', p).forEach((o, i) => {
    const op = `${p}.allowOrigins[${i}]`;
    const m = stringMatch(sink, o, op);
    if (m === undefined || m.kind === 'present') return;
    if (m.kind !== 'exact') return sink.warn(op, `a ${m.kind} origin match has no counterpart in the cors policy (exact origins or "*"): ignored`);
    origins.push(m.value);
  });
  arr(sink, cp, 'allowOrigin', p).forEach((o, i) => {
    if (typeof o === 'string') origins.push(o);
    else sink.problem(`${p}.allowOrigin[${i}]`, 'must be a string');
  });
  const strings = (key: string, check: (s: string) => boolean): string[] =>
    arr(sink, cp, key, p).filter((x, i): x is string => (typeof x === 'string' && check(x)) || (sink.problem(`${p}.${key}[${i}]`, key === 'allowMethods' ? `${JSON.stringify(x)} is not a supported HTTP method` : 'invalid header name'), false));
  const methods = strings('allowMethods', (s) => ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', '*'].includes(s));
  const allowHeaders = strings('allowHeaders', (s) => s === '*' || HEADER_NAME_RE.test(s));
  const exposeHeaders = strings('exposeHeaders', (s) => s === '*' || HEADER_NAME_RE.test(s));
  const maxAge = durationField(sink, cp, 'maxAge', p, true);
  if (maxAge !== undefined && maxAge % 1000 !== 0) sink.problem(at(p, 'maxAge'), 'max_age duration is accurate only to seconds precision');
  const rawCred = isObj(get(cp, 'allowCredentials')) ? get(get(cp, 'allowCredentials'), 'value') : get(cp, 'allowCredentials');
  if (rawCred !== undefined && typeof rawCred !== 'boolean') sink.problem(at(p, 'allowCredentials'), 'must be true or false');
  const credentials = typeof rawCred === 'boolean' ? rawCred : undefined;
  if (has(cp, 'unmatchedPreflights')) sink.warn(at(p, 'unmatchedPreflights'), 'has no counterpart in the cors policy: ignored');
  return corsOptions({ origins, methods, allowHeaders, exposeHeaders, credentials, maxAgeSeconds: maxAge !== undefined ? Math.floor(maxAge / 1000) : undefined });
}
