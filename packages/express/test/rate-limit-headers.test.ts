/**
 * RateLimit headers side by side with `express-rate-limit` 8. Its defaults (`dist/index.mjs`:
 * `legacyHeaders: true`, `standardHeaders: false`): `X-RateLimit-Limit`, `X-RateLimit-Remaining`,
 * `X-RateLimit-Reset` (a Unix time in seconds, with a `Date` header) on every response, and
 * `Retry-After` (seconds) on a 429. switchyard's default (`rateLimitHeaders: 'legacy'`) sends the
 * same names and `Retry-After`; its `X-RateLimit-Reset` counts seconds from now (as
 * `@fastify/rate-limit` and Envoy), not a Unix time. One option, `rateLimitHeaders: 'ietf'`, is
 * the pair `express-rate-limit`'s README recommends (`standardHeaders: 'draft-8'`:
 * `RateLimit` / `RateLimit-Policy`).
 */
import { createGateway, type GatewayConfig } from '@switchyard/gateway';
import express from 'express';
import { rateLimit } from 'express-rate-limit';
import { afterEach, describe, expect, it } from 'vitest';
import { switchyard } from '../src/index.js';
import { closeServer, listen } from './harness.js';
import { createMockTransport } from '@switchyard/testing';
import { systemClock } from '@switchyard/core';

const WINDOW_MS = 60_000;

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

function limitedConfig(extra: Partial<GatewayConfig> = {}): GatewayConfig {
  return {
    clientIdentity: { trustedProxies: [] },
    routes: [{ name: 'api', matches: [{ path: { type: 'PathPrefix', value: '/api' } }], backends: [{ upstream: 'api' }], limits: ['per-client'] }],
    upstreams: { api: { endpoints: [{ url: 'http://10.0.0.1:80' }] } },
    limits: { 'per-client': { key: 'client-ip', policy: { maxTokens: 2, tokensPerFill: 2, fillIntervalMs: WINDOW_MS } } },
    ...extra,
  };
}

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string>;
}

async function three(app: express.Express): Promise<Answer[]> {
  const { server, url } = await listen(app);
  closers.push(() => closeServer(server));
  const out: Answer[] = [];
  for (let i = 0; i < 3; i++) {
    const res = await fetch(`${url}/api/items`);
    await res.text();
    const headers: Record<string, string> = {};
    res.headers.forEach((v, k) => (headers[k] = v));
    out.push({ status: res.status, headers });
  }
  return out;
}

function peer(options: Parameters<typeof rateLimit>[0] = {}): express.Express {
  const app = express();
  app.use(rateLimit({ windowMs: WINDOW_MS, limit: 2, ...options }));
  app.get('/api/items', (_req, res) => res.send('items'));
  return app;
}

function ours(extra: Partial<GatewayConfig> = {}, mode: 'decide' | 'proxy' = 'decide'): express.Express {
  const gateway = createGateway(limitedConfig(extra), { transport: createMockTransport({ clock: systemClock }).respondWith(() => ({ status: 200, headers: {}, body: 'items' })) });
  const app = express();
  app.use(switchyard({ gateway, mode }));
  app.get('/api/items', (_req, res) => res.send('items'));
  return app;
}

const rateNames = (a: Answer): string[] => Object.keys(a.headers).filter((h) => h.includes('ratelimit') || h === 'retry-after').sort();

describe('express - RateLimit headers as express-rate-limit sends them', () => {
  it('default: X-RateLimit-Limit|Remaining|Reset on each answer, Retry-After on the 429, the same limit and remaining', async () => {
    const before = await three(peer());
    const after = await three(ours());
    expect(after.map((a) => a.status)).toEqual(before.map((a) => a.status));
    expect(after.map((a) => a.status)).toEqual([200, 200, 429]);
    for (let i = 0; i < 3; i++) {
      const [b, a] = [before[i] as Answer, after[i] as Answer];
      expect(rateNames(a)).toEqual(rateNames(b));
      expect(a.headers['x-ratelimit-limit']).toBe(b.headers['x-ratelimit-limit']);
      expect(a.headers['x-ratelimit-remaining']).toBe(b.headers['x-ratelimit-remaining']);
      // express-rate-limit: a Unix time; switchyard: seconds from now (documented in the migration guide).
      expect(Number(b.headers['x-ratelimit-reset'])).toBeGreaterThan(1_000_000_000);
      expect(Number(a.headers['x-ratelimit-reset'])).toBeLessThanOrEqual(WINDOW_MS / 1000);
    }
    expect(rateNames(after[2] as Answer)).toEqual(['retry-after', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset']);
    expect(Number(after[2]?.headers['retry-after'])).toBeGreaterThan(0);
  });

  it("one option switches: 'ietf' sends the names of the README's standardHeaders: 'draft-8', legacyHeaders: false", async () => {
    const before = await three(peer({ standardHeaders: 'draft-8', legacyHeaders: false }));
    const after = await three(ours({ rateLimitHeaders: 'ietf' }));
    for (let i = 0; i < 3; i++) expect(rateNames(after[i] as Answer)).toEqual(rateNames(before[i] as Answer));
    expect(rateNames(after[0] as Answer)).toEqual(['ratelimit', 'ratelimit-policy']);
    expect(after[0]?.headers['ratelimit']).toMatch(/^"per-client";r=1;t=\d+$/);
    // express-rate-limit's structured fields have the same members (r, t; q, w), spaced.
    expect(before[0]?.headers['ratelimit']).toMatch(/^"[^"]+"; r=1; t=\d+$/);
    expect(rateNames((await three(ours({ rateLimitHeaders: 'none' })))[0] as Answer)).toEqual([]);
  });

  it('proxy mode sends the same headers on the proxied answer and on the 429', async () => {
    const [first, , third] = await three(ours({}, 'proxy'));
    expect(rateNames(first as Answer)).toEqual(['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset']);
    expect(third?.status).toBe(429);
    expect(rateNames(third as Answer)).toEqual(['retry-after', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset']);
  });
});
