/**
 * The gateway end to end over real sockets: routing with a path rewrite, Host and
 * X-Forwarded-* as the rewrite config says, Peak-EWMA steering away from a slow upstream,
 * 429 from a limit, 504 from the route deadline against a hanging upstream, 502 then 503 when
 * every endpoint refuses connections, 404 without a route.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as later } from 'node:timers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import type { GatewayConfig } from '@switchyard/gateway';
import { client, deadPort, startGateway, startUpstream, until, type GatewayServer, type Upstream } from './harness.js';

interface Echo {
  readonly who: string;
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string | string[] | undefined>;
}

const echo = (who: string) => (req: IncomingMessage, res: ServerResponse) => {
  const body: Echo = { who, method: req.method ?? '', url: req.url ?? '', headers: req.headers };
  res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': who });
  res.end(JSON.stringify(body));
};

const SLOW_MS = 100;
let orders: Upstream;
let users: Upstream;
let fast: Upstream;
let slow: Upstream;
let hang: Upstream;
let gw: GatewayServer;
const dispatcher = client(32);

beforeAll(async () => {
  orders = await startUpstream(echo('orders'));
  users = await startUpstream(echo('users'));
  fast = await startUpstream(echo('fast'));
  // The slow one answers SLOW_MS later: a latency gap Peak-EWMA must see.
  slow = await startUpstream((req, res) => void later(() => echo('slow')(req, res), SLOW_MS));
  hang = await startUpstream(() => {}); // accepts, never answers
  const [dead1, dead2] = [await deadPort(), await deadPort()];
  const config: GatewayConfig = {
    routes: [
      {
        name: 'orders',
        matches: [{ path: { type: 'PathPrefix', value: '/api/orders' } }],
        backends: [{ upstream: 'orders' }],
        rewrite: {
          path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/v1/orders' },
          host: 'upstream',
          requestHeaders: { set: { 'x-route': 'orders' } },
          responseHeaders: { set: { 'x-served-by': 'switchyard' }, remove: ['x-upstream'] },
        },
      },
      {
        name: 'users',
        matches: [{ path: { type: 'PathPrefix', value: '/api/users' } }],
        backends: [{ upstream: 'users' }],
        rewrite: { forwarded: { mode: 'overwrite', headers: 'both' } },
      },
      { name: 'limited', matches: [{ path: { type: 'PathPrefix', value: '/limited' } }], backends: [{ upstream: 'users' }], limits: ['three-per-hour'] },
      { name: 'ewma', matches: [{ path: { type: 'PathPrefix', value: '/ewma' } }], backends: [{ upstream: 'mixed' }] },
      { name: 'hang', matches: [{ path: { type: 'PathPrefix', value: '/hang' } }], backends: [{ upstream: 'hang' }], timeoutMs: 200 },
      { name: 'dead', matches: [{ path: { type: 'PathPrefix', value: '/dead' } }], backends: [{ upstream: 'dead' }] },
    ],
    upstreams: {
      orders: { endpoints: [{ url: orders.url }] },
      users: { endpoints: [{ url: users.url }] },
      // τ = 1 s: a cold-start peak on the fast one (first connection, JIT) fades within the test,
      // while an idle slow one is not re-explored (its cost needs ~τ·ln(100) to fall below fast's).
      mixed: { endpoints: [{ url: fast.url }, { url: slow.url }], balancer: { policy: 'peak-ewma', decayTimeMs: 1_000 } },
      hang: { endpoints: [{ url: hang.url }] },
      dead: {
        endpoints: [{ url: `http://127.0.0.1:${dead1}` }, { url: `http://127.0.0.1:${dead2}` }],
        balancer: { policy: 'round-robin' },
        outlierDetection: { consecutive5xx: 2, baseEjectionTimeMs: 600_000, maxEjectionPercent: 100 },
        panicThresholdPercent: 0,
      },
    },
    limits: { 'three-per-hour': { key: 'global', policy: { maxTokens: 3, fillIntervalMs: 3_600_000 } } },
  };
  gw = await startGateway(config);
});

afterAll(async () => {
  for (const u of [orders, users, fast, slow, hang]) await u.close();
  await gw.close();
  await dispatcher.close();
});

async function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const res = await request(`${gw.url}${path}`, { dispatcher, headers });
  return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
}

describe('gateway end to end over 127.0.0.1', () => {
  it('routes by path prefix, rewrites the path, sets Host to the upstream and writes X-Forwarded-*', async () => {
    const r = await get('/api/orders/42?expand=items', { 'x-forwarded-for': '203.0.113.7' });
    expect(r.status).toBe(200);
    const seen = JSON.parse(r.body) as Echo;
    expect(seen.who).toBe('orders');
    expect(seen.url).toBe('/v1/orders/42?expand=items');
    expect(seen.headers['host']).toBe(`127.0.0.1:${orders.port}`);
    expect(seen.headers['x-route']).toBe('orders');
    // 'trusted' mode (the default) without clientIdentity: the client is no trusted proxy, so
    // the X-Forwarded-For it sent is replaced by the address this hop saw.
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen.headers['x-forwarded-proto']).toBe('http');
    expect(seen.headers['x-forwarded-host']).toBe(new URL(gw.url).host);
    // response headers rewritten on the way back
    expect(r.headers['x-served-by']).toBe('switchyard');
    expect(r.headers['x-upstream']).toBeUndefined();
  });

  it('preserves the client Host and, in overwrite mode, replaces spoofed X-Forwarded-* and Forwarded', async () => {
    const r = await get('/api/users/7', { host: 'api.example.com', 'x-forwarded-for': '198.51.100.1', forwarded: 'for=198.51.100.1' });
    expect(r.status).toBe(200);
    const seen = JSON.parse(r.body) as Echo;
    expect(seen.who).toBe('users');
    expect(seen.url).toBe('/api/users/7');
    expect(seen.headers['host']).toBe('api.example.com');
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen.headers['x-forwarded-host']).toBe('api.example.com');
    expect(seen.headers['forwarded']).not.toContain('198.51.100.1');
    expect(seen.headers['forwarded']).toContain('for=127.0.0.1');
  });

  it('404 - no route matches', async () => {
    const r = await get('/nowhere');
    expect(r.status).toBe(404);
    expect(JSON.parse(r.body)).toMatchObject({ error: 'SY_NO_ROUTE' });
  });

  it('429 - the fourth request within a three-per-hour limit, with Retry-After, never reaching the upstream', async () => {
    const before = users.requests();
    const statuses: number[] = [];
    let last = await get('/limited');
    statuses.push(last.status);
    for (let i = 0; i < 3; i++) {
      last = await get('/limited');
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(JSON.parse(last.body)).toMatchObject({ error: 'SY_RATE_LIMITED' });
    expect(Number(last.headers['retry-after'])).toBeGreaterThan(0);
    expect(users.requests() - before).toBe(3);
  });

  it('Peak-EWMA - sends most sequential requests to the fast upstream once it has seen both latencies', async () => {
    const counts = { fast: 0, slow: 0 };
    for (let i = 0; i < 60; i++) {
      const r = await get('/ewma');
      counts[(JSON.parse(r.body) as Echo).who as 'fast' | 'slow']++;
    }
    // A 100 ms gap against a sub-millisecond loopback answer: the slow one gets the first
    // exploratory picks and little else (both endpoints are compared on every P2C pick).
    expect(counts.fast + counts.slow).toBe(60);
    expect(counts.fast).toBeGreaterThanOrEqual(50);
  });

  it('504 - the route deadline against a hanging upstream, whose socket is then closed', async () => {
    const r = await get('/hang');
    expect(r.status).toBe(504);
    expect(JSON.parse(r.body)).toMatchObject({ error: 'SY_DEADLINE_EXCEEDED' });
    expect(hang.requests()).toBe(1);
    await until(() => hang.sockets.size === 0, () => `hanging upstream's socket released (open: ${hang.sockets.size})`);
  });

  it('502 while endpoints refuse connections, 503 once outlier detection has ejected all of them', async () => {
    const results: { status: number; error: string }[] = [];
    for (let i = 0; i < 8; i++) {
      const r = await get('/dead');
      results.push({ status: r.status, error: (JSON.parse(r.body) as { error: string }).error });
    }
    // consecutive5xx: 2 per endpoint, round-robin over two: four connect failures, then none left.
    expect(results.slice(0, 4)).toEqual(Array.from({ length: 4 }, () => ({ status: 502, error: 'SY_UPSTREAM_CONNECT' })));
    expect(results.slice(4)).toEqual(Array.from({ length: 4 }, () => ({ status: 503, error: 'SY_NO_ENDPOINT' })));
    expect(gw.events.filter((e) => e.kind === 'health' && e.event.kind === 'ejected')).toHaveLength(2);
  });

  it('every downstream response was written exactly once', async () => {
    await until(() => gw.active() === 0, 'every handler finished');
    for (const r of gw.records) expect([r.path, r.writeHeads, r.finishes, r.closes, r.handlerErrors]).toEqual([r.path, 1, 1, 1, 0]);
  });
});
