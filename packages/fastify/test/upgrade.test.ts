import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createGateway } from '@switchyard/gateway';
import { createUndiciTransport } from '@switchyard/transport-undici';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { attachUpgrade, switchyard } from '../src/index.js';
// The same upstreams, config and client helpers as the Express adapter's upgrade suite.
import { cleanups, configFor, deadUrl, echo, open, refusal, runCleanups, wsUpstream } from '../../express/test/ws-fixture.js';

afterEach(runCleanups);

/** A Fastify app proxying `/api` over HTTP through the plugin, with WebSocket upgrades on the same server. */
async function setup() {
  const a = await wsUpstream('a');
  const b = await wsUpstream('b');
  const gateway = createGateway(configFor(a.url, b.url, await deadUrl()), { transport: createUndiciTransport() });
  const app = Fastify();
  await app.register(switchyard, { gateway });
  const dispatcher = attachUpgrade(app, gateway);
  await app.listen({ port: 0, host: '127.0.0.1' });
  let closed = false;
  cleanups.push(async () => {
    if (!closed) await app.close();
    await gateway.stop();
  });
  const port = (app.server.address() as AddressInfo).port;
  return {
    url: `127.0.0.1:${port}`,
    app,
    gateway,
    dispatcher,
    a,
    b,
    close: async () => {
      closed = true;
      await app.close();
    },
  };
}

describe('@switchyard/fastify attachUpgrade - WebSocket through the gateway', () => {
  it('proxies messages through the matched route next to the plugin\'s HTTP proxying', async () => {
    const s = await setup();
    const ws = await open(`ws://${s.url}/ws/room`);
    expect(['a:hi', 'b:hi']).toContain(await echo(ws, 'hi'));
    expect([...s.a.paths, ...s.b.paths]).toEqual(['/socket/room']);
    const res = await fetch(`http://${s.url}/api/x`);
    expect(await res.text()).toMatch(/^http from [ab]$/);
  });

  it('least-request balances open connections and closing them frees the upstream sockets', async () => {
    const s = await setup();
    const c1 = await open(`ws://${s.url}/ws`);
    const c2 = await open(`ws://${s.url}/ws`);
    expect([await echo(c1, 'x'), await echo(c2, 'x')].sort()).toEqual(['a:x', 'b:x']);
    expect(s.dispatcher.active).toBe(2);
    const upstreamClosed = [...s.a.open, ...s.b.open].map((u) => once(u, 'close'));
    c1.close();
    c2.close();
    await Promise.all(upstreamClosed);
    expect(s.a.open.size + s.b.open.size).toBe(0);
  });

  it('answers 404 for an unrouted upgrade, 429 when limited and 502 for a refusing upstream', async () => {
    const s = await setup();
    expect(await refusal(`ws://${s.url}/nowhere`)).toMatchObject({ status: 404, body: { error: 'SY_NO_ROUTE' } });
    await open(`ws://${s.url}/limited`);
    expect(await refusal(`ws://${s.url}/limited`)).toMatchObject({ status: 429, body: { error: 'SY_RATE_LIMITED' } });
    const down = await refusal(`ws://${s.url}/down`);
    expect(down).toMatchObject({ status: 502, body: { error: 'SY_UPSTREAM_CONNECT' } });
    // Through the gateway's error formatter: a request id, and not the endpoint's address.
    expect(down.body).toHaveProperty('requestId');
    expect(JSON.stringify(down.body)).not.toContain('127.0.0.1');
  });

  it('a second attach on the same instance throws; fastify.close() detaches the dispatcher', async () => {
    const s = await setup();
    expect(() => attachUpgrade(s.app, s.gateway)).toThrow(/already has a switchyard upgrade dispatcher/);
    expect(s.app.server.listenerCount('upgrade')).toBe(1);
    await s.close();
    expect(s.app.server.listenerCount('upgrade')).toBe(0);
  });
});
