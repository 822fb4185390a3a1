import { describe, expect, it } from 'vitest';
import { start } from '../src/main.js';

describe('example express-basic', () => {
  it('proxies /api through switchyard and serves its own /health', async () => {
    const app = await start(0);
    try {
      const res = await fetch(`${app.url}/api/hello`);
      expect(res.status).toBe(200);
      expect(await res.text()).toMatch(/^upstream (a|b): GET \/api\/hello/);
      expect(res.headers.get('ratelimit') ?? res.headers.get('ratelimit-remaining')).not.toBeNull();
      expect(await (await fetch(`${app.url}/health`)).text()).toBe('ok\n');
    } finally {
      await app.stop();
    }
  });
});
