/**
 * "EU callers to an EU backend, fall back when it is unhealthy", with what the gateway offers
 * today: the `geo` policy (or an adapter) sets `attributes.country`; a split canary rule on that
 * attribute (or the policy's `backend`) picks the `eu` backend; the `eu` upstream lists its EU
 * endpoints at priority 0 and a fallback in another region at priority 1, so when the EU
 * endpoints are ejected or fail health checks, Envoy's priority failover sends EU callers to the
 * fallback (docs/guides/policies.md, "geo").
 */
import type { SyRequest } from '@switchyard/core';
import { createMockTransport, createTestClock, seededRng } from '@switchyard/testing';
import { describe, expect, it } from 'vitest';
import type { GatewayConfig } from './config.js';
import { createGateway } from './gateway.js';

const EU = ['AT', 'BE', 'DE', 'FR', 'IT', 'NL', 'PL', 'SE'];

const CONFIG: GatewayConfig = {
  routes: [
    {
      name: 'api',
      matches: [{ path: { type: 'PathPrefix', value: '/' } }],
      backends: [
        { name: 'eu', upstream: 'eu', weight: 0 },
        { name: 'us', upstream: 'us', weight: 1 },
      ],
      split: { canary: [{ name: 'eu callers', backend: 'eu', when: { attribute: 'country', in: EU } }] },
    },
  ],
  upstreams: {
    eu: {
      endpoints: [
        { id: 'eu-1', url: 'http://10.1.0.1:8080', priority: 0 },
        { id: 'eu-2', url: 'http://10.1.0.2:8080', priority: 0 },
        { id: 'eu-fallback-us', url: 'http://10.2.0.9:8080', priority: 1 },
      ],
      outlierDetection: { consecutive5xx: 1, maxEjectionPercent: 100, intervalMs: 10, baseEjectionTimeMs: 60_000 },
    },
    us: { endpoints: [{ id: 'us-1', url: 'http://10.2.0.1:8080' }] },
  },
};

const req = (country: string | undefined): SyRequest => ({
  method: 'GET',
  scheme: 'https',
  authority: 'api.example.com',
  path: '/orders',
  query: '',
  headers: {},
  clientAddress: '198.51.100.7',
  attributes: country === undefined ? {} : { country },
});

describe('gateway - geo routing with failover', () => {
  it('EU callers reach the EU endpoints, others the US; with the EU endpoints ejected, EU callers fail over to priority 1', async () => {
    const clock = createTestClock();
    const transport = createMockTransport({ clock });
    const gateway = createGateway(CONFIG, { transport, clock, rng: seededRng(11) });
    const servedBy = async (country: string | undefined): Promise<string> => {
      await gateway.handle(req(country));
      return transport.requests.at(-1)!.endpoint.id;
    };
    for (let i = 0; i < 10; i++) expect(['eu-1', 'eu-2']).toContain(await servedBy('DE'));
    expect(await servedBy('US')).toBe('us-1');
    expect(await servedBy(undefined)).toBe('us-1');
    // Both EU endpoints fail once and are ejected.
    transport.enqueueFor('eu-1', { status: 503 });
    transport.enqueueFor('eu-2', { status: 503 });
    for (let i = 0; i < 4; i++) await gateway.handle(req('FR'));
    clock.advance(20);
    for (let i = 0; i < 10; i++) expect(await servedBy('FR')).toBe('eu-fallback-us');
    // Once the ejection ends, EU callers are back on the EU endpoints.
    clock.advance(61_000);
    for (let i = 0; i < 10; i++) expect(['eu-1', 'eu-2']).toContain(await servedBy('IT'));
    await gateway.stop();
  });
});
