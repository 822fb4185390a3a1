/**
 * `createGateway`: one config, compiled once, answering requests through the whole lifecycle,
 * in the order drawn in docs/architecture.md ("Request flow"), each part in its own module:
 *
 *     prepare.ts   route → inbound policies → fault → limit → redirect → experiment → split
 *     proxy.ts     body → breaker and resource limits → overload admission → pick, rewrite
 *                    → mirror → forward (deadline, retries, budget, hedging) → observe
 *                    (balancer, outlier detector, breaker, rollout, metrics)
 *     handle.ts    full-proxy mode: prepare → proxy → outbound policies → metrics → respond
 *     decide.ts    decide mode; acquire.ts acquire mode
 *     plans.ts     the plan in force: reload, in-flight counting, retiring, timers
 *     responses.ts the gateway's own responses and `finalize`
 *
 * This file holds the public types and composes those modules into the {@link Gateway}.
 * Exactly one response per request whatever fails; expected failures are responses with a
 * `SwitchyardError` code in a small JSON body (404 no route, 400 bad request, 429 limited,
 * 503 no healthy endpoint or breaker open, 504 deadline, 502 upstream failure).
 */
import {
  systemClock,
  systemRng,
  type Acquired as CoreAcquired,
  type AbortSignalLike,
  type GeoSource,
  type PolicyDefinition,
  type Rng,
  type Clock,
  type SwitchyardErrorCode,
  type SyRequest,
  type SyResponse,
  type Transport,
} from '@switchyard/core';
import { createMemoryStore, type LimiterStore } from '@switchyard/limiter';
import { createAcquirer } from './acquire.js';
import { createAdmin, type AdminHandler, type AdminOptions } from './admin.js';
import type { GatewayPlan } from './compile.js';
import type { GatewayConfig } from './config.js';
import type { GatewayContext } from './context.js';
import { createDecider } from './decide.js';
import { ERROR_MESSAGES } from './error-body.js';
import type { ErrorContext, ErrorFormatter } from './error-format.js';
import { createEmitter, type GatewayEvent } from './events.js';
import { createHandler } from './handle.js';
import { MetricsRegistry, type MeterLike } from './metrics.js';
import type { RouteExplanation } from './explain.js';
import { createPlans } from './plans.js';
import { createPreparer } from './prepare.js';
import { createProxy } from './proxy.js';
import { createFinalize, errorResponse, NO_HEADERS } from './responses.js';
import type { FleetRolloutOptions, GatewayRollouts } from './rollout-fleet.js';
import { createTracing, type TracingOptions } from './tracing.js';

export { isNoRoute, responseCode } from './responses.js';

/**
 * What a gateway runs on: all injected, so tests drive it with a fake clock and transport.
 * Tracing (`tracing`, `tracerProvider`, `propagator`: docs/guides/tracing.md) goes through the
 * global OpenTelemetry API by default and costs nothing until an SDK is registered.
 */
export interface GatewayDeps extends TracingOptions {
  readonly transport: Transport;
  readonly clock?: Clock;
  readonly rng?: Rng;
  /** Where limiter buckets live (default: in memory; `@switchyard/redis` to share them). */
  readonly store?: LimiterStore;
  /** An OpenTelemetry meter (`metrics.getMeter('switchyard')`), optional. */
  readonly meter?: MeterLike;
  /**
   * A listener subscribed before the first config compiles, so that it also receives the
   * `config-warning` events of `createGateway` itself (`subscribe` comes too late for those).
   */
  readonly onEvent?: (event: GatewayEvent) => void;
  /**
   * Debug only: the gateway's own error bodies also carry `detail`, the internal message (upstream
   * addresses, the HTTP client's words). Default false: a body is `{ error, message, requestId }`
   * with a fixed message per code (docs/errors.md).
   */
  readonly exposeErrorDetails?: boolean;
  /**
   * Custom policy types, referred to by `type` in config `policies` (docs/guides/policies.md).
   * A custom type may not reuse a built-in type's name.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each definition has its own options type
  readonly policies?: readonly PolicyDefinition<any>[];
  /** Where `ctx.geo()` looks a request up when no policy has set `attributes.geo`. */
  readonly geoSource?: GeoSource;
  /**
   * Shapes the gateway's own error responses in code: return a response, or `undefined` to
   * fall back to the config's `errors` (and a throw falls back too). Protected headers
   * (`retry-after`, RateLimit fields, `www-authenticate`, `allow`) are put back on whatever it
   * returns. See docs/errors.md, "Shaping error responses".
   */
  readonly formatError?: ErrorFormatter;
  /** Fleet mode: every route's rollout is shared by the replicas through a store (`rollout-fleet.ts`). */
  readonly rollouts?: FleetRolloutOptions;
}

/** Options of one request. */
export interface HandleOptions {
  /** The downstream connection's signal: aborting it cancels the upstream tries. */
  readonly signal?: AbortSignalLike | undefined;
  /**
   * The path the upstream sees, from the router-normalized request path (no query), for a
   * route whose own `rewrite` leaves the path alone (no path rewrite, `url` or redirect: those
   * win). Adapters pass their mount mapping here: `@fastify/http-proxy`'s prefix stripping and
   * `rewritePrefix`, `http-proxy-middleware`'s mount-relative `req.url`. Routing, limits and
   * splits still see the full path. `undefined` answers 400 `SY_BAD_REQUEST` (a path that
   * dot segments moved out of the mount); the result goes through the rewrite's checks like
   * any path (one that is not normalized answers 400).
   */
  readonly upstreamPath?: ((path: string) => string | undefined) | undefined;
}

/** The outcome of decide-only mode. */
export type Decision =
  | {
      readonly kind: 'continue';
      readonly route: string;
      readonly params: Readonly<Record<string, string>>;
      /** The normalized path the route matched. */
      readonly path: string;
      /** Backend chosen by the route's split, if it has backends. */
      readonly backend: string | undefined;
      /** Experiment variant, if the route runs one. */
      readonly variant: string | undefined;
      /** Headers to add to your response (rate-limit fields, experiment tag). */
      readonly headers: Readonly<Record<string, string>>;
      /** The request with `attributes.route`, `.backend`, `.experiment` set. */
      readonly request: SyRequest;
    }
  | { readonly kind: 'respond'; readonly response: SyResponse };


/**
 * The result of {@link Gateway.acquire}: `@switchyard/core`'s `Acquired` (the shape
 * `@switchyard/transport-undici`'s `attachUpgrade` takes too).
 */
export type Acquired = CoreAcquired;

/** A running gateway. */
export interface Gateway {
  /** Full proxy: answers the request through the whole lifecycle. Never rejects. */
  handle(request: SyRequest, options?: HandleOptions): Promise<SyResponse>;
  /** Decide-only: route, limit, split and experiment, without forwarding (for middleware that calls `next()`). */
  decide(request: SyRequest): Promise<Decision>;
  /**
   * {@link Gateway.decide} without the promise when nothing has to wait: with in-memory limits
   * and no fault delay the decision itself is returned, else a promise of it (never a throw).
   * For adapters' hot paths: a framework's callback hook can then go on synchronously.
   */
  decideNow(request: SyRequest): Decision | Promise<Decision>;
  /**
   * Routes, limits and splits the request, then picks one endpoint and rewrites the request for
   * it, without sending anything: for protocols the gateway does not carry itself (WebSocket
   * upgrades, CONNECT). Call `release(outcome)` exactly once when the connection ends, so
   * balancer in-flight counts and detectors stay exact.
   */
  acquire(request: SyRequest): Promise<Acquired>;
  /**
   * Validates and compiles `config`, then swaps it in atomically. Requests in flight finish on
   * the plan they started with; endpoints that stay keep their balancer, health and breaker
   * state. Throws a ConfigError (and keeps the current config) if it is invalid.
   */
  reload(config: GatewayConfig): void;
  /** Starts the timers the gateway owns (active health checks, rollout analysis). Idempotent. */
  start(): void;
  /** Stops those timers and closes the transport's pools. */
  stop(): Promise<void>;
  /** Receives every {@link GatewayEvent}; returns an unsubscribe function. */
  subscribe(listener: (event: GatewayEvent) => void): () => void;
  readonly metrics: MetricsRegistry;
  /** Prometheus text exposition of {@link Gateway.metrics}. */
  prometheus(): string;
  /** The compiled plan in force (for inspection and tests). */
  plan(): GatewayPlan;
  /**
   * The compiled plan of one route as it runs, in order: policies (gateway-wide and the route's,
   * with their type, `when` and `describe()`), the built-in stages, the outbound order and the
   * finalizers. `toString()` prints it. `undefined` for an unknown route name.
   */
  explain(route: string): RouteExplanation | undefined;
  /**
   * One of the gateway's own error responses, through its formatter (the `errors` config and
   * `formatError`), for code outside the lifecycle that answers for the gateway: the adapters'
   * own refusals (a body a parser already consumed). `message` is internal (in the body only
   * with `exposeErrorDetails`); `request` gives the request id.
   */
  errorResponse(code: SwitchyardErrorCode, request: SyRequest | undefined, options?: { readonly message?: string; readonly status?: number; readonly headers?: Readonly<Record<string, string>>; readonly context?: ErrorContext }): SyResponse;
  /** Rollout status and operations (`promote`, `abort`, `retry`), from any replica in fleet mode. */
  readonly rollouts: GatewayRollouts;
  /**
   * A live dashboard of this gateway (admin.ts, docs/guides/dashboard.md): a handler serving a
   * self-updating page and its JSON snapshot under any mount path, read-only unless
   * `operationsToken` enables the rollout operations. Costs nothing on the request path.
   */
  admin(options?: AdminOptions): AdminHandler;
}

/**
 * Compiles `config` and returns a {@link Gateway}. Throws a ConfigError listing every problem.
 *
 * @example
 * ```ts
 * import { createGateway } from '@switchyard/gateway';
 * import { createUndiciTransport } from '@switchyard/transport-undici';
 * const gateway = createGateway({
 *   routes: [{ name: 'orders', matches: [{ path: { type: 'PathPrefix', value: '/api/orders' } }],
 *              backends: [{ upstream: 'orders' }], retry: { numRetries: 2 } }],
 *   upstreams: { orders: { endpoints: [{ url: 'http://127.0.0.1:8081' }, { url: 'http://127.0.0.1:8082' }],
 *                          balancer: { policy: 'peak-ewma' } } },
 * }, { transport: createUndiciTransport() });
 * gateway.start();
 * ```
 */
export function createGateway(config: GatewayConfig, deps: GatewayDeps): Gateway {
  const clock = deps.clock ?? systemClock;
  const rng = deps.rng ?? systemRng;
  const transport = deps.transport;
  const metrics = new MetricsRegistry(deps.meter);
  const listeners = new Set<(e: GatewayEvent) => void>();
  if (deps.onEvent !== undefined) listeners.add(deps.onEvent);
  const emit = createEmitter(listeners);

  const plans = createPlans({ clock, rng, transport, metrics, listeners, emit }, config, {
    store: deps.store ?? createMemoryStore(),
    policies: deps.policies,
    hasGeoSource: deps.geoSource !== undefined,
    fleet: deps.rollouts,
  });
  const plan = plans.current;
  const ctx: GatewayContext = { clock, rng, transport, metrics, listeners, emit, plan, formatError: deps.formatError, exposeErrorDetails: deps.exposeErrorDetails === true };
  const finalize = createFinalize(ctx);
  const prepare = createPreparer(ctx, { evaluateRolloutNow: plans.evaluateRolloutNow, geoSource: deps.geoSource });
  const proxy = createProxy(ctx, plans.rollouts);
  const handle = createHandler(ctx, { plans, prepare, proxy, finalize, tracing: createTracing(deps) });
  const { decide, decideNow } = createDecider({ plans, prepare, finalize });
  const acquire = createAcquirer(ctx, { plans, prepare, finalize });
  const rollouts = plans.rollouts;

  const gateway: Gateway = {
    handle,
    decide,
    decideNow,
    acquire,
    reload: (next) => plans.reload(next),
    start: () => plans.start(),
    async stop(): Promise<void> {
      await plans.stop();
      await transport.close?.();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    metrics,
    prometheus: () => metrics.prometheus(),
    plan,
    explain: (route) => plan().explain(route),
    errorResponse: (code, request, options = {}) => finalize(errorResponse(code, options.message ?? ERROR_MESSAGES[code], options.headers, options.status, options.context), request?.headers ?? NO_HEADERS),
    rollouts: { status: rollouts.status, settled: rollouts.settled, promote: rollouts.promote, abort: rollouts.abort, retry: rollouts.retry },
    admin: (options) => createAdmin({ clock, metrics, plan, rollouts: gateway.rollouts }, options),
  };
  return gateway;
}
