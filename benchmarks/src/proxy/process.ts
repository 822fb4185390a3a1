/**
 * Process plumbing shared by the HTTP suites (`proxy`, `soak`): every server under test runs
 * in its own Node process (tsx loader, tsconfig paths to the built switchyard packages), prints one
 * JSON line `{"port":…}` (or `{"ports":[…]}`) on stdout once listening, and answers `stats`
 * and `gc` messages over IPC so the parent can read RSS, heap and handle counts from inside it.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** What a server process reports about itself (inside the process). */
export interface ProcessStats {
  readonly rss: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly external: number;
  /** `process.getActiveResourcesInfo().length`: sockets, servers, timers, … */
  readonly handles: number;
  /** The same, by resource type. */
  readonly resources: Readonly<Record<string, number>>;
  /** CPU time used so far (user + system), microseconds. */
  readonly cpuMicros: number;
}

type ParentMessage = { readonly id: number; readonly kind: 'stats' | 'gc' };
type ChildMessage = { readonly id: number; readonly stats: ProcessStats } | { readonly kind: 'sample'; readonly atMs: number; readonly stats: ProcessStats };

/** Reads this process's figures. */
export function readStats(): ProcessStats {
  const m = process.memoryUsage();
  const resources: Record<string, number> = {};
  const info = process.getActiveResourcesInfo();
  for (const r of info) resources[r] = (resources[r] ?? 0) + 1;
  const cpu = process.cpuUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, handles: info.length, resources, cpuMicros: cpu.user + cpu.system };
}

/**
 * Child side: prints the listening port(s) and serves `stats` / `gc` requests from the parent.
 * With `sampleEveryMs`, also pushes a `sample` message on that period (the soak's 5 s samples).
 */
export function announce(ports: number | readonly number[], options: { sampleEveryMs?: number } = {}): void {
  process.stdout.write(JSON.stringify(typeof ports === 'number' ? { port: ports } : { ports }) + '\n');
  // Exit normally on SIGTERM so `--cpu-prof` and friends get to write their files.
  process.on('SIGTERM', () => process.exit(0));
  if (process.send === undefined) return;
  process.on('message', (raw) => {
    const msg = raw as ParentMessage;
    if (msg.kind === 'gc') {
      const gc = (globalThis as { gc?: () => void }).gc;
      // Twice: the first pass finalizes, the second collects what finalizers released.
      gc?.();
      gc?.();
    }
    process.send?.({ id: msg.id, stats: readStats() } satisfies ChildMessage);
  });
  const started = performance.now();
  if (options.sampleEveryMs !== undefined) {
    setInterval(() => {
      process.send?.({ kind: 'sample', atMs: Math.round(performance.now() - started), stats: readStats() } satisfies ChildMessage);
    }, options.sampleEveryMs).unref();
  }
  // Leave when the parent goes away, whatever happens to it.
  process.on('disconnect', () => process.exit(0));
}

/** A server process started by {@link startServer}. */
export interface ServerProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly ports: readonly number[];
  /** Stats read inside the process (after two forced GCs with `gc: true`; needs `exposeGc`). */
  stats(options?: { gc?: boolean }): Promise<ProcessStats>;
  /** Periodic samples pushed by the child (see `announce`'s `sampleEveryMs`). */
  readonly samples: { atMs: number; stats: ProcessStats }[];
  /** SIGKILL (`hard`) or SIGTERM, and wait for exit. */
  stop(hard?: boolean): Promise<void>;
}

const TSX_LOADER = import.meta.resolve('tsx');
const TSCONFIG = fileURLToPath(new URL('../../tsconfig.json', import.meta.url));

/**
 * Forks `script` (a .ts file next to this one, run through tsx) with `args`, waits for its
 * port line, and returns a handle. Rejects if the process exits or stays silent for 20 s.
 */
export async function startServer(script: string, args: readonly string[], options: { exposeGc?: boolean; env?: Record<string, string> } = {}): Promise<ServerProcess> {
  const path = fileURLToPath(new URL(script, import.meta.url));
  const child = fork(path, [...args], {
    execArgv: [...(options.exposeGc === true ? ['--expose-gc'] : []), '--import', TSX_LOADER],
    env: { ...process.env, TSX_TSCONFIG_PATH: TSCONFIG, NODE_ENV: 'production', ...options.env },
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const lines = createInterface({ input: child.stdout! });
  const first = new Promise<{ port?: number; ports?: number[] }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} ${args.join(' ')}: no port within 20 s`)), 20_000);
    lines.once('line', (line) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(line) as { port?: number; ports?: number[] });
      } catch (err) {
        reject(new Error(`${script}: unexpected first line ${JSON.stringify(line)} (${String(err)})`));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} ${args.join(' ')} exited with ${code} before listening`));
    });
  });
  // Anything else the child prints goes to our stdout, prefixed.
  lines.on('line', (line) => process.stdout.write(`  [${script}] ${line}\n`));
  const hello = await first;
  const ports = hello.ports ?? (hello.port !== undefined ? [hello.port] : []);
  let nextId = 1;
  const pending = new Map<number, (s: ProcessStats) => void>();
  const samples: { atMs: number; stats: ProcessStats }[] = [];
  child.on('message', (raw) => {
    const msg = raw as ChildMessage;
    if ('kind' in msg) samples.push({ atMs: msg.atMs, stats: msg.stats });
    else pending.get(msg.id)?.(msg.stats);
  });
  return {
    child,
    port: ports[0]!,
    ports,
    samples,
    stats: (o = {}) =>
      new Promise<ProcessStats>((resolve, reject) => {
        const id = nextId++;
        const timer = setTimeout(() => reject(new Error(`${script}: no stats reply`)), 10_000);
        pending.set(id, (s) => {
          clearTimeout(timer);
          pending.delete(id);
          resolve(s);
        });
        child.send({ id, kind: o.gc === true ? 'gc' : 'stats' } satisfies ParentMessage);
      }),
    stop: async (hard = false) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill(hard ? 'SIGKILL' : 'SIGTERM');
      await exited;
    },
  };
}
