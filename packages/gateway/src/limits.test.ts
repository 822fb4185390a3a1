import type { SyRequest } from '@switchyard/core';
import type { LimiterStore } from '@switchyard/limiter';
import { createMockTransport, createTestClock, seededRng } from '@switchyard/testing';
import { describe, expect, it } from 'vitest';
import type { GatewayConfig, LimitConfig } from './config.js';
import { structuralIssues } from './config.js';
import { createGateway } from './gateway.js';

function req(clientAddress: string | undefined): SyRequest {
  return { method: 'GET', scheme: 'http', authority: 'api.example.com', path: '/api/x', query: '', headers: {}, attributes: {}, clientAddress };
}

function config(limit: LimitConfig): GatewayConfig {
  return {
    clientIdentity: { trustedProxies: [] },
    routes: [{ name: 'api', matches: [{ path: { type: 'PathPrefix', value: '/api' } }], backends: [{ upstream: 'api' }], limits: ['per-ip'] }],
    upstreams: { api: { endpoints: [{ url: 'http://10.0.0.1:8080' }] } },
    limits: { 'per-ip': limit },
  };
}

function gatewayFor(limit: LimitConfig, store?: LimiterStore, exposeErrorDetails = false) {
  const clock = createTestClock();
  const transport = createMockTransport({ clock });
  return createGateway(config(limit), { transport, clock, rng: seededRng(1), exposeErrorDetails, ...(store !== undefined ? { store } : {}) });
}

const policy = { maxTokens: 2, tokensPerFill: 2, fillIntervalMs: 60_000 };

describe('gateway - limits without a key (onMissingKey)', () => {
  it('regression - a client-ip limit with no client address answers 429 (fail closed) instead of letting every request through', async () => {
    const gateway = gatewayFor({ key: 'client-ip', policy }, undefined, true);
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await gateway.handle(req(undefined))).status);
    expect(statuses).toEqual([429, 429, 429]);
    const refused = await gateway.handle(req(undefined));
    // The client sees the fixed sentence of the code; the reason is in the debug detail only.
    expect(JSON.parse(String(refused.body))).toMatchObject({ error: 'SY_RATE_LIMITED', message: 'Too many requests: rate limit exceeded.', detail: expect.stringMatching(/no client address/) });
    // Clients with an address are counted as before.
    expect((await gateway.handle(req('198.51.100.7'))).status).toBe(200);
    await gateway.stop();
  });

  it("onMissingKey 'allow' lets keyless requests through uncounted; 'shared' gives them one bucket", async () => {
    const allow = gatewayFor({ key: 'client-ip', policy, onMissingKey: 'allow' });
    for (let i = 0; i < 3; i++) expect((await allow.handle(req(undefined))).status).toBe(200);
    const shared = gatewayFor({ key: ['client-ip', 'route'], policy, onMissingKey: 'shared' });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await shared.handle(req(undefined))).status);
    expect(statuses).toEqual([200, 200, 429]);
    await allow.stop();
    await shared.stop();
  });

  it("a missing header key is still skipped by default, and refused with onMissingKey 'deny'", async () => {
    const skip = gatewayFor({ key: { header: 'x-user' }, policy: { ...policy, maxTokens: 1 } });
    for (let i = 0; i < 3; i++) expect((await skip.handle(req('198.51.100.7'))).status).toBe(200);
    const deny = gatewayFor({ key: { header: 'x-user' }, policy, onMissingKey: 'deny' });
    expect((await deny.handle(req('198.51.100.7'))).status).toBe(429);
    await skip.stop();
    await deny.stop();
  });

  it('rejects an unknown onMissingKey by path', () => {
    const issues = structuralIssues({ ...config({ key: 'client-ip', policy }), limits: { 'per-ip': { key: 'client-ip', policy, onMissingKey: 'skip' } } });
    expect(issues).toEqual([{ path: 'limits["per-ip"].onMissingKey', message: "must be one of 'deny', 'allow', 'shared'" }]);
  });
});

describe('gateway - a store that fails closed', () => {
  it("regression - answers the documented 503 SY_STORE_UNAVAILABLE, not 429, when the store's 'deny' fallback decides", async () => {
    const down: LimiterStore = {
      scope: 'shared',
      take: async (r) => ({ kind: 'limited', limit: r.policy.maxTokens, remaining: 0, resetAfterMs: 1000, retryAfterMs: 1000, storeError: { reason: 'error', message: 'connection refused', fallback: 'deny' } }),
    };
    const gateway = gatewayFor({ key: 'client-ip', policy }, down);
    const res = await gateway.handle(req('198.51.100.7'));
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(JSON.parse(String(res.body))).toMatchObject({ error: 'SY_STORE_UNAVAILABLE' });
    await gateway.stop();
  });
});
