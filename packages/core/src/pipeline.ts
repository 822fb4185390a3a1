/**
 * The policy pipeline's run loop, runtime-neutral: one compiled list of steps, run for one
 * request. The gateway (`@switchyard/gateway`) runs it between route matching and its built-in
 * stages; `@switchyard/testing`'s pipeline harness runs the same loop without a gateway, so a
 * policy tested there behaves as it does in production.
 *
 * Order (`docs/guides/policies.md`, `docs/architecture.md`):
 *
 *     request ─▶ inbound[0] ─▶ inbound[1] ─▶ … ─▶ inbound[n-1] ─▶ (the gateway's stages, upstream)
 *                                                                          │
 *     response ◀─ outbound entries, in the compiled order ◀────────────────┘
 *
 * The compiled outbound order is one layer after the other, innermost first (the route's layer,
 * then the gateway-wide one): each layer's response-only list in its listed order, then the
 * layer's inbound policies unwinding in reverse (the onion of Envoy's encoder chain, Hono and
 * MuleSoft/WSO2). An entry runs when:
 *
 * - it comes from the inbound list at index `k`: its inbound ran (`k < completed` and its `when`
 *   matched): a short-circuit at step `i` unwinds steps `< i` only (never the one that answered,
 *   never later ones; Envoy #11447: encoders must not see what they never decoded);
 * - it is response-only: the request got past every inbound step of its layer (`completed >= gate`)
 *   and its `when` matches the request as it is then;
 * - it is a finalizer (`policy.finalizer`): always, whatever the status and wherever the request
 *   stopped, as long as its `when` matches (a CORS header on a 401: `policies.md` §7 #7). A
 *   finalizer whose inbound was skipped by its `when` does not run.
 *
 * Everything is synchronous while every policy answers synchronously (so the gateway's
 * `decideNow` stays synchronous); the first promise switches the rest of the loop to promises.
 *
 * @module
 */
import type { Clock } from './clock.js';
import type { SwitchyardErrorCode } from './errors.js';
import type { Attributes, SyRequest, SyResponse } from './http.js';
import type { GeoInfo, GeoSource, Identity, InboundResult, Policy, PolicyContext, PolicyReject, PolicyRoute } from './policy.js';
import type { Rng } from './rng.js';

/**
 * The request attribute holding the caller's {@link Identity} once a policy has set one
 * (`attributes.identity`): limiters key on it (`{ identity: 'sub' }` in gateway config), the
 * splitter's attribute selectors and rewrite templates read the request's attributes.
 */
export const IDENTITY_ATTRIBUTE = 'identity';

/** The request attribute a policy may set to a {@link GeoInfo} that `ctx.geo()` then returns. */
export const GEO_ATTRIBUTE = 'geo';

/** One inbound step: a policy instance, its config name and its compiled `when`. */
export interface PipelineStep {
  readonly name: string;
  readonly policy: Policy;
  /** Compiled `when`: the step is skipped (neither inbound nor outbound) when it returns false. */
  readonly when: ((request: SyRequest) => boolean) | undefined;
}

/** One entry of the outbound order (see the module comment for when it runs). */
export interface OutboundEntry {
  readonly step: PipelineStep;
  /** Index in the inbound list (its inbound must have run), or -1 for a response-only entry. */
  readonly inboundIndex: number;
  /** For a response-only entry: how many inbound steps the request must have passed. */
  readonly gate: number;
}

/** A compiled pipeline: the inbound list and the outbound order. Shared by every request of a route. */
export interface CompiledPipeline {
  // Deliberately alike: simulate/src/report.ts (CdfSeries) — a data type's list of readonly fields: alike in shape only, different fields and meanings
  readonly inbound: readonly PipelineStep[];
  readonly outbound: readonly OutboundEntry[];
}

/** What a run needs from its host (the gateway or the test harness). */
export interface PipelineEnv {
  readonly clock: Clock;
  readonly rng: Rng;
  /** `clock.now()` when the pipeline started: one clock read shared by every policy. */
  readonly now: number;
  readonly route: PolicyRoute;
  /** The request id (computed once, on first use). */
  requestId(): string;
  /** The client address per the host's client-identity rule (computed once, on first use). */
  clientIp(): string | undefined;
  /** Whether the TCP peer is a trusted proxy (computed once, on first use). */
  trustedPeer(): boolean;
  readonly geoSource?: GeoSource | undefined;
  /** The response for a `reject`: the host's error formatter. */
  reject(result: PolicyReject, policy: string): SyResponse;
  /** The response for a policy that threw or answered nonsense: 500, no detail in the body. */
  failed(error: unknown, policy: string, phase: 'inbound' | 'outbound'): SyResponse;
  /** Called when a policy answers instead of continuing (events, metrics). */
  onShortCircuit?(policy: string, kind: 'reject' | 'respond' | 'error', status: number, code: SwitchyardErrorCode | undefined): void;
  /** Called before each policy runs (tests, tracing). */
  trace?(phase: 'inbound' | 'outbound', policy: string): void;
}

/** The outcome of the inbound side. */
export type PipelineInbound = { readonly kind: 'continue' } | { readonly kind: 'respond'; readonly response: SyResponse; readonly policy: string };

const PASSED: PipelineInbound = Object.freeze({ kind: 'continue' });
const SKIPPED_NONE: readonly boolean[] = Object.freeze([]);

function isPromise<T>(x: T | Promise<T>): x is Promise<T> {
  return typeof (x as { then?: unknown } | null)?.then === 'function';
}

function isResponse(x: unknown): x is SyResponse {
  return typeof x === 'object' && x !== null && typeof (x as SyResponse).status === 'number' && typeof (x as SyResponse).headers === 'object' && (x as SyResponse).headers !== null;
}

function isIdentity(x: unknown): x is Identity {
  return typeof x === 'object' && x !== null && typeof (x as Identity).sub === 'string' && typeof (x as Identity).data === 'object' && (x as Identity).data !== null;
}

function isGeo(x: unknown): x is GeoInfo {
  return typeof x === 'object' && x !== null && typeof (x as GeoInfo).source === 'string';
}

/** The {@link PolicyContext} one policy sees: live views of the run, with its own name. */
class StepContext implements PolicyContext {
  private readonly run: PipelineRun;
  readonly policy: string;
  constructor(run: PipelineRun, policy: string) {
    this.run = run;
    this.policy = policy;
  }
  get requestId(): string {
    return this.run.requestId();
  }
  get route(): PolicyRoute {
    return this.run.env.route;
  }
  get clock(): Clock {
    return this.run.env.clock;
  }
  get rng(): Rng {
    return this.run.env.rng;
  }
  get now(): number {
    return this.run.env.now;
  }
  get identity(): Identity | undefined {
    return this.run.identity;
  }
  get attributes(): Attributes {
    return this.run.request.attributes;
  }
  get backend(): string | undefined {
    return this.run.backend;
  }
  get clientIp(): string | undefined {
    return this.run.clientIp();
  }
  get trustedPeer(): boolean {
    return this.run.trustedPeer();
  }
  geo(): GeoInfo | undefined {
    return this.run.geo();
  }
}

/**
 * One request's pass through a {@link CompiledPipeline}. `request` is the current request
 * (policies may replace it); `identity` and `backend` what policies set.
 */
export class PipelineRun {
  /** The request as the policies left it (attributes copied on write). */
  request: SyRequest;
  identity: Identity | undefined = undefined;
  backend: string | undefined = undefined;
  /** Inbound steps passed (continued or skipped by `when`). */
  completed = 0;
  private skipped: boolean[] | readonly boolean[] = SKIPPED_NONE;
  private id: string | undefined;
  private ip: { value: string | undefined } | undefined;
  private trusted: boolean | undefined;
  private geoDone = false;
  private geoInfo: GeoInfo | undefined;

  readonly pipeline: CompiledPipeline;
  readonly env: PipelineEnv;

  constructor(pipeline: CompiledPipeline, request: SyRequest, env: PipelineEnv) {
    this.pipeline = pipeline;
    this.env = env;
    this.request = request;
    const given = request.attributes[IDENTITY_ATTRIBUTE];
    if (isIdentity(given)) this.identity = given;
  }

  /** The request id, if a policy (or the host) has asked for it already. */
  get requestIdIfKnown(): string | undefined {
    return this.id;
  }

  requestId(): string {
    return (this.id ??= this.env.requestId());
  }

  clientIp(): string | undefined {
    return (this.ip ??= { value: this.env.clientIp() }).value;
  }

  trustedPeer(): boolean {
    return (this.trusted ??= this.env.trustedPeer());
  }

  /** `attributes.geo` when a policy set a {@link GeoInfo}, else the host's source (once per request). */
  geo(): GeoInfo | undefined {
    const set = this.request.attributes[GEO_ATTRIBUTE];
    if (isGeo(set)) return set;
    if (!this.geoDone) {
      this.geoDone = true;
      const source = this.env.geoSource;
      this.geoInfo = source === undefined ? undefined : source.lookup(this.request, { trusted: this.trustedPeer(), clientIp: this.clientIp() });
    }
    return this.geoInfo;
  }

  /** Runs the inbound side: synchronous unless a policy returns a promise. Never throws. */
  runInbound(): PipelineInbound | Promise<PipelineInbound> {
    return this.inboundFrom(0);
  }

  private inboundFrom(start: number): PipelineInbound | Promise<PipelineInbound> {
    const steps = this.pipeline.inbound;
    for (let i = start; i < steps.length; i++) {
      const step = steps[i] as PipelineStep;
      if (step.when !== undefined && !this.matches(step)) {
        this.skip(i);
        this.completed = i + 1;
        continue;
      }
      const policy = step.policy;
      if (policy.inbound === undefined) {
        this.completed = i + 1;
        continue;
      }
      this.env.trace?.('inbound', step.name);
      let result: InboundResult | Promise<InboundResult>;
      try {
        result = policy.inbound.call(policy, this.request, new StepContext(this, step.name));
      } catch (err) {
        return this.threw(err, step.name);
      }
      if (isPromise(result)) {
        return result.then(
          (r) => this.applied(r, step, i) ?? this.inboundFrom(i + 1),
          (err: unknown) => this.threw(err, step.name),
        );
      }
      const stop = this.applied(result, step, i);
      if (stop !== undefined) return stop;
    }
    return PASSED;
  }

  private matches(step: PipelineStep): boolean {
    try {
      return (step.when as (r: SyRequest) => boolean)(this.request);
    } catch {
      return false;
    }
  }

  private skip(i: number): void {
    if (this.skipped === SKIPPED_NONE) this.skipped = [];
    (this.skipped as boolean[])[i] = true;
  }

  private threw(err: unknown, policy: string): PipelineInbound {
    const response = this.env.failed(err, policy, 'inbound');
    this.env.onShortCircuit?.(policy, 'error', response.status, 'SY_INTERNAL');
    return { kind: 'respond', response, policy };
  }

  /** Applies one inbound result: `undefined` to go on, else the answer. */
  private applied(result: InboundResult, step: PipelineStep, i: number): PipelineInbound | undefined {
    if (typeof result !== 'object' || result === null) return this.threw(new TypeError(`policy ${step.name} returned ${String(result)} from inbound`), step.name);
    switch (result.kind) {
      case 'continue': {
        if (result.request !== undefined || result.attributes !== undefined || result.identity !== undefined) this.change(result.request, result.attributes, result.identity);
        if (result.backend !== undefined) this.backend = result.backend;
        this.completed = i + 1;
        return undefined;
      }
      case 'reject': {
        let response: SyResponse;
        try {
          response = this.env.reject(result, step.name);
        } catch (err) {
          return this.threw(err, step.name);
        }
        this.env.onShortCircuit?.(step.name, 'reject', response.status, result.code);
        return { kind: 'respond', response, policy: step.name };
      }
      case 'respond': {
        if (!isResponse(result.response)) return this.threw(new TypeError(`policy ${step.name} responded without a response`), step.name);
        this.env.onShortCircuit?.(step.name, 'respond', result.response.status, undefined);
        return { kind: 'respond', response: result.response, policy: step.name };
      }
      default:
        return this.threw(new TypeError(`policy ${step.name} returned an unknown result kind`), step.name);
    }
  }

  /**
   * A new request and/or attribute changes, copy on write: the attribute object a policy saw is
   * never changed afterwards; a key set to `undefined` is removed. The identity is kept in
   * `attributes.identity` too, for limiters and splits.
   */
  private change(request: SyRequest | undefined, attributes: Readonly<Record<string, unknown>> | undefined, identity: Identity | undefined): void {
    const current = this.request;
    let next: Record<string, unknown> = { ...current.attributes };
    if (request !== undefined && request.attributes !== current.attributes) next = { ...next, ...request.attributes };
    if (attributes !== undefined) {
      for (const key of Object.keys(attributes)) {
        const value = attributes[key];
        if (value === undefined) delete next[key];
        else next[key] = value;
      }
    }
    if (identity !== undefined) {
      this.identity = identity;
      next[IDENTITY_ATTRIBUTE] = identity;
    }
    const base = request ?? current;
    // The route is the gateway's: a policy cannot rename it.
    if (current.attributes['route'] !== undefined) next['route'] = current.attributes['route'];
    this.request = { ...base, attributes: next };
  }

  /**
   * Runs the outbound order over `response`: synchronous unless a policy returns a promise. Never
   * throws. `finalizersOnly`: only the finalizers (decide mode, where the response is the app's).
   */
  runOutbound(response: SyResponse, finalizersOnly = false): SyResponse | Promise<SyResponse> {
    return this.outboundFrom(0, response, finalizersOnly);
  }

  private outboundFrom(start: number, response: SyResponse, finalizersOnly: boolean): SyResponse | Promise<SyResponse> {
    const entries = this.pipeline.outbound;
    for (let j = start; j < entries.length; j++) {
      const entry = entries[j] as OutboundEntry;
      if (finalizersOnly && entry.step.policy.finalizer !== true) continue;
      if (!this.runs(entry)) continue;
      const step = entry.step;
      this.env.trace?.('outbound', step.name);
      let out: SyResponse | Promise<SyResponse>;
      try {
        out = (step.policy.outbound as NonNullable<Policy['outbound']>).call(step.policy, response, this.request, new StepContext(this, step.name));
      } catch (err) {
        response = this.env.failed(err, step.name, 'outbound');
        continue;
      }
      if (isPromise(out)) {
        return out.then(
          (r) => this.outboundFrom(j + 1, isResponse(r) ? r : this.env.failed(new TypeError(`policy ${step.name} returned no response from outbound`), step.name, 'outbound'), finalizersOnly),
          (err: unknown) => this.outboundFrom(j + 1, this.env.failed(err, step.name, 'outbound'), finalizersOnly),
        );
      }
      response = isResponse(out) ? out : this.env.failed(new TypeError(`policy ${step.name} returned no response from outbound`), step.name, 'outbound');
    }
    return response;
  }

  /** Whether one outbound entry runs for this request (see the module comment). */
  private runs(entry: OutboundEntry): boolean {
    const k = entry.inboundIndex;
    const finalizer = entry.step.policy.finalizer === true;
    if (k >= 0) {
      if (this.skipped[k] === true) return false;
      if (k < this.completed) return true;
      return finalizer && (entry.step.when === undefined || this.matches(entry.step));
    }
    if (this.completed < entry.gate && !finalizer) return false;
    return entry.step.when === undefined || this.matches(entry.step);
  }
}

/** One layer of a pipeline: an inbound list and a response-only list (the gateway-wide lists, a route's lists). */
export interface PipelineLayer {
  readonly inbound: readonly PipelineStep[];
  readonly outbound: readonly PipelineStep[];
}

/**
 * Builds the {@link CompiledPipeline} of nested layers, outermost first (`[gatewayWide, route]`):
 * the inbound lists in that order, and on the way back the innermost layer first, each layer's
 * response-only list in its listed order and then its inbound policies in reverse. Entries whose
 * policy has no `outbound` are left out of the outbound order.
 */
export function compileLayers(layers: readonly PipelineLayer[]): CompiledPipeline {
  const inbound: PipelineStep[] = [];
  const ends: number[] = [];
  for (const layer of layers) {
    inbound.push(...layer.inbound);
    ends.push(inbound.length);
  }
  const outbound: OutboundEntry[] = [];
  for (let l = layers.length - 1; l >= 0; l--) {
    const layer = layers[l] as PipelineLayer;
    const end = ends[l] as number;
    for (const step of layer.outbound) if (step.policy.outbound !== undefined) outbound.push({ step, inboundIndex: -1, gate: end });
    for (let k = end - 1; k >= end - layer.inbound.length; k--) {
      const step = inbound[k] as PipelineStep;
      if (step.policy.outbound !== undefined) outbound.push({ step, inboundIndex: k, gate: 0 });
    }
  }
  return Object.freeze({ inbound: Object.freeze(inbound), outbound: Object.freeze(outbound) });
}
