/**
 * Test harness: builds the `switchyard` executable with tsup from `src/bin.ts` (the entry
 * `pnpm build` uses) and runs it as a child process.
 *
 * Tests run against sources (no `pnpm build` first), so the test build bundles the workspace
 * packages' sources into the one file (`noExternal`, resolved through tsconfig `paths`),
 * where the published build imports them from `node_modules`. It takes about a second, once per
 * test file; every child process a test starts is killed in `afterEach` through {@link Children}.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'tsup';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** Builds the executable into a fresh temporary directory; returns its path and a cleanup. */
export async function buildBin(): Promise<{ bin: string; dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-cli-'));
  await build({
    config: false,
    entry: { switchyard: join(root, 'packages/cli/src/bin.ts') },
    outDir: dir,
    format: ['esm'],
    platform: 'node',
    target: 'node20',
    tsconfig: join(root, 'tsconfig.json'),
    noExternal: [/.*/],
    dts: false,
    sourcemap: false,
    splitting: false,
    silent: true,
    // Bundled CommonJS dependencies (undici) call `require` for Node's built-ins.
    banner: { js: "import { createRequire as __switchyardRequire } from 'node:module'; const require = __switchyardRequire(import.meta.url);" },
  });
  return { bin: join(dir, 'switchyard.js'), dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** What a finished run printed and returned. */
export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A running child with its output so far. */
export interface Running {
  readonly child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  /** Resolves when the process exits. */
  readonly exited: Promise<RunResult>;
}

/** Tracks children so `afterEach` can kill whatever a failed test left running. */
export class Children {
  private readonly running = new Set<ChildProcessWithoutNullStreams>();
  private readonly bin: () => string;

  constructor(bin: () => string) {
    this.bin = bin;
  }

  /** Starts `switchyard ...args` with `env` added to a minimal environment (no colour, no TTY). */
  start(args: readonly string[], options: { env?: Record<string, string>; cwd?: string } = {}): Running {
    const child = spawn(process.execPath, [this.bin(), ...args], {
      cwd: options.cwd ?? root,
      env: { PATH: process.env['PATH'] ?? '', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.running.add(child);
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const exited = new Promise<RunResult>((resolve) => {
      child.once('close', (code, signal) => {
        this.running.delete(child);
        resolve({ code, signal, stdout: out, stderr: err });
      });
    });
    return { child, stdout: () => out, stderr: () => err, exited };
  }

  /** Runs to completion. */
  run(args: readonly string[], options: { env?: Record<string, string>; cwd?: string } = {}): Promise<RunResult> {
    return this.start(args, options).exited;
  }

  /** Kills every child still running and waits for them. */
  async killAll(): Promise<void> {
    const waits = [...this.running].map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.once('close', () => resolve());
          c.kill('SIGKILL');
        }),
    );
    await Promise.all(waits);
  }
}

/** Polls `condition` until it returns a value (not undefined / false) or `timeoutMs` passes. */
export async function until<T>(
  condition: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  timeoutMs = 30_000,
  /** Whose output the timeout message shows (a child that died says so at once). */
  run?: Running,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = await condition();
    if (v !== undefined && v !== false) return v;
    const died = run !== undefined && (run.child.exitCode !== null || run.child.signalCode !== null);
    if (died || performance.now() > deadline) {
      const state = run === undefined ? '' : `\nchild ${died ? `exited (code ${run.child.exitCode}, signal ${run.child.signalCode})` : 'still running'}\nstdout:\n${run.stdout()}\nstderr:\n${run.stderr()}`;
      throw new Error(`${died ? 'the child exited' : 'timed out'} waiting for ${what}${state}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

export { root };

/**
 * Per-test timeout of the child-process tests: each run starts a Node process (about half a
 * second here, several on a loaded CI machine), and some tests run a dozen.
 */
export const SLOW_MS = 120_000;
