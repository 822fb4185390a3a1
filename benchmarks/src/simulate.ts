/**
 * `pnpm bench simulate`: how fast the simulator runs a what-if scenario through the real
 * gateway. One timed run (not tinybench: one run is 600 000 requests) of the scenario in
 * `_sim-scenario.ts`: 10 minutes of simulated time at 1 000 requests per second, through
 * routing, a per-user limiter, a split driven by a progressive rollout, least-request
 * balancing, outlier detection, timeouts and retries, with an endpoint failing and another
 * slowing down on the way. Then the same scenario through `@switchyard/simulate`'s
 * `runScenario` (`_sim-runscenario.ts`), which also builds the full what-if report.
 *
 * Reported: wall and CPU seconds, simulated requests per wall-clock second (`rps`), the share
 * of wall time spent in garbage collection, peak heap and RSS, and the machine's load average
 * (the machine is shared: CPU seconds are the figure to compare between runs; wall seconds
 * are what a user waits). `SIM_SECONDS` / `SIM_RATE` change the scenario's length and rate.
 */
import { loadavg } from 'node:os';
import { PerformanceObserver } from 'node:perf_hooks';
import { round, writeResults, type CaseResult } from './harness.ts';
import { runSimScenario } from './_sim-scenario.ts';
import { runBenchScenario } from './_sim-runscenario.ts';

/** Wall and CPU time of `fn`, GC pauses while it ran, and the peak heap seen by a 50 ms sampler. */
async function measured<T extends { wallMs: number; cpuMs: number }>(fn: () => Promise<T>): Promise<{ run: T; gcMs: number; peakHeap: number; load1: number }> {
  let gcMs = 0;
  const gc = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcMs += e.duration;
  });
  gc.observe({ entryTypes: ['gc'] });
  // The open-loop driver yields to the event loop once per timer, so this interval runs.
  let peakHeap = process.memoryUsage().heapUsed;
  const sampler = setInterval(() => {
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  }, 50);
  const loadBefore = loadavg()[0] as number;
  try {
    const run = await fn();
    return { run, gcMs, peakHeap, load1: round((loadBefore + (loadavg()[0] as number)) / 2) };
  } finally {
    clearInterval(sampler);
    gc.disconnect();
  }
}

export default async function simulate(): Promise<void> {
  const seconds = Number(process.env['SIM_SECONDS'] ?? 600);
  const rate = Number(process.env['SIM_RATE'] ?? 1_000);
  const name = `${seconds} s at ${rate} req/s through the full gateway`;
  const cases: CaseResult[] = [];
  const notes: string[] = [
    'rps = simulated requests per wall-clock second; cpuS is the process CPU time (less sensitive to other processes on a shared machine); gcSharePercent = GC pauses / wall time; load1 = mean 1-minute load average during the run (2 cores).',
  ];

  const a = await measured(() => runSimScenario({ durationMs: seconds * 1000, rate }));
  const r = a.run.report;
  cases.push({
    case: name,
    impl: 'switchyard runLoad + createFleet',
    requests: a.run.requests,
    rps: Math.round(a.run.requests / (a.run.wallMs / 1000)),
    wallS: round(a.run.wallMs / 1000),
    cpuS: round(a.run.cpuMs / 1000),
    gcSharePercent: round((a.gcMs / a.run.wallMs) * 100),
    peakHeapMB: round(a.peakHeap / 2 ** 20),
    load1: a.load1,
    p99Ms: round(r.latencyMs.p99),
    errorRate: round(r.errorRate),
  });
  notes.push(`runLoad outcome: ${JSON.stringify(r.statusCounts)} statuses, rollout ${a.run.rolloutPhase}, p50 ${round(r.latencyMs.p50)} ms, p99 ${round(r.latencyMs.p99)} ms`);

  // The same scenario through @switchyard/simulate's runScenario (what `switchyard simulate` runs):
  // it records every request and try for its report (per-window series, CDFs, per-version stats).
  const b = await measured(() => runBenchScenario({ durationMs: seconds * 1000, rate }));
  cases.push({
    case: name,
    impl: 'switchyard runScenario (full report)',
    requests: b.run.requests,
    rps: Math.round(b.run.requests / (b.run.wallMs / 1000)),
    wallS: round(b.run.wallMs / 1000),
    cpuS: round(b.run.cpuMs / 1000),
    gcSharePercent: round((b.gcMs / b.run.wallMs) * 100),
    peakHeapMB: round(b.peakHeap / 2 ** 20),
    load1: b.load1,
    p99Ms: b.run.p99Ms,
    successRate: b.run.successRate,
  });
  notes.push(`peak RSS of the process (both runs): ${round(process.resourceUsage().maxRSS / 1024)} MB`);

  writeResults('simulate', cases, notes);
  for (const c of cases) console.log(`  ${String(c.impl).padEnd(38)} ${String(c['wallS'])} s wall, ${String(c['cpuS'])} s CPU, ${String(c['rps'])} req/s, GC ${String(c['gcSharePercent'])} % of wall, peak heap ${String(c['peakHeapMB'])} MB, load ${String(c['load1'])}`);
}
