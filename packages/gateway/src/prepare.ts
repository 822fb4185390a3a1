/**
 * Everything before the upstream, for all three modes (`handle`, `decide`, `acquire`): the
 * request's steps from routing to the chosen backend, in this order:
 *
 *     1. route       match the request (400 bad request, 404 no route)
 *     2. policies    the route's inbound policies (routes with policies only; core PipelineRun)
 *     3. fault       fault injection: a delay, an abort                     (`faultStep`)
 *     4. limit       the route's rate limits: 429, or their headers         (`limitStep`)
 *     5. redirect    the route's redirect                                   (`routeSteps`)
 *     6. experiment  the experiment's variant and its header                (`routeSteps`)
 *     7. split       the backend: a policy's pick, else the weighted split  (`routeSteps`)
 *
 * then proxy.ts (`handle`) or acquire.ts (`acquire`) take the `continue` result on, or decide.ts
 * makes it a `Decision`. `gateway.explain(route)` prints the same order (explain.ts).
 *
 * Steps 3–7 are direct calls in a fixed order, not entries of the policy list: each costs one
 * `undefined` check on a route that does not use it, and the chain allocates nothing. Run as
 * policy steps, every request of every route would pay the pipeline's machinery (a
 * `PipelineRun` and its environment, a call per step, the outbound side, in-flight counting per
 * plan): measured with callgrind (`_pipeline-probe.ts plain noop`), one policy that only
 * continues adds about a tenth to a route's instructions per `handle` (figures in
 * benchmarks/HISTORY.md, 2026-12-08), where the budget of
 * a route without policies is the ±0.5 % noise of the path before the pipeline (issue #19).
 * The chain is synchronous unless a step has to wait (a fault delay, a limiter store without
 * `takeSync`): then it continues in a promise of the same result.
 */
import { PipelineRun, type GeoSource, type PipelineInbound, type SyRequest, type SyResponse } from '@switchyard/core';
import type { RequestDecision } from '@switchyard/limiter';
import { match, type MatchResult } from '@switchyard/router';
import { applyRewrite } from '@switchyard/rewrite';
import { assignVariant, decideSplit, type SplitDecision } from '@switchyard/splitter';
import { decideWithSession } from './affinity.js';
import type { BackendPlan, GatewayPlan, RoutePlan } from './compile.js';
import type { GatewayContext } from './context.js';
import { decideFault } from './fault.js';
import { INSTRUMENTS } from './metrics.js';
import { policyEnv, type PolicyHost } from './policy-env.js';
import { NO_ATTRIBUTES } from './request-shape.js';
import { errorResponse, faultAbortResponse, NO_HEADERS } from './responses.js';

type Matched = Extract<MatchResult<unknown>, { kind: 'matched' }>;

/** A request after the steps of this module: an answer, or the route, backend and headers to go on with. */
export type Prepared =
  | { readonly kind: 'respond'; readonly response: SyResponse; readonly route: RoutePlan | undefined; readonly run?: PipelineRun | undefined }
  | {
      readonly kind: 'continue';
      readonly route: RoutePlan;
      readonly request: SyRequest;
      readonly params: Readonly<Record<string, string>>;
      readonly matchedPrefix: string | undefined;
      readonly backend: BackendPlan | undefined;
      readonly variant: string | undefined;
      readonly headers: Readonly<Record<string, string>>;
      /** The route's policy run (its outbound side runs on the response), if it has policies. */
      readonly run?: PipelineRun | undefined;
    };

/**
 * What a route limit's 429 tells error templates (`${detail.limit}`, …): the refusing rule, its
 * limit and window, what remains and when to retry. Built on the 429 path only.
 */
function limitDetail(decision: Extract<RequestDecision, { kind: 'limited' }>): Readonly<Record<string, unknown>> {
  let limited: RequestDecision['decisions'][number] | undefined;
  for (const d of decision.decisions) if (d.rule === decision.rule && d.mode === 'enforce' && d.decision.kind === 'limited') limited = d;
  const retryAfter = decision.headers['retry-after'];
  return {
    rule: decision.rule,
    limit: limited?.decision.limit ?? limited?.policy.maxTokens,
    remaining: limited?.decision.remaining ?? 0,
    windowMs: limited?.policy.windowMs,
    retryAfterSeconds: retryAfter !== undefined && /^\d+$/.test(retryAfter) ? Number(retryAfter) : Math.ceil(decision.retryAfterMs / 1000),
  };
}

/**
 * The gateway's `prepare(request, plan)`: the steps above for one request, on the plan it
 * started on. Synchronous unless a step has to wait: then a promise of the same result, so
 * callers that can use the value directly skip a promise and a microtask.
 */
export function createPreparer(
  ctx: GatewayContext,
  options: {
    /** The route's rollout analysis, when due (plans.ts). */
    readonly evaluateRolloutNow: (route: RoutePlan) => void;
    readonly geoSource: GeoSource | undefined;
  },
): (req: SyRequest, p: GatewayPlan) => Prepared | Promise<Prepared> {
  const { clock, rng, metrics, listeners, emit, formatError, plan } = ctx;
  const { evaluateRolloutNow } = options;
  const matchOptions = { rng }; // one options object for every match, not one per request

  // What policy runs need from the gateway (policy-env.ts `policyEnv`), built once.
  const policyHost: PolicyHost = {
    clock,
    rng,
    geoSource: options.geoSource,
    errorResponse,
    onShortCircuit: (route, policy, result, status) => {
      metrics.inc(INSTRUMENTS.policyRejections, 'Requests a policy answered itself (reject, respond or a failure), by policy, route and status.', { 'switchyard.policy': policy, 'http.route': route ?? '', 'http.response.status_code': status });
      if (listeners.size > 0) emit({ kind: 'policy', at: clock.now(), route, policy, result, status });
    },
  };

  /** The backend a policy picked, by request (read by `routeSteps` on routes with policies only). */
  const pickedBackends = new WeakMap<SyRequest, string>();

  // 1. route.
  function prepare(req: SyRequest, p: GatewayPlan): Prepared | Promise<Prepared> {
    const m = match(p.table, req, matchOptions);
    if (m.kind === 'bad-request') return unrouted(p, req, errorResponse('SY_BAD_REQUEST', m.reason));
    if (m.kind === 'no-route') return unrouted(p, req, errorResponse('SY_NO_ROUTE', `no route for ${req.method} ${m.path}`));
    const route = m.route.value as RoutePlan;
    const now = clock.now();
    // One copy of the request per request: later steps add to its `attributes` (ours, fresh) in
    // place. Field by field, not a spread: one fixed shape, and no copy of an empty attribute set.
    const given = req.attributes;
    const request: SyRequest = {
      method: req.method,
      scheme: req.scheme,
      authority: req.authority,
      path: m.path,
      query: req.query,
      headers: req.headers,
      clientAddress: req.clientAddress,
      attributes: given === NO_ATTRIBUTES ? { route: route.name } : { ...given, route: route.name },
      body: req.body,
    };
    // Inbound policies first: what they set (attributes, identity, a backend) is seen by the
    // fault, the limits, the redirect, the experiment, the split and the rewrite.
    if (route.pipeline !== undefined) return withPolicies(p, route, m, request, req, now);
    // No fault: straight to the limits, one call less on the common path.
    return route.fault === undefined ? limitStep(route, m, request, now) : faultStep(route, m, request, now);
  }

  /** A response before any route (400, 404): the gateway-wide finalizers still run on it. */
  function unrouted(p: GatewayPlan, req: SyRequest, response: SyResponse): Prepared {
    const pipeline = p.policies.unrouted;
    if (pipeline === undefined) return { kind: 'respond', response, route: undefined };
    return { kind: 'respond', response, route: undefined, run: new PipelineRun(pipeline, req, policyEnv(policyHost, p, undefined, req, clock.now())) };
  }

  // 2. policies: the route's inbound policies, then the built-in steps unless a policy answered.
  function withPolicies(p: GatewayPlan, route: RoutePlan, m: Matched, request: SyRequest, req: SyRequest, now: number): Prepared | Promise<Prepared> {
    const run = new PipelineRun(route.pipeline as NonNullable<RoutePlan['pipeline']>, request, policyEnv(policyHost, p, route, req, now));
    const inbound = run.runInbound();
    return inbound instanceof Promise ? inbound.then((o) => afterPolicies(route, m, run, o, clock.now())) : afterPolicies(route, m, run, inbound, now);
  }

  function afterPolicies(route: RoutePlan, m: Matched, run: PipelineRun, inbound: PipelineInbound, now: number): Prepared | Promise<Prepared> {
    if (inbound.kind === 'respond') return { kind: 'respond', response: inbound.response, route, run };
    if (run.backend !== undefined) pickedBackends.set(run.request, run.backend);
    const next = faultStep(route, m, run.request, now);
    return next instanceof Promise ? next.then((d) => withRun(d, run)) : withRun(next, run);
  }

  // The result with the route's policy run, as one literal of a fixed shape. A spread
  // (`{ ...d, run }`) gave every request's result a map of its own: the loads of `kind`, `route`,
  // `run`, `request`… in handle.ts and proxy.ts then missed their inline caches on every request
  // (`--log-ic`), which cost a route with one do-nothing policy as much again as the whole
  // no-policy path.
  function withRun(d: Prepared, run: PipelineRun): Prepared {
    if (d.kind === 'respond') return { kind: 'respond', response: d.response, route: d.route, run };
    return { kind: 'continue', route: d.route, request: d.request, params: d.params, matchedPrefix: d.matchedPrefix, backend: d.backend, variant: d.variant, headers: d.headers, run };
  }

  // 3. fault. The steps after routing take their inputs as arguments: no per-request object to carry them.
  function faultStep(route: RoutePlan, m: Matched, request: SyRequest, now: number): Prepared | Promise<Prepared> {
    if (route.fault !== undefined) {
      const fault = decideFault(route.fault, request.headers, rng);
      if (fault.delayMs > 0 || fault.abortStatus !== undefined) if (listeners.size > 0) emit({ kind: 'fault', at: now, route: route.name, delayMs: fault.delayMs, abortStatus: fault.abortStatus });
      if (fault.delayMs > 0) return new Promise<void>((resolve) => clock.setTimer(fault.delayMs, resolve)).then(() => faultAbort(route, fault.abortStatus) ?? limitStep(route, m, request, clock.now()));
      const aborted = faultAbort(route, fault.abortStatus);
      if (aborted !== undefined) return aborted;
    }
    return limitStep(route, m, request, now);
  }

  function faultAbort(route: RoutePlan, abortStatus: number | undefined): Prepared | undefined {
    if (abortStatus === undefined) return undefined;
    return { kind: 'respond', response: faultAbortResponse(route.name, abortStatus), route };
  }

  // 4. limit.
  function limitStep(route: RoutePlan, m: Matched, request: SyRequest, now: number): Prepared | Promise<Prepared> {
    const limiter = route.limiter;
    if (limiter === undefined) return routeSteps(route, m, request, NO_HEADERS, now);
    const decision = limiter.checkNow(request, now);
    return decision instanceof Promise ? decision.then((d) => limited(route, m, request, now, d)) : limited(route, m, request, now, decision);
  }

  function limited(route: RoutePlan, m: Matched, request: SyRequest, now: number, decision: RequestDecision): Prepared {
    if (decision.kind === 'limited') {
      // A shared store that failed closed is not a limit the client reached: the documented 503.
      if (decision.reason === 'store-unavailable') return { kind: 'respond', response: errorResponse('SY_STORE_UNAVAILABLE', `rate limit ${decision.rule}: the limiter's store is unavailable`, decision.headers, undefined, { route: route.name, detail: { rule: decision.rule } }), route };
      if (listeners.size > 0) emit({ kind: 'limited', at: clock.now(), route: route.name, rule: decision.rule, retryAfterMs: decision.retryAfterMs });
      metrics.inc(INSTRUMENTS.rateLimited, 'Requests answered 429 by a rate limit.', { 'http.route': route.name, 'switchyard.rate_limit.rule': decision.rule });
      const message = decision.reason === 'missing-key' ? `rate limit ${decision.rule}: the request has no key (for client-ip: no client address) and onMissingKey is 'deny'` : `rate limit ${decision.rule} exceeded`;
      // The template values only when something formats errors (the plan in force: a reload in
      // between costs this request its `${detail.*}` values, nothing else).
      // Without a formatter only the rule (the request's span reports it): no template values.
      const detail = plan().errors === undefined && formatError === undefined ? { rule: decision.rule } : limitDetail(decision);
      return { kind: 'respond', response: errorResponse('SY_RATE_LIMITED', message, decision.headers, undefined, { route: route.name, detail }), route };
    }
    // Used as it is: no step mutates it (the experiment step copies before adding its header).
    return routeSteps(route, m, request, decision.headers, now);
  }

  // 5.–7. redirect, experiment and split: the synchronous rest.
  function routeSteps(route: RoutePlan, m: Matched, request: SyRequest, limitHeaders: Readonly<Record<string, string>>, now: number): Prepared {
    let headers = limitHeaders;
    const attributes = request.attributes as Record<string, unknown>; // the fresh copy `prepare` made
    // 5. redirect.
    if (route.redirect !== undefined) {
      const r = applyRewrite(route.redirect, { request, params: m.params, matchedPrefix: route.prefixes[m.matchIndex] ?? '' });
      if (r.kind === 'redirect') return { kind: 'respond', response: { ...r.response, headers: { ...r.response.headers, ...headers } }, route };
      if (r.kind === 'rejected') return { kind: 'respond', response: errorResponse(r.error.code, r.error.message, undefined, undefined, { route: route.name }), route };
    }

    // 6. experiment.
    let variant: string | undefined;
    if (route.experiment !== undefined) {
      const e = assignVariant(route.experiment, request);
      if (e.kind === 'variant') {
        variant = e.variant;
        headers = { ...headers, [e.header.name]: e.header.value };
        attributes['experiment'] = `${e.experiment}:${e.variant}`;
        if (listeners.size > 0) emit({ kind: 'experiment', at: now, route: route.name, experiment: e.experiment, variant: e.variant });
      }
    }

    // 7. split, or the backend a policy picked.
    let backend: BackendPlan | undefined;
    const picked = route.pipeline === undefined ? undefined : pickedBackends.get(request);
    if (picked !== undefined) {
      // A policy chose the backend: the split (and its rollout) do not run for this request.
      backend = route.backends.get(picked);
      if (backend === undefined) return { kind: 'respond', response: errorResponse('SY_INTERNAL', `a policy picked backend ${JSON.stringify(picked)}, which route ${route.name} does not have`, headers, 500, { route: route.name }), route };
      attributes['backend'] = picked;
    } else if (route.split !== undefined) {
      if (route.rollout !== undefined) evaluateRolloutNow(route);
      let s: SplitDecision;
      if (route.session === undefined) s = decideSplit(route.split, request, rng);
      else {
        // Gateway API session persistence (affinity.ts): only routes that configure it pay for it.
        const sp = decideWithSession(route, route.split, request, rng, clock);
        s = sp.decision;
        if (sp.header !== undefined) headers = { ...headers, [sp.header[0]]: sp.header[1] };
      }
      if (s.kind === 'empty') return { kind: 'respond', response: errorResponse('SY_NO_BACKEND', 'every backend of this route has weight 0', headers, undefined, { route: route.name }), route };
      backend = route.backends.get(s.backend);
      attributes['backend'] = s.backend;
      if (listeners.size > 0) emit({ kind: 'split', at: now, route: route.name, backend: s.backend, by: s.by });
    }
    return { kind: 'continue', route, request, params: m.params, matchedPrefix: route.prefixes[m.matchIndex], backend, variant, headers };
  }

  return prepare;
}
