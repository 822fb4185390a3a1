/**
 * The real-HTTP acceptance tests: 100 MB through with flat memory, 1 000 client aborts
 * without a socket leak, and an upstream dying under load without crashing anything.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import type { TransportResult } from '@switchyard/core';
import { createUndiciTransport, type UndiciTransport } from '@switchyard/transport-undici';
import { controller, never, settle, startServer, type TestServer } from './helpers.js';

const MB = 1024 * 1024;
const TOTAL = 100 * MB;
const CHUNK = 64 * 1024;
/** Growth allowed while 100 MB streams through: far below the 100 MB a buffering transport would need. */
const MEMORY_BOUND = 50 * MB;

const servers: TestServer[] = [];
const transports: UndiciTransport[] = [];
afterEach(async () => {
  await Promise.all(transports.splice(0).map((t) => t.destroy()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/**
 * A full GC, when the runtime lets us turn it on (vitest runs without --expose-gc). With it the
 * probe measures what is retained, not garbage waiting for collection.
 */
const gc: (() => void) | undefined = (() => {
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
})();

/** Heap plus off-heap buffers: a body held in memory shows up in one or the other. */
function used(): number {
  gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** Records the peak of {@link used} above the starting point, sampled every `every` chunks (16 MiB). */
function memoryProbe(every = 256) {
  const start = used();
  let peak = 0;
  let n = 0;
  return {
    sample() {
      if (++n % every === 0) peak = Math.max(peak, used() - start);
    },
    peak: () => peak,
  };
}

/** `bytes` of payload as 64 KiB chunks (one reused buffer: the source itself holds nothing). */
async function* payload(bytes: number, onChunk: () => void = () => {}): AsyncGenerator<Uint8Array> {
  const chunk = new Uint8Array(CHUNK).fill(120);
  for (let sent = 0; sent < bytes; sent += CHUNK) {
    onChunk();
    yield sent + CHUNK <= bytes ? chunk : chunk.subarray(0, bytes - sent);
  }
}

/** A server that streams `TOTAL` bytes on GET (honouring backpressure) and counts bytes on POST. */
async function bulkServer(): Promise<TestServer> {
  const s = await startServer((req, res) => {
    if (req.method === 'GET') {
      const chunk = Buffer.alloc(CHUNK, 121);
      let sent = 0;
      res.writeHead(200, { 'content-length': String(TOTAL) });
      const pump = () => {
        while (sent < TOTAL) {
          sent += CHUNK;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
      return;
    }
    let received = 0;
    req.on('data', (c: Buffer) => (received += c.length));
    req.on('end', () => res.end(String(received)));
  });
  servers.push(s);
  return s;
}

function transport(options: Parameters<typeof createUndiciTransport>[0] = {}): UndiciTransport {
  const t = createUndiciTransport(options);
  transports.push(t);
  return t;
}

function response(result: TransportResult) {
  if (result.kind !== 'response') throw new Error(`expected a response, got ${result.error}: ${result.message}`);
  return result.response;
}

async function count(body: unknown, onChunk: () => void = () => {}): Promise<number> {
  let n = 0;
  for await (const c of body as AsyncIterable<Uint8Array>) {
    n += c.byteLength;
    onChunk();
  }
  return n;
}

describe('undici transport - 100 MB with flat memory', () => {
  it(`download - streams 100 MB while memory grows less than ${MEMORY_BOUND / MB} MB`, async () => {
    const s = await bulkServer();
    const probe = memoryProbe();
    const r = response(await transport().send({ method: 'GET', path: '/', headers: {} }, s.endpoint, { signal: never() }));
    expect(await count(r.body, probe.sample)).toBe(TOTAL);
    expect(probe.peak()).toBeLessThan(MEMORY_BOUND);
  });

  it(`upload - streams 100 MB while memory grows less than ${MEMORY_BOUND / MB} MB`, async () => {
    const s = await bulkServer();
    const probe = memoryProbe();
    const r = response(await transport().send({ method: 'POST', path: '/', headers: {}, body: payload(TOTAL, probe.sample) }, s.endpoint, { signal: never() }));
    let echoed = '';
    for await (const c of r.body as AsyncIterable<Uint8Array>) echoed += Buffer.from(c).toString();
    expect(Number(echoed)).toBe(TOTAL);
    expect(probe.peak()).toBeLessThan(MEMORY_BOUND);
  });

  it(`proxy - pipes a 100 MB download into an upload, memory growing less than ${MEMORY_BOUND / MB} MB`, async () => {
    const source = await bulkServer();
    const sink = await bulkServer();
    const t = transport();
    const probe = memoryProbe();
    const down = response(await t.send({ method: 'GET', path: '/', headers: {} }, source.endpoint, { signal: never() }));
    async function* through() {
      for await (const c of down.body as AsyncIterable<Uint8Array>) {
        probe.sample();
        yield c;
      }
    }
    const up = response(await t.send({ method: 'POST', path: '/', headers: { 'content-length': String(TOTAL) }, body: through() }, sink.endpoint, { signal: never() }));
    let echoed = '';
    for await (const c of up.body as AsyncIterable<Uint8Array>) echoed += Buffer.from(c).toString();
    expect(Number(echoed)).toBe(TOTAL);
    expect(probe.peak()).toBeLessThan(MEMORY_BOUND);
  });
});

describe('undici transport - client aborts do not leak sockets', () => {
  it('1 000 aborts mid-response - server sockets and pool connections return to baseline, with no reconnects', async () => {
    const s = await startServer((_req, res) => {
      res.writeHead(200);
      res.write('partial');
    });
    servers.push(s);
    const t = transport({ connections: 50 });
    const baseline = s.sockets.size;
    const ABORTS = 1_000;
    const CONCURRENCY = 50;
    let done = 0;
    const worker = async () => {
      while (done < ABORTS) {
        done++;
        const ac = controller();
        const r = response(await t.send({ method: 'GET', path: '/', headers: {} }, s.endpoint, { signal: ac.signal }));
        const it = (r.body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
        await it.next();
        ac.abort();
        await it.next().then(
          () => expect.unreachable('the body must error after abort'),
          () => {},
        );
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    await s.socketsAtMost(baseline);
    expect(await settle(() => (t.stats()[0]?.connected ?? 0) === 0)).toBe(true);
    // One connection per request, none opened for an already-aborted request (nodejs/undici#5845).
    await settle(() => false, 500);
    expect(s.accepted()).toBe(ABORTS);
    expect(s.sockets.size).toBe(baseline);
    expect(t.stats()[0]).toMatchObject({ connected: 0, running: 0, pending: 0, queued: 0 });
  });
});

describe('undici transport - an upstream dying under load', () => {
  it('every send resolves to a value and every body settles when the upstream kills all connections mid-load', async () => {
    let started = 0;
    let killed!: () => void;
    const dead = new Promise<void>((r) => (killed = r));
    const s = await startServer((req, res) => {
      started++;
      req.resume();
      res.writeHead(200);
      res.write('x'.repeat(1024));
      // Half the requests are mid-body, the rest queued or connecting, when the upstream dies
      // for good: every connection destroyed and the listener closed (later connects are refused).
      if (started === 40) {
        setImmediate(() => {
          s.server.close();
          s.server.closeAllConnections();
          for (const socket of s.sockets) socket.destroy();
          killed();
        });
      }
    });
    servers.push(s);
    const problems: unknown[] = [];
    const onProblem = (e: unknown) => problems.push(e);
    process.on('uncaughtException', onProblem);
    process.on('unhandledRejection', onProblem);
    try {
      const t = transport({ connections: 64 });
      const outcomes = await Promise.all(
        Array.from({ length: 200 }, async (_, i) => {
          const result = await t.send(
            { method: 'POST', path: `/${i}`, headers: {}, body: payload(256 * 1024) },
            s.endpoint,
            { signal: never() },
          );
          if (result.kind === 'error') return result.error;
          try {
            await count(result.response.body);
            return 'complete';
          } catch {
            return 'body-error';
          }
        }),
      );
      await dead;
      expect(outcomes).toHaveLength(200);
      for (const o of outcomes) expect(['complete', 'body-error', 'reset', 'connect']).toContain(o);
      // Mid-body requests see their body error; those sent after the listener closed see `connect`.
      expect(outcomes.filter((o) => o === 'body-error').length).toBeGreaterThan(0);
      expect(outcomes.filter((o) => o === 'connect').length).toBeGreaterThan(0);
      expect(problems).toEqual([]);
    } finally {
      process.off('uncaughtException', onProblem);
      process.off('unhandledRejection', onProblem);
    }
  });
});
