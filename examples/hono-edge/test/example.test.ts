import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildWorker } from '../scripts/build-worker.js';
import { start } from '../src/node.js';

describe('example hono-edge', () => {
  it('serves /api through switchyard on @hono/node-server with the fetch transport', async () => {
    const app = await start(0);
    try {
      const res = await fetch(`${app.url}/api/hello`);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('edge upstream: GET /api/hello\n');
      expect(await (await fetch(`${app.url}/health`)).text()).toBe('ok\n');
    } finally {
      await app.stop();
    }
  });

  it('bundles the Worker entry for a neutral platform with no node: import', async () => {
    const text = await buildWorker(join(mkdtempSync(join(tmpdir(), 'sy-worker-')), 'worker.js'));
    expect(text).toContain('export');
    expect(text).not.toMatch(/from\s*["']node:|require\(["']node:|import\(["']node:/);
    expect(text).not.toMatch(/from\s*["'](fs|http|net|stream|buffer|undici)["']/);
  });
});
