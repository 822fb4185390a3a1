/**
 * The limiter's key size rule, measured: a memory store (the Redis store's `local` fallback)
 * fed distinct 8 KB keys keeps their 28-character digests, not the keys. Measured in a child
 * process with `--expose-gc`, so the figure is the heap that stays, not garbage not yet collected.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const children: Array<ReturnType<typeof spawn>> = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

function measure(count: number): Promise<{ keys: number; heldBytes: number }> {
  const script = fileURLToPath(new URL('./memory-child.ts', import.meta.url));
  const p = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', script, String(count)], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env: { ...process.env, TSX_TSCONFIG_PATH: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(p);
  let out = '';
  let err = '';
  p.stdout.on('data', (d: Buffer) => (out += d.toString()));
  p.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => p.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as { keys: number; heldBytes: number }) : reject(new Error(`memory child exited ${code}: ${err}`)))));
}

describe('limiter keys bounded in bytes', () => {
  it('regression - 20 000 distinct keys of 8 KB keep well under 1 KB each (160 MB of keys before the size rule)', async () => {
    const { keys, heldBytes } = await measure(20_000);
    console.log(`[key size] 20 000 keys of 8 KB: ${(heldBytes / 1e6).toFixed(1)} MB held (${(heldBytes / keys).toFixed(0)} bytes per key)`);
    expect(keys).toBe(20_000);
    // 8 KB keys kept as strings would hold 8 192+ bytes each; digests inline in the table ~64.
    expect(heldBytes / keys).toBeLessThan(1024);
  });
});
