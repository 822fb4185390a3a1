/**
 * A circuit breaker as plain data: closed → open → half-open → closed, read and advanced
 * with the `now` you pass. No timer, no emitter, no wall clock.
 *
 * Policies and defaults come from Linkerd's failure accrual (`balancer.linkerd.io/failure-accrual`,
 * linkerd.io/2-edge/reference/circuit-breaking): `consecutive` trips after 7 failures, the
 * breaker stays open 1 s doubling up to 1 min with jitter ratio 0.5, then lets one probe
 * through; `sampling` follows Linkerd's `unified` mode (success rate < 0.8 over 10 s with at
 * least 5 requests). The half-open probe cap and success threshold answer cockatiel #73
 * (`halfOpenSampling`): half-open never admits more than `halfOpenMaxProbes` at once.
 *
 * The state round-trips through `JSON.stringify` / `JSON.parse`.
 */
import { IssueCollector, isFailure, type Outcome, type Rng } from '@switchyard/core';
import type { HealthEventSink } from './events.js';
import { num } from './internal/validate.js';

/** What trips the breaker. */
export type BreakerPolicy =
  | {
      readonly kind: 'consecutive';
      /** Consecutive failures that open the breaker. Linkerd default 7. */
      readonly maxFailures?: number;
    }
  | {
      readonly kind: 'sampling';
      /** Open when failures / total over the window is strictly above this. Default 0.2 (Linkerd: success rate < 0.8). */
      readonly failureRatioThreshold?: number;
      /** Rolling window. Linkerd default 10 s. */
      readonly windowMs?: number;
      /** Fewest requests in the window before the ratio counts. Linkerd default 5. */
      readonly minimumThroughput?: number;
      /** Buckets the window rotates in (resolution windowMs / buckets). Default 10. */
      readonly buckets?: number;
    };

/** Breaker settings; every field is optional. */
export interface CircuitBreakerConfig {
  /** Name carried in events. Default `'breaker'`. */
  readonly name?: string;
  /** Default `{ kind: 'consecutive' }`. */
  readonly policy?: BreakerPolicy;
  /** First open period. Linkerd `min-penalty` default 1 s. */
  readonly minOpenMs?: number;
  /** Open period doubles per failed probe up to this. Linkerd `max-penalty` default 60 s. */
  readonly maxOpenMs?: number;
  /** Adds `U[0, 1) × ratio × period`. Linkerd `jitter-ratio` default 0.5. */
  readonly jitterRatio?: number;
  /** Requests admitted at once while half-open. Linkerd default 1 (probation lets one request through). */
  readonly halfOpenMaxProbes?: number;
  /** Successful probes needed to close. Default 1. */
  readonly halfOpenSuccessThreshold?: number;
  /** Which outcomes are failures. Default core `isFailure` (5xx and errors but `canceled`). */
  readonly isFailure?: (outcome: Outcome) => boolean;
}

/** A compiled {@link CircuitBreakerConfig}. */
export interface CircuitBreakerPlan {
  readonly name: string;
  readonly policy: Required<Extract<BreakerPolicy, { kind: 'consecutive' }>> | Required<Extract<BreakerPolicy, { kind: 'sampling' }>>;
  readonly minOpenMs: number;
  readonly maxOpenMs: number;
  readonly jitterRatio: number;
  readonly halfOpenMaxProbes: number;
  readonly halfOpenSuccessThreshold: number;
  readonly isFailure: (outcome: Outcome) => boolean;
}

/** Breaker state: plain, JSON-safe data. */
export interface CircuitBreakerState {
  status: 'closed' | 'open' | 'half-open';
  /** Bumped on every transition; permits from an older epoch do not move the state. */
  epoch: number;
  consecutiveFailures: number;
  /** Sampling window: per-bucket totals and failures, and the absolute index of the newest bucket. */
  bucketTotal: number[];
  bucketFailures: number[];
  bucketIndex: number;
  /** When an open breaker may go half-open. */
  openUntil: number;
  /** Times the breaker opened since it last closed (drives the back-off). */
  openCount: number;
  probesInFlight: number;
  probeSuccesses: number;
}

/** What {@link tryAcquireBreaker} answers. Pass an admitted permit back to {@link observeBreakerResult}. */
export type BreakerDecision =
  | { readonly kind: 'admitted'; readonly probe: boolean; readonly epoch: number }
  | { readonly kind: 'rejected'; readonly retryAfterMs: number };

/**
 * Validates `config` and fills in the defaults (see the module comment for their sources).
 *
 * @example
 * ```ts
 * import { compileCircuitBreaker } from '@switchyard/health';
 * const plan = compileCircuitBreaker({ policy: { kind: 'sampling', failureRatioThreshold: 0.5 }, halfOpenMaxProbes: 3 });
 * ```
 */
export function compileCircuitBreaker(config: CircuitBreakerConfig = {}, path = 'circuitBreaker'): CircuitBreakerPlan {
  const issues = new IssueCollector();
  const p = config.policy ?? { kind: 'consecutive' };
  let policy: CircuitBreakerPlan['policy'];
  if (p.kind === 'consecutive') {
    policy = { kind: 'consecutive', maxFailures: num(issues, `${path}.policy.maxFailures`, p.maxFailures, 7, { min: 1, integer: true }) };
  } else if (p.kind === 'sampling') {
    policy = {
      kind: 'sampling',
      failureRatioThreshold: num(issues, `${path}.policy.failureRatioThreshold`, p.failureRatioThreshold, 0.2, { min: 0, max: 1 }),
      windowMs: num(issues, `${path}.policy.windowMs`, p.windowMs, 10_000, { min: 0, exclusiveMin: true }),
      minimumThroughput: num(issues, `${path}.policy.minimumThroughput`, p.minimumThroughput, 5, { min: 1, integer: true }),
      buckets: num(issues, `${path}.policy.buckets`, p.buckets, 10, { min: 1, max: 1000, integer: true }),
    };
  } else {
    issues.add(`${path}.policy.kind`, `must be "consecutive" or "sampling", got ${JSON.stringify((p as { kind?: unknown }).kind)}`);
    policy = { kind: 'consecutive', maxFailures: 7 };
  }
  const minOpenMs = num(issues, `${path}.minOpenMs`, config.minOpenMs, 1_000, { min: 0, exclusiveMin: true });
  const maxOpenMs = num(issues, `${path}.maxOpenMs`, config.maxOpenMs, Math.max(60_000, minOpenMs), { min: 0, exclusiveMin: true });
  if (maxOpenMs < minOpenMs) issues.add(`${path}.maxOpenMs`, `must be >= minOpenMs (${minOpenMs}), got ${maxOpenMs}`);
  const plan: CircuitBreakerPlan = {
    name: config.name ?? 'breaker',
    policy: Object.freeze(policy),
    minOpenMs,
    maxOpenMs,
    jitterRatio: num(issues, `${path}.jitterRatio`, config.jitterRatio, 0.5, { min: 0 }),
    halfOpenMaxProbes: num(issues, `${path}.halfOpenMaxProbes`, config.halfOpenMaxProbes, 1, { min: 1, integer: true }),
    halfOpenSuccessThreshold: num(issues, `${path}.halfOpenSuccessThreshold`, config.halfOpenSuccessThreshold, 1, { min: 1, integer: true }),
    isFailure: config.isFailure ?? isFailure,
  };
  issues.throwIfAny();
  return Object.freeze(plan);
}

/** A closed breaker. */
export function createBreakerState(plan: CircuitBreakerPlan): CircuitBreakerState {
  const n = plan.policy.kind === 'sampling' ? plan.policy.buckets : 0;
  return {
    status: 'closed',
    epoch: 0,
    consecutiveFailures: 0,
    bucketTotal: new Array<number>(n).fill(0),
    bucketFailures: new Array<number>(n).fill(0),
    bucketIndex: 0,
    openUntil: 0,
    openCount: 0,
    probesInFlight: 0,
    probeSuccesses: 0,
  };
}

/** The open period after the `n`-th consecutive opening (n ≥ 1), before jitter: `min(min × 2^(n−1), max)`. */
export function breakerOpenMs(plan: CircuitBreakerPlan, n: number): number {
  return Math.min(plan.minOpenMs * 2 ** Math.min(n - 1, 52), plan.maxOpenMs);
}

/**
 * The status as of `now`, without changing anything: an open breaker whose period has run out
 * reads as `half-open`.
 */
export function breakerStatus(state: CircuitBreakerState, now: number): CircuitBreakerState['status'] {
  return state.status === 'open' && now >= state.openUntil ? 'half-open' : state.status;
}

function open(plan: CircuitBreakerPlan, state: CircuitBreakerState, now: number, rng: Rng, reason: 'consecutive-failures' | 'failure-ratio' | 'probe-failed', sink: HealthEventSink | undefined): void {
  state.openCount++;
  const base = breakerOpenMs(plan, state.openCount);
  // Clamped so rounding can never push the period past the documented bound base × (1 + ratio).
  const openForMs = plan.jitterRatio > 0 ? Math.min(base + rng.next() * plan.jitterRatio * base, base * (1 + plan.jitterRatio)) : base;
  state.status = 'open';
  state.epoch++;
  state.openUntil = now + openForMs;
  state.probesInFlight = 0;
  state.probeSuccesses = 0;
  state.consecutiveFailures = 0;
  state.bucketTotal.fill(0);
  state.bucketFailures.fill(0);
  sink?.({ kind: 'breaker-opened', breaker: plan.name, at: now, openForMs, reason });
}

/**
 * Asks to send one request at `now`. Closed: admitted. Open: rejected with the time left.
 * Half-open (the open period ran out): admitted as a probe while fewer than
 * `halfOpenMaxProbes` probes are in flight, otherwise rejected.
 *
 * Every admitted permit must come back through {@link observeBreakerResult} (or
 * {@link releaseBreakerPermit} when the try was canceled), or half-open stays saturated.
 */
export function tryAcquireBreaker(plan: CircuitBreakerPlan, state: CircuitBreakerState, now: number, sink?: HealthEventSink): BreakerDecision {
  if (state.status === 'closed') return { kind: 'admitted', probe: false, epoch: state.epoch };
  if (state.status === 'open') {
    if (now < state.openUntil) return { kind: 'rejected', retryAfterMs: state.openUntil - now };
    state.status = 'half-open';
    state.epoch++;
    state.probesInFlight = 0;
    state.probeSuccesses = 0;
    sink?.({ kind: 'breaker-half-open', breaker: plan.name, at: now });
  }
  if (state.probesInFlight >= plan.halfOpenMaxProbes) return { kind: 'rejected', retryAfterMs: 0 };
  state.probesInFlight++;
  return { kind: 'admitted', probe: true, epoch: state.epoch };
}

/** Gives back a permit without a verdict (the try was canceled): frees a half-open probe slot. */
export function releaseBreakerPermit(state: CircuitBreakerState, permit: BreakerDecision): void {
  if (permit.kind === 'admitted' && permit.probe && permit.epoch === state.epoch && state.probesInFlight > 0) state.probesInFlight--;
}

/**
 * Observes the result of an admitted try (feedback is `observe*` across switchyard). `result`
 * is an outcome (classified with `plan.isFailure`) or a plain boolean `failed`. Results of
 * permits granted in an earlier state (a request admitted while closed that ends after the
 * breaker opened) are ignored.
 */
export function observeBreakerResult(
  plan: CircuitBreakerPlan,
  state: CircuitBreakerState,
  permit: BreakerDecision,
  result: Outcome | boolean,
  now: number,
  rng: Rng,
  sink?: HealthEventSink,
): void {
  if (permit.kind !== 'admitted' || permit.epoch !== state.epoch) return;
  const failed = typeof result === 'boolean' ? result : plan.isFailure(result);
  if (permit.probe) {
    if (state.status !== 'half-open') return;
    state.probesInFlight--;
    if (failed) {
      open(plan, state, now, rng, 'probe-failed', sink);
    } else if (++state.probeSuccesses >= plan.halfOpenSuccessThreshold) {
      state.status = 'closed';
      state.epoch++;
      state.openCount = 0;
      state.probesInFlight = 0;
      state.probeSuccesses = 0;
      sink?.({ kind: 'breaker-closed', breaker: plan.name, at: now });
    }
    return;
  }
  if (state.status !== 'closed') return;
  const policy = plan.policy;
  if (policy.kind === 'consecutive') {
    if (!failed) state.consecutiveFailures = 0;
    else if (++state.consecutiveFailures >= policy.maxFailures) open(plan, state, now, rng, 'consecutive-failures', sink);
    return;
  }
  // Sampling: rotate the window lazily to the bucket `now` falls in.
  const width = policy.windowMs / policy.buckets;
  const index = Math.floor(now / width);
  const n = policy.buckets;
  if (index !== state.bucketIndex) {
    const gap = Math.min(index - state.bucketIndex, n);
    for (let i = 1; i <= gap; i++) {
      const slot = (((state.bucketIndex + i) % n) + n) % n;
      state.bucketTotal[slot] = 0;
      state.bucketFailures[slot] = 0;
    }
    if (index < state.bucketIndex) {
      // Time went backwards (bad input): start over rather than index garbage.
      state.bucketTotal.fill(0);
      state.bucketFailures.fill(0);
    }
    state.bucketIndex = index;
  }
  const slot = ((index % n) + n) % n;
  state.bucketTotal[slot] = (state.bucketTotal[slot] ?? 0) + 1;
  if (!failed) return;
  state.bucketFailures[slot] = (state.bucketFailures[slot] ?? 0) + 1;
  let total = 0;
  let failures = 0;
  for (let i = 0; i < n; i++) {
    total += state.bucketTotal[i] ?? 0;
    failures += state.bucketFailures[i] ?? 0;
  }
  if (total >= policy.minimumThroughput && failures / total > policy.failureRatioThreshold) open(plan, state, now, rng, 'failure-ratio', sink);
}

/**
 * @deprecated Use {@link observeBreakerResult} (the same function): feedback is `observe*`
 * across switchyard.
 */
export const recordBreakerResult: typeof observeBreakerResult = observeBreakerResult;

/** The stateful wrapper of {@link createCircuitBreaker}. */
export interface CircuitBreaker {
  readonly plan: CircuitBreakerPlan;
  readonly state: CircuitBreakerState;
  tryAcquire(now: number): BreakerDecision;
  /** Feeds back the result of an admitted try ({@link observeBreakerResult}). */
  observe(permit: BreakerDecision, result: Outcome | boolean, now: number): void;
  /** @deprecated Use {@link CircuitBreaker.observe} (the same function). */
  record(permit: BreakerDecision, result: Outcome | boolean, now: number): void;
  release(permit: BreakerDecision): void;
  status(now: number): CircuitBreakerState['status'];
  /** The plain state, for `JSON.stringify`. */
  toJSON(): CircuitBreakerState;
}

/**
 * One circuit breaker (per upstream group or per endpoint, Linkerd-style). No timer, no
 * listener: 10 000 of them arm nothing. For many breakers, compile the plan once and pass it
 * as `plan` (or keep bare {@link createBreakerState} objects and call the functions).
 *
 * @example
 * ```ts
 * import { systemClock, systemRng } from '@switchyard/core';
 * import { createCircuitBreaker } from '@switchyard/health';
 * const breaker = createCircuitBreaker({ config: { name: 'orders', policy: { kind: 'consecutive', maxFailures: 3 } }, rng: systemRng });
 * const permit = breaker.tryAcquire(systemClock.now());
 * if (permit.kind === 'rejected') throw new Error(`circuit open, retry in ${permit.retryAfterMs} ms`);
 * const status = 503; // … send the request …
 * breaker.observe(permit, status >= 500, systemClock.now());
 * ```
 */
export function createCircuitBreaker(options: {
  readonly config?: CircuitBreakerConfig;
  /** A plan compiled once with {@link compileCircuitBreaker} and shared by many breakers (wins over `config`). */
  readonly plan?: CircuitBreakerPlan;
  readonly rng: Rng;
  readonly sink?: HealthEventSink;
  /** State to resume from (e.g. `JSON.parse` of a saved breaker). */
  readonly state?: CircuitBreakerState;
}): CircuitBreaker {
  const plan = options.plan ?? compileCircuitBreaker(options.config);
  return new Breaker(plan, options.state ?? createBreakerState(plan), options.rng, options.sink);
}

// Methods live on the prototype: a breaker costs its fields, not a set of closures.
class Breaker implements CircuitBreaker {
  readonly plan: CircuitBreakerPlan;
  readonly state: CircuitBreakerState;
  readonly #rng: Rng;
  readonly #sink: HealthEventSink | undefined;

  constructor(plan: CircuitBreakerPlan, state: CircuitBreakerState, rng: Rng, sink: HealthEventSink | undefined) {
    this.plan = plan;
    this.state = state;
    this.#rng = rng;
    this.#sink = sink;
  }

  tryAcquire(now: number): BreakerDecision {
    return tryAcquireBreaker(this.plan, this.state, now, this.#sink);
  }

  observe(permit: BreakerDecision, result: Outcome | boolean, now: number): void {
    observeBreakerResult(this.plan, this.state, permit, result, now, this.#rng, this.#sink);
  }

  release(permit: BreakerDecision): void {
    releaseBreakerPermit(this.state, permit);
  }

  status(now: number): CircuitBreakerState['status'] {
    return breakerStatus(this.state, now);
  }

  toJSON(): CircuitBreakerState {
    return this.state;
  }

  /** @deprecated Use `observe` (the same function, set on the prototype below). */
  declare record: CircuitBreaker['record'];
}

// The deprecated `record` is `observe` itself, on the prototype: no second method to drift.
Breaker.prototype.record = Breaker.prototype.observe;
