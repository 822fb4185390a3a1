/**
 * Acquire mode (`gateway.acquire`), for protocols the gateway does not carry itself (WebSocket
 * upgrades, CONNECT): the steps of prepare.ts, then one endpoint picked (resource limits
 * applied) and the request rewritten for it, without sending anything. The caller's
 * `release(outcome)` frees the slot and reports the connection to the balancer and detectors.
 */
import type { Acquired, Clock, Outcome, Rng, SyRequest } from '@switchyard/core';
import { releaseResource, tryAcquireResource } from '@switchyard/health';
import { applyRewrite } from '@switchyard/rewrite';
import type { GatewayPlan } from './compile.js';
import type { Plans } from './plans.js';
import type { Prepared } from './prepare.js';
import { eligibleFor } from './proxy.js';
import { errorResponse, type Finalize } from './responses.js';

/** The gateway's `acquire`. */
export function createAcquirer(
  ctx: { readonly clock: Clock; readonly rng: Rng },
  parts: {
    readonly plans: Plans;
    readonly prepare: (req: SyRequest, p: GatewayPlan) => Prepared | Promise<Prepared>;
    readonly finalize: Finalize;
  },
): (req: SyRequest) => Promise<Acquired> {
  const { clock, rng } = ctx;
  const { prepare, finalize } = parts;
  const { current, enter, leave } = parts.plans;

  async function acquire(req: SyRequest): Promise<Acquired> {
    const p = current();
    enter(p);
    try {
      return await acquireOn(req, p);
    } finally {
      leave(p);
    }
  }

  async function acquireOn(req: SyRequest, p: GatewayPlan): Promise<Acquired> {
    const pending = prepare(req, p);
    const prepared = pending instanceof Promise ? await pending : pending;
    const a = await acquireEndpoint(prepared);
    if (a.kind !== 'respond') return a;
    // An answer of the gateway's goes through the outbound side; a connection handed over
    // (WebSocket, CONNECT) has no response the gateway sees.
    const run = prepared.run;
    const out = run === undefined ? a.response : await run.runOutbound(a.response);
    return { kind: 'respond', response: finalize(out, req.headers, current(), run?.requestIdIfKnown) };
  }

  async function acquireEndpoint(prepared: Prepared): Promise<Acquired> {
    if (prepared.kind === 'respond') return { kind: 'respond', response: prepared.response };
    const { route, request, backend, headers } = prepared;
    if (backend === undefined) return { kind: 'respond', response: errorResponse('SY_NO_BACKEND', 'route has no backend', headers, undefined, { route: route.name }) };
    const up = backend.upstream;
    const now = clock.now();
    const eligible = eligibleFor(backend, now);
    if (eligible.length === 0) return { kind: 'respond', response: errorResponse('SY_NO_ENDPOINT', `no healthy upstream in ${up.name}`, headers, undefined, { route: route.name }) };
    if (!tryAcquireResource(up.limits.plan, up.limits.counters, 'requests')) {
      return { kind: 'respond', response: errorResponse('SY_OVERLOADED', `too many requests in flight to ${up.name}`, { ...headers, 'x-envoy-overloaded': 'true' }, undefined, { route: route.name }) };
    }
    const picked = up.balancer.pick(backend.group.state, { eligible, now, rng, request });
    if (picked.kind === 'empty') {
      releaseResource(up.limits.counters, 'requests');
      return { kind: 'respond', response: errorResponse('SY_NO_ENDPOINT', `no healthy upstream in ${up.name} (${picked.reason})`, headers, undefined, { route: route.name }) };
    }
    const endpoint = picked.endpoint;
    const r = applyRewrite(route.rewrite, {
      request,
      params: prepared.params,
      ...(prepared.matchedPrefix !== undefined ? { matchedPrefix: prepared.matchedPrefix } : {}),
      upstream: endpoint.url,
    });
    if (r.kind !== 'forward') {
      releaseResource(up.limits.counters, 'requests');
      return { kind: 'respond', response: r.kind === 'redirect' ? r.response : errorResponse(r.error.code, r.error.message, headers, r.reason === 'no-upstream' ? 500 : 400, { route: route.name }) };
    }
    up.balancer.begin(backend.group.state, endpoint, now);
    let released = false;
    return {
      kind: 'endpoint',
      route: route.name,
      endpoint,
      request: r.request,
      release(outcome?: Outcome): void {
        if (released) return;
        released = true;
        releaseResource(up.limits.counters, 'requests');
        const at = clock.now();
        const o: Outcome = outcome ?? { kind: 'response', endpoint, status: 101, latencyMs: at - now, at };
        up.balancer.observe(backend.group.state, o);
        up.outlier?.observe(o);
        up.health?.noteTraffic();
      },
    };
  }

  return acquire;
}
