/**
 * What the runtime tests (Bun, Deno, workerd) share: the esbuild options that bundle a test app
 * for a runtime, and starting a runtime's server process (bundled into a fresh temp directory,
 * killed, and the directory removed, by the fixture's cleanups) until it prints `listening <port>`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions } from 'esbuild';
import { cleanups } from '../../express/test/ws-fixture.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = join(here, '..', '..', '..');

/** esbuild options for test/<runtime>/<file>: one platform-neutral ES module, resolved with the runtime's export conditions. */
export function runtimeBuildOptions(runtime: 'bun' | 'deno' | 'workerd', file: string): BuildOptions {
  return {
    entryPoints: [join(here, runtime, file)],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    mainFields: ['module', 'main'],
    conditions: [runtime, 'worker', 'browser', 'import'],
    tsconfig: join(root, 'tsconfig.json'),
    logLevel: 'warning',
  };
}

/** How to run a bundled server on one runtime. */
export interface RuntimeCommand {
  readonly runtime: 'bun' | 'deno';
  /** The runtime's executable. */
  readonly executable: string;
  /** Its arguments, given the bundle's path. */
  readonly args: (outfile: string) => string[];
  /** Extra environment, given the temp directory (caches go there). */
  readonly env: (dir: string) => Record<string, string>;
}

/**
 * Bundles test/<runtime>/server.ts into a fresh temp directory and runs it with `upstream` as
 * its last argument; resolves with `127.0.0.1:<port>` once it prints `listening <port>`, rejects
 * if it exits first. The process is killed (SIGKILL) and the directory removed by the fixture's cleanups.
 */
export async function startRuntimeServer(command: RuntimeCommand, upstream: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), `sy-${command.runtime}-`));
  const outfile = join(dir, 'server.js');
  await build({ ...runtimeBuildOptions(command.runtime, 'server.ts'), outfile });
  const child: ChildProcess = spawn(command.executable, [...command.args(outfile), upstream], {
    env: { ...process.env, ...command.env(dir) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    rmSync(dir, { recursive: true, force: true });
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += String(chunk);
      const m = /listening (\d+)/.exec(output);
      if (m !== null) resolve(`127.0.0.1:${m[1]}`);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${command.runtime} exited with ${code}: ${output}`)));
  });
}
