import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { requestHeaders, responseHeaders } from './headers.js';

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

describe('responseHeaders', () => {
  it('drops connection, keep-alive and transfer-encoding; keeps repeated set-cookie', () => {
    expect(responseHeaders({ connection: 'keep-alive', 'keep-alive': 'timeout=5', 'transfer-encoding': 'chunked', 'set-cookie': ['a=1', 'b=2'], etag: '"x"' })).toEqual({
      'set-cookie': ['a=1', 'b=2'],
      etag: '"x"',
    });
  });
});
