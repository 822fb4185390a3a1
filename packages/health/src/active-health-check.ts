/**
 * Active health checking, as Envoy does it (`source/common/upstream/health_checker_impl.cc`,
 * `envoy/config/core/v3/health_check.proto`):
 *
 * - the very first result of an endpoint needs only one success to mark it healthy;
 * - `unhealthyThreshold` counts only network failures (connect, timeout, reset) and
 *   `retriableStatuses`; any other failed check (a status outside `expectedStatuses`, a body
 *   that does not match) marks the endpoint unhealthy at once;
 * - the wait before the next check is `interval` (healthy), `unhealthyInterval` (after a
 *   failure that left it unhealthy), the edge intervals while a transition is pending, and
 *   `noTrafficInterval` (60 s) until the group has carried traffic; plus jitter.
 *
 * The pure part ({@link observeHealthCheckResult}, {@link nextHealthCheckDelayMs}) is plain
 * data. {@link createHealthCheckRunner} schedules checks through `Clock.setTimer` (one timer
 * for the whole group, not one per endpoint) and sends them over the injected `Transport`.
 *
 * Why one file of about 500 lines: the pure transition rules and the runner that schedules them
 * are Envoy's one health checker; the runner is the rules' only caller.
 */
import {
  encodeUtf8,
  IssueCollector,
  createAbortController,
  randomInt,
  type AbortControllerLike,
  type Body,
  type Cancel,
  type Clock,
  type Endpoint,
  type RequestHeaders,
  type Rng,
  type Transport,
  type TransportResult,
} from '@switchyard/core';
import type { HealthCheckFailureKind, HealthEventSink } from './events.js';
import { num } from './internal/validate.js';

/** A half-open status range `[start, end)`, as Envoy's `Int64Range`. */
export interface StatusRange {
  readonly start: number;
  readonly end: number;
}

/** Active health check settings (Envoy `HealthCheck` + `HttpHealthCheck`, durations in ms). */
export interface HealthCheckConfig {
  /** Path (with query) to request. Default `/healthz`. */
  readonly path?: string;
  /** Default `GET`. */
  readonly method?: string;
  readonly headers?: RequestHeaders;
  /** Base period. Required in Envoy; default here 10 s. */
  readonly intervalMs?: number;
  /** A check with no response headers after this fails as a timeout. Required in Envoy; default here 1 s. */
  readonly timeoutMs?: number;
  /** Random `[0, initialJitterMs)` before an endpoint's first check. Default 0. */
  readonly initialJitterMs?: number;
  /** Adds `random % intervalJitterMs` to every wait. Default 0. */
  readonly intervalJitterMs?: number;
  /** Adds `random % (percent × base / 100)` to every wait. Default 0. */
  readonly intervalJitterPercent?: number;
  /** Consecutive counted failures that mark a healthy endpoint unhealthy. Required in Envoy; default here 3. */
  readonly unhealthyThreshold?: number;
  /** Consecutive successes that mark an unhealthy endpoint healthy (the first ever result needs one). Required in Envoy; default here 2. */
  readonly healthyThreshold?: number;
  /** Wait after a failure while unhealthy. Default `intervalMs`. */
  readonly unhealthyIntervalMs?: number;
  /** Wait after a failure that has not yet made a healthy endpoint unhealthy. Default `unhealthyIntervalMs`. */
  readonly unhealthyEdgeIntervalMs?: number;
  /** Wait after a success that has not yet made an unhealthy endpoint healthy. Default `intervalMs`. */
  readonly healthyEdgeIntervalMs?: number;
  // Deliberately alike: router/src/types.ts RouteConfig — only the shape of documented optional fields is shared, no logic.
  /** Wait while the group has carried no traffic. Envoy default 60 s. */
  readonly noTrafficIntervalMs?: number;
  /** Same, for healthy endpoints. Default `noTrafficIntervalMs`. */
  readonly noTrafficHealthyIntervalMs?: number;
  /** Statuses that pass. Envoy default `[{ start: 200, end: 201 }]` (200 only). */
  readonly expectedStatuses?: readonly StatusRange[];
  /** Failing statuses that count toward `unhealthyThreshold` instead of failing at once. Default none. */
  readonly retriableStatuses?: readonly StatusRange[];
  /** The body must contain these bytes (UTF-8) within the first `responseBufferSizeBytes` (Envoy `receive`). */
  readonly expectedBodyContains?: string;
  /** Bytes of body read for the check. Envoy default 1024. */
  readonly responseBufferSizeBytes?: number;
}

/** A compiled {@link HealthCheckConfig}. */
export interface HealthCheckPlan {
  // Deliberately alike: gateway/src/admin.ts (DashboardSnapshot) — a data type's list of readonly fields: alike in shape only, different fields and meanings
  readonly path: string;
  readonly method: string;
  readonly headers: RequestHeaders;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly initialJitterMs: number;
  readonly intervalJitterMs: number;
  readonly intervalJitterPercent: number;
  // Deliberately alike: gateway/src/admin.ts — only the shape of documented readonly fields is shared, no logic.
  readonly unhealthyThreshold: number;
  readonly healthyThreshold: number;
  readonly unhealthyIntervalMs: number;
  readonly unhealthyEdgeIntervalMs: number;
  readonly healthyEdgeIntervalMs: number;
  readonly noTrafficIntervalMs: number;
  readonly noTrafficHealthyIntervalMs: number;
  readonly expectedStatuses: readonly StatusRange[];
  readonly retriableStatuses: readonly StatusRange[];
  readonly expectedBody: Uint8Array | null;
  readonly responseBufferSizeBytes: number;
}

/**
 * Validates `config` and fills defaults (Envoy's where Envoy has one; Envoy requires interval,
 * timeout and thresholds, so those defaults are ours and say so).
 *
 * @example
 * ```ts
 * import { compileHealthCheck } from '@switchyard/health';
 * const plan = compileHealthCheck({ path: '/ready', intervalMs: 5_000, timeoutMs: 500, expectedStatuses: [{ start: 200, end: 300 }] });
 * ```
 */
export function compileHealthCheck(config: HealthCheckConfig = {}, path = 'healthCheck'): HealthCheckPlan {
  const issues = new IssueCollector();
  const ms = (k: keyof HealthCheckConfig & string, v: unknown, fb: number, positive = true): number => num(issues, `${path}.${k}`, v, fb, { min: 0, exclusiveMin: positive });
  const count = (k: keyof HealthCheckConfig & string, v: unknown, fb: number): number => num(issues, `${path}.${k}`, v, fb, { min: 1, integer: true });
  const ranges = (k: string, v: readonly StatusRange[] | undefined, fb: readonly StatusRange[]): readonly StatusRange[] => {
    if (v === undefined) return fb;
    v.forEach((r, i) => {
      if (!(Number.isInteger(r.start) && Number.isInteger(r.end) && r.start >= 100 && r.end <= 600 && r.start < r.end)) {
        issues.add(`${path}.${k}[${i}]`, `must be a half-open range within [100, 600) with start < end, got ${JSON.stringify(r)}`);
      }
    });
    return Object.freeze(v.map((r) => Object.freeze({ start: r.start, end: r.end })));
  };
  const intervalMs = ms('intervalMs', config.intervalMs, 10_000);
  const unhealthyIntervalMs = ms('unhealthyIntervalMs', config.unhealthyIntervalMs, intervalMs);
  const noTrafficIntervalMs = ms('noTrafficIntervalMs', config.noTrafficIntervalMs, 60_000);
  const method = config.method ?? 'GET';
  if (method === 'CONNECT') issues.add(`${path}.method`, 'CONNECT is not allowed');
  const hcPath = config.path ?? '/healthz';
  if (!hcPath.startsWith('/')) issues.add(`${path}.path`, `must start with "/", got ${JSON.stringify(hcPath)}`);
  const plan: HealthCheckPlan = {
    path: hcPath,
    method,
    headers: Object.freeze({ ...(config.headers ?? {}) }),
    intervalMs,
    timeoutMs: ms('timeoutMs', config.timeoutMs, 1_000),
    initialJitterMs: ms('initialJitterMs', config.initialJitterMs, 0, false),
    intervalJitterMs: ms('intervalJitterMs', config.intervalJitterMs, 0, false),
    intervalJitterPercent: num(issues, `${path}.intervalJitterPercent`, config.intervalJitterPercent, 0, { min: 0, max: 100 }),
    unhealthyThreshold: count('unhealthyThreshold', config.unhealthyThreshold, 3),
    healthyThreshold: count('healthyThreshold', config.healthyThreshold, 2),
    unhealthyIntervalMs,
    unhealthyEdgeIntervalMs: ms('unhealthyEdgeIntervalMs', config.unhealthyEdgeIntervalMs, unhealthyIntervalMs),
    healthyEdgeIntervalMs: ms('healthyEdgeIntervalMs', config.healthyEdgeIntervalMs, intervalMs),
    noTrafficIntervalMs,
    noTrafficHealthyIntervalMs: ms('noTrafficHealthyIntervalMs', config.noTrafficHealthyIntervalMs, noTrafficIntervalMs),
    expectedStatuses: ranges('expectedStatuses', config.expectedStatuses, Object.freeze([Object.freeze({ start: 200, end: 201 })])),
    retriableStatuses: ranges('retriableStatuses', config.retriableStatuses, Object.freeze([])),
    expectedBody: config.expectedBodyContains === undefined ? null : encodeUtf8(config.expectedBodyContains),
    responseBufferSizeBytes: num(issues, `${path}.responseBufferSizeBytes`, config.responseBufferSizeBytes, 1024, { min: 1, integer: true }),
  };
  issues.throwIfAny();
  return Object.freeze(plan);
}

/** Active-check state of one endpoint: plain data. New endpoints start `pending` (Envoy: `FAILED_ACTIVE_HC` until the first pass). */
export interface ActiveHealthState {
  status: 'pending' | 'healthy' | 'unhealthy';
  /** No result recorded yet. */
  firstCheck: boolean;
  consecutiveSuccesses: number;
  consecutiveFailures: number;
}

/** One check's verdict. `counted` failures (network, retriable status) go toward the threshold; others fail at once. */
export type HealthCheckResult = { readonly kind: 'pass' } | { readonly kind: 'fail'; readonly reason: HealthCheckFailureKind; readonly counted: boolean };

/** What a result did: `changed` (a transition), `pending` (toward one), `unchanged`. Envoy's `HealthTransition`. */
export type HealthTransition = 'changed' | 'pending' | 'unchanged';

/** A fresh, pending state. */
export function createActiveHealthState(): ActiveHealthState {
  return { status: 'pending', firstCheck: true, consecutiveSuccesses: 0, consecutiveFailures: 0 };
}

/** Whether a status falls in one of the half-open ranges. */
export function statusInRanges(status: number, ranges: readonly StatusRange[]): boolean {
  for (const r of ranges) if (status >= r.start && status < r.end) return true;
  return false;
}

/**
 * Classifies a transport result (and, when the plan checks bodies, whether the body matched).
 * Network errors are counted failures; an unexpected status fails at once unless retriable.
 */
export function classifyHealthCheck(plan: HealthCheckPlan, result: TransportResult, bodyMatched = true): HealthCheckResult {
  if (result.kind === 'error') return { kind: 'fail', reason: result.error === 'canceled' ? 'timeout' : result.error === 'invalid-request' ? 'local' : result.error, counted: true };
  const status = result.response.status;
  if (!statusInRanges(status, plan.expectedStatuses)) return { kind: 'fail', reason: 'status', counted: statusInRanges(status, plan.retriableStatuses) };
  if (!bodyMatched) return { kind: 'fail', reason: 'body', counted: false };
  return { kind: 'pass' };
}

/**
 * Observes one check result: applies it to `state` (Envoy `handleSuccess` / `setUnhealthy`)
 * and reports a `healthy` / `unhealthy` event on a transition.
 */
export function observeHealthCheckResult(
  plan: HealthCheckPlan,
  state: ActiveHealthState,
  endpointId: string,
  result: HealthCheckResult,
  now: number,
  sink?: HealthEventSink,
): HealthTransition {
  const firstCheck = state.firstCheck;
  state.firstCheck = false;
  if (result.kind === 'pass') {
    state.consecutiveFailures = 0;
    if (state.status === 'healthy') return 'unchanged';
    if (firstCheck || ++state.consecutiveSuccesses >= plan.healthyThreshold) {
      state.status = 'healthy';
      state.consecutiveSuccesses = 0;
      sink?.({ kind: 'healthy', endpointId, at: now, firstCheck });
      return 'changed';
    }
    return 'pending';
  }
  state.consecutiveSuccesses = 0;
  if (state.status === 'unhealthy') return 'unchanged';
  if (state.status === 'pending') {
    // Envoy starts new hosts as FAILED_ACTIVE_HC: a failure leaves them out, now known to fail.
    state.status = 'unhealthy';
    sink?.({ kind: 'unhealthy', endpointId, at: now, reason: result.reason, firstCheck });
    return 'changed';
  }
  if (!result.counted || ++state.consecutiveFailures >= plan.unhealthyThreshold) {
    state.status = 'unhealthy';
    state.consecutiveFailures = 0;
    sink?.({ kind: 'unhealthy', endpointId, at: now, reason: result.reason, firstCheck });
    return 'changed';
  }
  return 'pending';
}

/**
 * @deprecated Use {@link observeHealthCheckResult} (the same function): feedback is `observe*`
 * across switchyard.
 */
export const recordHealthCheckResult: typeof observeHealthCheckResult = observeHealthCheckResult;

/**
 * The wait before the next check of an endpoint (Envoy `interval()` + `intervalWithJitter()`):
 * a pass picks `healthyEdgeInterval` while a transition is pending, else `interval`; a failure
 * picks `unhealthyEdgeInterval` while pending, else `unhealthyInterval`; before the group has
 * carried traffic, `noTrafficInterval` (`noTrafficHealthyInterval` for healthy endpoints).
 */
export function nextHealthCheckDelayMs(
  plan: HealthCheckPlan,
  input: { readonly passed: boolean; readonly transition: HealthTransition; readonly healthy: boolean; readonly hadTraffic: boolean },
  rng: Rng,
): number {
  let base: number;
  if (!input.hadTraffic) base = input.healthy ? plan.noTrafficHealthyIntervalMs : plan.noTrafficIntervalMs;
  else if (input.passed) base = input.transition === 'pending' ? plan.healthyEdgeIntervalMs : plan.intervalMs;
  else base = input.transition === 'pending' ? plan.unhealthyEdgeIntervalMs : plan.unhealthyIntervalMs;
  let delay = base;
  const pctMod = Math.floor((plan.intervalJitterPercent * base) / 100);
  if (pctMod > 0) delay += randomInt(rng, pctMod);
  if (plan.intervalJitterMs > 0) delay += randomInt(rng, Math.floor(plan.intervalJitterMs));
  return Math.max(1, delay);
}

/** The runner of {@link createHealthCheckRunner}. */
export interface HealthCheckRunner {
  readonly plan: HealthCheckPlan;
  /** Schedules every endpoint's first check (after `initialJitterMs`). Idempotent. */
  start(): void;
  /** Cancels the timer and aborts checks in flight. States are kept; `start()` resumes. */
  stop(): void;
  /** Replaces the endpoint set; endpoints that stay keep their state, new ones start pending. */
  updateEndpoints(endpoints: readonly Endpoint[]): void;
  /** Tell it the group has carried traffic: it leaves the no-traffic interval. */
  noteTraffic(): void;
  status(endpointId: string): ActiveHealthState['status'] | undefined;
  /** Endpoints whose status is `healthy`, in endpoint order. */
  healthy(): readonly Endpoint[];
  /** The plain state per endpoint id. */
  readonly states: ReadonlyMap<string, ActiveHealthState>;
  /** Timers this runner has armed right now (0 or 1). */
  timersArmed(): number;
}

interface Slot {
  endpoint: Endpoint;
  readonly state: ActiveHealthState;
  nextAt: number;
  /** Bumped per check; a completion carrying an older generation is stale. */
  generation: number;
  inFlight: { controller: AbortControllerLike; deadline: number } | null;
}

/**
 * Runs active health checks for one upstream group over `transport`, scheduled on `clock`.
 * One timer per runner (armed for the earliest due check or timeout), not one per endpoint.
 * Each finished check pushes a `health-check` event (and `healthy` / `unhealthy` on
 * transitions) to `sink`: wire it to {@link OutlierDetector.onHealthCheck} for Envoy's
 * `successfulActiveHealthCheckUnejectHost`.
 *
 * @example
 * ```ts
 * import { createEndpoint, systemClock, systemRng } from '@switchyard/core';
 * import { createHealthCheckRunner } from '@switchyard/health';
 * declare const transport: import('@switchyard/core').Transport;
 * const runner = createHealthCheckRunner({
 *   endpoints: [createEndpoint({ url: 'http://10.0.0.1:8080' })],
 *   config: { path: '/ready', intervalMs: 5_000, timeoutMs: 500 },
 *   clock: systemClock, rng: systemRng, transport,
 *   sink: (e) => console.log(e),
 * });
 * runner.start();
 * // … runner.healthy() is what the balancer may pick from …
 * runner.stop();
 * ```
 */
export function createHealthCheckRunner(options: {
  readonly endpoints: readonly Endpoint[];
  readonly config?: HealthCheckConfig;
  readonly clock: Clock;
  readonly rng: Rng;
  readonly transport: Transport;
  readonly sink?: HealthEventSink;
}): HealthCheckRunner {
  const plan = compileHealthCheck(options.config);
  const { clock, rng, transport, sink } = options;
  const slots = new Map<string, Slot>();
  const states = new Map<string, ActiveHealthState>();
  let running = false;
  let hadTraffic = false;
  let timer: { at: number; cancel: Cancel } | null = null;
  const request = { method: plan.method, path: plan.path, headers: plan.headers };

  const firstDelay = (): number => (plan.initialJitterMs > 0 ? rng.next() * plan.initialJitterMs : 0);
  const addSlot = (endpoint: Endpoint, now: number): void => {
    const state = createActiveHealthState();
    slots.set(endpoint.id, { endpoint, state, nextAt: now + firstDelay(), generation: 0, inFlight: null });
    states.set(endpoint.id, state);
  };
  for (const e of options.endpoints) if (!slots.has(e.id)) addSlot(e, clock.now());

  const arm = (): void => {
    if (!running) return;
    let due = Number.POSITIVE_INFINITY;
    for (const s of slots.values()) {
      const at = s.inFlight !== null ? s.inFlight.deadline : s.nextAt;
      if (at < due) due = at;
    }
    if (timer !== null && timer.at === due) return;
    timer?.cancel();
    timer = null;
    if (due === Number.POSITIVE_INFINITY) return;
    const at = due;
    timer = { at, cancel: clock.setTimer(at - clock.now(), onTimer) };
  };

  const finish = (slot: Slot, result: HealthCheckResult, now: number): void => {
    slot.inFlight = null;
    slot.generation++;
    const transition = observeHealthCheckResult(plan, slot.state, slot.endpoint.id, result, now, sink);
    sink?.({ kind: 'health-check', endpointId: slot.endpoint.id, at: now, passed: result.kind === 'pass', status: slot.state.status });
    slot.nextAt = now + nextHealthCheckDelayMs(plan, { passed: result.kind === 'pass', transition, healthy: slot.state.status === 'healthy', hadTraffic }, rng);
  };

  const launch = (slot: Slot, now: number): void => {
    const controller = createAbortController();
    slot.generation++;
    const generation = slot.generation;
    slot.inFlight = { controller, deadline: now + plan.timeoutMs };
    void (async () => {
      const result = await transport.send(request, slot.endpoint, { signal: controller.signal });
      let bodyMatched = true;
      if (result.kind === 'response') bodyMatched = await readBody(result.response.body, plan, controller);
      if (slot.generation !== generation || !running) return; // timed out, stopped or replaced
      finish(slot, classifyHealthCheck(plan, result, bodyMatched), clock.now());
      arm();
    })().catch(() => {
      // A transport that rejects breaks its contract; count it as a network failure.
      if (slot.generation !== generation || !running) return;
      finish(slot, { kind: 'fail', reason: 'reset', counted: true }, clock.now());
      arm();
    });
  };

  function onTimer(): void {
    timer = null;
    if (!running) return;
    const now = clock.now();
    for (const slot of slots.values()) {
      if (slot.inFlight !== null) {
        if (slot.inFlight.deadline <= now) {
          const { controller } = slot.inFlight;
          finish(slot, { kind: 'fail', reason: 'timeout', counted: true }, now);
          controller.abort();
        }
      } else if (slot.nextAt <= now) {
        launch(slot, now);
      }
    }
    arm();
  }

  return {
    plan,
    states,
    start() {
      if (running) return;
      running = true;
      arm();
    },
    stop() {
      running = false;
      timer?.cancel();
      timer = null;
      for (const s of slots.values()) {
        if (s.inFlight !== null) {
          const { controller } = s.inFlight;
          s.inFlight = null;
          s.generation++;
          s.nextAt = clock.now();
          controller.abort();
        }
      }
    },
    updateEndpoints(endpoints) {
      const now = clock.now();
      const keep = new Set<string>();
      for (const e of endpoints) {
        keep.add(e.id);
        const s = slots.get(e.id);
        if (s === undefined) addSlot(e, now);
        else s.endpoint = e;
      }
      for (const [id, s] of slots) {
        if (keep.has(id)) continue;
        s.generation++;
        s.inFlight?.controller.abort();
        slots.delete(id);
        states.delete(id);
      }
      arm();
    },
    noteTraffic() {
      if (hadTraffic) return;
      hadTraffic = true;
      // Envoy keeps a check already scheduled at the no-traffic interval (up to 60 s away);
      // we pull it in to the regular interval, so a gateway that just started taking traffic
      // notices a failing endpoint within one interval rather than one no-traffic interval.
      const soon = clock.now() + plan.intervalMs;
      for (const slot of slots.values()) if (slot.inFlight === null && slot.nextAt > soon) slot.nextAt = soon;
      arm();
    },
    status: (id) => slots.get(id)?.state.status,
    healthy() {
      const out: Endpoint[] = [];
      for (const s of slots.values()) if (s.state.status === 'healthy') out.push(s.endpoint);
      return out;
    },
    timersArmed: () => (timer === null ? 0 : 1),
  };
}

/** Reads up to the buffer size (checking the expected bytes when asked), then lets go of the body. */
async function readBody(body: Body | null, plan: HealthCheckPlan, controller: AbortControllerLike): Promise<boolean> {
  const expected = plan.expectedBody;
  if (body === null) return expected === null || expected.length === 0;
  if (typeof body === 'string' || body instanceof Uint8Array) {
    return expected === null || contains(typeof body === 'string' ? encodeUtf8(body) : body, expected, plan.responseBufferSizeBytes);
  }
  const limit = plan.responseBufferSizeBytes;
  const buf = new Uint8Array(limit);
  let n = 0;
  try {
    for await (const chunk of body) {
      if (expected === null) continue; // drain so the connection can be reused
      const take = Math.min(chunk.length, limit - n);
      buf.set(chunk.subarray(0, take), n);
      n += take;
      if (n >= limit || contains(buf.subarray(0, n), expected, limit)) break;
    }
  } catch {
    return expected === null;
  }
  if (expected !== null && n >= limit) controller.abort();
  return expected === null || contains(buf.subarray(0, n), expected, limit);
}

function contains(haystack: Uint8Array, needle: Uint8Array, limit: number): boolean {
  const h = haystack.length > limit ? haystack.subarray(0, limit) : haystack;
  outer: for (let i = 0; i + needle.length <= h.length; i++) {
    for (let j = 0; j < needle.length; j++) if (h[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

