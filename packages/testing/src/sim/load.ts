/**
 * A discrete-event load driver over the test clock: open-loop arrivals (Poisson or constant
 * rate) or closed-loop clients, through any async handler, with a report of counts, error
 * rate and latency percentiles per endpoint and overall. Open vs closed loop follows
 * Schroeder, Wierman and Harchol-Balter, "Open Versus Closed: A Cautionary Tale" (NSDI 2006):
 * an open loop keeps sending when the system slows down (and exposes queueing collapse), a
 * closed loop slows down with it.
 */
import {
  createLightAbortController,
  SwitchyardError,
  type AbortControllerLike,
  type AbortSignalLike,
  type Cancel,
  type Rng,
  type SyRequest,
} from '@switchyard/core';
import type { TestClock } from '../test-clock.js';

/** What a handler reports for one request. */
export interface LoadResult {
  readonly status: number;
  /** The endpoint that served it, for the per-endpoint breakdown. */
  readonly endpointId?: string | undefined;
  /** Why no upstream response came back (`connect`, `timeout`, `no-eligible-endpoints`, …); counts as an error. */
  readonly error?: string | undefined;
}

/** Per-request context the driver hands to the handler. */
export interface LoadContext {
  /** Aborted when the driver's `timeoutMs` expires or the run gives up on the request. */
  readonly signal: AbortSignalLike;
  /** 0-based index of the request in the run. */
  readonly index: number;
  /** The closed-loop client that sent it (undefined in open loop). */
  readonly client: number | undefined;
}

/**
 * Anything that answers a request asynchronously: a gateway handler wrapped to report
 * `{ status }`, a balancer over a fleet (`createBalancerHandler`), or a hand-written function.
 */
export type LoadHandler<Req = SyRequest> = (request: Req, context: LoadContext) => Promise<LoadResult>;

/** Latency percentiles in ms (nearest-rank). NaN when there are no samples. */
export interface LatencySummary {
  readonly min: number;
  readonly mean: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  /** p99.9 */
  readonly p999: number;
  readonly max: number;
}

/** Counts and latencies of a set of completed requests. */
export interface LoadStats {
  // Deliberately alike: simulate/src/report.ts LimitSummary — only the shape of documented readonly fields is shared, no logic.
  /** Completed requests (errors and driver timeouts included). */
  readonly count: number;
  readonly errors: number;
  /** errors / count (0 when count is 0). */
  readonly errorRate: number;
  /** Completed requests by status. */
  readonly statusCounts: Readonly<Record<number, number>>;
  /** Errors by `LoadResult.error` (status-only errors are counted under `status`). */
  readonly errorKinds: Readonly<Record<string, number>>;
  /** Over every completed request, errors included (a driver timeout counts as `timeoutMs`). */
  readonly latencyMs: LatencySummary;
}

/** What {@link runLoad} returns. */
export interface LoadRunReport extends LoadStats {
  /** Clock time of the first send opportunity and of the end of the run. */
  readonly startedAt: number;
  readonly endedAt: number;
  /** Requests sent. */
  readonly sent: number;
  /** Requests with no result when the run ended (hung with no timeout, or cut by `drainMs`); not in `count`. */
  readonly incomplete: number;
  /** Completed requests per second of clock time. */
  readonly throughputPerSecond: number;
  /** The same statistics per `LoadResult.endpointId` (requests without one appear only overall). */
  readonly byEndpoint: Readonly<Record<string, LoadStats>>;
}

/**
 * @deprecated Use {@link LoadRunReport}: `@switchyard/balancers` exports `LoadReport` for an ORCA
 * backend load report, a different thing.
 */
export type LoadReport = LoadRunReport;

/** Options of {@link runLoad}. Give `rate` (open loop) or `clients` (closed loop), and `durationMs` and/or `requests`. */
export interface LoadOptions<Req = SyRequest> {
  // Deliberately alike: splitter/src/rollout-driver.ts (RolloutDriverOptions) — a data type's list of readonly fields: alike in shape only, different fields and meanings (a load driver's options vs a rollout driver's)
  /** A test clock: the driver moves it one timer at a time. */
  readonly clock: TestClock;
  /** Draws arrival gaps and is passed to `makeRequest`. */
  readonly rng: Rng;
  readonly handler: LoadHandler<Req>;
  /** Open loop: requests per second of clock time. */
  readonly rate?: number;
  /** Open loop arrivals: `poisson` (exponential gaps, default) or `constant` (every 1000/rate ms, first at once). */
  readonly arrivals?: 'poisson' | 'constant';
  /**
   * Open loop with your own arrival process instead of `rate` (a rate that changes over time):
   * returns the gap in ms from now to the next arrival, given the time since the start; a gap
   * of `Infinity` (or one that reaches `durationMs`) stops sending. Called once before the first
   * arrival and once after each.
   */
  readonly arrivalGapMs?: (elapsedMs: number, rng: Rng) => number;
  /** Closed loop: this many clients, each sending its next request when the previous one ends. */
  readonly clients?: number;
  /** Closed loop: pause between a response and the client's next request (default 0). */
  readonly thinkTimeMs?: number;
  /** No request is sent at or after `start + durationMs`. */
  readonly durationMs?: number;
  /** Send at most this many requests. */
  readonly requests?: number;
  /** Give up on a request after this long: its signal aborts and it counts as status 504, error `timeout`. */
  readonly timeoutMs?: number;
  /** After the last send, wait at most this long (clock time) for stragglers (default 60 000); the rest are `incomplete`. */
  readonly drainMs?: number;
  /** Builds request `index` (default: `GET http://load.test/`). */
  readonly makeRequest?: (index: number, rng: Rng) => Req;
  /** Which results count as errors (default: status >= 500 or an `error` is set). */
  readonly isError?: (result: LoadResult) => boolean;
  /**
   * How promise continuations settle after each timer, before the next one fires:
   * - open loop, by default, where the runtime has `setImmediate`: every pending microtask runs
   *   (the driver waits for the next macrotask), so a chain of any depth sees the right
   *   `now()`, at the cost of one event-loop turn per timer, whatever the depth;
   * - closed loop, or when `settleTurns` is given: that many microtask turns (default 64), enough
   *   for a chain of that many `await`s (raise it if a deep handler chain reacts late). A closed
   *   loop keeps the bound so a handler answering in zero clock time cannot spin unbounded.
   */
  readonly settleTurns?: number;
}

const defaultRequest = (): SyRequest => ({
  method: 'GET',
  scheme: 'http',
  authority: 'load.test',
  path: '/',
  query: '',
  headers: {},
  attributes: {},
});

class Collector {
  count = 0;
  errors = 0;
  readonly statusCounts: Record<number, number> = {};
  readonly errorKinds: Record<string, number> = {};
  readonly latencies: number[] = [];

  add(result: LoadResult, latency: number, isError: boolean): void {
    this.count++;
    if (isError) this.errors++;
    this.statusCounts[result.status] = (this.statusCounts[result.status] ?? 0) + 1;
    if (result.error !== undefined) this.errorKinds[result.error] = (this.errorKinds[result.error] ?? 0) + 1;
    this.latencies.push(latency);
  }

  stats(): LoadStats {
    return {
      count: this.count,
      errors: this.errors,
      errorRate: this.count === 0 ? 0 : this.errors / this.count,
      statusCounts: this.statusCounts,
      errorKinds: this.errorKinds,
      latencyMs: summarizeLatencies(this.latencies),
    };
  }
}

/**
 * The nearest-rank `p`-th percentile (0 < p ≤ 100) of ascending `sorted` values: the smallest
 * value with at least p% of the samples at or below it. NaN for an empty array.
 *
 * @example
 * ```ts
 * import { percentile } from '@switchyard/testing';
 * percentile([1, 2, 3, 4], 50); // 2
 * ```
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  // The epsilon keeps 99.9% of 1000 at rank 999 despite 0.999 · 1000 = 999.0000000000001.
  const rank = Math.ceil((p / 100) * sorted.length - 1e-9);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

/**
 * Min, mean, p50, p90, p99, p99.9 and max of `values` (any order; not mutated).
 *
 * @example
 * ```ts
 * import { summarizeLatencies } from '@switchyard/testing';
 * summarizeLatencies([5, 1, 3]).p50; // 3
 * ```
 */
export function summarizeLatencies(values: readonly number[]): LatencySummary {
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    min: sorted.length === 0 ? Number.NaN : (sorted[0] as number),
    mean: sorted.length === 0 ? Number.NaN : sum / sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    p999: percentile(sorted, 99.9),
    max: sorted.length === 0 ? Number.NaN : (sorted[sorted.length - 1] as number),
  };
}

/**
 * One request in flight, and the {@link LoadContext} its handler gets. Its abort signal is
 * created on first read of `signal` (a light controller, not the runtime's `AbortController`,
 * an `EventTarget` that costs far more to create and to collect): a handler that never looks at
 * it, or a request that completes before anyone aborts it, costs no controller at all.
 */
class InFlight implements LoadContext {
  settled = false;
  cancelTimeout: Cancel = noop;
  private controller: AbortControllerLike | undefined = undefined;
  private abortedWith: { reason: unknown } | undefined = undefined;
  readonly index: number;
  readonly client: number | undefined;
  readonly t0: number;

  constructor(index: number, client: number | undefined, t0: number) {
    this.index = index;
    this.client = client;
    this.t0 = t0;
  }

  get signal(): AbortSignalLike {
    if (this.controller === undefined) {
      this.controller = createLightAbortController();
      if (this.abortedWith !== undefined) this.controller.abort(this.abortedWith.reason);
    }
    return this.controller.signal;
  }

  abort(reason: unknown): void {
    if (this.controller !== undefined) this.controller.abort(reason);
    else this.abortedWith ??= { reason };
  }
}

const noop = (): void => {};

/**
 * `setImmediate` where the runtime has it (Node, Bun, Deno): its callback runs once every
 * queued microtask has, so one call settles promise chains of any depth. Undefined elsewhere.
 */
function immediateScheduler(): ((fn: () => void) => void) | undefined {
  const setImmediate = (globalThis as { setImmediate?: (fn: () => void) => unknown }).setImmediate;
  return typeof setImmediate === 'function' ? (fn) => void setImmediate(fn) : undefined;
}

/**
 * Drives `handler` with load on a test clock and reports what happened. Deterministic for a
 * seeded `rng` (and a deterministic handler, such as a balancer over `createFleet`).
 *
 * The driver owns the clock while it runs: it fires timers one at a time
 * ({@link TestClock.step}) and lets promise continuations settle between them, so every
 * `now()` a handler reads is the simulated instant. It ends when everything sent has
 * completed, or nothing is left to fire, or `drainMs` after the last send.
 *
 * Gotchas: don't advance the clock yourself while it runs; a handler that rejects is a bug
 * and makes `runLoad` reject with that error; timers that re-arm forever (active health
 * checks) are fine, the run still ends when its requests have.
 *
 * @example
 * ```ts
 * import { createBalancerHandler, createFleet, createTestClock, runLoad, seededRng } from '@switchyard/testing';
 * import { myBalancer } from './my-balancer.js';
 *
 * const clock = createTestClock();
 * const rng = seededRng(42);
 * const fleet = createFleet({ clock, rng, endpoints: [{ id: 'a', latency: 10 }, { id: 'b', latency: 50 }] });
 * const handler = createBalancerHandler({ balancer: myBalancer, endpoints: fleet.endpoints, transport: fleet.transport, clock, rng });
 * const report = await runLoad({ clock, rng, handler, rate: 200, durationMs: 10_000, timeoutMs: 1_000 });
 * report.latencyMs.p99; report.byEndpoint['a']?.count;
 * ```
 */
export async function runLoad<Req = SyRequest>(options: LoadOptions<Req>): Promise<LoadRunReport> {
  const { clock, rng, handler } = options;
  const problems: string[] = [];
  const open = options.rate !== undefined || options.arrivalGapMs !== undefined;
  if (open === (options.clients !== undefined) || (options.rate !== undefined && options.arrivalGapMs !== undefined)) problems.push('give exactly one of rate or arrivalGapMs (open loop) or clients (closed loop)');
  if (options.rate !== undefined && !(Number.isFinite(options.rate) && (options.rate as number) > 0)) problems.push('rate must be a finite number > 0');
  if (options.clients !== undefined && !(Number.isInteger(options.clients) && options.clients >= 1)) problems.push('clients must be an integer >= 1');
  if (options.durationMs === undefined && options.requests === undefined) problems.push('give durationMs and/or requests');
  if (options.durationMs !== undefined && !(options.durationMs >= 0 && Number.isFinite(options.durationMs))) problems.push('durationMs must be a finite number >= 0');
  if (options.requests !== undefined && !(Number.isInteger(options.requests) && options.requests >= 0)) problems.push('requests must be an integer >= 0');
  if (options.timeoutMs !== undefined && !(options.timeoutMs > 0)) problems.push('timeoutMs must be > 0');
  if (problems.length > 0) throw new SwitchyardError('SY_INVALID_ARGUMENT', `runLoad: ${problems.join('; ')}`);

  const makeRequest = options.makeRequest ?? (defaultRequest as unknown as (index: number, rng: Rng) => Req);
  const isError = options.isError ?? ((r: LoadResult) => r.status >= 500 || r.error !== undefined);
  const turns = options.settleTurns ?? 64;
  const drainMs = options.drainMs ?? 60_000;
  const startedAt = clock.now();
  const endAt = options.durationMs === undefined ? Number.POSITIVE_INFINITY : startedAt + options.durationMs;
  const maxRequests = options.requests ?? Number.POSITIVE_INFINITY;

  const overall = new Collector();
  const perEndpoint = new Map<string, Collector>();
  const inFlight = new Set<InFlight>();
  let sent = 0;
  let incomplete = 0;
  let sending = true;
  let drained = false;
  let cancelDrain = (): void => {};
  let failure: { error: unknown } | undefined;
  let activeClients = 0;

  let stopped = false;
  const canSend = (): boolean => !stopped && failure === undefined && sent < maxRequests && clock.now() < endAt;

  const stopSending = (): void => {
    if (!sending) return;
    sending = false;
    cancelDrain = clock.setTimer(drainMs, () => {
      drained = true;
    });
  };

  const send = (client: number | undefined, onDone: () => void): void => {
    const entry = new InFlight(sent++, client, clock.now());
    inFlight.add(entry);
    const complete = (result: LoadResult): void => {
      if (entry.settled) return;
      entry.settled = true;
      inFlight.delete(entry);
      entry.cancelTimeout();
      const latency = clock.now() - entry.t0;
      const err = isError(result);
      overall.add(result, latency, err);
      if (result.endpointId !== undefined) {
        let c = perEndpoint.get(result.endpointId);
        if (c === undefined) perEndpoint.set(result.endpointId, (c = new Collector()));
        c.add(result, latency, err);
      }
      onDone();
    };
    if (options.timeoutMs !== undefined) {
      entry.cancelTimeout = clock.setTimer(options.timeoutMs, () => {
        complete({ status: 504, error: 'timeout' });
        entry.abort(new SwitchyardError('SY_DEADLINE_EXCEEDED', `load driver timeout after ${options.timeoutMs} ms`));
      });
    }
    let pending: Promise<LoadResult>;
    try {
      pending = handler(makeRequest(entry.index, rng), entry);
    } catch (e) {
      pending = Promise.reject(e);
    }
    pending.then(complete, (error: unknown) => {
      failure ??= { error };
      entry.settled = true;
      entry.cancelTimeout();
      inFlight.delete(entry);
    });
  };

  if (open) {
    const rate = options.rate as number;
    const custom = options.arrivalGapMs;
    const gap = (): number =>
      custom !== undefined ? custom(clock.now() - startedAt, rng) : options.arrivals === 'constant' ? 1000 / rate : (-Math.log(1 - rng.next()) * 1000) / rate;
    const arrive = (): void => {
      send(undefined, () => {});
      scheduleNext();
    };
    // Stop as soon as the next arrival would fall outside the run, so the run ends with its last request.
    const scheduleNext = (first = false): void => {
      const g = first && options.arrivals === 'constant' && custom === undefined ? 0 : gap();
      if (sent >= maxRequests || clock.now() + g >= endAt) stopSending();
      else if (g === 0) arrive();
      else clock.setTimer(g, arrive);
    };
    scheduleNext(true);
  } else {
    const think = options.thinkTimeMs ?? 0;
    const loop = (client: number): void => {
      if (!canSend()) {
        if (--activeClients === 0) stopSending();
        return;
      }
      send(client, () => {
        if (think > 0) clock.setTimer(think, () => loop(client));
        else loop(client);
      });
    };
    const n = options.clients as number;
    activeClients = n;
    for (let c = 0; c < n; c++) loop(c);
  }

  const settleTurns = async (): Promise<void> => {
    for (let i = 0; i < turns; i++) await Promise.resolve();
  };
  // One macrotask drains the microtask queue however deep the chains: cheaper than 64 awaits
  // (no promise per turn) and exact. Only for the open loop, whose sends come from timers: a
  // closed loop's zero-time handler would chain sends in microtasks forever (see below).
  const setImmediate = options.settleTurns === undefined && open ? immediateScheduler() : undefined;
  const settle = setImmediate === undefined ? settleTurns : () => new Promise<void>((resolve) => setImmediate(resolve));

  let sentBeforeSettle = sent;
  /** Fires the next timer; false when the run is over (or failed). */
  const step = (): boolean => {
    if (failure !== undefined || (!sending && inFlight.size === 0) || drained) return false;
    if (!clock.step()) {
      // No timers left, yet clients kept sending while promises settled: a closed loop over a
      // handler that answers in zero clock time would send forever at this one instant.
      if (sending && sent > sentBeforeSettle) {
        failure = {
          error: new SwitchyardError('SY_INVALID_ARGUMENT', 'runLoad: the closed loop keeps sending at one instant (the handler answers in zero clock time); give thinkTimeMs or requests'),
        };
      }
      return false;
    }
    sentBeforeSettle = sent;
    return true;
  };
  if (setImmediate !== undefined) {
    // A callback loop, one macrotask per timer: no promise or continuation per step.
    await new Promise<void>((done) => {
      const tick = (): void => {
        let more: boolean;
        try {
          more = step();
        } catch (error) {
          // A timer callback threw (a bug in the handler or a transport): the run fails with it.
          failure ??= { error };
          more = false;
        }
        if (more) setImmediate(tick);
        else done();
      };
      setImmediate(tick);
    });
  } else {
    await settle();
    while (step()) await settle();
  }
  cancelDrain();
  stopped = true;
  if (failure !== undefined) {
    for (const e of inFlight) e.abort(new SwitchyardError('SY_CANCELED', 'load run failed'));
    throw failure.error;
  }
  // Whatever is still out is incomplete: hung with no timeout, or cut off by drainMs.
  for (const e of [...inFlight]) {
    e.settled = true;
    e.cancelTimeout();
    incomplete++;
    e.abort(new SwitchyardError('SY_CANCELED', 'load run ended'));
  }
  inFlight.clear();
  await settle();

  const endedAt = clock.now();
  const byEndpoint: Record<string, LoadStats> = {};
  for (const [id, c] of [...perEndpoint].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) byEndpoint[id] = c.stats();
  const elapsed = endedAt - startedAt;
  return {
    ...overall.stats(),
    startedAt,
    endedAt,
    sent,
    incomplete,
    throughputPerSecond: elapsed > 0 ? (overall.count * 1000) / elapsed : 0,
    byEndpoint,
  };
}
