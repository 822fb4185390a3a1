/**
 * One request's policy environment: what a pipeline run borrows from the gateway (its request id
 * rule, client identity, error formatter and events), built per request on routes with policies.
 */
import { ERROR_STATUS, type Clock, type GeoSource, type PipelineEnv, type PolicyReject, type PolicyRoute, type Rng, type SwitchyardErrorCode, type SyRequest, type SyResponse } from '@switchyard/core';
import type { GatewayPlan, RoutePlan } from './compile.js';
import { requestIdOf } from './error-body.js';
import type { ErrorContext } from './error-format.js';

/** What the gateway lends every policy run (built once per gateway). */
export interface PolicyHost {
  readonly clock: Clock;
  readonly rng: Rng;
  readonly geoSource: GeoSource | undefined;
  /** The gateway's error response (the formatter), with who answered as its context. */
  errorResponse(code: SwitchyardErrorCode, message: string, headers: Readonly<Record<string, string>>, status: number, context: ErrorContext): SyResponse;
  /** A policy answered (metrics, events). */
  onShortCircuit(route: string | undefined, policy: string, result: 'reject' | 'respond' | 'error', status: number): void;
}

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});
/** What policies on a request with no route (400 before routing, 404) see as `ctx.route`. */
const NO_POLICY_ROUTE = Object.freeze({ name: '', metadata: Object.freeze({}) });

/**
 * One request's {@link PipelineEnv}: the request id rule, client identity, formatter and events of
 * the gateway. One object per request with its methods on the prototype, not an object literal of
 * six closures (seven allocations per request on every route with policies).
 */
class GatewayPolicyEnv implements PipelineEnv {
  readonly clock: Clock;
  readonly rng: Rng;
  readonly geoSource: GeoSource | undefined;
  readonly route: PolicyRoute;
  readonly now: number;
  readonly #host: PolicyHost;
  readonly #plan: GatewayPlan;
  readonly #req: SyRequest;
  readonly #routeName: string | undefined;

  constructor(host: PolicyHost, plan: GatewayPlan, route: RoutePlan | undefined, req: SyRequest, now: number) {
    this.clock = host.clock;
    this.rng = host.rng;
    this.geoSource = host.geoSource;
    this.route = route?.policyRoute ?? NO_POLICY_ROUTE;
    this.now = now;
    this.#host = host;
    this.#plan = plan;
    this.#req = req;
    this.#routeName = route?.name;
  }

  requestId(): string {
    return requestIdOf(this.#req.headers, this.rng);
  }

  clientIp(): string | undefined {
    return this.#plan.client.ip(this.#req);
  }

  trustedPeer(): boolean {
    return this.#plan.client.trusted(this.#req);
  }

  reject(r: PolicyReject, policy: string): SyResponse {
    return this.#host.errorResponse(r.code, `policy ${policy}: ${r.message}`, r.headers ?? NO_HEADERS, r.status ?? ERROR_STATUS[r.code], { route: this.#routeName, policy, detail: r.detail, message: r.message });
  }

  // No message in the body: errorResponse keeps it internal unless exposeErrorDetails.
  failed(err: unknown, policy: string, phase: 'inbound' | 'outbound'): SyResponse {
    return this.#host.errorResponse('SY_INTERNAL', `policy ${policy} failed in ${phase}: ${err instanceof Error ? err.message : String(err)}`, NO_HEADERS, 500, { route: this.#routeName, policy });
  }

  onShortCircuit(policy: string, kind: 'reject' | 'respond' | 'error', status: number): void {
    this.#host.onShortCircuit(this.#routeName, policy, kind, status);
  }
}

/** One request's {@link PipelineEnv} (see {@link GatewayPolicyEnv}). */
export function policyEnv(host: PolicyHost, plan: GatewayPlan, route: RoutePlan | undefined, req: SyRequest, now: number): PipelineEnv {
  return new GatewayPolicyEnv(host, plan, route, req, now);
}
