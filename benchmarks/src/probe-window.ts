/**
 * The counted window of the instruction probes (`_proxy-overhead.ts`, `_adapter-overhead.ts`,
 * `_gateway-hotpath.ts`), run by `callgrind-probe.sh` under `valgrind --tool=callgrind
 * --instr-atstart=no` with CALLGRIND=1: warm-up uninstrumented, then instrumentation on around
 * the counted requests only, so JIT warm-up is not in the figure.
 *
 * With SPLIT=1 the load (and whatever else the probe puts there) runs in a forked child, which
 * valgrind does not trace, so the count is the server process's alone. The two sides speak over
 * the fork's IPC channel: the child warms up and says `'warm'`, the parent switches counting on
 * and says `'go'`, the child sends the counted requests and says `'done'`, counting goes off.
 */
import { execSync, fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Requests of one batch, sent concurrently; resolves when all are answered (and checked). */
export type Batch = () => Promise<unknown>;

/** Switches callgrind's instrumentation of this process on or off (a no-op without CALLGRIND). */
export function countInstructions(on: boolean): void {
  if (process.env['CALLGRIND'] !== undefined) execSync(`callgrind_control -i ${on ? 'on' : 'off'} ${process.pid}`);
}

/** Whether this run splits server and load (SPLIT=1). */
export const split = process.env['SPLIT'] !== undefined;

/** Warm-up requests (env WARMUP, default 0). */
export const warmup = Number(process.env['WARMUP'] ?? 0);

/** Forks the probe itself (`moduleUrl`, its `import.meta.url`) with `args`, CALLGRIND left out of its environment. */
export function forkLoad(moduleUrl: string, args: readonly string[]): ChildProcess {
  const { CALLGRIND: _callgrind, ...env } = process.env;
  return fork(fileURLToPath(moduleUrl), [...args], { env });
}

/** Parent side of SPLIT: counts this process's instructions from the child's `'warm'` to its `'done'`. */
export function countWhileChildLoads(child: ChildProcess): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    child.on('message', (m) => {
      if (m === 'warm') {
        countInstructions(true);
        child.send('go');
      } else if (m === 'done') {
        countInstructions(false);
        resolve();
      }
    });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`load process exited with ${code}`))));
  });
}

/** Child side of SPLIT: warm up, wait for the parent's go, send the counted requests, report. */
export async function loadForParent(batch: Batch, perBatch: number, n: number): Promise<void> {
  for (let i = 0; i < warmup; i += perBatch) await batch();
  process.send?.('warm');
  await new Promise<void>((resolve) => process.once('message', () => resolve()));
  for (let i = 0; i < n; i += perBatch) await batch();
  process.send?.('done');
}

/** In one process: warm up, then the counted requests; returns the CPU time of the counted part (µs). */
export async function loadCounted(batch: Batch, perBatch: number, n: number): Promise<number> {
  for (let i = 0; i < warmup; i += perBatch) await batch();
  countInstructions(true);
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < n; i += perBatch) await batch();
  const cpu = process.cpuUsage(cpu0);
  countInstructions(false);
  return cpu.user + cpu.system;
}
