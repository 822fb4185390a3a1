/**
 * Compiles one route into its {@link RoutePlan}: backends and their split, rollout and experiment,
 * rewrite or redirect, rate limits, retries, hedging and timeouts, mirror and fault injection;
 * and rebuilds a split when its rollout moves ({@link applyRolloutWeights}).
 */
import { compileSession } from '../affinity.js';
import type { CompiledPipeline, ConfigIssue } from '@switchyard/core';
import { createRateLimiter, type LimitRule } from '@switchyard/limiter';
import { compileRewrite } from '@switchyard/rewrite';
import { compileExperiment, compileSplit, startRollout, withWeights, type RolloutConfig, type SplitPlan } from '@switchyard/splitter';
import type { GatewayConfig, RouteConfig } from '../config.js';
import { createRetryBudget } from '../retry-budget.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../retry-policy.js';
import { fingerprint } from './fingerprint.js';
import { within } from './issue-paths.js';
import type { BackendPlan, CompileDeps, RolloutRuntime, RoutePlan, UpstreamRuntime } from './plan.js';
import { checkRewriteOrigin, checkTemplateParams } from './rewrite-checks.js';
import { backendName, groupFor } from './upstreams.js';

/**
 * Compiles `routes[i]` (at `at`) against the compiled upstreams and limits; `prev` is the same
 * route's plan in the previous config (its rollout and retry budget carry over when unchanged).
 */
export function compileRoute(
  route: RouteConfig,
  at: string,
  issues: ConfigIssue[],
  warnings: ConfigIssue[],
  upstreamConfigs: GatewayConfig['upstreams'],
  upstreams: ReadonlyMap<string, UpstreamRuntime>,
  broken: ReadonlySet<string>,
  limitRules: ReadonlyMap<string, LimitRule>,
  deps: CompileDeps,
  prev: RoutePlan | undefined,
  headerStyle: 'both' | 'ietf' | 'legacy' | 'none',
  forwardedTrust: ForwardedTrust | undefined,
  pipeline: CompiledPipeline | undefined,
): RoutePlan | undefined {
  const before = issues.length;
  const now = deps.clock.now();
  const backends = new Map<string, BackendPlan>();
  (route.backends ?? []).forEach((b, j) => {
    const upstream = upstreams.get(b.upstream);
    if (upstream === undefined) {
      // An upstream that exists but failed to compile has its own issues already.
      if (!broken.has(b.upstream)) issues.push({ path: `${at}.backends[${j}].upstream`, message: `unknown upstream ${JSON.stringify(b.upstream)}` });
      return;
    }
    const name = backendName(b);
    if (backends.has(name)) issues.push({ path: `${at}.backends[${j}].name`, message: `duplicate backend ${JSON.stringify(name)}` });
    const group = groupFor(upstream, b.subset, now);
    if (group.endpoints.length === 0) issues.push({ path: `${at}.backends[${j}].subset`, message: `selects no endpoint of upstream ${JSON.stringify(b.upstream)}` });
    backends.set(name, { name, upstream, group });
  });
  if (route.redirect === undefined && (route.backends ?? []).length === 0) {
    // Gateway API: a rule with no backendRefs (and no filter answering it) loads, and its
    // requests get a 500; the rest of the config is unaffected. A warning, not an error.
    warnings.push({ path: `${at}.backends`, message: 'no backend and no redirect: requests to this route are answered 500' });
  }
  if (route.redirect !== undefined && route.backends !== undefined && route.backends.length > 0) {
    issues.push({ path: `${at}.redirect`, message: 'a route either redirects or forwards, not both' });
  }

  let split: SplitPlan | undefined;
  if (backends.size > 0) {
    split = within(issues, `${at}.split`, () =>
      compileSplit({
        name: route.name,
        ...(route.split?.salt !== undefined ? { salt: route.split.salt } : {}),
        backends: (route.backends ?? []).map((b) => ({ name: backendName(b), weight: b.weight ?? 1 })),
        ...(route.split?.key !== undefined ? { key: route.split.key as never } : {}),
        ...(route.split?.canary !== undefined ? { canary: route.split.canary } : {}),
        // Gateway API: all-zero weights load and answer 500 (warned below), unlike Envoy.
        allowAllZero: true,
      }),
    );
    if (split !== undefined && split.totalWeight === 0 && route.rollout === undefined) {
      warnings.push({
        path: `${at}.backends`,
        message: `every backend has weight 0: requests to this route are answered 500${route.split?.canary !== undefined ? ' unless a canary rule picks a backend' : ''}`,
      });
    }
  }

  let rollout: RolloutRuntime | undefined;
  if (route.rollout !== undefined) {
    const { canary, baseline, ...rc } = route.rollout;
    if (!backends.has(canary)) issues.push({ path: `${at}.rollout.canary`, message: `unknown backend ${JSON.stringify(canary)}` });
    if (!backends.has(baseline)) issues.push({ path: `${at}.rollout.baseline`, message: `unknown backend ${JSON.stringify(baseline)}` });
    const fp = fingerprint(route.rollout);
    const kept = prev?.rollout?.fingerprint === fp ? prev.rollout : undefined;
    const state = kept?.state ?? within(issues, `${at}.rollout`, () => startRollout(rc as RolloutConfig, now));
    if (state !== undefined) rollout = { config: rc as RolloutConfig, canary, baseline, fingerprint: fp, state, appliedPercent: -1 };
  }

  const experiment = route.experiment === undefined ? undefined : within(issues, `${at}.experiment`, () => compileExperiment(route.experiment as never));
  const rewrite = within(issues, `${at}.rewrite`, () => compileRewrite(withForwardedTrust(route.rewrite, forwardedTrust) as never));
  checkTemplateParams(route, at, issues);
  if (route.rewrite?.url !== undefined) checkRewriteOrigin(route.rewrite.url, route.rewrite.allowedUpstreams ?? [], route.backends ?? [], upstreamConfigs, `${at}.rewrite.url`, issues);
  const redirect = route.redirect === undefined ? undefined : within(issues, `${at}.redirect`, () => compileRewrite({ redirect: route.redirect } as never));

  const rules: LimitRule[] = [];
  (route.limits ?? []).forEach((name, j) => {
    const rule = limitRules.get(name);
    if (rule === undefined) issues.push({ path: `${at}.limits[${j}]`, message: `unknown limit ${JSON.stringify(name)}` });
    else rules.push(rule);
  });
  const limiter = rules.length === 0 ? undefined : within(issues, `${at}.limits`, () => createRateLimiter({ id: 'switchyard', rules, store: deps.store, clock: deps.clock, dedupeRequests: false, headers: headerStyle }));

  const retry = retryPolicy(route.retry);
  if (retry !== undefined && retry.retryOn.includes('retriable-status-codes') && retry.retriableStatusCodes.length === 0) {
    issues.push({ path: `${at}.retry.retriableStatusCodes`, message: "must list codes when retryOn has 'retriable-status-codes'" });
  }
  if (retry !== undefined && route.retry?.retriableStatusCodes !== undefined && route.retry.retriableStatusCodes.length > 0 && !retry.retryOn.includes('retriable-status-codes')) {
    // Envoy reads retriable_status_codes only for the retriable-status-codes condition.
    issues.push({ path: `${at}.retry.retriableStatusCodes`, message: "has no effect unless retryOn includes 'retriable-status-codes'" });
  }
  const timeoutMs = route.timeoutMs ?? 15_000;
  const perTry = route.perTryTimeoutMs ?? 0;
  if (timeoutMs > 0 && perTry > timeoutMs) issues.push({ path: `${at}.perTryTimeoutMs`, message: `must be <= timeoutMs (${timeoutMs})` });
  if (route.hedge !== undefined && retry === undefined) issues.push({ path: `${at}.hedge`, message: 'hedging needs a retry policy (hedges count as retries, as in Envoy)' });
  if (route.hedge?.onPerTryTimeout === true && perTry === 0) issues.push({ path: `${at}.hedge.onPerTryTimeout`, message: 'has no effect without perTryTimeoutMs (Envoy hedge_on_per_try_timeout)' });
  for (const kind of ['delay', 'abort'] as const) {
    // Envoy and Istio inject into no request without a percentage: a fault without one is inert.
    if (route.fault?.[kind] !== undefined && route.fault[kind].percent === undefined) {
      issues.push({ path: `${at}.fault.${kind}.percent`, message: `is required: without it no request is ${kind === 'delay' ? 'delayed' : 'aborted'} (0 %, as in Envoy and Istio)` });
    }
  }

  let mirror: RoutePlan['mirror'];
  if (route.mirror !== undefined) {
    const upstream = upstreams.get(route.mirror.upstream);
    if (upstream === undefined) {
      if (!broken.has(route.mirror.upstream)) issues.push({ path: `${at}.mirror.upstream`, message: `unknown upstream ${JSON.stringify(route.mirror.upstream)}` });
    }
    else {
      groupFor(upstream, undefined, now);
      mirror = {
        upstream,
        policy: { ...(route.mirror.percent !== undefined ? { percent: route.mirror.percent } : {}), ...(route.mirror.timeoutMs !== undefined ? { timeoutMs: route.mirror.timeoutMs } : {}) },
      };
    }
  }

  if (issues.length > before || rewrite === undefined) return undefined;
  const budgetConfig = route.retry?.budget;
  const keptBudget = prev?.budget !== undefined && fingerprint(budgetConfig) === fingerprint(prevBudgetConfig.get(prev)) ? prev.budget : undefined;
  const budget = budgetConfig === undefined ? undefined : (keptBudget ?? createRetryBudget(budgetConfig, now));
  const plan: RoutePlan = {
    name: route.name,
    backends,
    split,
    rollout,
    experiment,
    rewrite,
    redirect,
    limiter,
    forward: Object.freeze({
      timeoutMs,
      perTryTimeoutMs: perTry,
      idleTimeoutMs: route.idleTimeoutMs ?? 300_000,
      ...(route.propagateDeadline === true ? { propagateDeadline: true } : {}),
      ...(retry !== undefined ? { retry: Object.freeze(retry) } : {}),
      ...(route.hedge !== undefined ? { hedge: Object.freeze({ onPerTryTimeout: route.hedge.onPerTryTimeout ?? false, delayMs: route.hedge.delayMs }) } : {}),
    }),
    budget,
    mirror,
    fault: route.fault,
    priority: route.priority,
    pipeline,
    config: route,
    policyRoute: Object.freeze({ name: route.name, metadata: Object.freeze({ ...(route.metadata ?? {}) }) }),
    prefixes: (route.matches ?? [{}]).map((m) => (m.path?.type === 'PathPrefix' || m.path?.type === 'Prefix' ? m.path.value : undefined)),
    needsReplay: retry !== undefined,
    session: compileSession(route.sessionPersistence),
  };
  prevBudgetConfig.set(plan, budgetConfig);
  if (rollout !== undefined) applyRolloutWeights(plan);
  return plan;
}

/** Budget configs by plan, to know whether a reload may keep a budget's counts. */
const prevBudgetConfig = new WeakMap<RoutePlan, unknown>();

/** Who may set forwarding headers: `clientIdentity`'s proxies or hop count. */
export type ForwardedTrust = { readonly trustedProxies: readonly string[] } | { readonly trustedHops: number };

/** The forwarding trust of a (valid) `clientIdentity`. */
export function trustOf(ci: { readonly trustedProxies?: readonly string[]; readonly trustedHops?: number }): ForwardedTrust | undefined {
  if (ci.trustedProxies !== undefined) return { trustedProxies: ci.trustedProxies };
  return ci.trustedHops !== undefined ? { trustedHops: ci.trustedHops } : undefined;
}

/**
 * A route's rewrite config, with the gateway's trusted proxies filled in for the default
 * forwarded mode ('trusted') when the route names none of its own. Without clientIdentity no
 * peer is trusted: client-sent forwarding headers are overwritten.
 */
function withForwardedTrust(rewrite: RouteConfig['rewrite'], trust: ForwardedTrust | undefined): object {
  const rw = (rewrite ?? {}) as { readonly forwarded?: { readonly mode?: string; readonly trustedProxies?: unknown; readonly trustedHops?: unknown } };
  const fw = rw.forwarded;
  if (trust === undefined || (fw !== undefined && ((fw.mode ?? 'trusted') !== 'trusted' || fw.trustedProxies !== undefined || fw.trustedHops !== undefined))) return { ...rw };
  return { ...rw, forwarded: { ...fw, ...trust } };
}

/** Rebuilds the route's split from its rollout's current percentage (a new frozen plan). */
export function applyRolloutWeights(route: RoutePlan): boolean {
  const r = route.rollout;
  if (r === undefined || route.split === undefined) return false;
  const percent = r.state.phase === 'rolled-back' || r.state.phase === 'aborted' ? 0 : r.state.phase === 'succeeded' ? 100 : r.state.weightPercent;
  if (percent === r.appliedPercent) return false;
  const weights: Record<string, number> = {};
  for (const name of route.backends.keys()) weights[name] = 0;
  // Weights in basis points so a 0.5 % step is expressible.
  weights[r.canary] = Math.round(percent * 100);
  weights[r.baseline] = 10_000 - Math.round(percent * 100);
  route.split = withWeights(route.split, weights);
  r.appliedPercent = percent;
  return true;
}

/**
 * A route's retry policy: the defaults, then every field the route sets. `baseIntervalMs` alone
 * also moves the backoff cap to 10× it (Envoy's default `max_interval`); `maxIntervalMs` overrides.
 */
function retryPolicy(retry: RouteConfig['retry']): RetryPolicy | undefined {
  if (retry === undefined) return undefined;
  const { budget: _budget, ...given } = retry;
  // Every field of `given` is a field of the policy: the keys keep the defaults' order.
  const policy: Record<string, unknown> = { ...DEFAULT_RETRY_POLICY };
  if (given.baseIntervalMs !== undefined) policy['maxIntervalMs'] = given.baseIntervalMs * 10;
  for (const [key, value] of Object.entries(given)) if (value !== undefined) policy[key] = value;
  return policy as unknown as RetryPolicy;
}
