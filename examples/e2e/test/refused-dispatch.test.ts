/**
 * Issue #17 (critical): requests undici refuses to dispatch (a Host like `[::1`, a control
 * character or a code point above U+00FF in the path or a templated header) must never wedge
 * the upstream's connection pool. Real sockets: an upstream on 127.0.0.1 and the undici transport.
 */
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { SyRequest } from '@switchyard/core';
import { createGateway, type Gateway } from '@switchyard/gateway';
import { createUndiciTransport } from '@switchyard/transport-undici';

const servers: Server[] = [];
const gateways: Gateway[] = [];
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((g) => g.stop()));
  const closing = servers.splice(0);
  for (const s of closing) s.closeAllConnections();
  await Promise.all(closing.map((s) => new Promise((r) => s.close(r))));
});

async function upstream(): Promise<{ url: string; hits: () => number }> {
  let hits = 0;
  const server = createServer((req, res) => {
    hits++;
    res.end(`ok ${req.url}`);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const a = server.address();
  if (a === null || typeof a === 'string') throw new Error('no address');
  return { url: `http://127.0.0.1:${a.port}`, hits: () => hits };
}

function request(over: Partial<SyRequest> = {}): SyRequest {
  return { method: 'GET', scheme: 'http', authority: 'api.test', path: '/api/x', query: '', headers: {}, attributes: {}, ...over };
}

async function gatewayTo(url: string): Promise<Gateway> {
  const g = createGateway(
    {
      routes: [
        {
          name: 'api',
          matches: [{ path: { type: 'PathPrefix', value: '/api' } }],
          backends: [{ upstream: 'app' }],
          timeoutMs: 5_000,
          rewrite: { requestHeaders: { set: { 'x-tenant': '${headers.x-raw}' } } },
        },
      ],
      upstreams: { app: { endpoints: [{ id: 'e0', url }], circuitBreaker: { policy: { kind: 'consecutive', maxFailures: 5 } }, outlierDetection: { consecutive5xx: 3, consecutiveGatewayFailure: 3, consecutiveLocalOriginFailure: 3, maxEjectionPercent: 100 } } },
    },
    { transport: createUndiciTransport({ connections: 16 }) },
  );
  gateways.push(g);
  return g;
}

const HOSTILE: readonly [string, Partial<SyRequest>][] = [
  ['a Host undici refuses ([::1)', { authority: '[::1' }],
  ['a control character in a templated header', { headers: { 'x-raw': 'a\u0001b' } }],
  ['DEL in a templated header', { headers: { 'x-raw': 'a\u007fb' } }],
  ['a code point above U+00FF in a templated header', { headers: { 'x-raw': 'caf\u0101' } }],
  ['a code point above U+00FF in the path', { path: '/api/\u0101' }],
];

describe('gateway over undici - refused dispatches', () => {
  for (const [name, over] of HOSTILE) {
    it(`400s ${name} without sending it, and the pool keeps working (300 of them, then a legitimate request)`, async () => {
      const up = await upstream();
      const g = await gatewayTo(up.url);
      const statuses = await Promise.all(Array.from({ length: 300 }, () => g.handle(request(over)).then((r) => r.status)));
      expect(new Set(statuses)).toEqual(new Set([400]));
      expect(up.hits()).toBe(0);
      // The client's fault: no breaker verdict, no ejection.
      const app = g.plan().upstreams.get('app')!;
      expect(app.breaker?.status(performance.now())).toBe('closed');
      expect(app.outlier?.isEjected('e0')).toBe(false);
      const ok = await g.handle(request());
      expect(ok.status).toBe(200);
      expect(up.hits()).toBe(1);
    });
  }
});
