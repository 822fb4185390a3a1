/**
 * The policies example end to end, through real HTTP on 127.0.0.1 with the undici transport to
 * three real upstreams: the same scenario table on Express, Fastify and Hono.
 */
import type { Gateway } from '@switchyard/gateway';
import type { KeyStore } from '@switchyard/policies';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyStore, createPoliciesGateway, KEYS, ORIGIN } from '../src/config.js';
import { serveExpress } from '../src/express.js';
import { serveFastify } from '../src/fastify.js';
import { serveHono } from '../src/hono.js';
import { startUpstreams } from '../src/upstreams.js';

type Serve = (gateway: Gateway) => Promise<{ url: string; close: () => Promise<void> }>;
const frameworks: ReadonlyArray<readonly [string, Serve]> = [
  ['express', serveExpress],
  ['fastify', serveFastify],
  ['hono', serveHono],
];

interface Echo {
  readonly backend: string;
  readonly headers: Record<string, string>;
}

describe.each(frameworks)('policies example on %s', (_name, serve) => {
  let stopUpstreams: (() => Promise<void>) | undefined;
  let gateway: Gateway | undefined;
  let close: (() => Promise<void>) | undefined;
  let url = '';
  let lookups: string[] = [];

  beforeAll(async () => {
    const upstreams = await startUpstreams();
    stopUpstreams = upstreams.stop;
    const inner = createKeyStore();
    // Counts store lookups, to show a malformed key never reaches the store.
    const store: KeyStore = { lookup: (digest) => (lookups.push(digest), inner.lookup(digest)) };
    gateway = createPoliciesGateway(upstreams.urls, store);
    const server = await serve(gateway);
    close = server.close;
    url = server.url;
  });

  afterAll(async () => {
    await close?.();
    await gateway?.stop();
    await stopUpstreams?.();
  });

  const get = (headers: Record<string, string> = {}, path = '/api/hello'): Promise<Response> => fetch(url + path, { headers });

  it('answers a request without a key 401 with WWW-Authenticate, and CORS headers for an allowed origin', async () => {
    const res = await get({ origin: ORIGIN });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^ApiKey realm="api"/);
    expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(((await res.json()) as { error: string }).error).toBe('SY_UNAUTHORIZED');
  });

  it('refuses a malformed key 401 without asking the key store', async () => {
    lookups = [];
    const res = await get({ 'x-api-key': 'not-a-demo-key' });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
    await res.arrayBuffer();
    expect(lookups).toEqual([]);
  });

  it('serves a free key from the default backend without forwarding the key, then answers the 4th request in the window with the custom 429', async () => {
    for (let i = 1; i <= 3; i++) {
      const res = await get({ 'x-api-key': KEYS.free });
      expect(res.status).toBe(200);
      const echo = (await res.json()) as Echo;
      expect(echo.backend).toBe('default');
      expect(echo.headers['x-api-key']).toBeUndefined();
    }
    const res = await get({ 'x-api-key': KEYS.free, origin: ORIGIN });
    expect(res.status).toBe(429);
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    // Sliding window (the default): the estimate counts the previous window's weight, so the wait
    // can reach past the current window's end, never past two windows.
    expect(retryAfter).toBeLessThanOrEqual(120);
    expect(res.headers.get('link')).toBe('<https://example.com/pricing>; rel="payment"');
    expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ error: 'SY_RATE_LIMITED', limit: 3, upgrade: 'https://example.com/pricing', retryAfterSeconds: retryAfter });
    expect(body['requestId']).toEqual(expect.any(String));
    expect(body['message']).toContain('your 3 requests a minute');
  });

  it('does not limit an enterprise key at that count', async () => {
    for (let i = 1; i <= 6; i++) {
      const res = await get({ 'x-api-key': KEYS.enterprise });
      expect(res.status).toBe(200);
      expect(((await res.json()) as Echo).backend).toBe('default');
    }
  });

  it('sends a beta consumer to the canary backend (the custom policy)', async () => {
    const res = await get({ 'x-api-key': KEYS.beta });
    expect(res.status).toBe(200);
    const echo = (await res.json()) as Echo;
    expect(echo.backend).toBe('canary');
    expect(echo.headers['x-api-key']).toBeUndefined();
  });

  it('sends CF-IPCountry: DE from the trusted peer to the EU backend, US to the default one', async () => {
    const de = await get({ 'x-api-key': KEYS.enterprise, 'cf-ipcountry': 'DE' });
    expect(((await de.json()) as Echo).backend).toBe('eu');
    const us = await get({ 'x-api-key': KEYS.enterprise, 'cf-ipcountry': 'US' });
    expect(((await us.json()) as Echo).backend).toBe('default');
  });
});
