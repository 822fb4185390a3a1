/**
 * Shared harness for every suite: tinybench in one process, switchyard and its peers side by
 * side, results written to benchmarks/results/<suite>.json in the CONVENTIONS format.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { arch, cpus, platform, totalmem } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Bench } from 'tinybench';

export interface CaseResult {
  readonly case: string;
  readonly impl: string;
  /** Mean nanoseconds per operation. */
  readonly ns?: number;
  /** Relative margin of error, percent. */
  readonly rme?: number;
  /** Extra figures a suite wants to record (bytes per key, keys moved, rps, p99Ms, …). */
  readonly [extra: string]: unknown;
}

export interface SuiteResult {
  readonly suite: string;
  readonly node: string;
  readonly date: string;
  /** The machine the suite ran on (docs/guides/performance.md shows it beside the run's date). */
  readonly machine?: Machine;
  readonly cases: CaseResult[];
  readonly notes?: string[];
}

/** What a results file records about the machine. */
export interface Machine {
  readonly platform: string;
  readonly arch: string;
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryGb: number;
}

/** The machine this process runs on. */
export function machine(): Machine {
  const list = cpus();
  return { platform: platform(), arch: arch(), cpus: list.length, cpuModel: list[0]?.model.trim() ?? 'unknown', memoryGb: round(totalmem() / 2 ** 30, 1) };
}

/** One comparable task: `impl` doing `case`. `fn` must return its result so the JIT keeps it. */
export interface Task {
  readonly case: string;
  readonly impl: string;
  readonly fn: () => unknown;
}

/**
 * Runs `tasks` with tinybench (sync bodies, warm-up included) and returns one row per task.
 * Keep `time` small: the machine has 2 cores and suites run side by side in one process.
 */
export async function runTasks(tasks: readonly Task[], options: { time?: number; warmupTime?: number } = {}): Promise<CaseResult[]> {
  const bench = new Bench({ time: options.time ?? 300, warmupTime: options.warmupTime ?? 100 });
  let sink: unknown;
  for (const t of tasks) {
    bench.add(`${t.case}\u0000${t.impl}`, () => {
      sink = t.fn();
    });
  }
  await bench.run();
  if (sink === Symbol.for('never')) console.log(sink);
  return bench.tasks.map((task) => {
    const [c, impl] = task.name.split('\u0000') as [string, string];
    const r = task.result as unknown as { state?: string; latency?: { mean: number; rme: number }; error?: unknown };
    if (r?.latency === undefined) throw new Error(`benchmark ${c} / ${impl} failed: ${String(r?.error ?? r?.state)}`);
    // tinybench reports latency in milliseconds.
    return { case: c, impl, ns: round(r.latency.mean * 1e6), rme: round(r.latency.rme) };
  });
}

/** Writes benchmarks/results/<suite>.json and prints a table with ratios against `baseline`. */
export function writeResults(suite: string, cases: CaseResult[], notes: string[] = []): SuiteResult {
  const result: SuiteResult = { suite, node: process.version, date: new Date().toISOString(), machine: machine(), cases, ...(notes.length ? { notes } : {}) };
  const dir = new URL('../results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  writeFileSync(new URL(`${suite}.json`, dir), JSON.stringify(result, null, 2) + '\n');
  printTable(cases);
  return result;
}

/** Prints rows grouped by case, with each impl's ns and its ratio to the switchyard row. */
export function printTable(cases: readonly CaseResult[]): void {
  const byCase = new Map<string, CaseResult[]>();
  for (const c of cases) byCase.set(c.case, [...(byCase.get(c.case) ?? []), c]);
  for (const [name, rows] of byCase) {
    const ours = rows.find((r) => r.impl.startsWith('switchyard'));
    console.log(`\n${name}`);
    for (const r of rows) {
      const ratio = ours?.ns && r.ns ? ` ${(r.ns / ours.ns).toFixed(2)}x switchyard` : '';
      console.log(`  ${r.impl.padEnd(34)} ${r.ns !== undefined ? `${r.ns.toFixed(1).padStart(12)} ns` : ''}${r.rme !== undefined ? ` ±${r.rme.toFixed(1)}%` : ''}${ratio}`);
    }
  }
}

export function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/**
 * Runs `impls` of one case in alternating rounds (order flipped every round, a minor GC before
 * each round so every round pays for its own garbage), so load swings on the shared machine and
 * GC phases hit every implementation alike. A sync `fn` runs in a plain loop, an async one is
 * awaited op after op. ns = median of the per-round means; rme = half the interquartile range in
 * % of the median. Prefer this over `runTasks` whenever candidates are compared by ratio.
 */
export async function interleaved(
  c: string,
  impls: ReadonlyArray<readonly [string, () => unknown]>,
  options: { rounds?: number; ops?: number } = {},
): Promise<CaseResult[]> {
  const rounds = options.rounds ?? 31;
  const ops = options.ops ?? 100;
  const samples = impls.map(() => [] as number[]);
  const isAsync = await Promise.all(
    impls.map(async ([, fn]) => {
      const probe = fn();
      if (probe instanceof Promise) await probe;
      return probe instanceof Promise;
    }),
  );
  let sink = 0;
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < impls.length; k++) {
      const j = r % 2 === 0 ? k : impls.length - 1 - k;
      const fn = (impls[j] as readonly [string, () => unknown])[1];
      minorGc();
      const t0 = process.hrtime.bigint();
      if (isAsync[j] === true) for (let n = 0; n < ops; n++) await fn();
      else for (let n = 0; n < ops; n++) if (fn() === undefined) sink++;
      (samples[j] as number[]).push(Number(process.hrtime.bigint() - t0) / ops);
    }
  }
  if (sink === -1) console.log(sink);
  return impls.map(([impl], j) => summarize(c, impl, samples[j] as number[]));
}

/** A row from per-round samples: ns = median (scaled by `per`), rme = half the IQR in % of the median. */
function summarize(c: string, impl: string, samples: number[], per = 1, digits = 2): CaseResult {
  const xs = samples.sort((a, b) => a - b);
  const q = (f: number): number => xs[Math.floor(f * (xs.length - 1))] as number;
  return { case: c, impl, ns: round(q(0.5) / per, digits), rme: round(((q(0.75) - q(0.25)) / 2 / q(0.5)) * 100) };
}

/**
 * {@link interleaved} one round at a time, for candidates that read inputs which must be new
 * every round (fresh request strings, as a server's parser makes them): `before(r)` refills
 * every candidate's inputs before round `r` (outside timing), `after(r)` may check what each
 * read; `warm` untimed rounds first (r < 0), order flipped every round. Each fn is called
 * `1 + ops` times a round (interleaved()'s untimed probe call, then the timed ops). Rows: the
 * median of the timed rounds' per-call means divided by `per` (operations per call).
 */
export async function interleavedRounds(
  c: string,
  impls: ReadonlyArray<readonly [string, () => unknown]>,
  options: { rounds: number; warm: number; ops: number; per?: number; digits?: number; before: (r: number) => void; after?: (r: number) => void },
): Promise<CaseResult[]> {
  const samples = impls.map(() => [] as number[]);
  for (let r = -options.warm; r < options.rounds; r++) {
    options.before(r);
    const order = impls.map((_, j) => (r % 2 === 0 ? j : impls.length - 1 - j));
    const rows = await interleaved(c, order.map((j) => impls[j] as readonly [string, () => unknown]), { rounds: 1, ops: options.ops });
    options.after?.(r);
    if (r >= 0) for (const [i, j] of order.entries()) (samples[j] as number[]).push((rows[i] as CaseResult).ns as number);
  }
  return impls.map(([impl], j) => summarize(c, impl, samples[j] as number[], options.per, options.digits));
}

/** A minor (young-generation) GC. */
export function minorGc(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as (o: { type: 'minor' }) => void)({ type: 'minor' });
}

/** A full GC. */
export function gc(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}
