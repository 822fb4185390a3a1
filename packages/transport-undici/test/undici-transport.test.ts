import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupFunction } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CheckedRequest, createEndpoint, type TransportResult } from '@switchyard/core';
import { createTestClock } from '@switchyard/testing';
import { createUndiciTransport, type UndiciTransport } from '@switchyard/transport-undici';
import { controller, deadPort, never, readRequest, settle, startServer, text, type TestServer } from './helpers.js';

const servers: TestServer[] = [];
const transports: UndiciTransport[] = [];
function track<T extends TestServer>(s: T): T {
  servers.push(s);
  return s;
}
function transportWith(options: Parameters<typeof createUndiciTransport>[0] = {}): UndiciTransport {
  const t = createUndiciTransport(options);
  transports.push(t);
  return t;
}
afterEach(async () => {
  await Promise.all(transports.splice(0).map((t) => t.destroy()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

function response(result: TransportResult) {
  if (result.kind !== 'response') throw new Error(`expected a response, got ${result.error}: ${result.message}`);
  return result.response;
}
function failure(result: TransportResult) {
  if (result.kind !== 'error') throw new Error(`expected an error, got status ${result.response.status}`);
  return result;
}

describe('undici transport - requests and responses', () => {
  it('send - returns status, headers and a streamed body', async () => {
    const s = track(
      await startServer((req, res) => {
        res.setHeader('set-cookie', ['a=1', 'b=2']);
        res.setHeader('x-path', req.url ?? '');
        res.write('hello ');
        res.end('world');
      }),
    );
    const t = transportWith();
    const r = response(await t.send({ method: 'GET', path: '/a/b?c=d', headers: {} }, s.endpoint, { signal: never() }));
    expect(r.status).toBe(200);
    expect(r.headers['x-path']).toBe('/a/b?c=d');
    expect(r.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(typeof (r.body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]).toBe('function');
    expect(await text(r.body)).toBe('hello world');
  });

  it('send - drops connection-level response headers (connection, keep-alive, transfer-encoding)', async () => {
    const s = track(await startServer((_req, res) => res.end('x')));
    const r = response(await transportWith().send({ method: 'GET', path: '/', headers: {} }, s.endpoint, { signal: never() }));
    await text(r.body);
    expect(r.headers).not.toHaveProperty('connection');
    expect(r.headers).not.toHaveProperty('keep-alive');
    expect(r.headers).not.toHaveProperty('transfer-encoding');
  });

  it('send - passes a non-2xx status through as a response, not an error', async () => {
    const s = track(await startServer((_req, res) => res.writeHead(503, { 'retry-after': '3' }).end('busy')));
    const r = response(await transportWith().send({ method: 'GET', path: '/', headers: {} }, s.endpoint, { signal: never() }));
    expect(r.status).toBe(503);
    expect(r.headers['retry-after']).toBe('3');
    expect(await text(r.body)).toBe('busy');
  });

  it('send - a host header is sent as the Host; without one the endpoint authority is used', async () => {
    const s = track(await startServer((req, res) => res.end(req.headers.host)));
    const t = transportWith();
    const a = response(await t.send({ method: 'GET', path: '/', headers: { host: 'api.example.com' } }, s.endpoint, { signal: never() }));
    expect(await text(a.body)).toBe('api.example.com');
    const b = response(await t.send({ method: 'GET', path: '/', headers: {} }, s.endpoint, { signal: never() }));
    expect(await text(b.body)).toBe(`127.0.0.1:${s.port}`);
  });

  it('send - never forwards hop-by-hop request headers undici would reject', async () => {
    const s = track(await startServer((req, res) => res.end(JSON.stringify(req.headers))));
    const headers = {
      connection: 'x-secret, upgrade',
      'keep-alive': 'timeout=5',
      'transfer-encoding': 'chunked',
      upgrade: 'websocket',
      expect: '100-continue',
      'proxy-connection': 'keep-alive',
      'x-kept': 'yes',
    };
    const r = response(await transportWith().send({ method: 'POST', path: '/', headers, body: 'abc' }, s.endpoint, { signal: never() }));
    const seen = JSON.parse(await text(r.body)) as Record<string, string>;
    expect(seen['x-kept']).toBe('yes');
    for (const h of ['keep-alive', 'transfer-encoding', 'upgrade', 'expect', 'proxy-connection']) expect(seen).not.toHaveProperty(h);
    expect(seen['connection']).not.toContain('x-secret');
    expect(seen['content-length']).toBe('3');
  });

  it('send - a stale content-length on a bytes body is recomputed, not trusted', async () => {
    const s = track(await startServer(async (req, res) => res.end(`${req.headers['content-length']}:${await readRequest(req)}`)));
    const r = response(
      await transportWith().send({ method: 'PUT', path: '/', headers: { 'content-length': '99' }, body: new TextEncoder().encode('four') }, s.endpoint, {
        signal: never(),
      }),
    );
    expect(await text(r.body)).toBe('4:four');
  });

  it('send - streams an async-iterable request body (chunked without a length, framed with one)', async () => {
    const s = track(
      await startServer(async (req, res) => res.end(`${req.headers['transfer-encoding'] ?? '-'}|${req.headers['content-length'] ?? '-'}|${await readRequest(req)}`)),
    );
    async function* parts() {
      yield new TextEncoder().encode('ab');
      yield new TextEncoder().encode('cd');
    }
    const t = transportWith();
    const chunked = response(await t.send({ method: 'POST', path: '/', headers: {}, body: parts() }, s.endpoint, { signal: never() }));
    expect(await text(chunked.body)).toBe('chunked|-|abcd');
    const framed = response(await t.send({ method: 'POST', path: '/', headers: { 'content-length': '4' }, body: parts() }, s.endpoint, { signal: never() }));
    expect(await text(framed.body)).toBe('-|4|abcd');
  });
});

describe('undici transport - pooling', () => {
  it('pool - reuses one keep-alive socket for sequential requests', async () => {
    const s = track(await startServer((_req, res) => res.end('ok')));
    const t = transportWith({ connections: 1 });
    for (let i = 0; i < 5; i++) {
      const r = response(await t.send({ method: 'GET', path: '/', headers: {} }, s.endpoint, { signal: never() }));
      await text(r.body);
    }
    expect(s.accepted()).toBe(1);
    expect(t.stats()).toMatchObject([{ origin: s.url, connected: 1 }]);
  });

  it('pool - never opens more than `connections` sockets; the rest queue', async () => {
    const held: (() => void)[] = [];
    const s = track(await startServer((_req, res) => held.push(() => res.end('ok'))));
    const t = transportWith({ connections: 2 });
    const sends = Array.from({ length: 6 }, () => t.send({ method: 'GET', path: '/', headers: {} }, s.endpoint, { signal: never() }));
    expect(await settle(() => held.length === 2)).toBe(true);
    expect(s.accepted()).toBe(2);
    expect(t.stats()[0]).toMatchObject({ connected: 2, queued: 4 });
    // Release them one by one; every send completes over the same two sockets.
    const bodies: Promise<string>[] = [];
    let done = 0;
    while (done < 6) {
      expect(await settle(() => held.length > 0)).toBe(true);
      held.shift()!();
      done++;
    }
    for (const p of sends) bodies.push(p.then((r) => text(response(r).body)));
    expect(await Promise.all(bodies)).toEqual(Array(6).fill('ok'));
    expect(s.accepted()).toBe(2);
  });

  it('configureEndpoint - the endpoint cap sizes its own pool; an endpoint of the same origin without one keeps `connections`', async () => {
    const held: (() => void)[] = [];
    const s = track(await startServer((_req, res) => held.push(() => res.end('ok'))));
    const t = transportWith({ connections: 8 });
    const capped = createEndpoint({ url: s.url, id: 'capped' });
    expect(t.configureEndpoint(capped, { maxConnections: 2 })).toEqual({ kind: 'pooled', maxConnections: 2 });
    expect(t.configureEndpoint(s.endpoint, {})).toEqual({ kind: 'pooled', maxConnections: 8 });
    const sends = Array.from({ length: 5 }, () => t.send({ method: 'GET', path: '/', headers: {} }, capped, { signal: never() }));
    expect(await settle(() => held.length === 2)).toBe(true);
    expect(t.stats()).toMatchObject([{ origin: s.url, maxConnections: 2, connected: 2, queued: 3 }]);
    const other = t.send({ method: 'GET', path: '/', headers: {} }, s.endpoint, { signal: never() });
    expect(await settle(() => held.length === 3)).toBe(true);
    expect(s.accepted()).toBe(3);
    for (let done = 0; done < 6; done++) {
      expect(await settle(() => held.length > 0)).toBe(true);
      held.shift()!();
    }
    expect(await Promise.all([...sends, other].map((p) => p.then((r) => text(response(r).body))))).toEqual(Array(6).fill('ok'));
    expect(t.stats().map((x) => x.maxConnections)).toEqual([2, 8]);
  });

  it('evict - closes one origin pool; the next send opens a fresh one', async () => {
    const s = track(await startServer((_req, res) => res.end('ok')));
    const t = transportWith();
    await text(response(await t.send({ method: 'GET', path: '/', headers: {} }, s.endpoint, { signal: never() })).body);
    await t.evict(s.endpoint);
    expect(t.stats()).toEqual([]);
    await s.socketsAtMost(0);
    await text(response(await t.send({ method: 'GET', path: '/', headers: {} }, s.endpoint, { signal: never() })).body);
    expect(s.accepted()).toBe(2);
  });

  it('idle eviction - a pool unused for idlePoolTimeoutMs with nothing in flight is closed on a later send', async () => {
    const a = track(await startServer((_req, res) => res.end('a')));
    const b = track(await startServer((_req, res) => res.end('b')));
    const clock = createTestClock();
    const t = transportWith({ clock, idlePoolTimeoutMs: 1_000 });
    await text(response(await t.send({ method: 'GET', path: '/', headers: {} }, a.endpoint, { signal: never() })).body);
    clock.advance(500);
    await text(response(await t.send({ method: 'GET', path: '/', headers: {} }, b.endpoint, { signal: never() })).body);
    expect(t.stats().map((x) => x.origin)).toEqual([a.url, b.url].sort());
    clock.advance(1_000);
    await text(response(await t.send({ method: 'GET', path: '/', headers: {} }, b.endpoint, { signal: never() })).body);
    expect(t.stats().map((x) => x.origin)).toEqual([b.url]);
    await a.socketsAtMost(0);
  });

  it('close - later sends resolve to canceled without connecting', async () => {
    const s = track(await startServer((_req, res) => res.end('ok')));
    const t = transportWith();
    await t.close();
    const r = failure(await t.send({ method: 'GET', path: '/', headers: {} }, s.endpoint, { signal: never() }));
    expect(r.error).toBe('canceled');
    expect(r.message).toMatch(/closed/);
    expect(s.accepted()).toBe(0);
  });
});

describe('undici transport - cancellation', () => {
  it('abort before headers - resolves to canceled and closes the upstream socket', async () => {
    let reached!: () => void;
    const arrived = new Promise<void>((r) => (reached = r));
    const s = track(await startServer(() => reached()));
    const t = transportWith();
    const ac = controller();
    const pending = t.send({ method: 'GET', path: '/', headers: {} }, s.endpoint, { signal: ac.signal });
    await arrived;
    ac.abort();
    const r = failure(await pending);
    expect(r.error).toBe('canceled');
    await s.socketsAtMost(0);
    expect(await settle(() => t.stats()[0]?.connected === 0)).toBe(true);
    await settle(() => false, 200);
    expect(s.accepted()).toBe(1);
  });

  it('abort with a TimeoutError reason - resolves to timeout', async () => {
    let reached!: () => void;
    const arrived = new Promise<void>((r) => (reached = r));
    const s = track(await startServer(() => reached()));
    const ac = controller();
    const pending = transportWith().send({ method: 'GET', path: '/', headers: {} }, s.endpoint, { signal: ac.signal });
    await arrived;
    ac.abort(new DOMException('per-try timeout', 'TimeoutError'));
    expect(failure(await pending).error).toBe('timeout');
  });

  it('already-aborted signal - resolves to canceled without opening a connection', async () => {
    const s = track(await startServer((_req, res) => res.end('ok')));
    const ac = controller();
    ac.abort();
    expect(failure(await transportWith().send({ method: 'GET', path: '/', headers: {} }, s.endpoint, { signal: ac.signal })).error).toBe('canceled');
    expect(s.accepted()).toBe(0);
  });

  it('abort after headers - errors the body stream and closes the upstream socket', async () => {
    const s = track(
      await startServer((_req, res) => {
        res.writeHead(200);
        res.write('first');
      }),
    );
    const t = transportWith();
    const ac = controller();
    const r = response(await t.send({ method: 'GET', path: '/', headers: {} }, s.endpoint, { signal: ac.signal }));
    const it = (r.body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
    expect(Buffer.from((await it.next()).value as Uint8Array).toString()).toBe('first');
    ac.abort();
    await expect(it.next()).rejects.toThrow();
    await s.socketsAtMost(0);
    expect(await settle(() => t.stats()[0]?.connected === 0)).toBe(true);
    // Regression (nodejs/undici#5845): no replacement connection is opened for the aborted request.
    await settle(() => false, 200);
    expect(s.accepted()).toBe(1);
    expect(t.stats()[0]?.connected).toBe(0);
  });

  it('breaking out of the body loop - releases the upstream socket', async () => {
    const s = track(
      await startServer((_req, res) => {
        res.writeHead(200);
        res.write('first');
      }),
    );
    const t = transportWith();
    const r = response(await t.send({ method: 'GET', path: '/', headers: {} }, s.endpoint, { signal: never() }));
    for await (const _chunk of r.body as AsyncIterable<Uint8Array>) break;
    await s.socketsAtMost(0);
    expect(await settle(() => t.stats()[0]?.connected === 0)).toBe(true);
    await settle(() => false, 200);
    expect(s.accepted()).toBe(1);
  });

  it('request body source failing - resolves to canceled naming the body, not blaming the upstream', async () => {
    const s = track(await startServer((req) => req.resume()));
    async function* broken() {
      yield new TextEncoder().encode('partial');
      throw new Error('client went away');
    }
    const r = failure(await transportWith().send({ method: 'POST', path: '/', headers: {}, body: broken() }, s.endpoint, { signal: never() }));
    expect(r.error).toBe('canceled');
    expect(r.message).toMatch(/request body .*client went away/);
  });

  it("request body source failing - the source's own error is the result's cause (a size limit's 413 is read from it)", async () => {
    const s = track(await startServer((req) => req.resume()));
    const tooLarge = Object.assign(new Error('the request body is larger than 7 bytes'), { code: 'SY_BODY_TOO_LARGE' });
    async function* limited() {
      yield new TextEncoder().encode('partial');
      throw tooLarge;
    }
    const r = await transportWith().send({ method: 'POST', path: '/', headers: {}, body: limited() }, s.endpoint, { signal: never() });
    expect(r).toMatchObject({ kind: 'error', error: 'canceled' });
    expect((r as { cause?: unknown }).cause).toBe(tooLarge);
  });
});

describe('undici transport - network errors', () => {
  it('connection refused - resolves to connect with a message naming the address', async () => {
    const port = await deadPort();
    const r = failure(await transportWith().send({ method: 'GET', path: '/', headers: {} }, createEndpoint({ url: `http://127.0.0.1:${port}` }), { signal: never() }));
    expect(r.error).toBe('connect');
    expect(r.message).toContain(`127.0.0.1:${port}`);
    expect(r.message).toMatch(/ECONNREFUSED/);
  });

  it('no response headers within headersTimeoutMs - resolves to timeout', async () => {
    const s = track(await startServer(() => {}));
    const r = failure(await transportWith({ headersTimeoutMs: 50 }).send({ method: 'GET', path: '/', headers: {} }, s.endpoint, { signal: never() }));
    expect(r.error).toBe('timeout');
    expect(r.message).toMatch(/UND_ERR_HEADERS_TIMEOUT|Headers Timeout/i);
  });

  it('idleTimeoutMs per send - a response body silent for that long errors, whatever the transport default', async () => {
    const s = track(
      await startServer((_req, res) => {
        res.writeHead(200);
        res.write('first'); // then silence
      }),
    );
    const r = response(await transportWith({ bodyTimeoutMs: 300_000 }).send({ method: 'GET', path: '/', headers: {} }, s.endpoint, { signal: never(), idleTimeoutMs: 50 }));
    const it = (r.body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
    expect(Buffer.from((await it.next()).value as Uint8Array).toString()).toBe('first');
    await expect(it.next()).rejects.toThrow(/Body Timeout|UND_ERR_BODY_TIMEOUT/i);
  });

  it('upstream destroys the socket before answering - resolves to reset', async () => {
    const s = track(await startServer((req) => req.socket.destroy()));
    const r = failure(await transportWith().send({ method: 'GET', path: '/', headers: {} }, s.endpoint, { signal: never() }));
    expect(r.error).toBe('reset');
    expect(r.message).toContain(s.url);
  });

  it('upstream answers garbage - resolves to reset', async () => {
    const s = track(await startServer((req) => req.socket.end('NOT HTTP AT ALL\r\n\r\n')));
    expect(failure(await transportWith().send({ method: 'GET', path: '/', headers: {} }, s.endpoint, { signal: never() })).error).toBe('reset');
  });

  it('DNS failure - resolves to connect', async () => {
    const lookup: LookupFunction = (hostname, _options, callback) => {
      const err = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
      (callback as (e: Error) => void)(err);
    };
    const r = failure(
      await transportWith({ connect: { lookup } }).send({ method: 'GET', path: '/', headers: {} }, createEndpoint({ url: 'http://nowhere.test:80' }), {
        signal: never(),
      }),
    );
    expect(r.error).toBe('connect');
    expect(r.message).toMatch(/ENOTFOUND nowhere\.test/);
  });

  it('unsendable request (a header value, path or Host undici refuses) - resolves to invalid-request without opening a pool', async () => {
    const s = track(await startServer((_req, res) => res.end('ok')));
    const t = transportWith();
    const hostile = [
      { method: 'GET', path: '/', headers: { 'x-bad': 'a\r\nb' } },
      { method: 'GET', path: '/\u0101', headers: {} },
      { method: 'GET', path: '/', headers: { host: '[::1' } },
      { method: 'GE T', path: '/', headers: {} },
    ];
    for (const req of hostile) {
      const r = failure(await t.send(req, s.endpoint, { signal: never() }));
      expect(r.error).toBe('invalid-request');
      expect(r.message).not.toMatch(/\r|\u0101|\[::1/);
    }
    expect(t.stats()).toEqual([]);
    expect(s.accepted()).toBe(0);
  });

  it("a CheckedRequest (the rewriter's brand) skips the second pass but not the content-length digits; a plain copy of one is checked in full", async () => {
    const s = track(await startServer((_req, res) => res.end('ok')));
    const t = transportWith();
    // The brand is trusted for what its producer checked: a rewriter never builds this one.
    const branded = new CheckedRequest('GET', '/', { 'x-bad': 'a\r\nb' });
    // Its content-length is still checked (the rewriter leaves that rule to the sender).
    const badLength = failure(await t.send(new CheckedRequest('POST', '/', { 'content-length': '1e3' }, 'x'), s.endpoint, { signal: never() }));
    expect(badLength.error).toBe('invalid-request');
    // A layer that changes the request copies it: the copy is a plain object, checked in full.
    const copied = failure(await t.send({ ...branded, headers: { ...branded.headers, 'x-more': '1' } }, s.endpoint, { signal: never() }));
    expect(copied.error).toBe('invalid-request');
    expect(s.accepted()).toBe(0);
    const ok = response(await t.send(new CheckedRequest('GET', '/', { 'x-fine': 'yes' }), s.endpoint, { signal: never() }));
    expect(await text(ok.body)).toBe('ok');
  });

  it('regression: 1 000 unsendable requests then a legitimate one - the pool still answers and close() resolves', async () => {
    const s = track(await startServer((_req, res) => res.end('ok')));
    const t = createUndiciTransport({ connections: 4 });
    const results = await Promise.all(
      Array.from({ length: 1_000 }, (_, i) => t.send({ method: 'GET', path: i % 2 ? '/\u0001' : '/', headers: i % 2 ? {} : { host: '[::1' } }, s.endpoint, { signal: never() })),
    );
    expect(new Set(results.map((r) => (r.kind === 'error' ? r.error : r.kind)))).toEqual(new Set(['invalid-request']));
    const ok = response(await t.send({ method: 'GET', path: '/', headers: {} }, s.endpoint, { signal: never() }));
    expect(await text(ok.body)).toBe('ok');
    await t.close();
  });
});

// `localhost` resolution is the machine's: detect what it offers rather than skipping.
const localhostAddresses = await dnsLookup('localhost', { all: true });
const localhostHasV6 = localhostAddresses.some((a) => a.address === '::1');
const v6Loopback = await startServer(() => {}, '::1').then(
  async (s) => {
    await s.close();
    return true;
  },
  () => false,
);

/** A resolver that lists `localhost` as both families, in the given order. */
function dualStack(order: readonly ('::1' | '127.0.0.1')[]): LookupFunction {
  return ((_hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    const all = order.map((address) => ({ address, family: address === '::1' ? 6 : 4 }));
    if (options.all === true) callback(null, all);
    else callback(null, all[0]!.address, all[0]!.family);
  }) as unknown as LookupFunction;
}

describe('undici transport - dual-stack localhost', () => {
  it('localhost - reaches a server bound only to 127.0.0.1', async () => {
    const s = track(await startServer((_req, res) => res.end('v4'), '127.0.0.1'));
    const r = response(await transportWith().send({ method: 'GET', path: '/', headers: {} }, createEndpoint({ url: `http://localhost:${s.port}` }), { signal: never() }));
    expect(await text(r.body)).toBe('v4');
  });

  if (localhostHasV6 && v6Loopback) {
    it('localhost - reaches a server bound only to ::1 (this machine resolves localhost to ::1)', async () => {
      const s = track(await startServer((_req, res) => res.end('v6'), '::1'));
      const r = response(await transportWith().send({ method: 'GET', path: '/', headers: {} }, createEndpoint({ url: `http://localhost:${s.port}` }), { signal: never() }));
      expect(await text(r.body)).toBe('v6');
    });
  } else {
    it(`localhost - this machine resolves localhost to ${localhostAddresses.map((a) => a.address).join(', ')} only, so the system resolver path asserts IPv4 only`, () => {
      expect(localhostAddresses.every((a) => a.family === 4) || !v6Loopback).toBe(true);
    });
  }

  if (v6Loopback) {
    it('happy eyeballs - a resolver listing ::1 then 127.0.0.1 falls back to a server bound only to 127.0.0.1', async () => {
      const s = track(await startServer((_req, res) => res.end('v4'), '127.0.0.1'));
      const t = transportWith({ connect: { lookup: dualStack(['::1', '127.0.0.1']) } });
      const r = response(await t.send({ method: 'GET', path: '/', headers: {} }, createEndpoint({ url: `http://localhost:${s.port}` }), { signal: never() }));
      expect(await text(r.body)).toBe('v4');
    });

    it('happy eyeballs - a resolver listing 127.0.0.1 then ::1 falls back to a server bound only to ::1', async () => {
      const s = track(await startServer((_req, res) => res.end('v6'), '::1'));
      const t = transportWith({ connect: { lookup: dualStack(['127.0.0.1', '::1']) } });
      const r = response(await t.send({ method: 'GET', path: '/', headers: {} }, createEndpoint({ url: `http://localhost:${s.port}` }), { signal: never() }));
      expect(await text(r.body)).toBe('v6');
    });
  } else {
    it('happy eyeballs - IPv6 loopback is unavailable on this machine, so only the IPv4 address of a dual listing is asserted', async () => {
      const s = track(await startServer((_req, res) => res.end('v4'), '127.0.0.1'));
      const t = transportWith({ connect: { lookup: dualStack(['::1', '127.0.0.1']) } });
      const r = response(await t.send({ method: 'GET', path: '/', headers: {} }, createEndpoint({ url: `http://localhost:${s.port}` }), { signal: never() }));
      expect(await text(r.body)).toBe('v4');
    });
  }
});
