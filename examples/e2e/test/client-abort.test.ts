/**
 * A client that goes away mid-response must release the upstream socket (the http-proxy leak,
 * http-proxy-middleware #782): 1 000 clients each abort after the first body chunk of a
 * slowly streaming upstream; afterwards the upstream's open sockets, the transport's pool and
 * the process's active handles are back where they started.
 */
import { Readable } from 'node:stream';
import { setInterval as every } from 'node:timers';
import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import type { GatewayConfig } from '@switchyard/gateway';
import { client, startGateway, startUpstream, until, type GatewayServer, type Upstream } from './harness.js';

const ABORTS = 1_000;
const CONCURRENCY = 50;

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  // In push order: upstreams first, so nothing the gateway waits on outlives them.
  for (const c of cleanup) await c();
  cleanup = [];
});

function config(upstreamUrl: string): GatewayConfig {
  return {
    routes: [{ name: 'stream', matches: [{ path: { type: 'PathPrefix', value: '/' } }], backends: [{ upstream: 'slow' }], timeoutMs: 0 }],
    upstreams: { slow: { endpoints: [{ url: upstreamUrl }] } },
  };
}

/** `/short` answers at once; anything else sends headers and one chunk, then a chunk every 20 ms until the socket closes. */
async function slowStreamingUpstream(): Promise<Upstream> {
  return startUpstream((req, res) => {
    if (req.url === '/short') return void res.end('ok');
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('first chunk\n');
    const timer = every(() => res.write('more\n'), 20);
    res.once('close', () => clearInterval(timer));
  });
}

function activeResources(): number {
  return process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap').length;
}

/** One client request that reads the first body chunk, then aborts. Returns the first chunk. */
async function abortAfterFirstChunk(url: string, dispatcher: ReturnType<typeof client>): Promise<string> {
  const ac = new AbortController();
  const res = await request(url, { dispatcher, signal: ac.signal });
  const it = (res.body as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  const first = await it.next();
  ac.abort();
  await Promise.resolve(it.return?.()).catch(() => {});
  return first.done === true ? '' : String(first.value);
}

async function settle(up: Upstream, gw: GatewayServer, baseline: { upstreamSockets: number; poolConnected: number }, polls = 1_000): Promise<void> {
  await until(() => up.sockets.size <= baseline.upstreamSockets, () => `upstream sockets back to ${baseline.upstreamSockets} (open: ${up.sockets.size})`, polls);
  await until(() => gw.active() === 0, 'every gateway handler has finished', polls);
  await until(
    () => gw.transport.stats().every((s) => s.running === 0 && s.pending === 0 && s.queued === 0 && s.connected <= baseline.poolConnected),
    () => `transport pool back to baseline (${JSON.stringify(gw.transport.stats())})`,
    polls,
  );
}

describe('client abort mid-response releases the upstream socket', () => {
  it(`${ABORTS} clients aborting after the first chunk leave no upstream socket, pool connection or handle behind`, async () => {
    const up = await slowStreamingUpstream();
    const gw = await startGateway(config(up.url));
    const dispatcher = client(CONCURRENCY);
    cleanup.push(() => up.close(), () => gw.close(), () => dispatcher.destroy().catch(() => {}));

    // Warm-up: one complete request leaves one idle keep-alive socket, which is the baseline.
    const warm = await request(`${gw.url}/short`, { dispatcher });
    expect(await warm.body.text()).toBe('ok');
    await until(() => gw.active() === 0, 'warm-up handler finished');
    const baseline = { upstreamSockets: up.sockets.size, poolConnected: gw.transport.stats()[0]?.connected ?? 0 };
    expect(baseline).toEqual({ upstreamSockets: 1, poolConnected: 1 });
    const handlesBefore = activeResources();

    let done = 0;
    let firstChunks = 0;
    const worker = async (): Promise<void> => {
      while (done < ABORTS) {
        done++;
        if ((await abortAfterFirstChunk(`${gw.url}/stream`, dispatcher)).startsWith('first chunk\n')) firstChunks++;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    expect(firstChunks).toBe(ABORTS);

    await settle(up, gw, baseline);
    expect(up.sockets.size).toBeLessThanOrEqual(baseline.upstreamSockets);
    expect(up.requests()).toBe(ABORTS + 1);
    for (const s of gw.transport.stats()) expect(s).toMatchObject({ running: 0, pending: 0, queued: 0 });
    expect(gw.transport.stats()[0]?.connected ?? 0).toBeLessThanOrEqual(baseline.poolConnected);
    // Every downstream response: head written once, closed once, never finished (the client left).
    const streamed = gw.records.filter((r) => r.path === '/stream');
    expect(streamed).toHaveLength(ABORTS);
    expect(streamed.every((r) => r.writeHeads === 1 && r.closes === 1 && r.finishes === 0 && r.handlerErrors === 0)).toBe(true);
    // The client sockets are gone too; what remains is a handful of handles (servers, timers).
    await dispatcher.destroy();
    await until(() => activeResources() <= handlesBefore + 8, () => `active handles back near ${handlesBefore} (now ${process.getActiveResourcesInfo().join(',')})`, 1_000);
    expect(activeResources()).toBeLessThanOrEqual(handlesBefore + 8);
  }, 60_000);

  it('200 clients aborting mid-upload leave no upstream socket or pool connection behind', async () => {
    // The upstream reads the whole request body before answering; each client sends one chunk,
    // waits until the upstream has it, then aborts with the body unfinished.
    const gotData = new Set<string>();
    const up = await startUpstream((req, res) => {
      req.on('data', () => gotData.add(req.url ?? ''));
      req.on('end', () => res.end('complete'));
      req.on('error', () => {});
    });
    const gw = await startGateway(config(up.url));
    const dispatcher = client(20);
    cleanup.push(() => up.close(), () => gw.close(), () => dispatcher.destroy().catch(() => {}));
    const UPLOADS = 200;
    let next = 0;
    const one = async (): Promise<void> => {
      const ac = new AbortController();
      const path = `/upload/${next++}`;
      async function* body(): AsyncGenerator<Buffer> {
        yield Buffer.from('first part of a body that never ends');
        await until(() => gotData.has(path), `the upstream received the first chunk of ${path}`);
        ac.abort();
        await new Promise(() => {}); // never yields again
      }
      await request(`${gw.url}${path}`, { method: 'POST', body: Readable.from(body()), dispatcher, signal: ac.signal }).then(
        () => {
          throw new Error('an aborted upload got a response');
        },
        () => {},
      );
    };
    for (let i = 0; i < UPLOADS; i += 20) await Promise.all(Array.from({ length: 20 }, one));
    expect(up.requests()).toBe(UPLOADS);
    expect(gotData.size).toBe(UPLOADS);
    await settle(up, gw, { upstreamSockets: 0, poolConnected: 0 });
    expect(up.sockets.size).toBe(0);
    expect(gw.records.every((r) => r.closes === 1 && r.handlerErrors === 0)).toBe(true);
  }, 30_000);

  // Regression: once response headers arrived, forward() used to drop its client-abort listener,
  // and writeNodeResponse only noticed the client's 'close' after the next upstream chunk, so an
  // upstream that went silent mid-body kept its socket until the 300 s body timeout. forward()
  // now keeps the client's signal tied to the winning try until its body ends (tieBody).
  it('regression: a client aborting while the upstream is silent (first chunk, then nothing) releases the upstream socket', async () => {
    // The upstream sends one chunk and then stalls with the connection open: nothing but the
    // client's abort can end this exchange before the transport's 300 s body timeout.
    const up = await startUpstream((req, res) => {
      if (req.url === '/short') return void res.end('ok');
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first chunk\n');
    });
    const gw = await startGateway(config(up.url));
    const dispatcher = client(10);
    cleanup.push(() => up.close(), () => gw.close(), () => dispatcher.destroy().catch(() => {}));
    const warm = await request(`${gw.url}/short`, { dispatcher });
    expect(await warm.body.text()).toBe('ok');
    await until(() => gw.active() === 0, 'warm-up handler finished');
    const baseline = { upstreamSockets: up.sockets.size, poolConnected: gw.transport.stats()[0]?.connected ?? 0 };

    await Promise.all(Array.from({ length: 10 }, () => abortAfterFirstChunk(`${gw.url}/stall`, dispatcher)));
    await until(() => gw.records.filter((r) => r.path === '/stall' && r.closes === 1).length === 10, 'every downstream response closed');
    // 300 polls is far beyond what the streaming case above needs per request.
    await settle(up, gw, baseline, 300);
    expect(up.sockets.size).toBeLessThanOrEqual(baseline.upstreamSockets);
  }, 30_000);
});
