/**
 * A simulated upstream fleet: endpoints with latency distributions, error rates, concurrency
 * limits with FIFO queues, and scripted outages, slowdowns and recoveries, all on an injected
 * {@link Clock} and {@link Rng}. It exposes a core {@link Transport}, so a gateway, a balancer
 * (through `createBalancerHandler`) or anything else that sends through a transport can be
 * driven against it deterministically.
 *
 * The queueing model is a per-endpoint multi-server FIFO queue (an M/G/c/K station when the
 * load driver sends Poisson arrivals), the standard model for a server with a worker pool.
 */
import {
  ConfigError,
  createEndpoint,
  onAbort,
  type Cancel,
  type Clock,
  type ConfigIssue,
  type Endpoint,
  type Locality,
  type ResponseHeaders,
  type Rng,
  type SyResponse,
  type Transport,
  type TransportResult,
  type TransportSendOptions,
  type UpstreamRequest,
} from '@switchyard/core';
import { sampleLatency, validateLatency, type LatencySpec } from './latency.js';

/** One simulated endpoint, as given to {@link createFleet}. */
export interface SimEndpointSpec {
  /** Identity (the core `Endpoint.id`). */
  readonly id: string;
  /** Origin URL; default `http://<id, sanitised>.fleet.test`. Nothing is ever dialled. */
  readonly url?: string;
  /** Time to response headers once a request is being served (default 0). Drawn per request. */
  readonly latency?: LatencySpec;
  /** Fraction in [0, 1] of served requests answered with `errorStatus` (default 0). */
  readonly errorRate?: number;
  /** Status of those failures (default 500). */
  readonly errorStatus?: number;
  /** Requests served at once (default unlimited); more wait in a FIFO queue. */
  readonly maxConcurrent?: number;
  /** Requests that may wait (default unlimited); beyond it the endpoint answers 503 at once. */
  readonly maxQueue?: number;
  readonly weight?: number;
  readonly priority?: number;
  readonly locality?: Locality;
  readonly metadata?: Readonly<Record<string, string>>;
}

/**
 * How an endpoint fails during an outage:
 * - `connect`: every send fails with a `connect` error (the process is down); requests in
 *   service or queued when it starts fail with `reset` (the crash broke their connections);
 * - `reset`: like `connect`, but new sends fail with `reset` (accepts, then drops);
 * - `status`: answers `status` (default 503) at once; requests already in service finish;
 * - `blackhole`: accepts and never answers, until the caller aborts (a hung upstream: only a
 *   timeout helps).
 */
export type OutageMode = 'connect' | 'reset' | 'status' | 'blackhole';

/** A change to one endpoint at monotonic time `atMs` (a time in the past applies at once). */
export type FleetEvent =
  | { readonly atMs: number; readonly endpointId: string; readonly kind: 'outage'; readonly mode?: OutageMode; readonly status?: number }
  /** Multiplies every latency drawn from now on by `factor` (2 = twice as slow). */
  | { readonly atMs: number; readonly endpointId: string; readonly kind: 'slowdown'; readonly factor: number }
  | { readonly atMs: number; readonly endpointId: string; readonly kind: 'error-rate'; readonly errorRate: number }
  /** Ends any outage and slowdown and restores the configured error rate. */
  | { readonly atMs: number; readonly endpointId: string; readonly kind: 'recover' };

/** What one endpoint is doing right now. */
export interface SimEndpointCondition {
  readonly outage: { readonly mode: OutageMode; readonly status: number } | undefined;
  readonly slowdownFactor: number;
  readonly errorRate: number;
}

/** Counters for one endpoint since the fleet was created (a snapshot). */
export interface SimEndpointStats {
  /** Sends that reached the endpoint, whatever became of them. */
  readonly received: number;
  /** Responses sent, any status (including `rejected` and outage statuses). */
  readonly responses: number;
  /** Responses with status >= 500. */
  readonly errorResponses: number;
  /** 503s because the queue was full. */
  readonly rejected: number;
  readonly connectErrors: number;
  readonly resets: number;
  /** Sends aborted by the caller before an answer (queued, in service or blackholed). */
  readonly canceled: number;
  /** Requests being served now. */
  readonly inFlight: number;
  /** Requests waiting in the queue now. */
  readonly queued: number;
  readonly maxInFlight: number;
  readonly maxQueued: number;
}

/** Options of {@link createFleet}. */
export interface FleetOptions {
  readonly clock: Clock;
  readonly rng: Rng;
  readonly endpoints: readonly SimEndpointSpec[];
  /**
   * Builds a successful response (status < 500 unless you say so); default
   * `{ status: 200, headers: { 'x-sim-endpoint': id }, body: null }`.
   */
  readonly respond?: (request: UpstreamRequest, endpoint: Endpoint) => Partial<SyResponse>;
}

/** A simulated fleet. See {@link createFleet}. */
export interface Fleet {
  /** The core endpoints, in the order given (hand them to a balancer or gateway config). */
  readonly endpoints: readonly Endpoint[];
  /** Sends to the simulated endpoints. Throws a TypeError for an endpoint id it does not know. */
  readonly transport: Transport;
  /** The core endpoint with this id. */
  endpoint(id: string): Endpoint;
  /** Schedules events on the clock; returns a function that cancels those not yet applied. */
  schedule(events: readonly FleetEvent[]): Cancel;
  /** Applies one event now, whatever its `atMs`. */
  apply(event: FleetEvent): void;
  condition(id: string): SimEndpointCondition;
  /** A snapshot of one endpoint's counters. */
  stats(id: string): SimEndpointStats;
  /** Snapshots of every endpoint's counters, by id. */
  allStats(): Readonly<Record<string, SimEndpointStats>>;
}

const noop = (): void => {};

/** One send: its own object, so a request costs no closures beyond its timer and abort listener. */
class Job {
  state: 'queued' | 'serving' | 'done' = 'queued';
  cancelTimer: Cancel = noop;
  removeAbort: () => void = noop;
  resolve: (r: TransportResult) => void = noop;
  readonly request: UpstreamRequest;
  readonly endpoint: Endpoint;

  constructor(request: UpstreamRequest, endpoint: Endpoint) {
    this.request = request;
    this.endpoint = endpoint;
  }
}

interface Node {
  readonly spec: SimEndpointSpec;
  readonly endpoint: Endpoint;
  readonly maxConcurrent: number;
  readonly maxQueue: number;
  outage: { mode: OutageMode; status: number } | undefined;
  slowdownFactor: number;
  errorRate: number;
  serving: Set<Job>;
  queue: Job[];
  stats: {
    received: number;
    responses: number;
    errorResponses: number;
    rejected: number;
    connectErrors: number;
    resets: number;
    canceled: number;
    maxInFlight: number;
    maxQueued: number;
  };
}

/**
 * Creates a simulated fleet over `clock` and `rng`. Everything is deterministic given the
 * seed of `rng` and the order of sends: run it on `createTestClock()` with `seededRng(n)`.
 *
 * When to use: balancer, health, retry, hedging and rollout tests that need realistic
 * upstreams (tail latency, overload, outages) without sockets or wall time. For a fixed
 * script of replies, `createMockTransport` is simpler.
 *
 * Gotchas:
 * - A latency of 0 answers without a timer; any positive latency needs the clock to advance
 *   (`clock.advanceAsync`, or `runLoad`, which does it for you).
 * - Aborting a request in service frees its slot at once (the simulated server drops the work).
 * - Invalid specs throw one {@link ConfigError} listing every problem (`endpoints[1].errorRate: …`).
 *
 * @example
 * ```ts
 * import { createAbortController } from '@switchyard/core';
 * import { createFleet, createTestClock, seededRng } from '@switchyard/testing';
 *
 * const clock = createTestClock();
 * const fleet = createFleet({
 *   clock,
 *   rng: seededRng(1),
 *   endpoints: [
 *     { id: 'a', latency: { kind: 'lognormal', medianMs: 10, sigma: 0.4 }, maxConcurrent: 4 },
 *     { id: 'b', latency: 30, errorRate: 0.01 },
 *   ],
 * });
 * fleet.schedule([
 *   { atMs: 1_000, endpointId: 'a', kind: 'outage', mode: 'connect' },
 *   { atMs: 5_000, endpointId: 'a', kind: 'recover' },
 * ]);
 * const pending = fleet.transport.send({ method: 'GET', path: '/', headers: {} }, fleet.endpoint('b'), { signal: createAbortController().signal });
 * await clock.advanceAsync(30);
 * (await pending).kind; // 'response'
 * ```
 */
export function createFleet(options: FleetOptions): Fleet {
  const { clock, rng } = options;
  const issues: ConfigIssue[] = [];
  if (!Array.isArray(options.endpoints) || options.endpoints.length === 0) {
    issues.push({ path: 'endpoints', message: 'must be a non-empty array' });
  }
  const nodes = new Map<string, Node>();
  const order: Node[] = [];
  (options.endpoints ?? []).forEach((spec, i) => {
    const path = `endpoints[${i}]`;
    if (typeof spec?.id !== 'string' || spec.id === '') {
      issues.push({ path: `${path}.id`, message: 'must be a non-empty string' });
      return;
    }
    if (nodes.has(spec.id)) issues.push({ path: `${path}.id`, message: `duplicate id ${JSON.stringify(spec.id)}` });
    if (spec.latency !== undefined) validateLatency(spec.latency, `${path}.latency`, issues);
    if (spec.errorRate !== undefined && !(spec.errorRate >= 0 && spec.errorRate <= 1)) {
      issues.push({ path: `${path}.errorRate`, message: 'must be a number in [0, 1]' });
    }
    if (spec.errorStatus !== undefined && !(Number.isInteger(spec.errorStatus) && spec.errorStatus >= 100 && spec.errorStatus <= 599)) {
      issues.push({ path: `${path}.errorStatus`, message: 'must be an HTTP status (100-599)' });
    }
    for (const key of ['maxConcurrent', 'maxQueue'] as const) {
      const v = spec[key];
      if (v !== undefined && !(v === Number.POSITIVE_INFINITY || (Number.isInteger(v) && v >= (key === 'maxConcurrent' ? 1 : 0)))) {
        issues.push({ path: `${path}.${key}`, message: `must be an integer >= ${key === 'maxConcurrent' ? 1 : 0} or Infinity` });
      }
    }
    const endpoint = createEndpoint(
      {
        id: spec.id,
        url: spec.url ?? `http://${spec.id.toLowerCase().replace(/[^a-z0-9-]/g, '-')}.fleet.test`,
        weight: spec.weight,
        priority: spec.priority,
        locality: spec.locality,
        metadata: spec.metadata,
      },
      path,
      issues,
    );
    const node: Node = {
      spec,
      endpoint,
      maxConcurrent: spec.maxConcurrent ?? Number.POSITIVE_INFINITY,
      maxQueue: spec.maxQueue ?? Number.POSITIVE_INFINITY,
      outage: undefined,
      slowdownFactor: 1,
      errorRate: spec.errorRate ?? 0,
      serving: new Set(),
      queue: [],
      stats: { received: 0, responses: 0, errorResponses: 0, rejected: 0, connectErrors: 0, resets: 0, canceled: 0, maxInFlight: 0, maxQueued: 0 },
    };
    nodes.set(spec.id, node);
    order.push(node);
  });
  if (issues.length > 0) throw new ConfigError(issues);

  const respond = options.respond;
  const nodeOf = (id: string): Node => {
    const n = nodes.get(id);
    if (n === undefined) throw new TypeError(`fleet: unknown endpoint id ${JSON.stringify(id)}`);
    return n;
  };

  const finish = (node: Node, job: Job, result: TransportResult): void => {
    if (job.state === 'done') return;
    const wasServing = job.state === 'serving';
    if (job.state === 'queued') {
      const i = node.queue.indexOf(job);
      if (i >= 0) node.queue.splice(i, 1);
    }
    job.state = 'done';
    node.serving.delete(job);
    job.cancelTimer();
    job.removeAbort();
    const s = node.stats;
    if (result.kind === 'response') {
      s.responses++;
      if (result.response.status >= 500) s.errorResponses++;
    } else if (result.error === 'connect') s.connectErrors++;
    else if (result.error === 'reset') s.resets++;
    else if (result.error === 'canceled') s.canceled++;
    job.resolve(result);
    if (wasServing) startNext(node);
  };

  const response = (status: number, headers: ResponseHeaders, body: SyResponse['body']): TransportResult => ({
    kind: 'response',
    response: { status, headers, body },
  });

  const serve = (node: Node, job: Job): void => {
    job.state = 'serving';
    node.serving.add(job);
    if (node.serving.size > node.stats.maxInFlight) node.stats.maxInFlight = node.serving.size;
    const latency = sampleLatency(node.spec.latency ?? 0, rng) * node.slowdownFactor;
    const failed = node.errorRate > 0 && rng.next() < node.errorRate;
    const answer = (): void => {
      if (failed) {
        finish(node, job, response(node.spec.errorStatus ?? 500, { 'x-sim-endpoint': node.endpoint.id }, null));
        return;
      }
      const custom = respond?.(job.request, job.endpoint) ?? {};
      finish(node, job, response(custom.status ?? 200, custom.headers ?? { 'x-sim-endpoint': node.endpoint.id }, custom.body ?? null));
    };
    if (latency > 0) job.cancelTimer = clock.setTimer(latency, answer);
    else answer();
  };

  const startNext = (node: Node): void => {
    while (node.serving.size < node.maxConcurrent && node.queue.length > 0) {
      const next = node.queue.shift() as Job;
      serve(node, next);
    }
  };

  const apply = (event: FleetEvent): void => {
    const node = nodeOf(event.endpointId);
    switch (event.kind) {
      case 'outage': {
        const mode = event.mode ?? 'connect';
        node.outage = { mode, status: event.status ?? 503 };
        if (mode === 'connect' || mode === 'reset') {
          // The process died: everything it held breaks.
          const broken = [...node.serving, ...node.queue];
          for (const job of broken) finish(node, job, { kind: 'error', error: 'reset', message: `simulated crash of ${node.endpoint.id}` });
        }
        return;
      }
      case 'slowdown':
        node.slowdownFactor = event.factor;
        return;
      case 'error-rate':
        node.errorRate = event.errorRate;
        return;
      case 'recover':
        node.outage = undefined;
        node.slowdownFactor = 1;
        node.errorRate = node.spec.errorRate ?? 0;
        return;
    }
  };

  const transport: Transport = {
    send(request: UpstreamRequest, endpoint: Endpoint, opts: TransportSendOptions): Promise<TransportResult> {
      const node = nodeOf(endpoint.id);
      node.stats.received++;
      const job = new Job(request, endpoint);
      const promise = new Promise<TransportResult>((resolve) => {
        job.resolve = resolve;
      });
      if (opts.signal.aborted) {
        finish(node, job, { kind: 'error', error: 'canceled', message: 'aborted before send' });
        return promise;
      }
      const outage = node.outage;
      if (outage !== undefined && outage.mode !== 'blackhole') {
        if (outage.mode === 'status') finish(node, job, response(outage.status, { 'x-sim-endpoint': node.endpoint.id }, null));
        else finish(node, job, { kind: 'error', error: outage.mode, message: `simulated ${outage.mode} error from ${node.endpoint.id}` });
        return promise;
      }
      job.removeAbort = onAbort(opts.signal, () => finish(node, job, { kind: 'error', error: 'canceled', message: 'aborted by caller' }));
      if (outage !== undefined) return promise; // blackhole: only the abort ends it
      if (node.serving.size < node.maxConcurrent) {
        serve(node, job);
      } else if (node.queue.length < node.maxQueue) {
        node.queue.push(job);
        if (node.queue.length > node.stats.maxQueued) node.stats.maxQueued = node.queue.length;
      } else {
        node.stats.rejected++;
        finish(node, job, response(503, { 'x-sim-endpoint': node.endpoint.id, 'x-sim-overloaded': 'true' }, null));
      }
      return promise;
    },
  };

  const snapshot = (node: Node): SimEndpointStats => ({ ...node.stats, inFlight: node.serving.size, queued: node.queue.length });

  return {
    endpoints: Object.freeze(order.map((n) => n.endpoint)),
    transport,
    endpoint: (id) => nodeOf(id).endpoint,
    schedule(events) {
      const issues2: ConfigIssue[] = [];
      events.forEach((e, i) => {
        if (!nodes.has(e.endpointId)) issues2.push({ path: `events[${i}].endpointId`, message: `unknown endpoint ${JSON.stringify(e.endpointId)}` });
        if (!Number.isFinite(e.atMs)) issues2.push({ path: `events[${i}].atMs`, message: 'must be a finite number' });
        if (e.kind === 'slowdown' && !(e.factor > 0 && Number.isFinite(e.factor))) issues2.push({ path: `events[${i}].factor`, message: 'must be a finite number > 0' });
        if (e.kind === 'error-rate' && !(e.errorRate >= 0 && e.errorRate <= 1)) issues2.push({ path: `events[${i}].errorRate`, message: 'must be a number in [0, 1]' });
      });
      if (issues2.length > 0) throw new ConfigError(issues2);
      const cancels: Cancel[] = [];
      for (const e of events) {
        if (e.atMs <= clock.now()) apply(e);
        else cancels.push(clock.setTimer(e.atMs - clock.now(), () => apply(e)));
      }
      return () => {
        for (const c of cancels) c();
      };
    },
    apply,
    condition(id) {
      const n = nodeOf(id);
      return { outage: n.outage === undefined ? undefined : { ...n.outage }, slowdownFactor: n.slowdownFactor, errorRate: n.errorRate };
    },
    stats: (id) => snapshot(nodeOf(id)),
    allStats() {
      const out: Record<string, SimEndpointStats> = {};
      for (const n of order) out[n.endpoint.id] = snapshot(n);
      return out;
    },
  };
}
