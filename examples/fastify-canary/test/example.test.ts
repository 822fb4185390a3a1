import { describe, expect, it } from 'vitest';
import { start } from '../src/main.js';

describe('example fastify-canary', () => {
  it('keeps a user on one version and sends the opt-in header to v2', async () => {
    const app = await start(0);
    try {
      const first = await fetch(`${app.url}/shop/cart`, { headers: { 'x-user-id': 'alice' } });
      expect(first.status).toBe(200);
      const version = first.headers.get('x-version');
      for (let i = 0; i < 5; i++) expect((await fetch(`${app.url}/shop/cart`, { headers: { 'x-user-id': 'alice' } })).headers.get('x-version')).toBe(version);
      expect((await fetch(`${app.url}/shop/cart`, { headers: { 'x-canary': 'always' } })).headers.get('x-version')).toBe('v2');
      expect(await (await fetch(`${app.url}/health`)).text()).toBe('ok\n');
    } finally {
      await app.stop();
    }
  });
});
