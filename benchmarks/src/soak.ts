/**
 * `pnpm bench soak`: a bounded soak of switchyard's proxy path (issue #10, third "Done when").
 *
 * 60 s at a fixed 300 requests per second (autocannon `overallRate`) through switchyard's
 * gateway on `node:http` (benchmarks/src/proxy/soak-proxy.ts) in front of three origin
 * instances: one healthy, one flapping (503 for the last 5 s of every 15 s), and one whose
 * process is SIGKILLed at 20 s and restarted on the same port at 32 s. The proxy process
 * reports heap and active handles every 5 s; before and after the run the parent forces two
 * GCs inside it (`--expose-gc`) and reads the heap.
 *
 * Fails (throws, so `pnpm bench soak` exits non-zero) when:
 * - any response status other than 200, 502, 503 (the flap and the outage) is seen, or any
 *   client error or timeout;
 * - heap used after the run and a forced GC exceeds the post-warm-up baseline by more than
 *   {@link HEAP_GROWTH_BOUND_MB};
 * - active handles after the run exceed the baseline by more than {@link HANDLE_GROWTH_BOUND},
 *   or any 5 s sample exceeds {@link HANDLE_CEILING}.
 *
 * Environment: `SOAK_S` (default 60), `SOAK_RPS` (default 300).
 */
import autocannon from 'autocannon';
import { setTimeout as sleep } from 'node:timers/promises';
import { round, writeResults } from './harness.js';
import { startServer, type ProcessStats, type ServerProcess } from './proxy/process.js';
import { BENCH_PATH } from './proxy/shared.js';

const SOAK_S = Number(process.env['SOAK_S'] ?? 60);
const RPS = Number(process.env['SOAK_RPS'] ?? 300);
// Enough connections that 300 rps holds even when a loaded machine pushes latency to ~200 ms.
const CONNECTIONS = 100;
const EXPECTED_STATUSES = new Set(['200', '502', '503']);
/** Heap used after the run (forced GC) minus the post-warm-up baseline (forced GC). */
export const HEAP_GROWTH_BOUND_MB = 8;
/** Active handles after the run and 5 s of idle, minus the baseline. */
export const HANDLE_GROWTH_BOUND = 10;
/** Active handles in any 5 s sample: 100 client sockets + upstream pools + timers, with room. */
export const HANDLE_CEILING = 300;

const mb = (bytes: number): number => round(bytes / 2 ** 20, 2);

export default async function soakSuite(): Promise<void> {
  const stable = await startServer('./origin.ts', ['--count', '2', '--flap', '1:15000:5000']);
  let restarting: ServerProcess = await startServer('./origin.ts', ['--count', '1']);
  const restartPort = restarting.port;
  const origins = [...stable.ports, restartPort].map((p) => `http://127.0.0.1:${p}`);
  const proxy = await startServer('./soak-proxy.ts', origins, { exposeGc: true });
  const url = `http://127.0.0.1:${proxy.port}${BENCH_PATH}`;
  const timeline: string[] = [];
  const timers: NodeJS.Timeout[] = [];
  try {
    console.log(`soak: ${SOAK_S} s at ${RPS} rps through switchyard; origins ${origins.join(', ')} (#2 flaps 5 s in 15 s, #3 dies at 20 s, back at 32 s)`);
    await autocannon({ url, connections: CONNECTIONS, overallRate: RPS, duration: 5 });
    const baseline = await proxy.stats({ gc: true });
    const t0 = performance.now();
    const at = (): string => `${((performance.now() - t0) / 1000).toFixed(1)} s`;
    timers.push(
      setTimeout(() => {
        timeline.push(`${at()}: origin #3 SIGKILLed`);
        void restarting.stop(true);
      }, 20_000 * (SOAK_S / 60)),
      setTimeout(() => {
        void startServer('./origin.ts', ['--ports', String(restartPort)]).then((p) => {
          restarting = p;
          timeline.push(`${at()}: origin #3 listening again on ${restartPort}`);
        });
      }, 32_000 * (SOAK_S / 60)),
    );
    const samplesFrom = proxy.samples.length;
    const r = await autocannon({ url, connections: CONNECTIONS, overallRate: RPS, duration: SOAK_S, timeout: 10 });
    await sleep(5000); // let idle keep-alive sockets (4 s in the transport) expire
    const after = await proxy.stats({ gc: true });
    const samples = proxy.samples.slice(samplesFrom).map((s) => ({ atS: round(s.atMs / 1000, 1), heapUsedMb: mb(s.stats.heapUsed), rssMb: mb(s.stats.rss), handles: s.stats.handles }));

    const statuses: Record<string, number> = {};
    for (const [code, { count }] of Object.entries(r.statusCodeStats)) statuses[code] = count;
    const total = Object.values(statuses).reduce((a, b) => a + b, 0);
    const unexpected = Object.entries(statuses).filter(([code]) => !EXPECTED_STATUSES.has(code));
    const heapGrowthMb = mb(after.heapUsed - baseline.heapUsed);
    const handleGrowth = after.handles - baseline.handles;
    const maxHandles = Math.max(...samples.map((s) => s.handles), after.handles);
    const failures: string[] = [];
    if (unexpected.length > 0) failures.push(`unexpected statuses: ${JSON.stringify(Object.fromEntries(unexpected))}`);
    if (r.errors + r.timeouts > 0) failures.push(`${r.errors} client errors, ${r.timeouts} timeouts`);
    if (heapGrowthMb > HEAP_GROWTH_BOUND_MB) failures.push(`heap grew ${heapGrowthMb} MB (bound ${HEAP_GROWTH_BOUND_MB} MB)`);
    if (handleGrowth > HANDLE_GROWTH_BOUND) failures.push(`handles grew by ${handleGrowth} (bound ${HANDLE_GROWTH_BOUND}): ${JSON.stringify(after.resources)}`);
    if (maxHandles > HANDLE_CEILING) failures.push(`${maxHandles} active handles in a sample (ceiling ${HANDLE_CEILING})`);

    const show = (s: ProcessStats): Record<string, unknown> => ({ heapUsedMb: mb(s.heapUsed), rssMb: mb(s.rss), handles: s.handles, resources: s.resources });
    writeResults(
      'soak',
      [
        {
          case: `soak ${SOAK_S} s at ${RPS} rps, 3 origins: 1 flapping, 1 killed and restarted`,
          impl: 'switchyard node:http bridge',
          requests: total,
          achievedRps: round(total / SOAK_S, 0),
          statuses,
          okPercent: round((100 * (statuses['200'] ?? 0)) / Math.max(1, total), 2),
          errors: r.errors,
          timeouts: r.timeouts,
          p50Ms: r.latency.p50,
          p99Ms: r.latency.p99,
          heapGrowthMb,
          handleGrowth,
          maxHandles,
          baseline: show(baseline),
          after: show(after),
          samples,
          timeline,
          passed: failures.length === 0,
          ...(failures.length > 0 ? { failures } : {}),
        },
      ],
      [
        `bounds: statuses only ${[...EXPECTED_STATUSES].join('/')}, no client errors or timeouts; heap growth after forced GC <= ${HEAP_GROWTH_BOUND_MB} MB; handles after the run <= baseline + ${HANDLE_GROWTH_BOUND}; every 5 s sample <= ${HANDLE_CEILING} handles`,
        'proxy: least-request P2C over 3 origins, 2 retries (connect-failure, reset, gateway-error), outlier detection consecutive5xx=5 / 3 s ejection, per-client token bucket that never limits',
        `baseline taken after a 5 s warm-up at the same rate and two forced GCs; "after" 5 s after the load stops, after two forced GCs`,
      ],
    );
    console.log(`\nstatuses ${JSON.stringify(statuses)} (${total} requests, ${round(total / SOAK_S, 0)} rps achieved), p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms`);
    console.log(`heap: ${mb(baseline.heapUsed)} MB -> ${mb(after.heapUsed)} MB (growth ${heapGrowthMb} MB, bound ${HEAP_GROWTH_BOUND_MB}); handles ${baseline.handles} -> ${after.handles} (max sampled ${maxHandles})`);
    for (const s of samples) console.log(`  t=${s.atS} s heap ${s.heapUsedMb} MB rss ${s.rssMb} MB handles ${s.handles}`);
    for (const t of timeline) console.log(`  ${t}`);
    if (failures.length > 0) throw new Error(`soak failed:\n  ${failures.join('\n  ')}`);
    console.log('soak passed');
  } finally {
    for (const t of timers) clearTimeout(t);
    await proxy.stop();
    await stable.stop();
    await restarting.stop();
  }
}
