/**
 * A retry picks from the endpoints eligible at the time of the retry, as Envoy's load balancer
 * does on every attempt: an endpoint ejected by outlier detection (or failed by active health
 * checks) after the request started is not retried into. (The list used to be computed once per
 * request, so a retry could go to an endpoint ejected in the meantime; seen by the demo.)
 */
import type { SyRequest } from '@switchyard/core';
import { createMockTransport, createTestClock, seededRng } from '@switchyard/testing';
import { describe, expect, it } from 'vitest';
import { createGateway } from './gateway.js';

const req = (path: string): SyRequest => ({ method: 'GET', scheme: 'http', authority: 'api', path, query: '', headers: {}, clientAddress: '198.51.100.7', attributes: {} });

describe('retries and current eligibility', () => {
  it('regression - a retry does not go to an endpoint ejected after the request started', async () => {
    const clock = createTestClock();
    const transport = createMockTransport({ clock });
    // a: the first try of the retried request fails after 100 ms; later tries succeed.
    transport.enqueueFor('a', { status: 503, delayMs: 100 });
    transport.enqueueFor('b', { status: 503 }, { status: 503 });
    const gateway = createGateway(
      {
        routes: [
          { name: 'retried', matches: [{ path: { type: 'PathPrefix', value: '/retried' } }], backends: [{ upstream: 'u' }], retry: { numRetries: 1, retryOn: ['5xx'] } },
          { name: 'plain', matches: [{ path: { type: 'PathPrefix', value: '/plain' } }], backends: [{ upstream: 'u' }] },
        ],
        upstreams: {
          u: {
            endpoints: [
              { id: 'a', url: 'http://10.0.0.1:8080' },
              { id: 'b', url: 'http://10.0.0.2:8080' },
            ],
            balancer: { policy: 'round-robin' },
            panicThresholdPercent: 0,
            outlierDetection: { consecutive5xx: 2, maxEjectionPercent: 100, intervalMs: 10_000, baseEjectionTimeMs: 30_000 },
          },
        },
      },
      { transport, clock, rng: seededRng(1) },
    );
    const retried = gateway.handle(req('/retried/1')); // → a, answers 503 at t = 100 ms
    const plain = [await gateway.handle(req('/plain/1')), await gateway.handle(req('/plain/2')), await gateway.handle(req('/plain/3'))]; // b 503, a 200, b 503: b ejected
    expect(plain.map((r) => r.status)).toEqual([503, 200, 503]);
    const sendsToB = transport.requests.filter((r) => r.endpoint.id === 'b').length;
    await clock.advanceAsync(2000); // the first try's 503 at 100 ms, then the retry's backoff
    const res = await retried;
    expect(res.status).toBe(200);
    // The retry went to a (the only endpoint eligible now), not to the ejected b.
    expect(transport.requests.filter((r) => r.endpoint.id === 'b')).toHaveLength(sendsToB);
    expect(transport.requests.at(-1)?.endpoint.id).toBe('a');
  });
});
