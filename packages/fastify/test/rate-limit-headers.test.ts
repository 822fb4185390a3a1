/**
 * RateLimit headers side by side with `@fastify/rate-limit` 11. Its defaults (`index.js`:
 * `defaultHeaders`, `addHeaders`, `addHeadersOnExceeding`): `x-ratelimit-limit`,
 * `x-ratelimit-remaining`, `x-ratelimit-reset` (seconds until the window resets) on every
 * response, plus `retry-after` (seconds) on a 429; `enableDraftSpec: true` switches to
 * `ratelimit-limit|remaining|reset`. switchyard's default (`rateLimitHeaders: 'legacy'`) sends
 * the same three names and `retry-after`; one option (`rateLimitHeaders`) switches to the IETF
 * fields (`ietf`), both, or none.
 */
import fastifyRateLimit from '@fastify/rate-limit';
import { systemClock } from '@switchyard/core';
import { createGateway, type GatewayConfig } from '@switchyard/gateway';
import { createMockTransport } from '@switchyard/testing';
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import { switchyard } from '../src/index.js';

const WINDOW_MS = 60_000;

/** Two requests a minute per client address, in front of `/api/items`. */
function limitedConfig(extra: Partial<GatewayConfig> = {}): GatewayConfig {
  return {
    clientIdentity: { trustedProxies: [] },
    routes: [{ name: 'api', matches: [{ path: { type: 'PathPrefix', value: '/api' } }], backends: [{ upstream: 'api' }], limits: ['per-client'] }],
    upstreams: { api: { endpoints: [{ url: 'http://10.0.0.1:80' }] } },
    limits: { 'per-client': { key: 'client-ip', policy: { maxTokens: 2, tokensPerFill: 2, fillIntervalMs: WINDOW_MS } } },
    ...extra,
  };
}

async function peer(options: Record<string, unknown> = {}): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(fastifyRateLimit, { max: 2, timeWindow: WINDOW_MS, ...options });
  app.get('/api/items', async () => 'items');
  return app;
}

async function ours(extra: Partial<GatewayConfig> = {}): Promise<FastifyInstance> {
  const gateway = createGateway(limitedConfig(extra), { transport: createMockTransport({ clock: systemClock }).respondWith(() => ({ status: 200, headers: {}, body: 'items' })) });
  const app = Fastify();
  await app.register(switchyard, { gateway, mode: 'decide' });
  app.get('/api/items', async () => 'items');
  return app;
}

async function three(app: FastifyInstance): Promise<LightMyRequestResponse[]> {
  const out: LightMyRequestResponse[] = [];
  for (let i = 0; i < 3; i++) out.push(await app.inject({ url: '/api/items' }));
  return out;
}

const rateNames = (r: LightMyRequestResponse): string[] => Object.keys(r.headers).filter((h) => h.includes('ratelimit') || h === 'retry-after').sort();

describe('fastify - RateLimit headers as @fastify/rate-limit sends them', () => {
  it('default: x-ratelimit-limit|remaining|reset on each answer, retry-after on the 429, the same values', async () => {
    const before = await three(await peer());
    const after = await three(await ours());
    expect(after.map((r) => r.statusCode)).toEqual(before.map((r) => r.statusCode));
    expect(after.map((r) => r.statusCode)).toEqual([200, 200, 429]);
    for (let i = 0; i < 3; i++) {
      const [b, a] = [before[i] as LightMyRequestResponse, after[i] as LightMyRequestResponse];
      expect(rateNames(a)).toEqual(rateNames(b));
      expect(a.headers['x-ratelimit-limit']).toBe(b.headers['x-ratelimit-limit']);
      expect(a.headers['x-ratelimit-remaining']).toBe(b.headers['x-ratelimit-remaining']);
      // Both in seconds until the window resets (never milliseconds, never an epoch).
      for (const r of [a, b]) expect(Number(r.headers['x-ratelimit-reset'])).toBeGreaterThan(0);
      for (const r of [a, b]) expect(Number(r.headers['x-ratelimit-reset'])).toBeLessThanOrEqual(WINDOW_MS / 1000);
    }
    expect(rateNames(after[0] as LightMyRequestResponse)).toEqual(['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset']);
    expect(rateNames(after[2] as LightMyRequestResponse)).toEqual(['retry-after', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset']);
    expect(Number(after[2]?.headers['retry-after'])).toBeGreaterThan(0);
  });

  it("one option switches: rateLimitHeaders 'ietf' sends RateLimit-Policy and RateLimit instead, 'both' all five, 'none' only retry-after on a 429", async () => {
    const ietf = await three(await ours({ rateLimitHeaders: 'ietf' }));
    expect(rateNames(ietf[0] as LightMyRequestResponse)).toEqual(['ratelimit', 'ratelimit-policy']);
    expect(ietf[0]?.headers['ratelimit-policy']).toBe('"per-client";q=2;w=60');
    expect(ietf[0]?.headers['ratelimit']).toMatch(/^"per-client";r=1;t=\d+$/);
    const both = await three(await ours({ rateLimitHeaders: 'both' }));
    expect(rateNames(both[0] as LightMyRequestResponse)).toEqual(['ratelimit', 'ratelimit-policy', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset']);
    const none = await three(await ours({ rateLimitHeaders: 'none' }));
    expect(rateNames(none[0] as LightMyRequestResponse)).toEqual([]);
    expect(rateNames(none[2] as LightMyRequestResponse)).toEqual(['retry-after']);
  });

  it("@fastify/rate-limit's enableDraftSpec names (ratelimit-limit|remaining|reset, an older IETF draft) are not sent: 'ietf' is the current draft's two fields", async () => {
    const draft = await three(await peer({ enableDraftSpec: true }));
    expect(rateNames(draft[0] as LightMyRequestResponse)).toEqual(['ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset']);
    const ietf = await three(await ours({ rateLimitHeaders: 'ietf' }));
    expect(rateNames(ietf[0] as LightMyRequestResponse)).not.toContain('ratelimit-limit');
  });

  it('proxy mode sends the same headers on the proxied answer and on the 429', async () => {
    const gateway = createGateway(limitedConfig(), { transport: createMockTransport({ clock: systemClock }).respondWith(() => ({ status: 200, headers: { 'x-from': 'upstream' }, body: 'proxied' })) });
    const app = Fastify();
    await app.register(switchyard, { gateway, prefix: '/api' });
    const [first, , third] = await three(app);
    expect(first?.headers['x-from']).toBe('upstream');
    expect(rateNames(first as LightMyRequestResponse)).toEqual(['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset']);
    expect(third?.statusCode).toBe(429);
    expect(rateNames(third as LightMyRequestResponse)).toEqual(['retry-after', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset']);
  });
});
