/**
 * Profiling probe for the simulator: runs the `pnpm bench simulate` scenario once and prints
 * wall time, CPU time and simulated requests per second.
 *
 *   source benchmarks/src/probe-bundle.sh && node --cpu-prof $(bundle_probe benchmarks/src/_sim-probe.ts) [seconds] [rate]
 */
import { runSimScenario } from './_sim-scenario.ts';

const seconds = Number(process.argv[2] ?? 600);
const rate = Number(process.argv[3] ?? 1000);
const turns = process.env['SETTLE_TURNS'] || undefined;
const run = await runSimScenario({ durationMs: seconds * 1000, rate, ...(turns !== undefined ? { settleTurns: Number(turns) } : {}) });
const r = run.report;
console.log(
  `${run.requests} requests (${run.simulatedSeconds.toFixed(0)} s simulated): wall ${(run.wallMs / 1000).toFixed(2)} s, cpu ${(run.cpuMs / 1000).toFixed(2)} s, ` +
    `${Math.round(run.requests / (run.wallMs / 1000))} req/s wall; peak rss ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`,
);
console.log(`errors ${(r.errorRate * 100).toFixed(2)} %, statuses ${JSON.stringify(r.statusCounts)}, p50 ${r.latencyMs.p50.toFixed(1)} p99 ${r.latencyMs.p99.toFixed(1)} ms, rollout ${run.rolloutPhase}, incomplete ${r.incomplete}`);
