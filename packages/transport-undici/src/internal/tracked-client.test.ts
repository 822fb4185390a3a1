import { createServer, type Server } from 'node:http';
import { Pool, type Dispatcher } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { SendHandler } from './send-handler.js';
import { trackedFactory } from './tracked-client.js';

const servers: Server[] = [];
const pools: Pool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.destroy()));
  const closing = servers.splice(0);
  for (const s of closing) s.closeAllConnections();
  await Promise.all(closing.map((s) => new Promise((r) => s.close(r))));
});

async function server(): Promise<string> {
  const s = createServer((_req, res) => res.end('ok'));
  servers.push(s);
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const a = s.address();
  if (a === null || typeof a === 'string') throw new Error('no address');
  return `http://127.0.0.1:${a.port}`;
}

/** Dispatches one request on the pool; resolves with its status, or the error undici reported. */
function send(pool: Pool, opts: Dispatcher.DispatchOptions): Promise<number | Error> {
  return new Promise((resolve) => {
    const handler = new SendHandler({
      onResponse(status, _headers, body) {
        body.destroy();
        resolve(status);
      },
      onFailure: (err) => resolve(err as Error),
    });
    pool.dispatch(opts, handler as unknown as Dispatcher.DispatchHandler);
  });
}

describe('TrackedClient - refused dispatches', () => {
  // Regression (issue #17): each refusal returned false from Client.dispatch, the Pool marked
  // that client as needing a drain that never came, and after `connections` refusals the pool
  // queued every later request forever and close() never resolved.
  it('a refused request (invalid path, header or Host) leaves the pool usable and closable', async () => {
    const url = await server();
    const pool = new Pool(url, { connections: 2, factory: trackedFactory });
    pools.push(pool);
    const refused = await Promise.all([
      ...Array.from({ length: 20 }, () => send(pool, { method: 'GET', path: '/a\u0001', headers: {} })),
      ...Array.from({ length: 20 }, () => send(pool, { method: 'GET', path: '/', headers: { host: '[::1' } })),
      ...Array.from({ length: 20 }, () => send(pool, { method: 'GET', path: '/', headers: { 'x-a': 'caf\u0101' } })),
    ]);
    for (const r of refused) expect(r).toBeInstanceOf(Error);
    expect(await send(pool, { method: 'GET', path: '/ok', headers: {} })).toBe(200);
    await pool.close();
  });

  it('genuine back-pressure is still reported (pipelining full), and the queued requests complete', async () => {
    const url = await server();
    const pool = new Pool(url, { connections: 1, pipelining: 1, factory: trackedFactory });
    pools.push(pool);
    const statuses = await Promise.all(Array.from({ length: 10 }, () => send(pool, { method: 'GET', path: '/', headers: {} })));
    expect(statuses).toEqual(Array.from({ length: 10 }, () => 200));
    await pool.close();
  });
});
