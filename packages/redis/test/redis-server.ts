/**
 * Starts a real `redis-server` (Debian's package) on a free 127.0.0.1 port for the tests,
 * without persistence, and makes sure none outlives the tests: every server started is
 * tracked, stopped by the test file's afterEach/afterAll (see {@link serverPool}), and killed
 * on process exit whatever happened (a failed or timed-out test, a worker torn down early).
 *
 * A missing binary is a failing test with a one-line message saying what to install, never a
 * skip (see {@link describeWithRedis}): in CI (`CI=true`) and locally alike.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { describe, it } from 'vitest';

export interface RedisServer {
  readonly port: number;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

/** The binary to run: `REDIS_SERVER` when set (tests of this helper point it at nothing), else `redis-server` on PATH. */
const BINARY = process.env['REDIS_SERVER'] ?? 'redis-server';

/** Why the integration tests cannot run (one line), or `undefined` when redis-server runs. */
export function redisServerMissing(): string | undefined {
  const found = spawnSync(BINARY, ['--version'], { encoding: 'utf8' });
  if (found.error === undefined && found.status === 0) return undefined;
  const where = process.env['CI'] === 'true' ? 'CI must install it (.ci/run does: apt-get install -y redis-server)' : 'install it: apt-get install -y redis-server (Debian/Ubuntu) or brew install redis';
  return `${BINARY} not found: the Redis store's integration tests need a real Redis; ${where}.`;
}

/**
 * `describe(name, fn)` when redis-server runs; otherwise ONE failing test that says what to
 * install, and none of `fn`'s tests registered (so the run reports a failure, not skips).
 */
export function describeWithRedis(name: string, fn: () => void): void {
  const missing = redisServerMissing();
  if (missing === undefined) describe(name, fn);
  else
    it(`${name} - needs redis-server`, () => {
      throw new Error(missing);
    });
}

/** Every server still running, across pools: killed synchronously on process exit. */
const live = new Set<ChildProcess>();
let exitHook = false;
function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
}

/** Servers started through it are stopped together by `stopAll()` (call it from afterEach / afterAll). */
export interface ServerPool {
  start(port?: number, options?: StartOptions): Promise<RedisServer>;
  stopAll(): Promise<void>;
}

export function serverPool(): ServerPool {
  const mine = new Set<RedisServer>();
  return {
    async start(port, options) {
      const server = await startRedis(port, options);
      mine.add(server);
      return server;
    },
    async stopAll() {
      const all = [...mine];
      mine.clear();
      await Promise.all(all.map((s) => s.stop()));
    },
  };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Options of {@link startRedis}. */
export interface StartOptions {
  /** Persist to this directory with an append-only file fsynced on every write (a restart keeps every acknowledged write). */
  readonly persistDir?: string;
}

/** Starts redis-server on `port` (a free one by default) and resolves once it accepts PING. */
export async function startRedis(port?: number, options: StartOptions = {}): Promise<RedisServer> {
  const missing = redisServerMissing();
  if (missing !== undefined) throw new Error(missing);
  const p = port ?? (await freePort());
  const persistence = options.persistDir !== undefined ? ['--dir', options.persistDir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always'] : ['--save', '', '--appendonly', 'no'];
  const child = spawn(BINARY, ['--port', String(p), '--bind', '127.0.0.1', ...persistence, '--protected-mode', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  track(child);
  const stop = (): Promise<void> =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  try {
    await new Promise<void>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`redis-server exited (${code}) before it was ready:\n${output}`)));
      const onData = (): void => {
        if (output.includes('Ready to accept connections')) {
          child.stdout?.off('data', onData);
          resolve();
        }
      };
      child.stdout?.on('data', onData);
    });
    await ping(p);
  } catch (e) {
    await stop();
    throw e;
  }
  return { port: p, process: child, stop };
}

function ping(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write('PING\r\n'));
    s.once('data', () => {
      s.destroy();
      resolve();
    });
    s.once('error', reject);
  });
}
