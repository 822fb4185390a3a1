/**
 * `pnpm bench health`: cost per observed outcome (outlier detection, breaker), the happy path
 * of one async call through a circuit breaker side by side with opossum 9 and cockatiel 3.2,
 * and heap bytes plus timers created for 10 000 breakers.
 */
import { createRequire } from 'node:module';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Bench } from 'tinybench';
import { ConsecutiveBreaker, circuitBreaker, handleAll } from 'cockatiel';
import { createEndpoint, systemClock, systemRng, type Outcome } from '@switchyard/core';
import { compileCircuitBreaker, createBreakerState, createCircuitBreaker, createOutlierDetector } from '@switchyard/health';
import { round, runTasks, writeResults, type CaseResult } from './harness.js';

const N_BREAKERS = 10_000;

// opossum ships no type declarations: the little of its API used here.
interface OpossumBreaker {
  fire(): Promise<unknown>;
  shutdown(): void;
}
type CircuitBreaker = OpossumBreaker;
const CircuitBreaker = createRequire(import.meta.url)('opossum') as new (action: () => Promise<unknown>, options: Record<string, unknown>) => OpossumBreaker;

async function benchAsync(tasks: readonly { case: string; impl: string; fn: () => Promise<unknown> }[], time = 400): Promise<CaseResult[]> {
  const b = new Bench({ time, warmupTime: 100 });
  for (const t of tasks) b.add(`${t.case}\u0000${t.impl}`, async () => {
    await t.fn();
  });
  await b.run();
  return b.tasks.map((task) => {
    const [c, impl] = task.name.split('\u0000') as [string, string];
    const r = task.result as unknown as { latency?: { mean: number; rme: number }; error?: unknown; state?: string };
    if (r?.latency === undefined) throw new Error(`benchmark ${c} / ${impl} failed: ${String(r?.error ?? r?.state)}`);
    return { case: c, impl, ns: round(r.latency.mean * 1e6), rme: round(r.latency.rme) };
  });
}

function gc(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

function heap(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** Counts timers created (and not cleared) while `fn` runs, by wrapping the global timer functions. */
function countTimers<T>(fn: () => T): { value: T; timers: number } {
  const live = new Set<unknown>();
  const g = globalThis as unknown as Record<string, (...args: unknown[]) => unknown>;
  const saved = { setTimeout: g['setTimeout'], setInterval: g['setInterval'], clearTimeout: g['clearTimeout'], clearInterval: g['clearInterval'] } as Record<string, (...args: unknown[]) => unknown>;
  for (const name of ['setTimeout', 'setInterval'] as const) {
    const orig = saved[name] as (...args: unknown[]) => unknown;
    g[name] = (...args: unknown[]) => {
      const t = orig(...args);
      live.add(t);
      return t;
    };
  }
  for (const name of ['clearTimeout', 'clearInterval'] as const) {
    const orig = saved[name] as (...args: unknown[]) => unknown;
    g[name] = (t: unknown) => {
      live.delete(t);
      return orig(t);
    };
  }
  try {
    return { value: fn(), timers: live.size };
  } finally {
    Object.assign(g, saved);
  }
}

export default async function run(): Promise<void> {
  const cases: CaseResult[] = [];
  const notes: string[] = [];

  // --- cost per observed outcome -------------------------------------------------------------
  const endpoints = [0, 1, 2, 3, 4].map((i) => createEndpoint({ id: `e${i}`, url: `http://10.0.0.${i + 1}:80` }));
  const od = createOutlierDetector({ endpoints, now: 0, rng: systemRng, config: { maxEjectionPercent: 20 } });
  let t = 0;
  const ok: Outcome[] = endpoints.map((endpoint) => ({ kind: 'response', endpoint, status: 200, latencyMs: 3, at: 0 }));
  const mixed: Outcome[] = endpoints.map((endpoint, i) => ({ kind: 'response', endpoint, status: i === 0 ? 503 : 200, latencyMs: 3, at: 0 }));
  let k = 0;
  const observeOk = (): number => {
    const o = ok[k++ % 5] as Outcome;
    (o as { at: number }).at = t += 0.01; // sweeps run every 10 s of this virtual time
    od.observe(o);
    return od.state.activeEjections;
  };
  const observeMixed = (): number => {
    const o = mixed[k++ % 5] as Outcome;
    (o as { at: number }).at = t += 0.01;
    od.observe(o);
    return od.eligible(t).length;
  };
  const breaker = createCircuitBreaker({ rng: systemRng, config: { policy: { kind: 'sampling' } } });
  let bt = 0;
  const breakerCall = (): string => {
    const p = breaker.tryAcquire((bt += 0.01));
    if (p.kind === 'admitted') breaker.observe(p, false, bt);
    return p.kind;
  };
  // Verify before timing.
  if (observeOk() !== 0 || breakerCall() !== 'admitted') throw new Error('health bench: wrong result before timing');
  for (let i = 0; i < 10_000; i++) observeMixed();
  if (od.state.hosts.get('e0')?.numEjections === 0) throw new Error('health bench: the failing endpoint was never ejected');
  cases.push(
    ...(await runTasks([
      { case: 'outlier: observe one outcome (2xx)', impl: 'switchyard', fn: observeOk },
      { case: 'outlier: observe + eligible (1 of 5 failing)', impl: 'switchyard', fn: observeMixed },
      { case: 'breaker: acquire + record (sync, sampling)', impl: 'switchyard', fn: breakerCall },
    ])),
  );

  // --- happy path: one async call through a breaker ---------------------------------------------
  const action = async (): Promise<number> => 1;
  const sy = createCircuitBreaker({ rng: systemRng, config: { policy: { kind: 'consecutive', maxFailures: 5 } } });
  const syExecute = async (): Promise<number> => {
    // One clock read per call, as the gateway does (the consecutive policy needs no end time).
    const now = systemClock.now();
    const p = sy.tryAcquire(now);
    if (p.kind === 'rejected') throw new Error('open');
    try {
      const v = await action();
      sy.observe(p, false, now);
      return v;
    } catch (e) {
      sy.observe(p, true, now);
      throw e;
    }
  };
  const opossum = new CircuitBreaker(action, { timeout: false, errorThresholdPercentage: 50, resetTimeout: 30_000 });
  const cockatiel = circuitBreaker(handleAll, { halfOpenAfter: 30_000, breaker: new ConsecutiveBreaker(5) });
  const cockatielExecute = () => cockatiel.execute(action);
  for (const [name, f] of [
    ['switchyard', syExecute],
    ['opossum', () => opossum.fire() as Promise<number>],
    ['cockatiel', cockatielExecute],
  ] as const) {
    if ((await f()) !== 1) throw new Error(`health bench: ${name} returned the wrong value`);
  }
  cases.push(
    ...(await benchAsync([
      { case: 'breaker: one async call, happy path', impl: 'switchyard', fn: syExecute },
      { case: 'breaker: one async call, happy path', impl: 'opossum', fn: () => opossum.fire() },
      { case: 'breaker: one async call, happy path', impl: 'cockatiel', fn: cockatielExecute },
    ])),
  );
  opossum.shutdown();

  // --- memory and timers for 10 000 breakers ----------------------------------------------------
  const memory = (impl: string, make: () => unknown[], dispose: (all: unknown[]) => void): void => {
    const before = heap();
    const { value: all, timers } = countTimers(make);
    const bytes = heap() - before;
    cases.push({ case: `memory: ${N_BREAKERS} breakers`, impl, heapBytes: bytes, bytesPerBreaker: round(bytes / N_BREAKERS, 0), timers });
    dispose(all);
  };
  const consecutive = compileCircuitBreaker({ policy: { kind: 'consecutive', maxFailures: 5 } });
  const sampling = compileCircuitBreaker({ policy: { kind: 'sampling' } });
  memory(
    'switchyard (wrapper, consecutive)',
    () => Array.from({ length: N_BREAKERS }, () => createCircuitBreaker({ rng: systemRng, plan: consecutive })),
    () => {},
  );
  memory('switchyard (plain state, consecutive)', () => Array.from({ length: N_BREAKERS }, () => createBreakerState(consecutive)), () => {});
  memory('switchyard (plain state, sampling 10 buckets)', () => Array.from({ length: N_BREAKERS }, () => createBreakerState(sampling)), () => {});
  memory(
    'opossum',
    () => Array.from({ length: N_BREAKERS }, () => new CircuitBreaker(action, { timeout: false })),
    (all) => {
      for (const b of all as CircuitBreaker[]) b.shutdown();
    },
  );
  memory(
    'cockatiel',
    () => Array.from({ length: N_BREAKERS }, () => circuitBreaker(handleAll, { halfOpenAfter: 30_000, breaker: new ConsecutiveBreaker(5) })),
    () => {},
  );
  for (const c of cases.filter((c) => c.case.startsWith('memory'))) {
    console.log(`  ${c.case} ${c.impl.padEnd(46)} ${String(c['bytesPerBreaker']).padStart(8)} B/breaker, ${String(c['timers']).padStart(6)} timers`);
  }
  notes.push('opossum runs with timeout: false (no per-call timer) to compare the breaker itself; cockatiel uses ConsecutiveBreaker(5); the switchyard rows share one compiled plan.');
  notes.push('timers = setTimeout/setInterval created and not cleared while constructing the breakers.');
  writeResults('health', cases, notes);
}
