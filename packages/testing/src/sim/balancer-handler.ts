/** A load handler that drives one balancer against the simulated fleet, without a gateway. */

import type { AbortSignalLike, Clock, Endpoint, LoadBalancer, Outcome, Rng, SyRequest, Transport, TransportResult } from '@switchyard/core';
import type { LoadHandler, LoadResult } from './load.js';

/** Options of {@link createBalancerHandler}. */
export interface BalancerHandlerOptions<State> {
  /** Any core `LoadBalancer` (`@switchyard/balancers` policies, or your own). */
  readonly balancer: LoadBalancer<State>;
  /** The endpoint set the balancer state is created with (usually `fleet.endpoints`). */
  readonly endpoints: readonly Endpoint[];
  /** Where picked requests go (usually `fleet.transport`, or a mock transport). */
  readonly transport: Transport;
  readonly clock: Clock;
  /** Passed to every pick. */
  readonly rng: Rng;
  /** The eligible set at `now` (what health would compute); default every endpoint. */
  readonly eligible?: (now: number) => readonly Endpoint[];
  /** A 32-bit affinity hash for hashing balancers (e.g. `murmur3` of a header); default none. */
  readonly hash?: (request: SyRequest) => number | undefined;
  /** Called with every outcome after the balancer has observed it (feed an outlier detector here). */
  readonly onOutcome?: (outcome: Outcome) => void;
}

/** A {@link LoadHandler} over one balancer, with its state exposed for assertions. */
export interface BalancerHandler<State> extends LoadHandler<SyRequest> {
  readonly state: State;
}

/** Status a try reports when the transport produced no response (the gateway's mapping). */
const ERROR_STATUS_OF: Readonly<Record<string, number>> = { connect: 502, reset: 502, timeout: 504, canceled: 499 };

/**
 * Drives a balancer without the gateway: for each request, pick → `begin` → `transport.send`
 * → `observe`, one try, no retries. The result carries the endpoint id, so `runLoad` reports
 * per-endpoint load and latency.
 *
 * When to use: to compare balancing policies over a simulated fleet (`createFleet`) with
 * `runLoad`, or to check that a policy reacts to outages and slowdowns.
 *
 * Gotchas: an empty pick answers 503 with `error` = the empty reason; response bodies are not
 * read (the fleet sends none); the request's query is appended to the upstream path.
 *
 * @example
 * ```ts
 * import { createBalancerHandler, createFleet, createTestClock, runLoad, seededRng } from '@switchyard/testing';
 * import type { LoadBalancer } from '@switchyard/core';
 * declare const leastRequest: LoadBalancer;
 *
 * const clock = createTestClock();
 * const rng = seededRng(7);
 * const fleet = createFleet({ clock, rng, endpoints: [{ id: 'fast', latency: 5 }, { id: 'slow', latency: 100 }] });
 * const handler = createBalancerHandler({ balancer: leastRequest, endpoints: fleet.endpoints, transport: fleet.transport, clock, rng });
 * const report = await runLoad({ clock, rng, handler, clients: 8, requests: 1_000 });
 * report.byEndpoint['fast']!.count > report.byEndpoint['slow']!.count; // true for a load-aware policy
 * ```
 */
export function createBalancerHandler<State>(options: BalancerHandlerOptions<State>): BalancerHandler<State> {
  const { balancer, transport, clock, rng, eligible, hash, onOutcome } = options;
  const endpoints = options.endpoints;
  const state = balancer.create(endpoints, clock.now());
  const handle = async (request: SyRequest, context: { readonly signal: AbortSignalLike }): Promise<LoadResult> => {
    const now = clock.now();
    const picked = balancer.pick(state, {
      eligible: eligible === undefined ? endpoints : eligible(now),
      now,
      rng,
      request,
      hash: hash?.(request),
    });
    if (picked.kind === 'empty') return { status: 503, error: picked.reason };
    const endpoint = picked.endpoint;
    balancer.begin(state, endpoint, now);
    const result: TransportResult = await transport.send(
      {
        method: request.method,
        path: request.query === '' ? request.path : `${request.path}?${request.query}`,
        headers: request.headers,
        body: request.body,
      },
      endpoint,
      { signal: context.signal },
    );
    const at = clock.now();
    const outcome: Outcome =
      result.kind === 'response'
        ? { kind: 'response', endpoint, status: result.response.status, latencyMs: at - now, at }
        : { kind: 'error', endpoint, error: result.error, latencyMs: at - now, at };
    balancer.observe(state, outcome);
    onOutcome?.(outcome);
    return result.kind === 'response'
      ? { status: result.response.status, endpointId: endpoint.id }
      : { status: ERROR_STATUS_OF[result.error] ?? 502, endpointId: endpoint.id, error: result.error };
  };
  return Object.assign(handle, { state });
}
