/**
 * `gateway.explain(route)`: a route's compiled plan as it runs, in order: its policies
 * (gateway-wide and the route's, with their type, `when` and `describe()`), the built-in steps
 * (prepare.ts, proxy.ts), the outbound order and the finalizers, as values and as text.
 */
import type { Policy } from '@switchyard/core';
import type { GatewayPlan } from './compile.js';
import type { PolicyWhen } from './config.js';
import type { PolicyInstance } from './pipeline.js';

/** One step of {@link RouteExplanation.inbound}. */
export type ExplainedStep =
  | {
      readonly kind: 'policy';
      readonly name: string;
      readonly type: string;
      /** `gateway` for the gateway-wide `pipeline` lists, `route` for the route's own. */
      readonly scope: 'gateway' | 'route';
      readonly when: PolicyWhen | undefined;
      readonly finalizer: boolean;
      /** The policy's own `describe()`, if it has one. */
      readonly description: string | undefined;
    }
  | { readonly kind: 'stage'; readonly name: 'fault' | 'limits' | 'redirect' | 'experiment' | 'split' | 'forward'; readonly description: string };

/** A route's compiled plan, in the order it runs (`gateway.explain(route)`). */
export interface RouteExplanation {
  readonly route: string;
  /** Inbound policies then the built-in stages, in order. */
  readonly inbound: readonly ExplainedStep[];
  /** The outbound order: which policy, and whether it unwinds an inbound one or is response-only. */
  readonly outbound: readonly { readonly name: string; readonly as: 'unwind' | 'response-only'; readonly finalizer: boolean }[];
  /** The finalizers (run on every response, also after a short-circuit). */
  readonly finalizers: readonly string[];
  /** The plan as text, one step a line. */
  toString(): string;
}

function describeOf(policy: Policy): string | undefined {
  try {
    return policy.describe?.();
  } catch {
    return undefined;
  }
}

function whenText(when: PolicyWhen | undefined): string {
  if (when === undefined) return '';
  const parts: string[] = [];
  if (when.method !== undefined) parts.push(`method ${[when.method].flat().join('|')}`);
  if (when.pathPrefix !== undefined) parts.push(`path under ${[when.pathPrefix].flat().join('|')}`);
  if (when.header !== undefined) parts.push(when.header.value !== undefined ? `header ${when.header.name} = ${JSON.stringify(when.header.value)}` : `header ${when.header.name} ${when.header.present === false ? 'absent' : 'present'}`);
  const text = parts.join(' and ');
  return when.not === true ? ` when not (${text})` : ` when ${text}`;
}

/** The printable compiled plan of one route of `plan` (see {@link RouteExplanation}). */
export function explainRoute(plan: GatewayPlan, name: string): RouteExplanation | undefined {
  const route = plan.routes.find((r) => r.name === name);
  if (route === undefined) return undefined;
  const set = plan.policies;
  const gatewayWide = new Set([...set.gatewayInbound, ...set.gatewayOutbound]);
  const pipeline = route.pipeline;
  const steps: ExplainedStep[] = [];
  const policyStep = (stepName: string): ExplainedStep => {
    const instance = set.instances.get(stepName) as PolicyInstance;
    return { kind: 'policy', name: stepName, type: instance.type, scope: gatewayWide.has(stepName) ? 'gateway' : 'route', when: instance.when, finalizer: instance.policy.finalizer === true, description: describeOf(instance.policy) };
  };
  for (const step of pipeline?.inbound ?? []) steps.push(policyStep(step.name));
  const c = route.config;
  if (c.fault !== undefined) steps.push({ kind: 'stage', name: 'fault', description: `fault injection${c.fault.delay !== undefined ? ` (delay ${c.fault.delay.fixedDelayMs} ms for ${c.fault.delay.percent ?? 0} %)` : ''}${c.fault.abort !== undefined ? ` (abort ${c.fault.abort.httpStatus} for ${c.fault.abort.percent ?? 0} %)` : ''}` });
  if ((c.limits ?? []).length > 0) steps.push({ kind: 'stage', name: 'limits', description: `rate limits ${(c.limits ?? []).join(', ')} (all consumed)` });
  if (c.redirect !== undefined) steps.push({ kind: 'stage', name: 'redirect', description: `redirect ${c.redirect.statusCode ?? 302}` });
  if (c.experiment !== undefined) steps.push({ kind: 'stage', name: 'experiment', description: `experiment ${c.experiment.name}: ${c.experiment.variants.map((v) => v.name).join(', ')}` });
  if (route.split !== undefined) {
    const weights = route.split.backends.map((b) => `${b.name} ${b.weight}`).join(', ');
    steps.push({ kind: 'stage', name: 'split', description: `split ${weights}${c.split?.canary !== undefined ? ` (${c.split.canary.length} canary rule${c.split.canary.length === 1 ? '' : 's'} first)` : ''}${pipeline !== undefined ? '; skipped when a policy picks a backend' : ''}` });
  }
  if (c.redirect === undefined) {
    const rw = c.rewrite;
    const rewrite = rw === undefined ? 'no rewrite' : `rewrite${rw.url !== undefined ? ` url ${rw.url}` : ''}${rw.path !== undefined ? ` path ${rw.path.type}` : ''}`;
    steps.push({ kind: 'stage', name: 'forward', description: `${rewrite}; timeout ${route.forward.timeoutMs} ms${route.forward.retry !== undefined ? `, ${route.forward.retry.numRetries} retr${route.forward.retry.numRetries === 1 ? 'y' : 'ies'}` : ''}${route.mirror !== undefined ? `, mirror to ${route.mirror.upstream.name}` : ''}` });
  }
  const outbound = (pipeline?.outbound ?? []).map((e) => ({ name: e.step.name, as: e.inboundIndex >= 0 ? ('unwind' as const) : ('response-only' as const), finalizer: e.step.policy.finalizer === true }));
  const finalizers = outbound.filter((o) => o.finalizer).map((o) => o.name);
  const lines = [`route ${route.name}`, '  inbound:'];
  steps.forEach((s, i) => {
    if (s.kind === 'policy') lines.push(`    ${i + 1}. ${s.name} (${s.type}, ${s.scope}${s.finalizer ? ', finalizer' : ''})${whenText(s.when)}${s.description !== undefined ? `: ${s.description}` : ''}`);
    else lines.push(`    ${i + 1}. [${s.name}] ${s.description}`);
  });
  lines.push('  outbound:');
  if (outbound.length === 0) lines.push('    (none)');
  outbound.forEach((o, i) => lines.push(`    ${i + 1}. ${o.name} (${o.as}${o.finalizer ? ', finalizer: every response' : ''})`));
  const text = lines.join('\n');
  return Object.freeze({ route: route.name, inbound: Object.freeze(steps), outbound: Object.freeze(outbound), finalizers: Object.freeze(finalizers), toString: () => text });
}
