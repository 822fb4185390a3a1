/**
 * 100 MB through the gateway in each direction with flat memory: the body streams chunk by
 * chunk from client to upstream and back, never buffered. The route has neither retries nor a
 * mirror, so the gateway has no reason to keep the request body for replay.
 */
import { Readable } from 'node:stream';
import { setInterval as every } from 'node:timers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import type { GatewayConfig } from '@switchyard/gateway';
import { client, startGateway, startUpstream, type GatewayServer, type Upstream } from './harness.js';

const MB = 1024 * 1024;
const TOTAL = 100 * MB;
const CHUNK = 64 * 1024;
/** Far below the 100 MB that went through: buffering the body anywhere would exceed it. */
const GROWTH_BOUND = 64 * MB;

let upstream: Upstream;
let gw: GatewayServer;
const dispatcher = client(4);

beforeAll(async () => {
  upstream = await startUpstream((req, res) => {
    if (req.method === 'POST') {
      // Upload sink: counts bytes, keeps none.
      let n = 0;
      req.on('data', (c: Buffer) => (n += c.length));
      req.on('end', () => res.end(String(n)));
      return;
    }
    // Download source: `?bytes=N` generated chunk-wise with back-pressure, one reused buffer.
    const total = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('bytes'));
    const chunk = Buffer.alloc(CHUNK, 120);
    let sent = 0;
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    const pump = (): void => {
      while (sent < total) {
        const n = Math.min(CHUNK, total - sent);
        sent += n;
        if (!res.write(n === CHUNK ? chunk : chunk.subarray(0, n))) return void res.once('drain', pump);
      }
      res.end();
    };
    pump();
  });
  const config: GatewayConfig = {
    routes: [{ name: 'bulk', matches: [{ path: { type: 'PathPrefix', value: '/bulk' } }], backends: [{ upstream: 'store' }], timeoutMs: 0 }],
    upstreams: { store: { endpoints: [{ url: upstream.url }] } },
  };
  gw = await startGateway(config);
  // Warm up both paths (JIT, pools, sockets) so the baseline is not the cold start.
  await upload(4 * MB);
  await download(4 * MB);
});

afterAll(async () => {
  await dispatcher.close();
  await gw.close();
  await upstream.close();
});

async function upload(bytes: number): Promise<number> {
  const chunk = Buffer.alloc(CHUNK, 121);
  async function* body(): AsyncGenerator<Buffer> {
    for (let sent = 0; sent < bytes; sent += CHUNK) yield chunk;
  }
  const res = await request(`${gw.url}/bulk/upload`, { method: 'POST', body: Readable.from(body(), { objectMode: false }), dispatcher });
  expect(res.statusCode).toBe(200);
  return Number(await res.body.text());
}

async function download(bytes: number): Promise<{ bytes: number; chunks: number }> {
  const res = await request(`${gw.url}/bulk/download?bytes=${bytes}`, { dispatcher });
  expect(res.statusCode).toBe(200);
  let n = 0;
  let chunks = 0;
  for await (const c of res.body as AsyncIterable<Buffer>) {
    n += c.length;
    chunks++;
  }
  return { bytes: n, chunks };
}

/** Runs `work`, sampling memory throughout; returns the peak growth over the baseline. */
async function measure<T>(work: () => Promise<T>): Promise<{ result: T; rssGrowth: number; heapGrowth: number; buffersGrowth: number; samples: number }> {
  const before = process.memoryUsage();
  let peakRss = before.rss;
  let peakHeap = before.heapUsed;
  // Buffers live outside the JS heap: buffering a body shows here and in rss, not in heapUsed.
  let peakBuffers = before.arrayBuffers;
  let samples = 0;
  const sample = (): void => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
    peakBuffers = Math.max(peakBuffers, m.arrayBuffers);
    samples++;
  };
  const timer = every(sample, 5);
  try {
    const result = await work();
    sample();
    return { result, rssGrowth: peakRss - before.rss, heapGrowth: peakHeap - before.heapUsed, buffersGrowth: peakBuffers - before.arrayBuffers, samples };
  } finally {
    clearInterval(timer);
  }
}

describe('streaming through the gateway with flat memory', () => {
  it('upload - a 100 MB request body reaches the upstream whole, memory grows < 64 MB', async () => {
    const m = await measure(() => upload(TOTAL));
    expect(m.result).toBe(TOTAL);
    expect(m.samples).toBeGreaterThan(1);
    expect(m.heapGrowth).toBeLessThan(GROWTH_BOUND);
    expect(m.buffersGrowth).toBeLessThan(GROWTH_BOUND);
    expect(m.rssGrowth).toBeLessThan(GROWTH_BOUND);
  }, 60_000);

  it('download - a 100 MB response body reaches the client whole and in many chunks, memory grows < 64 MB', async () => {
    const m = await measure(() => download(TOTAL));
    expect(m.result.bytes).toBe(TOTAL);
    expect(m.result.chunks).toBeGreaterThan(100);
    expect(m.samples).toBeGreaterThan(1);
    expect(m.heapGrowth).toBeLessThan(GROWTH_BOUND);
    expect(m.buffersGrowth).toBeLessThan(GROWTH_BOUND);
    expect(m.rssGrowth).toBeLessThan(GROWTH_BOUND);
  }, 60_000);

  it('the route keeps no replay buffer: no retry policy and no mirror', () => {
    const route = gw.gateway.plan().routes.find((r) => r.name === 'bulk');
    expect(route?.needsReplay).toBe(false);
    // Every upload above went upstream as it came: one upstream request per client request.
    expect(upstream.requests()).toBe(4);
  });
});
