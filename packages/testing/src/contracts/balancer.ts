/**
 * The contract every `LoadBalancer` must meet (core `balancer.ts`), as one vitest suite that
 * every built-in policy runs and any custom policy can run too (hono's shared-router-suite
 * idea). Needs vitest, an optional peer dependency of this package.
 */
import { createEndpoint, type Endpoint, type LoadBalancer, type Outcome } from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import { seededRng } from '../seeded-rng.js';

/** Options of {@link describeBalancerContract}. */
export interface BalancerContractOptions {
  /** Number of random scenarios per property (default 20). */
  readonly runs?: number;
}

function fleet(n: number, seed: number): Endpoint[] {
  const rng = seededRng(seed);
  return Array.from({ length: n }, (_, i) =>
    createEndpoint({
      id: `e${i}`,
      url: `http://10.0.${i >> 8}.${i & 255}:8080`,
      weight: 1 + rng.int(4),
      priority: rng.int(4) === 0 ? 1 : 0,
      locality: { region: 'r1', zone: `z${rng.int(3)}` },
    }),
  );
}

function subset(all: readonly Endpoint[], rng: ReturnType<typeof seededRng>): Endpoint[] {
  return all.filter(() => rng.next() < 0.7);
}

function outcome(endpoint: Endpoint, latencyMs: number, at: number, fail: boolean): Outcome {
  return fail ? { kind: 'error', endpoint, error: 'timeout', latencyMs, at } : { kind: 'response', endpoint, status: 200, latencyMs, at };
}

/**
 * Declares the balancer contract tests for `factory` (called once per test: a fresh policy).
 *
 * Checked: a pick never returns an endpoint outside `eligible`; with nothing eligible the
 * result is `empty` with a reason (`no-endpoints` when none is configured); the policy keeps
 * working across endpoint-set updates (including in-flight tries to removed endpoints
 * ending afterwards); and the same seed gives the same picks.
 *
 * @example
 * ```ts
 * import { describeBalancerContract } from '@switchyard/testing/vitest';
 * import { leastRequest } from '@switchyard/balancers';
 * describeBalancerContract('least-request', () => leastRequest());
 * ```
 */
export function describeBalancerContract<S>(name: string, factory: () => LoadBalancer<S>, options: BalancerContractOptions = {}): void {
  const runs = options.runs ?? 20;
  describe(`${name} - balancer contract`, () => {
    it('pick - never returns an endpoint that is not eligible', () => {
      for (let run = 0; run < runs; run++) {
        const rng = seededRng(run + 1);
        const lb = factory();
        const all = fleet(1 + rng.int(12), run);
        let now = 0;
        const state = lb.create(all, now);
        for (let round = 0; round < 5; round++) {
          const eligible = subset(all, rng);
          const ids = new Set(eligible.map((e) => e.id));
          for (let k = 0; k < 20; k++) {
            now += rng.int(50);
            const r = lb.pick(state, { eligible, now, rng, hash: rng.int(2) === 0 ? rng.int(2 ** 32) : undefined });
            if (eligible.length === 0) {
              expect(r.kind).toBe('empty');
              continue;
            }
            expect(r.kind).toBe('picked');
            if (r.kind !== 'picked') continue;
            expect(ids.has(r.endpoint.id)).toBe(true);
            lb.begin(state, r.endpoint, now);
            if (rng.next() < 0.8) lb.observe(state, outcome(r.endpoint, 1 + rng.int(100), now + rng.int(100), rng.next() < 0.1));
          }
        }
      }
    });

    it('pick - is empty with a reason when nothing is eligible', () => {
      const lb = factory();
      const all = fleet(5, 1);
      const state = lb.create(all, 0);
      const r = lb.pick(state, { eligible: [], now: 0, rng: seededRng(1) });
      expect(r).toEqual({ kind: 'empty', reason: 'no-eligible-endpoints' });
      const none = lb.create([], 0);
      expect(lb.pick(none, { eligible: [], now: 0, rng: seededRng(1) })).toEqual({ kind: 'empty', reason: 'no-endpoints' });
    });

    it('update - survives endpoint-set changes and late outcomes of removed endpoints', () => {
      for (let run = 0; run < runs; run++) {
        const rng = seededRng(1000 + run);
        const lb = factory();
        const pool = fleet(16, run);
        let current = pool.slice(0, 1 + rng.int(8));
        let now = 0;
        let state = lb.create(current, now);
        const inFlight: Endpoint[] = [];
        for (let step = 0; step < 6; step++) {
          for (let k = 0; k < 10; k++) {
            now += 1 + rng.int(20);
            const r = lb.pick(state, { eligible: current, now, rng });
            expect(r.kind).toBe('picked');
            if (r.kind !== 'picked') continue;
            expect(current.some((e) => e.id === r.endpoint.id)).toBe(true);
            lb.begin(state, r.endpoint, now);
            inFlight.push(r.endpoint);
          }
          current = pool.filter(() => rng.next() < 0.5);
          if (current.length === 0) current = [pool[rng.int(pool.length)] as Endpoint];
          state = lb.update(state, current, now);
          // Tries sent before the update end after it, some on endpoints that are gone.
          while (inFlight.length > 0 && rng.next() < 0.7) {
            const e = inFlight.pop() as Endpoint;
            lb.observe(state, outcome(e, 5 + rng.int(50), now, false));
          }
        }
      }
    });

    it('pick - is deterministic for the same seed', () => {
      const trace = (): string[] => {
        const rng = seededRng(42);
        const lb = factory();
        const all = fleet(9, 7);
        const state = lb.create(all, 0);
        const out: string[] = [];
        for (let k = 0; k < 200; k++) {
          const now = k * 3;
          const r = lb.pick(state, { eligible: all, now, rng, hash: k % 3 === 0 ? (k * 2654435761) >>> 0 : undefined });
          if (r.kind !== 'picked') {
            out.push(r.reason);
            continue;
          }
          out.push(r.endpoint.id);
          lb.begin(state, r.endpoint, now);
          if (k % 2 === 0) lb.observe(state, outcome(r.endpoint, 1 + (k % 17), now + 5, k % 11 === 0));
        }
        return out;
      };
      expect(trace()).toEqual(trace());
    });
  });
}
