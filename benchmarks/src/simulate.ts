/**
 * `pnpm bench simulate`: how fast the simulator runs a what-if scenario through the real
 * gateway. One timed run (not tinybench: one run is 600 000 requests) of the scenario in
 * `_sim-scenario.ts`: 10 minutes of simulated time at 1 000 requests per second, through
 * routing, a per-user limiter, a split driven by a progressive rollout, least-request
 * balancing, outlier detection, timeouts and retries, with an endpoint failing and another
 * slowing down on the way.
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

export default async function simulate(): Promise<void> {
  const seconds = Number(process.env['SIM_SECONDS'] ?? 600);
  const rate = Number(process.env['SIM_RATE'] ?? 1_000);
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
  const run = await runSimScenario({ durationMs: seconds * 1000, rate });
  clearInterval(sampler);
  gc.disconnect();
  const r = run.report;
  const row = {
    case: `${seconds} s at ${rate} req/s (${run.requests} requests) through the full gateway`,
    impl: 'switchyard runLoad + createFleet',
    rps: Math.round(run.requests / (run.wallMs / 1000)),
    wallS: round(run.wallMs / 1000),
    cpuS: round(run.cpuMs / 1000),
    gcSharePercent: round((gcMs / run.wallMs) * 100),
    peakHeapMB: round(peakHeap / 2 ** 20),
    peakRssMB: round(process.resourceUsage().maxRSS / 1024),
    load1: round((loadBefore + (loadavg()[0] as number)) / 2),
    p99Ms: round(r.latencyMs.p99),
    errorRate: round(r.errorRate),
  };
  const cases: CaseResult[] = [row];
  writeResults('simulate', cases, [
    'rps = simulated requests per wall-clock second; cpuS is the process CPU time (less sensitive to other processes on a shared machine); load1 = mean 1-minute load average during the run (2 cores).',
    `outcome: ${JSON.stringify(r.statusCounts)} statuses, rollout ${run.rolloutPhase}, p50 ${round(r.latencyMs.p50)} ms, p99 ${round(r.latencyMs.p99)} ms`,
  ]);
  console.log(`  ${row.wallS} s wall, ${row.cpuS} s CPU, ${row.rps} req/s, GC ${row.gcSharePercent} % of wall, peak heap ${row.peakHeapMB} MB, load ${row.load1}`);
}
