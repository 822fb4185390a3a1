/**
 * Real-HTTP tests of `@switchyard/transport-fetch` over Node's global fetch. They live here
 * because transport-fetch is runtime-neutral down to its tests (no node:http servers there);
 * the relative import keeps the layer rule that transport-undici's sources never import it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createEndpoint, type TransportResult } from '@switchyard/core';
import { createFetchTransport } from '@switchyard/transport-fetch';
import { controller, deadPort, never, readRequest, startServer, text, type TestServer } from './helpers.js';

const servers: TestServer[] = [];
async function server(...args: Parameters<typeof startServer>): Promise<TestServer> {
  const s = await startServer(...args);
  servers.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

function response(r: TransportResult) {
  if (r.kind !== 'response') throw new Error(`expected a response, got ${r.error}: ${r.message}`);
  return r.response;
}
function failure(r: TransportResult) {
  if (r.kind !== 'error') throw new Error(`expected an error, got ${r.response.status}`);
  return r;
}

describe('fetch transport over real HTTP (Node fetch)', () => {
  it('download - streams a 10 MB body chunk by chunk', async () => {
    const TOTAL = 10 * 1024 * 1024;
    const s = await server((_req, res) => {
      const chunk = Buffer.alloc(64 * 1024, 97);
      let sent = 0;
      const pump = () => {
        while (sent < TOTAL) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    const r = response(await createFetchTransport().send({ method: 'GET', path: '/', headers: {} }, s.endpoint, { signal: never() }));
    let n = 0;
    let chunks = 0;
    for await (const c of r.body as AsyncIterable<Uint8Array>) {
      n += c.byteLength;
      chunks++;
    }
    expect(n).toBe(TOTAL);
    expect(chunks).toBeGreaterThan(1);
  });

  it('upload - streams an async-iterable body (duplex half, chunked)', async () => {
    const s = await server(async (req, res) => res.end(`${req.headers['transfer-encoding']}|${(await readRequest(req)).length}`));
    async function* parts() {
      for (let i = 0; i < 64; i++) yield new Uint8Array(16 * 1024).fill(98);
    }
    const r = response(await createFetchTransport().send({ method: 'POST', path: '/', headers: { 'content-length': '1' }, body: parts() }, s.endpoint, { signal: never() }));
    expect(await text(r.body)).toBe(`chunked|${64 * 16 * 1024}`);
  });

  it('host header - fetch cannot override Host: the endpoint authority is sent (a documented limit)', async () => {
    const s = await server((req, res) => res.end(req.headers.host));
    const r = response(await createFetchTransport().send({ method: 'GET', path: '/', headers: { host: 'api.example.com' } }, s.endpoint, { signal: never() }));
    expect(await text(r.body)).toBe(`127.0.0.1:${s.port}`);
  });

  it('abort before headers - resolves to canceled and closes the upstream socket', async () => {
    let reached!: () => void;
    const arrived = new Promise<void>((r) => (reached = r));
    const s = await server(() => reached());
    const ac = controller();
    const pending = createFetchTransport().send({ method: 'GET', path: '/', headers: {} }, s.endpoint, { signal: ac.signal });
    await arrived;
    const socket = [...s.sockets][0]!;
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    ac.abort();
    expect(failure(await pending).error).toBe('canceled');
    await closed;
  });

  it('abort after headers - errors the body and closes the upstream socket', async () => {
    const s = await server((_req, res) => {
      res.writeHead(200);
      res.write('first');
    });
    const ac = controller();
    const r = response(await createFetchTransport().send({ method: 'GET', path: '/', headers: {} }, s.endpoint, { signal: ac.signal }));
    const it = (r.body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
    expect(Buffer.from((await it.next()).value as Uint8Array).toString()).toBe('first');
    const socket = [...s.sockets][0]!;
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    ac.abort();
    await expect(it.next()).rejects.toBeDefined();
    await closed;
  });

  it('connection refused - resolves to connect naming the address', async () => {
    const port = await deadPort();
    const r = failure(await createFetchTransport().send({ method: 'GET', path: '/', headers: {} }, createEndpoint({ url: `http://127.0.0.1:${port}` }), { signal: never() }));
    expect(r.error).toBe('connect');
    expect(r.message).toContain(`127.0.0.1:${port}`);
  });

  it('upstream destroys the socket before answering - resolves to reset', async () => {
    const s = await server((req) => req.socket.destroy());
    expect(failure(await createFetchTransport().send({ method: 'GET', path: '/', headers: {} }, s.endpoint, { signal: never() })).error).toBe('reset');
  });
});
