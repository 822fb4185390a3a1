/**
 * Full-proxy mode after prepare.ts: from the chosen backend to the upstream's answer. In order:
 * the request body (under the route deadline), the circuit breaker, Envoy's resource limits
 * (max requests), adaptive throttle and concurrency (overload.ts), the endpoint pick and the
 * rewrite, max pending requests, the retry budget's deposit, the mirror (mirror.ts), then
 * `forward` (forward.ts: deadline, retries, hedging) with every try observed by the balancer,
 * outlier detector, health checker, rollout and metrics; last the breaker's verdict and the
 * response headers (the rewrite's, then the gateway's own: limits, experiment, affinity cookie).
 */
import { formatRetryAfter, type Endpoint, type Outcome, type PickResult, type SyRequest, type SyResponse } from '@switchyard/core';
import { computeEligible, releaseResource, tryAcquireResource, type BreakerDecision } from '@switchyard/health';
import { applyRewrite, rewriteResponseHeaders, rewritesPath, type RewriteResult } from '@switchyard/rewrite';
import { observeRollout } from '@switchyard/splitter';
import { appendSetCookie, endpointAffinity } from './affinity.js';
import { teeBody, type PreparedBody } from './body.js';
import type { BackendPlan, GatewayPlan, RoutePlan, UpstreamRuntime } from './compile.js';
import type { GatewayContext } from './context.js';
import type { GatewayEvent } from './events.js';
import { forward, type ForwardEvent, type ForwardResult } from './forward.js';
import type { HandleOptions } from './gateway.js';
import { ClientRequestSeries, INSTRUMENTS } from './metrics.js';
import { sendMirror, shouldMirror, type MirrorBody } from './mirror.js';
import { admitRequest, admitTry, beginTry, endTry, settleRequest, type OverloadAdmission } from './overload.js';
import type { Prepared } from './prepare.js';
import { NO_BODY, requestBodyFor } from './request-body.js';
import { errorResponse } from './responses.js';
import { depositRequest } from './retry-budget.js';
import type { RolloutOps } from './rollout-fleet.js';
import type { ServerSpan } from './tracing.js';

/** What `handle` reports of one proxied request (metrics, the `request` event, the span). */
export type ProxyResult = { response: SyResponse; backend?: string | undefined; endpoint?: string | undefined; version?: string | undefined; tries: number; code?: string | undefined };
type OverloadReason = Extract<GatewayEvent, { kind: 'overloaded' }>['reason'];

const OVERLOADED_PICK: PickResult = Object.freeze({ kind: 'empty', reason: 'overloaded' });

/** The eligible set of one backend at `now`: health and panic applied. */
export function eligibleFor(backend: BackendPlan, now: number): readonly Endpoint[] {
  const up = backend.upstream;
  up.outlier?.eligible(now); // runs due sweeps (un-ejections) lazily
  return computeEligible(backend.group.endpoints, up.eligibility).endpoints;
}

/** The gateway's `proxy(prepared, plan, options, span)`: one request from its backend to the upstream's answer. */
export function createProxy(
  ctx: GatewayContext,
  rollouts: RolloutOps,
): (prepared: Extract<Prepared, { kind: 'continue' }>, p: GatewayPlan, options: HandleOptions, span: ServerSpan | undefined) => Promise<ProxyResult> {
  const { clock, rng, transport, metrics, listeners, emit } = ctx;

  // The `http.client.request.duration` series per endpoint, so the hot path allocates no labels.
  // Weak: endpoints that leave the config take their cache entry with them.
  const endpointSeries = new WeakMap<Endpoint, ClientRequestSeries>();
  function endpointMetrics(upstream: string, endpoint: Endpoint): ClientRequestSeries {
    let m = endpointSeries.get(endpoint);
    if (m === undefined || m.upstream !== upstream) {
      m = new ClientRequestSeries(metrics, upstream, endpoint);
      endpointSeries.set(endpoint, m);
    }
    return m;
  }

  async function proxy(prepared: Extract<Prepared, { kind: 'continue' }>, p: GatewayPlan, options: HandleOptions, span: ServerSpan | undefined): Promise<ProxyResult> {
    const { route, request, backend, headers } = prepared;
    if (backend === undefined) return { response: errorResponse('SY_NO_BACKEND', 'route has no backend', headers, undefined, { route: route.name }), tries: 0 };
    // An adapter's mount mapping, for a route that leaves the path to it (HandleOptions.upstreamPath).
    let rewriteRequest = request;
    if (options.upstreamPath !== undefined && !rewritesPath(route.rewrite)) {
      const mapped = options.upstreamPath(request.path);
      if (mapped === undefined) return { response: errorResponse('SY_BAD_REQUEST', 'the normalized path is outside the mount prefix', headers, 400, { route: route.name }), backend: backend.name, tries: 0 };
      rewriteRequest = { ...request, path: mapped };
    }
    const up = backend.upstream;
    const startedAt = clock.now();

    // The request body first, under the route deadline and idle timeout, before any breaker
    // permit or resource slot is taken: a client trickling its upload holds nothing that other
    // clients need (ten slow uploaders must not lock everyone out of `maxRequests`).
    const prepBody = request.body === undefined ? NO_BODY : await requestBodyFor(clock, request, route, p.replayBufferBytes, startedAt, options.signal);
    if (prepBody.kind === 'respond') return { response: errorResponse(prepBody.code, prepBody.message, headers, undefined, { route: route.name }), backend: backend.name, tries: 0, code: prepBody.code };
    let body: PreparedBody = prepBody.body;
    // No body: nothing was awaited since `startedAt`, the same instant (one clock read less).
    const now = request.body === undefined ? startedAt : clock.now();

    // Circuit breaker, then Envoy resource limits (max concurrent requests).
    let permit: BreakerDecision | undefined;
    if (up.breaker !== undefined) {
      permit = up.breaker.tryAcquire(now);
      if (permit.kind === 'rejected') {
        rejected(up.name, 'circuit-open');
        return { response: errorResponse('SY_CIRCUIT_OPEN', `circuit breaker of ${up.name} is open`, { ...headers, 'retry-after': formatRetryAfter(permit.retryAfterMs) }, undefined, { route: route.name }), backend: backend.name, tries: 0 };
      }
    }
    if (!tryAcquireResource(up.limits.plan, up.limits.counters, 'requests')) {
      if (permit !== undefined) up.breaker?.release(permit);
      return overloaded(route.name, backend.name, up.name, 'max-requests', `too many requests in flight to ${up.name}`, headers);
    }
    // Adaptive throttle and concurrency (overload.ts): refused locally before anything is sent.
    const admission: OverloadAdmission | undefined = up.overload.throttle === undefined && up.overload.concurrency === undefined ? undefined : admitRequest(up.overload, request, route.priority, now, rng);
    if (admission !== undefined && admission.kind !== 'admitted') {
      releaseResource(up.limits.counters, 'requests');
      if (permit !== undefined) up.breaker?.release(permit);
      return admission.kind === 'throttled'
        ? overloaded(route.name, backend.name, up.name, 'adaptive-throttle', `${up.name} is rejecting requests: throttled locally (p=${admission.probability.toFixed(2)})`, headers, { probability: admission.probability })
        : overloaded(route.name, backend.name, up.name, 'adaptive-concurrency', `concurrency limit of ${up.name} reached for ${admission.priority} requests (${admission.inflight} in flight, limit ${Math.floor(admission.limit)})`, headers, admission);
    }
    let forwarded: ForwardResult | undefined;
    try {
      const eligible = eligibleFor(backend, now);
      const group = backend.group;
      // A cookie hash policy with a TTL: hash on a generated cookie when the client sent none (affinity.ts).
      const affinity = endpointAffinity(up, request, rng);
      const pickRequest = affinity?.request ?? request;
      const pick = (tried: readonly Endpoint[]): PickResult => {
        let pool = eligible;
        if (tried.length > 0) {
          // A retry or hedge picks from the hosts eligible now, as Envoy's load balancer does on
          // every attempt: an endpoint ejected or failed by health checks since the request
          // started is not retried into. Envoy's previous_hosts predicate: prefer one not tried yet.
          pool = eligibleFor(backend, clock.now());
          const fresh = pool.filter((e) => !tried.includes(e));
          if (fresh.length > 0) pool = fresh;
        }
        if (pool.length === 0) return { kind: 'empty', reason: group.endpoints.length === 0 ? 'no-endpoints' : 'no-eligible-endpoints' };
        return up.balancer.pick(group.state, { eligible: pool, now: clock.now(), rng, request: pickRequest });
      };
      // Rewrite once up front: a rejection (400) or a wiring problem answers before any try.
      const rewriteFor = (endpoint: Endpoint): RewriteResult =>
        applyRewrite(route.rewrite, {
          request: rewriteRequest,
          params: prepared.params,
          matchedPrefix: prepared.matchedPrefix,
          upstream: endpoint.url,
        });
      const first = pick([]);
      if (first.kind === 'empty') {
        rejected(up.name, 'no-endpoint');
        return { response: errorResponse('SY_NO_ENDPOINT', `no healthy upstream in ${up.name} (${first.reason})`, headers, undefined, { route: route.name }), backend: backend.name, tries: 0 };
      }
      const preflight = rewriteFor(first.endpoint);
      if (preflight.kind === 'rejected') return { response: errorResponse(preflight.error.code, preflight.error.message, headers, preflight.reason === 'no-upstream' ? 500 : 400, { route: route.name }), backend: backend.name, tries: 0 };
      if (preflight.kind === 'redirect') return { response: { ...preflight.response, headers: { ...preflight.response.headers, ...headers } }, backend: backend.name, tries: 0 };

      // Envoy max_pending_requests: no connection free for the first try and the queue full.
      if (!admitTry(up.overload, up.limits.plan, up.limits.counters, first.endpoint)) return overloaded(route.name, backend.name, up.name, 'max-pending-requests', `too many requests waiting for a connection to ${up.name}`, headers);
      if (route.budget !== undefined) depositRequest(route.budget, now);
      if (route.mirror !== undefined && shouldMirror(route.mirror.policy, rng)) body = mirror(route, request, body, p.replayBufferBytes, rewriteFor, span);

      let firstUsed = false;
      const result: ForwardResult = await forward({
        clock,
        rng,
        transport,
        policy: route.forward,
        method: request.method,
        body,
        startedAt,
        signal: options.signal,
        budget: route.budget,
        requestBody: prepBody.watch,
        tracer: span?.tries(up.name),
        // Envoy's max_retries: one slot per retry outstanding, held from the retry decision until
        // that retry's outcome is known (retry_state_impl.cc), never one per retry until the end.
        // Only a route with a retry policy ever retries or hedges (forward's `retryPossible`).
        retrySlots: route.forward.retry === undefined ? undefined : retrySlotsOf(up),
        pick: admitPicks(route.name, up, (tried) => {
          if (!firstUsed && tried.length === 0) {
            firstUsed = true;
            return first;
          }
          return pick(tried);
        }),
        request: (endpoint, b) => {
          const r = endpoint === first.endpoint ? preflight : rewriteFor(endpoint);
          const out = r.kind === 'forward' ? r.request : preflight.request;
          return b === out.body ? out : { ...out, body: b };
        },
        begin: (endpoint, t) => {
          beginTry(up.overload, up.limits.counters, endpoint);
          up.balancer.begin(group.state, endpoint, t);
        },
        observe: (outcome) => {
          endTry(up.overload, up.limits.counters, outcome.endpoint);
          up.balancer.observe(group.state, outcome);
          up.outlier?.observe(outcome);
          up.health?.noteTraffic();
          const r = route.rollout;
          if (r !== undefined && r.state.phase === 'progressing') {
            const side = backend.name === r.canary ? 'canary' : backend.name === r.baseline ? 'baseline' : undefined;
            if (side !== undefined) {
              if (rollouts.drives(route)) rollouts.observe(route, side, outcome);
              else observeRollout(r.config, r.state, side, outcome);
            }
          }
          endpointMetrics(up.name, outcome.endpoint)
            .handle(request.method, outcome.kind === 'response' ? outcome.status : outcome.error)
            .record(outcome.latencyMs);
        },
        onEvent: listeners.size > 0 ? (event: ForwardEvent) => emit({ kind: 'upstream', at: clock.now(), route: route.name, event }) : undefined,
      });
      forwarded = result;
      if (permit !== undefined) {
        // Only the upstream's own failures count: a canceled try, a request the client made
        // unsendable (400) or too large (413: its body failed for its size) or the gateway's own
        // fault (500) give the permit back without a verdict.
        if (result.kind === 'error' && (result.code === 'SY_CANCELED' || result.code === 'SY_BAD_REQUEST' || result.code === 'SY_BODY_TOO_LARGE' || result.code === 'SY_INTERNAL')) up.breaker?.release(permit);
        else up.breaker?.observe(permit, result.kind === 'error' ? true : result.response.status >= 500, clock.now());
      }
      permit = undefined;
      if (result.kind === 'error') {
        return { response: errorResponse(result.code, result.message, headers, undefined, { route: route.name }), backend: backend.name, endpoint: result.endpoint?.id, tries: result.tries, code: result.code };
      }
      // A fresh object from the rewriter: the gateway's own headers (rate limits, experiment) go on top.
      const responseHeaders = rewriteResponseHeaders(route.rewrite, result.response.headers) as Record<string, string | readonly string[]>;
      for (const name in headers) {
        if (name === 'set-cookie') appendSetCookie(responseHeaders, headers[name] as string);
        else responseHeaders[name] = headers[name] as string;
      }
      if (affinity !== undefined) appendSetCookie(responseHeaders, affinity.setCookie);
      return { response: { status: result.response.status, headers: responseHeaders, body: result.response.body }, backend: backend.name, endpoint: result.endpoint.id, version: result.endpoint.metadata['version'], tries: result.tries };
    } finally {
      if (admission !== undefined) settleRequest(up.overload, admission, forwarded, clock.now());
      releaseResource(up.limits.counters, 'requests');
      if (permit !== undefined) up.breaker?.release(permit);
    }
  }

  /**
   * Sends the route's mirror (shadow) request, fire and forget, and returns the body the primary
   * sends: a streaming body is teed as it streams (Envoy: the mirror never delays the primary),
   * and a shadow more than the replay buffer behind the primary is dropped.
   */
  function mirror(route: RoutePlan, request: SyRequest, body: PreparedBody, capBytes: number, rewriteFor: (endpoint: Endpoint) => RewriteResult, span: ServerSpan | undefined): PreparedBody {
    const m = route.mirror as NonNullable<RoutePlan['mirror']>;
    const mup = m.upstream;
    const mgroup = mup.groups.get('[]');
    let primary = body;
    let mirrorBody: MirrorBody = body;
    if (body.kind === 'once') {
      const tee = teeBody(body.body, capBytes);
      primary = { kind: 'once', body: tee.primary };
      mirrorBody = { kind: 'stream', body: tee.shadow };
    }
    sendMirror({
      clock,
      transport,
      policy: m.policy,
      body: mirrorBody,
      pick: () => {
        if (mgroup === undefined) return { kind: 'empty', reason: 'no-endpoints' };
        const list = computeEligible(mgroup.endpoints, mup.eligibility).endpoints;
        return list.length === 0 ? { kind: 'empty', reason: 'no-eligible-endpoints' } : mup.balancer.pick(mgroup.state, { eligible: list, now: clock.now(), rng, request });
      },
      request: (endpoint, b) => {
        const r = rewriteFor(endpoint);
        return r.kind === 'forward' ? { ...r.request, body: b } : { method: request.method, path: request.path, headers: request.headers, body: b };
      },
      ...(mgroup !== undefined ? { begin: (e: Endpoint, t: number) => mup.balancer.begin(mgroup.state, e, t), observe: (o: Outcome) => mup.balancer.observe(mgroup.state, o) } : {}),
      onSkip: (reason) => listeners.size > 0 && emit({ kind: 'mirror-skipped', at: clock.now(), route: route.name, reason }),
      tracer: span?.tries(mup.name),
    });
    return primary;
  }

  /** Counts a request refused before any try (`switchyard.upstream.rejected`). */
  function rejected(upstream: string, reason: OverloadReason | 'circuit-open' | 'no-endpoint' | 'max-retries'): void {
    metrics.inc(INSTRUMENTS.upstreamRejected, 'Requests refused before any try: breaker open, no endpoint, resource limits, adaptive throttle or concurrency.', { 'switchyard.upstream': upstream, 'switchyard.reason': reason });
  }

  /** A request refused by overload protection: 503 `SY_OVERLOADED`, an event and a metric. */
  function overloaded(
    route: string,
    backend: string,
    upstream: string,
    reason: OverloadReason,
    message: string,
    headers: Readonly<Record<string, string>>,
    detail: { probability?: number; priority?: string; inflight?: number; limit?: number } = {},
  ): ProxyResult {
    rejected(upstream, reason);
    if (listeners.size > 0) emit({ kind: 'overloaded', at: clock.now(), route, upstream, reason, probability: detail.probability, priority: detail.priority, inflight: detail.inflight, limit: detail.limit });
    // Envoy sets x-envoy-overloaded for circuit-breaker overflow (max_requests, max_pending_requests),
    // not for its adaptive filters' local replies.
    const extra = reason === 'max-requests' || reason === 'max-pending-requests' ? { ...headers, 'x-envoy-overloaded': 'true' } : headers;
    return { response: errorResponse('SY_OVERLOADED', message, extra, undefined, { route }), backend, tries: 0, code: 'SY_OVERLOADED' };
  }

  /** Retries and hedges must find a connection or room in the pending queue too. */
  function admitPicks(route: string, up: BackendPlan['upstream'], pick: (tried: readonly Endpoint[]) => PickResult): (tried: readonly Endpoint[]) => PickResult {
    return (tried) => {
      const picked = pick(tried);
      if (picked.kind !== 'picked' || admitTry(up.overload, up.limits.plan, up.limits.counters, picked.endpoint)) return picked;
      rejected(up.name, 'max-pending-requests');
      if (listeners.size > 0) emit({ kind: 'overloaded', at: clock.now(), route, upstream: up.name, reason: 'max-pending-requests' });
      return OVERLOADED_PICK;
    };
  }

  // One retry-slot accessor per upstream runtime, not per request.
  const retrySlots = new WeakMap<UpstreamRuntime, { acquire(): boolean; release(): void }>();
  function retrySlotsOf(up: UpstreamRuntime): { acquire(): boolean; release(): void } {
    let s = retrySlots.get(up);
    if (s === undefined) {
      s = {
        acquire: () => {
          if (tryAcquireResource(up.limits.plan, up.limits.counters, 'retries')) return true;
          rejected(up.name, 'max-retries');
          return false;
        },
        release: () => releaseResource(up.limits.counters, 'retries'),
      };
      retrySlots.set(up, s);
    }
    return s;
  }

  return proxy;
}
