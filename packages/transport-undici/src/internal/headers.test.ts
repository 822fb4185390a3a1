import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { requestHeaders, responseHeadersFromRaw } from './headers.js';

const DROPPED = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'expect', 'http2-settings'];

describe('requestHeaders', () => {
  it('drops connection-level headers in any case and keeps the rest lower-cased', () => {
    expect(requestHeaders({ Connection: 'close', 'X-Id': '7', Upgrade: 'h2c', host: 'a.example', te: 'trailers', gone: undefined }, 'none')).toEqual({
      'x-id': '7',
      host: 'a.example',
      te: 'trailers',
    });
  });

  it('keeps content-length only for streamed bodies', () => {
    expect(requestHeaders({ 'content-length': '5' }, 'stream')).toEqual({ 'content-length': '5' });
    expect(requestHeaders({ 'content-length': '5' }, 'bytes')).toEqual({});
    expect(requestHeaders({ 'content-length': '5' }, 'none')).toEqual({});
  });

  it('never outputs a dropped name, whatever the input', () => {
    const name = fc.oneof(fc.constantFrom(...DROPPED, ...DROPPED.map((d) => d.toUpperCase())), fc.string({ minLength: 1 }));
    fc.assert(
      fc.property(fc.dictionary(name, fc.string()), fc.constantFrom('none', 'bytes', 'stream' as const), (headers, kind) => {
        const out = requestHeaders(headers, kind);
        for (const key of Object.keys(out)) {
          expect(DROPPED).not.toContain(key);
          expect(key).toBe(key.toLowerCase());
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('responseHeadersFromRaw', () => {
  const raw = (...pairs: string[]): Buffer[] => pairs.map((p) => Buffer.from(p, 'latin1'));

  it('drops connection, keep-alive and transfer-encoding; keeps repeated set-cookie as an array', () => {
    const headers = responseHeadersFromRaw(
      raw('Connection', 'keep-alive', 'Keep-Alive', 'timeout=5', 'Transfer-Encoding', 'chunked', 'Set-Cookie', 'a=1', 'set-cookie', 'b=2', 'ETag', '"x"'),
    );
    expect(headers).toEqual({ 'set-cookie': ['a=1', 'b=2'], etag: '"x"' });
  });

  it("regression: the fields the upstream's Connection names are dropped with it (RFC 9110 §7.6.1)", () => {
    expect(responseHeadersFromRaw(raw('Connection', 'close, X-Secret', 'X-Secret', 'internal', 'connection', 'x-b', 'X-B', '1', 'X-Public', 'yes'))).toEqual({ 'x-public': 'yes' });
    expect(responseHeadersFromRaw(raw('Connection', 'keep-alive', 'X-Public', 'yes'))).toEqual({ 'x-public': 'yes' });
  });

  it('lower-cases names, keeps latin1 values byte for byte, and a third repeat joins the array', () => {
    expect(responseHeadersFromRaw(raw('X-A', '1', 'x-a', '2', 'X-a', '3', 'X-Latin', 'caf\u00e9'))).toEqual({ 'x-a': ['1', '2', '3'], 'x-latin': 'caf\u00e9' });
  });

  it('a header named __proto__ is kept as an own property and never changes the prototype', () => {
    const headers = responseHeadersFromRaw(raw('__proto__', 'x', 'content-type', 'text/plain'));
    expect(Object.getPrototypeOf(headers)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(headers, '__proto__')?.value).toBe('x');
    expect(headers['content-type']).toBe('text/plain');
  });
});
