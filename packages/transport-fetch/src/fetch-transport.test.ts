import { describe, expect, it } from 'vitest';
import { createAbortController, createEndpoint, type TransportResult } from '@switchyard/core';
import { createFetchTransport, type FetchInit, type FetchLike } from './fetch-transport.js';

const endpoint = createEndpoint({ url: 'http://10.0.0.7:8080' });
const never = () => createAbortController().signal;
const enc = new TextEncoder();
const dec = new TextDecoder();

/** A fake fetch that records each call and answers with `reply` (or rejects with its error). */
function fakeFetch(reply: (url: string, init: FetchInit) => Response | Promise<Response>) {
  const calls: { url: string; init: FetchInit }[] = [];
  const fetch: FetchLike = async (url, init) => {
    calls.push({ url, init });
    return reply(url, init);
  };
  return { fetch, calls };
}

async function bytes(body: unknown): Promise<string> {
  let out = '';
  for await (const c of body as AsyncIterable<Uint8Array>) out += dec.decode(c, { stream: true });
  return out;
}

async function readStream(stream: unknown): Promise<string> {
  if (stream === undefined || stream === null) return '';
  if (typeof stream === 'string') return stream;
  if (stream instanceof Uint8Array) return dec.decode(stream);
  const reader = (stream as ReadableStream<Uint8Array>).getReader();
  let out = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return out;
    out += dec.decode(value);
  }
}

function response(r: TransportResult) {
  if (r.kind !== 'response') throw new Error(`expected a response, got ${r.error}: ${r.message}`);
  return r.response;
}
function failure(r: TransportResult) {
  if (r.kind !== 'error') throw new Error(`expected an error, got ${r.response.status}`);
  return r;
}

/** A never-settling fetch that rejects with the signal's reason when aborted, as real ones do. */
const hangingFetch: FetchLike = (_url, init) =>
  new Promise((_resolve, reject) => init.signal?.addEventListener('abort', () => reject(init.signal?.reason), { once: true }));

describe('fetch transport - request mapping', () => {
  it('send - fetches endpoint url + path with method, filtered headers and manual redirects', async () => {
    const f = fakeFetch(() => new Response('ok'));
    const t = createFetchTransport({ fetch: f.fetch });
    await t.send(
      {
        method: 'DELETE',
        path: '/orders/7?expand=items',
        headers: { 'x-a': '1', connection: 'close', 'transfer-encoding': 'chunked', 'content-length': '3', host: 'api.example.com', te: 'trailers' },
      },
      endpoint,
      { signal: never() },
    );
    expect(f.calls).toHaveLength(1);
    const { url, init } = f.calls[0]!;
    expect(url).toBe('http://10.0.0.7:8080/orders/7?expand=items');
    expect(init.method).toBe('DELETE');
    expect(init.redirect).toBe('manual');
    expect(init.headers).toEqual({ 'x-a': '1', host: 'api.example.com' });
    expect(init.body).toBeUndefined();
    expect(init.duplex).toBeUndefined();
  });

  it('send - passes string and byte bodies as they are', async () => {
    const f = fakeFetch(() => new Response(null, { status: 204 }));
    const t = createFetchTransport({ fetch: f.fetch });
    await t.send({ method: 'POST', path: '/', headers: {}, body: 'text' }, endpoint, { signal: never() });
    await t.send({ method: 'PUT', path: '/', headers: {}, body: enc.encode('bytes') }, endpoint, { signal: never() });
    expect(f.calls[0]!.init.body).toBe('text');
    expect(dec.decode(f.calls[1]!.init.body as Uint8Array)).toBe('bytes');
  });

  it('send - streams an async-iterable body as a ReadableStream with duplex half', async () => {
    let received = '';
    const f = fakeFetch(async (_url, init) => {
      received = await readStream(init.body);
      return new Response('ok');
    });
    async function* parts() {
      yield enc.encode('ab');
      yield enc.encode('cd');
    }
    await createFetchTransport({ fetch: f.fetch }).send({ method: 'POST', path: '/', headers: {}, body: parts() }, endpoint, { signal: never() });
    expect(f.calls[0]!.init.duplex).toBe('half');
    expect(received).toBe('abcd');
  });

  it('send - merges extra init fields but keeps its own method, headers and signal', async () => {
    const f = fakeFetch(() => new Response('ok'));
    await createFetchTransport({ fetch: f.fetch, init: { cf: { cacheTtl: 0 }, method: 'PATCH' } }).send({ method: 'GET', path: '/', headers: {} }, endpoint, {
      signal: never(),
    });
    const init = f.calls[0]!.init as FetchInit & { cf?: unknown };
    expect(init.cf).toEqual({ cacheTtl: 0 });
    expect(init.method).toBe('GET');
  });

  it('send - an empty GET body is dropped; a non-empty one resolves to invalid-request', async () => {
    const f = fakeFetch(() => new Response('ok'));
    const t = createFetchTransport({ fetch: f.fetch });
    response(await t.send({ method: 'GET', path: '/', headers: {}, body: '' }, endpoint, { signal: never() }));
    expect(f.calls[0]!.init.body).toBeUndefined();
    expect(failure(await t.send({ method: 'GET', path: '/', headers: {}, body: 'x' }, endpoint, { signal: never() })).error).toBe('invalid-request');
  });

  it('send - a request fetch would refuse or change resolves to invalid-request without calling fetch', async () => {
    const f = fakeFetch(() => new Response('ok'));
    const t = createFetchTransport({ fetch: f.fetch });
    const hostile = [
      { method: 'TRACE', path: '/', headers: {} },
      { method: 'GET', path: '/a#frag', headers: {} },
      { method: 'GET', path: '/a\\b', headers: {} },
      { method: 'GET', path: '/', headers: { 'x-a': 'caf\u0101' } },
      { method: 'GET', path: '/', headers: { 'x-a': 'a\nb' } },
    ];
    for (const req of hostile) {
      const r = failure(await t.send(req, endpoint, { signal: never() }));
      expect(r.error).toBe('invalid-request');
    }
    expect(f.calls).toHaveLength(0);
  });
});

describe('fetch transport - response mapping', () => {
  it('send - returns status, headers with set-cookie kept apart, and a byte stream body', async () => {
    const headers = new Headers([
      ['content-type', 'text/plain'],
      ['set-cookie', 'a=1'],
      ['set-cookie', 'b=2'],
      ['connection', 'keep-alive'],
    ]);
    const f = fakeFetch(() => new Response('hello', { status: 201, headers }));
    const r = response(await createFetchTransport({ fetch: f.fetch }).send({ method: 'GET', path: '/', headers: {} }, endpoint, { signal: never() }));
    expect(r.status).toBe(201);
    expect(r.headers['content-type']).toBe('text/plain');
    expect(r.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(r.headers).not.toHaveProperty('connection');
    expect(await bytes(r.body)).toBe('hello');
  });

  it("regression: the fields the upstream's Connection names are dropped with it (RFC 9110 §7.6.1)", async () => {
    const headers = new Headers([
      ['connection', 'close, X-Secret'],
      ['x-secret', 'internal'],
      ['x-public', 'yes'],
    ]);
    const f = fakeFetch(() => new Response('ok', { headers }));
    const r = response(await createFetchTransport({ fetch: f.fetch }).send({ method: 'GET', path: '/', headers: {} }, endpoint, { signal: never() }));
    expect(r.headers).toEqual({ 'x-public': 'yes', 'content-type': 'text/plain;charset=UTF-8' });
  });

  it('send - a bodiless response (204) still yields an (empty) stream', async () => {
    const f = fakeFetch(() => new Response(null, { status: 204 }));
    const r = response(await createFetchTransport({ fetch: f.fetch }).send({ method: 'GET', path: '/', headers: {} }, endpoint, { signal: never() }));
    expect(r.status).toBe(204);
    expect(await bytes(r.body)).toBe('');
  });

  it('send - passes a 3xx through instead of following it', async () => {
    const f = fakeFetch(() => new Response(null, { status: 302, headers: { location: '/elsewhere' } }));
    const r = response(await createFetchTransport({ fetch: f.fetch }).send({ method: 'GET', path: '/', headers: {} }, endpoint, { signal: never() }));
    expect(r.status).toBe(302);
    expect(r.headers['location']).toBe('/elsewhere');
  });

  it('breaking out of the body loop - cancels the response stream', async () => {
    let canceled = false;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        c.enqueue(enc.encode('chunk'));
      },
      cancel() {
        canceled = true;
      },
    });
    const f = fakeFetch(() => new Response(stream));
    const r = response(await createFetchTransport({ fetch: f.fetch }).send({ method: 'GET', path: '/', headers: {} }, endpoint, { signal: never() }));
    for await (const _c of r.body as AsyncIterable<Uint8Array>) break;
    expect(canceled).toBe(true);
  });
});

describe('fetch transport - cancellation', () => {
  it('abort before headers - resolves to canceled and aborts the fetch signal', async () => {
    const f = fakeFetch(() => hangingFetch('', f.calls[0]!.init));
    const ac = createAbortController();
    const pending = createFetchTransport({ fetch: f.fetch }).send({ method: 'GET', path: '/', headers: {} }, endpoint, { signal: ac.signal });
    await Promise.resolve();
    ac.abort();
    expect(failure(await pending).error).toBe('canceled');
    expect(f.calls[0]!.init.signal?.aborted).toBe(true);
  });

  it('abort with a TimeoutError reason - resolves to timeout', async () => {
    const f = fakeFetch(() => hangingFetch('', f.calls[0]!.init));
    const ac = createAbortController();
    const pending = createFetchTransport({ fetch: f.fetch }).send({ method: 'GET', path: '/', headers: {} }, endpoint, { signal: ac.signal });
    await Promise.resolve();
    ac.abort(new DOMException('per-try timeout', 'TimeoutError'));
    expect(failure(await pending).error).toBe('timeout');
  });

  it('already-aborted signal - resolves to canceled without calling fetch', async () => {
    const f = fakeFetch(() => new Response('ok'));
    const ac = createAbortController();
    ac.abort();
    expect(failure(await createFetchTransport({ fetch: f.fetch }).send({ method: 'GET', path: '/', headers: {} }, endpoint, { signal: ac.signal })).error).toBe(
      'canceled',
    );
    expect(f.calls).toHaveLength(0);
  });

  it('abort after headers - aborts the signal fetch was given, which errors the body', async () => {
    const f = fakeFetch((_url, init) => {
      const stream = new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(enc.encode('first'));
          init.signal?.addEventListener('abort', () => c.error(init.signal?.reason));
        },
      });
      return new Response(stream);
    });
    const ac = createAbortController();
    const r = response(await createFetchTransport({ fetch: f.fetch }).send({ method: 'GET', path: '/', headers: {} }, endpoint, { signal: ac.signal }));
    const it = (r.body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
    expect(dec.decode((await it.next()).value as Uint8Array)).toBe('first');
    ac.abort();
    await expect(it.next()).rejects.toBeDefined();
  });

  it('close - later sends resolve to canceled without calling fetch', async () => {
    const f = fakeFetch(() => new Response('ok'));
    const t = createFetchTransport({ fetch: f.fetch });
    await t.close();
    expect(failure(await t.send({ method: 'GET', path: '/', headers: {} }, endpoint, { signal: never() })).error).toBe('canceled');
    expect(f.calls).toHaveLength(0);
  });

  it('request body source failing - resolves to canceled naming the body', async () => {
    const f = fakeFetch(async (_url, init) => {
      await readStream(init.body);
      return new Response('unreachable');
    });
    async function* broken() {
      yield enc.encode('partial');
      throw new Error('client went away');
    }
    const r = failure(await createFetchTransport({ fetch: f.fetch }).send({ method: 'POST', path: '/', headers: {}, body: broken() }, endpoint, { signal: never() }));
    expect(r.error).toBe('canceled');
    expect(r.message).toMatch(/request body .*client went away/);
  });

  it("request body source failing - the source's own error is the result's cause (a size limit's 413 is read from it)", async () => {
    const f = fakeFetch(async (_url, init) => {
      await readStream(init.body);
      return new Response('unreachable');
    });
    const tooLarge = Object.assign(new Error('the request body is larger than 7 bytes'), { code: 'SY_BODY_TOO_LARGE' });
    async function* limited() {
      yield enc.encode('partial');
      throw tooLarge;
    }
    const r = await createFetchTransport({ fetch: f.fetch }).send({ method: 'POST', path: '/', headers: {}, body: limited() }, endpoint, { signal: never() });
    expect(r).toMatchObject({ kind: 'error', error: 'canceled' });
    expect((r as { cause?: unknown }).cause).toBe(tooLarge);
  });
});

describe('fetch transport - error kinds', () => {
  const coded = (code: string, message: string) => new TypeError('fetch failed', { cause: Object.assign(new Error(message), { code }) });
  const cases: [string, unknown, 'connect' | 'reset' | 'timeout' | 'canceled'][] = [
    ['Node fetch, ECONNREFUSED cause', coded('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.7:8080'), 'connect'],
    ['Node fetch, ENOTFOUND cause', coded('ENOTFOUND', 'getaddrinfo ENOTFOUND upstream'), 'connect'],
    ['Node fetch, UND_ERR_CONNECT_TIMEOUT cause', coded('UND_ERR_CONNECT_TIMEOUT', 'Connect Timeout Error'), 'connect'],
    ['Node fetch, UND_ERR_SOCKET cause', coded('UND_ERR_SOCKET', 'other side closed'), 'reset'],
    ['Node fetch, ECONNRESET cause', coded('ECONNRESET', 'read ECONNRESET'), 'reset'],
    ['Node fetch, UND_ERR_HEADERS_TIMEOUT cause', coded('UND_ERR_HEADERS_TIMEOUT', 'Headers Timeout Error'), 'timeout'],
    ['Workers, connection lost', new TypeError('Network connection lost.'), 'reset'],
    ['Deno, connection reset', new TypeError('error sending request: connection reset by peer'), 'reset'],
    ['Deno, connection refused', new TypeError('error sending request: Connection refused (os error 111)'), 'connect'],
    ['Bun, unable to connect', new TypeError('Unable to connect. Is the computer able to access the url?'), 'connect'],
    ['a bare fetch failed', new TypeError('fetch failed'), 'connect'],
    ['a TimeoutError rejection', new DOMException('The operation timed out.', 'TimeoutError'), 'timeout'],
  ];
  for (const [name, error, kind] of cases) {
    it(`fetch rejecting (${name}) - resolves to ${kind}`, async () => {
      const t = createFetchTransport({ fetch: () => Promise.reject(error) });
      const r = failure(await t.send({ method: 'GET', path: '/', headers: {} }, endpoint, { signal: never() }));
      expect(r.error).toBe(kind);
      expect(r.message).toContain('http://10.0.0.7:8080');
      expect(r.cause).toBe(error);
    });
  }
});
