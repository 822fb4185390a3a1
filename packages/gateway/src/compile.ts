/**
 * Compiles a {@link GatewayConfig} into a frozen plan, reusing the runtime state (balancer
 * EWMAs and in-flight counts, ejections, health-check states, breakers, rollouts) of whatever
 * stays from the previous plan. Every problem is reported by its config path, all at once.
 *
 * This module is the whole-config pass (the order of the sections, the cross-checks between
 * them, the route table); each section's compiler is in `compile/`: `upstreams.ts`, `limits.ts`,
 * `route.ts` (with `rewrite-checks.ts`), the plan's types in `plan.ts`.
 */
import { ConfigError, type ConfigIssue, type SyRequest } from '@switchyard/core';
import { createClientIdentity, type LimitRule } from '@switchyard/limiter';
import { compileRoutes, type RouteConfig as RouterRouteConfig, type RouteTable } from '@switchyard/router';
import type { GatewayConfig } from './config.js';
import { parseConfigStructure } from './config.js';
import { compileErrorFormat, type ErrorsConfig } from './error-format.js';
import { closePolicies, compilePolicies, compileRoutePolicies, explainRoute, trustedPeerOf } from './pipeline.js';
import { keyPath, within } from './compile/issue-paths.js';
import { compileLimit, limitKeys } from './compile/limits.js';
import type { GatewayPlan, CompileDeps, RoutePlan, UpstreamRuntime } from './compile/plan.js';
import { compileRoute, trustOf } from './compile/route.js';
import { backendName, compileUpstream } from './compile/upstreams.js';

export type { BackendPlan, CompileDeps, GatewayPlan, GroupRuntime, RolloutRuntime, RoutePlan, UpstreamRuntime } from './compile/plan.js';
export { applyRolloutWeights } from './compile/route.js';

/**
 * Validates and compiles `config`. `previous` lends its runtimes to whatever stays. Throws a
 * {@link ConfigError} listing every problem; on error, nothing of `previous` was changed.
 */
export function compileGateway(input: GatewayConfig, deps: CompileDeps, previous?: GatewayPlan): GatewayPlan {
  // The compiler reads the schema's clean copy, never the caller's object: only known keys, in
  // fresh plain objects (a parsed document's `__proto__` or getters never reach it).
  const structure = parseConfigStructure(input);
  if (structure.kind === 'invalid') throw new ConfigError(structure.issues);
  const config = structure.config;
  const issues: ConfigIssue[] = [];
  const warnings: ConfigIssue[] = [];
  const upstreams = new Map<string, UpstreamRuntime>();
  const pendingEndpointUpdates: (() => void)[] = [];

  const broken = new Set<string>();
  for (const [name, up] of Object.entries(config.upstreams)) {
    const at = keyPath('upstreams', name);
    const runtime = compileUpstream(name, up, at, issues, deps, previous?.upstreams.get(name), pendingEndpointUpdates);
    if (runtime !== undefined) upstreams.set(name, runtime);
    else broken.add(name);
  }

  const identity = config.clientIdentity === undefined ? undefined : within(issues, 'clientIdentity', () => createClientIdentity(config.clientIdentity as never));
  // The proxies clientIdentity trusts are the ones whose forwarding headers rewrites keep
  // (forwarded mode 'trusted', the default); a valid clientIdentity only, or its issues would repeat.
  const forwardedTrust = identity === undefined ? undefined : trustOf(config.clientIdentity as { readonly trustedProxies?: readonly string[]; readonly trustedHops?: number });
  const limitRules = new Map<string, LimitRule>();
  const identityLimits = new Set<string>();
  for (const [name, limit] of Object.entries(config.limits ?? {})) {
    const rule = compileLimit(name, limit, keyPath('limits', name), issues, identity);
    if (rule !== undefined) limitRules.set(name, rule);
    if (limitKeys(limit).some((k) => typeof k === 'object' && 'identity' in k)) identityLimits.add(name);
  }
  const hasGeo = deps.hasGeoSource === true;
  const policies = compilePolicies(config, deps, issues, warnings);

  // Policies read the client address too (ctx.clientIp): then clientIdentity is not unused.
  if (config.clientIdentity !== undefined && policies.instances.size === 0 && !Object.values(config.limits ?? {}).some((l) => limitKeys(l).includes('client-ip'))) {
    // Only 'client-ip' limit keys read it (source-ip hashing and clientCidrs use the TCP peer).
    warnings.push({ path: 'clientIdentity', message: "has no effect: no limit is keyed on 'client-ip'" });
  }
  const names = new Set<string>();
  const routes: RoutePlan[] = [];
  const routerRoutes: RouterRouteConfig<RoutePlan>[] = [];
  config.routes.forEach((route, i) => {
    const at = `routes[${i}]`;
    if (names.has(route.name)) issues.push({ path: `${at}.name`, message: `duplicate route name ${JSON.stringify(route.name)}` });
    names.add(route.name);
    const prevRoute = previous?.routes.find((r) => r.name === route.name);
    const routePolicies = compileRoutePolicies(route, at, policies, config.policies, hasGeo, issues, warnings);
    // Backends a policy declared it may pick (`Policy.backends`, e.g. geo's) must be this route's:
    // an unknown one would only be a 500 at run time. A redirect route has no backend to pick.
    if (route.redirect === undefined) {
      const own = new Set((route.backends ?? []).map(backendName));
      for (const name of routePolicies.inbound) {
        const missing = (policies.instances.get(name)?.policy.backends ?? []).filter((b) => !own.has(b));
        if (missing.length === 0) continue;
        const j = (route.policies?.inbound ?? []).indexOf(name);
        const path = j >= 0 ? `${at}.policies.inbound[${j}]` : `${at}.policies`;
        issues.push({ path, message: `policy ${JSON.stringify(name)}${j >= 0 ? '' : ' (gateway-wide)'} may pick backend${missing.length === 1 ? '' : 's'} ${missing.map((b) => JSON.stringify(b)).join(', ')}, which route ${JSON.stringify(route.name)} does not have (its backends: ${[...own].map((b) => JSON.stringify(b)).join(', ') || 'none'})` });
      }
    }
    (route.limits ?? []).forEach((limit, j) => {
      if (identityLimits.has(limit) && !routePolicies.providesIdentity) {
        issues.push({ path: `${at}.limits[${j}]`, message: `limit ${JSON.stringify(limit)} is keyed on the caller's identity, but no policy that provides identity runs before it on this route (list an auth policy in policies.inbound or pipeline.inbound)` });
      }
    });
    const plan = compileRoute(route, at, issues, warnings, config.upstreams, upstreams, broken, limitRules, deps, prevRoute, config.rateLimitHeaders ?? 'legacy', forwardedTrust, routePolicies.pipeline);
    if (plan === undefined) return;
    routes.push(plan);
    routerRoutes.push({
      id: route.name,
      name: route.name,
      value: plan,
      ...(route.hostnames !== undefined ? { hostnames: route.hostnames } : {}),
      ...(route.matches !== undefined ? { matches: route.matches } : {}),
      createdAtMs: i,
    });
  });

  // Error responses: the gateway's, each route's and each policy instance's `errors` (the
  // pipeline's `policies.<name>.errors`), templates compiled once here.
  const policyConfigs = (config as { readonly policies?: Readonly<Record<string, { readonly errors?: ErrorsConfig }>> }).policies ?? {};
  const errors = compileErrorFormat(
    config.errors,
    config.routes.map((r, i) => ({ name: r.name, errors: r.errors, at: `routes[${i}].errors` })),
    Object.entries(policyConfigs).map(([name, p]) => ({ name, errors: p.errors, at: `${keyPath('policies', name)}.errors` })),
    issues,
  );

  let table: RouteTable<RoutePlan> | undefined;
  if (issues.length === 0) {
    table = within(issues, '', () =>
      compileRoutes<RoutePlan>({ routes: routerRoutes }, { selection: config.selection ?? 'gateway', ...(config.normalize !== undefined ? { normalize: config.normalize } : {}) }),
    );
  }
  if (issues.length > 0 || table === undefined) {
    // The instances this config built will never run.
    void closePolicies(policies);
    // Router paths are relative to its own config (`routes[2].matches[0]…`), which is ours too.
    throw new ConfigError(issues.map((i) => (i.path.startsWith('.') ? { path: i.path.slice(1), message: i.message } : i)));
  }
  // Only now that everything compiled may runtimes shared with the old plan change.
  for (const update of pendingEndpointUpdates) update();
  const compiled: GatewayPlan = Object.freeze({
    table,
    routes: Object.freeze(routes),
    upstreams,
    replayBufferBytes: config.replayBufferBytes ?? 64 * 1024,
    policies,
    hasPolicies: policies.instances.size > 0,
    client: Object.freeze({
      ip: identity === undefined ? (req: SyRequest) => req.clientAddress : (req: SyRequest) => identity(req)?.address,
      trusted: trustedPeerOf(identity === undefined ? undefined : config.clientIdentity),
    }),
    errors,
    warnings: Object.freeze([...warnings, ...((table as unknown as { warnings?: ConfigIssue[] }).warnings ?? [])].map((w) => Object.freeze({ path: w.path.startsWith('.') ? w.path.slice(1) : w.path, message: w.message }))),
    explain: (route: string) => explainRoute(compiled, route),
  });
  return compiled;
}
