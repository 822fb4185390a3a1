import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { createGateway, type Gateway, type GatewayEvent } from '@switchyard/gateway';
import { createUndiciTransport } from '@switchyard/transport-undici';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { attachUpgrade, switchyard } from '../src/index.js';
import { cleanups, closeServer, configFor, deadUrl, echo, listen, open, refusal, runCleanups, until, wsUpstream } from './ws-fixture.js';

afterEach(runCleanups);

interface Setup {
  readonly url: string;
  readonly gateway: Gateway;
  readonly a: Awaited<ReturnType<typeof wsUpstream>>;
  readonly b: Awaited<ReturnType<typeof wsUpstream>>;
  readonly events: GatewayEvent[];
  readonly server: Server;
}

/** An Express app proxying `/api` over HTTP, with WebSocket upgrades on the same server. */
async function setup(): Promise<Setup> {
  const a = await wsUpstream('a');
  const b = await wsUpstream('b');
  const transport = createUndiciTransport();
  const gateway = createGateway(configFor(a.url, b.url, await deadUrl()), { transport });
  const events: GatewayEvent[] = [];
  gateway.subscribe((e) => events.push(e));
  const app = express();
  app.use(switchyard({ gateway }));
  const server = createServer(app);
  attachUpgrade(server, gateway);
  const port = await listen(server);
  cleanups.push(async () => {
    await closeServer(server);
    await gateway.stop();
  });
  return { url: `127.0.0.1:${port}`, gateway, a, b, events, server };
}


describe('@switchyard/express attachUpgrade - WebSocket through the gateway', () => {
  it('proxies messages both ways through the matched route, with the path rewritten', async () => {
    const s = await setup();
    const ws = await open(`ws://${s.url}/ws/room`);
    const reply = await echo(ws, 'hi');
    expect(['a:hi', 'b:hi']).toContain(reply);
    expect([...s.a.paths, ...s.b.paths]).toEqual(['/socket/room']);
    // The same server still proxies plain HTTP through the middleware.
    const res = await fetch(`http://${s.url}/api/x`);
    expect(await res.text()).toMatch(/^http from [ab]$/);
  });

  it('least-request balances open connections: two connections, one on each instance', async () => {
    const s = await setup();
    const c1 = await open(`ws://${s.url}/ws`);
    const c2 = await open(`ws://${s.url}/ws`);
    const replies = [await echo(c1, 'x'), await echo(c2, 'x')].sort();
    expect(replies).toEqual(['a:x', 'b:x']);
    expect([s.a.open.size, s.b.open.size]).toEqual([1, 1]);
  });

  it('closing clients closes the upstream sockets and frees their in-flight slots', async () => {
    const s = await setup();
    const c1 = await open(`ws://${s.url}/ws`);
    const c2 = await open(`ws://${s.url}/ws`);
    await echo(c1, 'x');
    await echo(c2, 'x');
    c1.close();
    c2.close();
    await until(() => s.a.open.size + s.b.open.size === 0);
    // Both slots were released: the next two connections again land one on each instance.
    const c3 = await open(`ws://${s.url}/ws`);
    const c4 = await open(`ws://${s.url}/ws`);
    expect([await echo(c3, 'y'), await echo(c4, 'y')].sort()).toEqual(['a:y', 'b:y']);
  });

  it('the upstream closing closes the client', async () => {
    const s = await setup();
    const ws = await open(`ws://${s.url}/ws`);
    await echo(ws, 'x');
    const closed = once(ws, 'close');
    for (const up of [...s.a.open, ...s.b.open]) up.close(1001, 'going away');
    const [code] = (await closed) as [number];
    expect(code).toBe(1001);
  });

  it('an upgrade no route matches gets 404 and the socket closes', async () => {
    const s = await setup();
    const r = await refusal(`ws://${s.url}/nowhere`);
    expect(r.status).toBe(404);
    expect(r.body.error).toBe('SY_NO_ROUTE');
    expect(r.headers['connection']).toBe('close');
  });

  it('a rate-limited route answers 429 with the limiter headers', async () => {
    const s = await setup();
    const first = await open(`ws://${s.url}/limited`);
    expect(await echo(first, 'ok')).toMatch(/^[ab]:ok$/);
    const r = await refusal(`ws://${s.url}/limited`);
    expect(r.status).toBe(429);
    expect(r.body.error).toBe('SY_RATE_LIMITED');
    expect(r.headers['retry-after']).toBeDefined();
  });

  it('an upstream that refuses gets 502, the failure reaches outlier detection, and the next upgrade gets 503', async () => {
    const s = await setup();
    const r = await refusal(`ws://${s.url}/down`);
    expect(r.status).toBe(502);
    expect(r.body.error).toBe('SY_UPSTREAM_CONNECT');
    // Through the gateway's error formatter: a request id, and not the endpoint's address.
    expect(r.body).toHaveProperty('requestId');
    expect(JSON.stringify(r.body)).not.toContain('127.0.0.1');
    expect(s.events.some((e) => e.kind === 'health' && e.upstream === 'down' && e.event.kind === 'ejected')).toBe(true);
    const next = await refusal(`ws://${s.url}/down`);
    expect(next.status).toBe(503);
    expect(next.body.error).toBe('SY_NO_ENDPOINT');
  });

  it('attaching a second dispatcher to the same server throws', async () => {
    const s = await setup();
    expect(() => attachUpgrade(s.server, s.gateway)).toThrow(/already has a switchyard upgrade dispatcher/);
  });
});
