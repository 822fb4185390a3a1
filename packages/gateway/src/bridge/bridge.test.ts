import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromFetchRequest, toFetchResponse } from './fetch.js';
import { clientAbortSignal, fromNodeRequest, writeNodeResponse, type NodeRequestLike, type NodeResponseLike } from './node.js';
import { lowerCased, upperCased } from '../request-shape.js';

/** Lets pending promise continuations run (no timers: the bridge is driven by events). */
async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

function nodeRequest(init: Partial<NodeRequestLike> & { chunks?: string[] }): NodeRequestLike {
  const chunks = init.chunks ?? [];
  return {
    method: init.method,
    url: init.url,
    headers: init.headers ?? {},
    socket: init.socket,
    readableEnded: init.readableEnded,
    async *[Symbol.asyncIterator]() {
      for (const c of chunks) yield new TextEncoder().encode(c);
    },
  };
}

/** A ServerResponse stand-in that records what was written and can apply back-pressure. */
function nodeResponse(opts: { highWater?: number } = {}) {
  const listeners = new Map<string, Set<(...a: unknown[]) => void>>();
  const written: string[] = [];
  const state = { status: 0, headers: {} as Record<string, string | string[]>, ended: false, destroyed: false, buffered: 0 };
  const emit = (event: string): void => {
    for (const fn of [...(listeners.get(event) ?? [])]) fn();
  };
  const res: NodeResponseLike & { emit: typeof emit; written: string[]; state: typeof state } = {
    get headersSent() {
      return state.status !== 0;
    },
    get writableEnded() {
      return state.ended;
    },
    get writableFinished() {
      return state.ended;
    },
    get destroyed() {
      return state.destroyed;
    },
    writeHead(status, headers) {
      state.status = status;
      state.headers = headers;
      return res;
    },
    write(chunk) {
      written.push(typeof chunk === 'string' ? chunk : new TextDecoder().decode(chunk));
      state.buffered++;
      return opts.highWater === undefined || state.buffered < opts.highWater;
    },
    end(chunk) {
      if (chunk !== undefined) written.push(typeof chunk === 'string' ? chunk : new TextDecoder().decode(chunk));
      state.ended = true;
      emit('close');
      return res;
    },
    once(event, fn) {
      const set = listeners.get(event) ?? new Set();
      const wrapped = (...a: unknown[]): void => {
        set.delete(wrapped);
        fn(...a);
      };
      (wrapped as { original?: unknown }).original = fn;
      set.add(wrapped);
      listeners.set(event, set);
      return res;
    },
    removeListener(event, fn) {
      for (const w of listeners.get(event) ?? []) if ((w as { original?: unknown }).original === fn) listeners.get(event)?.delete(w);
      return res;
    },
    destroy() {
      state.destroyed = true;
      emit('close');
      return res;
    },
    emit,
    written,
    state,
  };
  return res;
}

/** A Node-style source (what transport-undici returns): pipe, once('error'), destroy. */
function pipeSource() {
  let onError: ((e: unknown) => void) | undefined;
  let dest: NodeResponseLike | undefined;
  const src = {
    destroyed: false,
    async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {},
    pipe(d: NodeResponseLike) {
      dest = d;
      return d;
    },
    once(_event: 'error', fn: (e: unknown) => void) {
      onError = fn;
      return src;
    },
    removeListener() {
      onError = undefined;
      return src;
    },
    destroy() {
      src.destroyed = true;
      return src;
    },
    fail: (e: unknown) => onError?.(e),
    dest: () => dest,
  };
  return src;
}

describe('node bridge', () => {
  it('pipes a Node-style body: the response ending resolves, the body untouched', async () => {
    const res = nodeResponse();
    const body = pipeSource();
    const done = writeNodeResponse(res, { status: 200, headers: { 'content-type': 'text/plain' }, body });
    expect(body.dest()).toBe(res);
    res.end('whole');
    await done;
    expect(body.destroyed).toBe(false);
    expect(res.state.status).toBe(200);
  });

  it('pipe path: the client leaving first destroys the body (the upstream socket is released)', async () => {
    const res = nodeResponse();
    const body = pipeSource();
    const done = writeNodeResponse(res, { status: 200, headers: {}, body });
    res.destroy();
    await done;
    expect(body.destroyed).toBe(true);
  });

  it('pipe path: the body failing first destroys the response', async () => {
    const res = nodeResponse();
    const body = pipeSource();
    const done = writeNodeResponse(res, { status: 200, headers: {}, body });
    body.fail(new Error('upstream reset'));
    await done;
    expect(res.state.destroyed).toBe(true);
  });

  it('writeHead gets the headers object itself unless a value is undefined', async () => {
    const headers = { a: '1', b: ['2', '3'] };
    const res = nodeResponse();
    await writeNodeResponse(res, { status: 204, headers, body: null });
    expect(res.state.headers).toBe(headers);
    const res2 = nodeResponse();
    await writeNodeResponse(res2, { status: 204, headers: { a: '1', gone: undefined }, body: null });
    expect(res2.state.headers).toEqual({ a: '1' });
  });

  it('reads method, path, query, authority, scheme and client address without copying headers', () => {
    const headers = { host: 'API.example.com', 'x-a': '1' };
    const req = fromNodeRequest(nodeRequest({ method: 'get', url: '/a/b?x=1&y', headers, socket: { remoteAddress: '10.1.2.3', encrypted: true } }));
    expect(req).toMatchObject({ method: 'GET', path: '/a/b', query: 'x=1&y', authority: 'api.example.com', scheme: 'https', clientAddress: '10.1.2.3' });
    expect(req.headers).toBe(headers);
    expect(req.body).toBeUndefined();
  });

  it('folds case exactly as toUpperCase/toLowerCase do, and returns an already-folded string itself', () => {
    const text = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.constantFrom('GET', 'get', 'api.example.com:8080', 'Straße', 'İ', 'ǅ'));
    fc.assert(
      fc.property(text, (s) => {
        expect(upperCased(s)).toBe(s.toUpperCase());
        expect(lowerCased(s)).toBe(s.toLowerCase());
      }),
      { numRuns: 2000 },
    );
    const host = 'api.example.com:8080';
    expect(lowerCased(host)).toBe(host);
    expect(upperCased('PATCH')).toBe('PATCH');
  });

  it('streams the body only when there is one and it has not been consumed', () => {
    const withBody = nodeRequest({ method: 'POST', url: '/', headers: { 'content-length': '3' }, chunks: ['abc'] });
    expect(fromNodeRequest(withBody).body).toBe(withBody);
    const consumed = nodeRequest({ method: 'POST', url: '/', headers: { 'content-length': '3' }, readableEnded: true });
    expect(fromNodeRequest(consumed).body).toBeUndefined();
  });

  it('joins repeated header values', () => {
    const req = fromNodeRequest(nodeRequest({ url: '/', headers: { 'x-many': ['a', 'b'], cookie: ['c=1', 'd=2'] } }));
    expect(req.headers['x-many']).toBe('a, b');
    expect(req.headers['cookie']).toBe('c=1; d=2');
  });

  it('a clientAddress option replaces the socket peer, even when the framework resolved none', () => {
    const req = nodeRequest({ url: '/', headers: {}, socket: { remoteAddress: '10.0.0.1' } });
    expect(fromNodeRequest(req).clientAddress).toBe('10.0.0.1');
    expect(fromNodeRequest(req, { clientAddress: '203.0.113.7' }).clientAddress).toBe('203.0.113.7');
    expect(fromNodeRequest(req, { clientAddress: undefined }).clientAddress).toBeUndefined();
  });

  it('a url option (a mount path trimmed by the framework) is routed instead of req.url', () => {
    const req = fromNodeRequest(nodeRequest({ url: '/orders?id=1', headers: {} }), { url: '/api/orders?id=1' });
    expect(req.path).toBe('/api/orders');
    expect(req.query).toBe('id=1');
  });

  it.each([
    // [target, path, query, authority]: as Express (parseurl), find-my-way and Hono split it.
    ['/a?b=1', '/a', 'b=1', 'h'],
    ['/a?', '/a', '', 'h'],
    ['/a?x#y', '/a', 'x#y', 'h'],
    ['/a?#', '/a', '#', 'h'],
    ['/a#x', '/a#x', '', 'h'],
    ['/a#x?y', '/a#x', 'y', 'h'],
    ['/a;b?c', '/a;b', 'c', 'h'],
    ['http://Example.com:8080/a?b', '/a', 'b', 'example.com:8080'],
    ['HTTPS://e.com', '/', '', 'e.com'],
    ['http://e.com?q', '/', 'q', 'e.com'],
    ['http://e.com//a', '//a', '', 'e.com'],
    ['http://e.com#/admin', '/#/admin', '', 'e.com'],
    ['http://e.com/a?b#c', '/a', 'b#c', 'e.com'],
    ['http://u@e.com/a', 'http://u@e.com/a', '', 'h'],
    ['ftp://e.com/a', 'ftp://e.com/a', '', 'h'],
    ['http:///a', 'http:///a', '', 'h'],
    ['*', '*', '', 'h'],
  ])('splits the target %s as the frameworks do (a "#" left for the router to refuse): path %s, query %s, authority %s', (url, path, query, authority) => {
    const r = fromNodeRequest(nodeRequest({ url, headers: { host: 'h' } }));
    expect([r.path, r.query, r.authority]).toEqual([path, query, authority]);
  });

  it('semicolonDelimiter: ";" ends the path as in find-my-way, and the rest is the query', () => {
    const r = fromNodeRequest(nodeRequest({ url: '/a;b=1?c', headers: {} }), { semicolonDelimiter: true });
    expect([r.path, r.query]).toEqual(['/a', 'b=1?c']);
    expect(fromNodeRequest(nodeRequest({ url: '/a?x;y', headers: {} }), { semicolonDelimiter: true }).query).toBe('x;y');
  });

  it("regression: a response's Connection header is not written, nor the fields it names", async () => {
    const res = nodeResponse();
    await writeNodeResponse(res, { status: 200, headers: { connection: 'close, x-secret', 'x-secret': 'internal', 'x-public': 'yes', 'set-cookie': ['a=1'] }, body: 'ok' });
    expect(res.state.headers).toEqual({ 'x-public': 'yes', 'set-cookie': ['a=1'] });
  });

  it('writes status, headers and a streamed body, waiting on drain for back-pressure', async () => {
    const res = nodeResponse({ highWater: 1 });
    const done = writeNodeResponse(res, {
      status: 201,
      headers: { 'content-type': 'text/plain', 'set-cookie': ['a=1', 'b=2'], 'x-none': undefined },
      body: (async function* () {
        yield new TextEncoder().encode('he');
        yield new TextEncoder().encode('llo');
      })(),
    });
    await flush();
    expect(res.written).toEqual(['he']);
    res.emit('drain');
    await flush();
    res.emit('drain');
    await done;
    expect(res.state.status).toBe(201);
    expect(res.state.headers).toEqual({ 'content-type': 'text/plain', 'set-cookie': ['a=1', 'b=2'] });
    expect(res.written.join('')).toBe('hello');
    expect(res.state.ended).toBe(true);
  });

  it('stops reading the upstream body when the client goes away', async () => {
    const res = nodeResponse({ highWater: 1 });
    let returned = false;
    const body: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]() {
        return {
          next: async () => ({ done: false, value: new Uint8Array([1]) }),
          return: async () => {
            returned = true;
            return { done: true, value: undefined };
          },
        };
      },
    };
    const done = writeNodeResponse(res, { status: 200, headers: {}, body });
    await flush();
    res.destroy();
    await done;
    expect(returned).toBe(true);
    expect(res.state.ended).toBe(false);
  });

  it('never writes a second response: a response whose headers were sent is destroyed instead', async () => {
    const res = nodeResponse();
    res.writeHead(200, {});
    await writeNodeResponse(res, { status: 502, headers: {}, body: 'late' });
    expect(res.state.status).toBe(200);
    expect(res.state.destroyed).toBe(true);
    expect(res.written).toEqual([]);
  });

  it('aborts the client signal when the connection closes before the response finished', () => {
    const res = nodeResponse();
    const signal = clientAbortSignal(res);
    expect(signal.aborted).toBe(false);
    res.destroy();
    expect(signal.aborted).toBe(true);
    const ok = nodeResponse();
    const s2 = clientAbortSignal(ok);
    ok.end('done');
    expect(s2.aborted).toBe(false);
  });
});

describe('fetch bridge', () => {
  it('converts a Fetch Request, streaming its body', async () => {
    const request = new Request('https://api.example.com/v1/items?limit=5', { method: 'post', headers: { 'x-a': 'b' }, body: 'payload' });
    const req = fromFetchRequest(request, { clientAddress: '192.0.2.1' });
    expect(req).toMatchObject({ method: 'POST', scheme: 'https', authority: 'api.example.com', path: '/v1/items', query: 'limit=5', clientAddress: '192.0.2.1' });
    expect(req.headers['x-a']).toBe('b');
    let text = '';
    for await (const chunk of req.body as AsyncIterable<Uint8Array>) text += new TextDecoder().decode(chunk);
    expect(text).toBe('payload');
  });

  it('converts a response, appending each set-cookie and streaming the body', async () => {
    const response = toFetchResponse({
      status: 200,
      headers: { 'set-cookie': ['a=1', 'b=2'], 'content-type': 'text/plain' },
      body: (async function* () {
        yield new TextEncoder().encode('str');
        yield new TextEncoder().encode('eam');
      })(),
    }) as Response;
    expect(response.status).toBe(200);
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(await response.text()).toBe('stream');
  });

  it('drops the body of null-body statuses', async () => {
    const response = toFetchResponse({ status: 304, headers: {}, body: 'x' }) as Response;
    expect(response.status).toBe(304);
    expect(await response.text()).toBe('');
  });
});
