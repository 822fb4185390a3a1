/**
 * Without redis-server, the Redis integration tests fail loudly (one failing test with an
 * install hint) instead of reporting "0 failed, 13 skipped". Runs vitest on one integration
 * file with `REDIS_SERVER` pointing at nothing, as CI would see it.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const children: Array<ReturnType<typeof spawn>> = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

describe('redis integration tests without redis-server', () => {
  it('regression - in CI a missing redis-server is a failing test that says what to install, never a skip', async () => {
    const p = spawn(process.execPath, [`${root}node_modules/vitest/vitest.mjs`, 'run', 'packages/redis/src/redis-store-lifecycle.test.ts'], {
      cwd: root,
      env: { ...process.env, CI: 'true', REDIS_SERVER: '/nonexistent/redis-server', FORCE_COLOR: '0', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(p);
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => p.once('exit', resolve));
    expect(code).not.toBe(0);
    expect(out).toContain('/nonexistent/redis-server not found');
    expect(out).toContain('apt-get install -y redis-server');
    expect(out).toMatch(/\n0 passed, 1 failed\n/);
    expect(out).not.toMatch(/skipped/);
  });
});
