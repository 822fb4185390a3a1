import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CONTINUE, isSwitchyardError, type PolicyContinue } from '@switchyard/core';
import { isBodyTooLargeError, limitBody, requestSizeLimitPolicy, utf8ByteLength } from './request-size-limit.js';
import { createFrom, policyContext, syRequest, validate } from '../test/traffic-context.js';

const TOO_LARGE = (maxBytes: number) => ({ kind: 'reject', code: 'SY_BODY_TOO_LARGE', message: 'The request body is too large.', detail: { maxBytes } });

/** A streaming source that counts what is pulled from it and whether it was closed. */
function source(chunks: number[] | 'endless', chunkBytes = 10) {
  const stats = { pulled: 0, bytes: 0, closed: false };
  const body: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]() {
      let i = 0;
      return {
        async next() {
          if (chunks !== 'endless' && i >= chunks.length) return { done: true, value: undefined };
          const size = chunks === 'endless' ? chunkBytes : (chunks[i] as number);
          i++;
          stats.pulled++;
          stats.bytes += size;
          return { done: false, value: new Uint8Array(size) };
        },
        async return() {
          stats.closed = true;
          return { done: true, value: undefined };
        },
      };
    },
  };
  return { body, stats };
}

async function drain(body: AsyncIterable<Uint8Array>): Promise<{ bytes: number; error?: unknown }> {
  let bytes = 0;
  try {
    for await (const chunk of body) bytes += chunk.byteLength;
    return { bytes };
  } catch (error) {
    return { bytes, error };
  }
}

describe('request-size-limit policy', () => {
  it('a declared content-length over the limit - 413 SY_BODY_TOO_LARGE without reading a byte', () => {
    const { body, stats } = source('endless');
    const p = createFrom(requestSizeLimitPolicy, { maxBytes: 1000 });
    expect(p.inbound!(syRequest({ method: 'POST', headers: { 'content-length': '1001' }, body }), policyContext())).toEqual(TOO_LARGE(1000));
    expect(stats.pulled).toBe(0);
    // A huge declared length too (no precision games).
    expect(p.inbound!(syRequest({ method: 'POST', headers: { 'content-length': '99999999999999999999' }, body }), policyContext())).toEqual(TOO_LARGE(1000));
  });

  it('a body in memory is measured (UTF-8 bytes for strings)', () => {
    const p = createFrom(requestSizeLimitPolicy, { maxBytes: 4 });
    expect(p.inbound!(syRequest({ method: 'POST', body: 'abcd' }), policyContext())).toBe(CONTINUE);
    expect(p.inbound!(syRequest({ method: 'POST', body: 'abcé' }), policyContext())).toEqual(TOO_LARGE(4));
    expect(p.inbound!(syRequest({ method: 'POST', body: new Uint8Array(5) }), policyContext())).toEqual(TOO_LARGE(4));
    expect(p.inbound!(syRequest(), policyContext())).toBe(CONTINUE);
  });

  it('a chunked stream over the limit - reading past it fails SY_BODY_TOO_LARGE; the body is never fully pulled', async () => {
    const { body, stats } = source('endless', 10);
    const p = createFrom(requestSizeLimitPolicy, { maxBytes: 95 });
    const r = p.inbound!(syRequest({ method: 'POST', headers: { 'transfer-encoding': 'chunked' }, body }), policyContext()) as PolicyContinue;
    expect(r.kind).toBe('continue');
    expect(stats.pulled).toBe(0); // nothing read in the policy itself
    const out = await drain(r.request!.body as AsyncIterable<Uint8Array>);
    expect(out.bytes).toBe(90); // what a transport forwards: never more than maxBytes
    expect(isBodyTooLargeError(out.error)).toBe(true);
    expect(isSwitchyardError(out.error) && out.error.status).toBe(413);
    expect(stats.pulled).toBe(10); // nine whole chunks, and the one that crossed the limit
    // The source is left open after the failure (closing a Node request would kill the 413).
    expect(stats.closed).toBe(false);
  });

  it('a content-length that lies is caught while streaming', async () => {
    const { body, stats } = source([40, 40, 40]);
    const p = createFrom(requestSizeLimitPolicy, { maxBytes: 100 });
    const r = p.inbound!(syRequest({ method: 'POST', headers: { 'content-length': '50' }, body }), policyContext()) as PolicyContinue;
    const out = await drain(r.request!.body as AsyncIterable<Uint8Array>);
    expect(out.bytes).toBe(80);
    expect(isBodyTooLargeError(out.error)).toBe(true);
    expect(stats.pulled).toBe(3);
  });

  it('a stream within the limit passes through unchanged; a consumer that stops early closes the source', async () => {
    const { body } = source([30, 30, 40]);
    const limited = limitBody(body, 100);
    expect(await drain(limited)).toEqual({ bytes: 100 });
    expect(limited.bytesRead).toBe(100);
    expect(limited.exceeded).toBe(false);
    const s2 = source([10, 10, 10]);
    for await (const _ of limitBody(s2.body, 100)) break;
    expect(s2.stats.closed).toBe(true);
  });

  it('options - maxBytes required, a non-negative integer', () => {
    expect(validate(requestSizeLimitPolicy, {})).toMatchObject({ ok: false, issues: [{ path: 'maxBytes' }] });
    expect(validate(requestSizeLimitPolicy, { maxBytes: 1.5 })).toMatchObject({ ok: false, issues: [{ path: 'maxBytes' }] });
    expect(validate(requestSizeLimitPolicy, { maxBytes: -1 })).toMatchObject({ ok: false, issues: [{ path: 'maxBytes' }] });
    expect(validate(requestSizeLimitPolicy, { maxBytes: 10, trustContentLength: false })).toMatchObject({ ok: false, issues: [{ path: 'trustContentLength' }] });
  });

  it('utf8ByteLength matches a real UTF-8 encoder', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 24 }), (s) => {
        expect(utf8ByteLength(s)).toBe(new TextEncoder().encode(s).byteLength);
      }),
      { numRuns: 500 },
    );
  });

  it('property - yields exactly the chunks that fit, fails iff the total is over the limit, pulls at most one chunk past it', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 20 }), fc.integer({ min: 0, max: 300 }), async (chunks, maxBytes) => {
        const { body, stats } = source(chunks);
        const out = await drain(limitBody(body, maxBytes));
        const total = chunks.reduce((a, b) => a + b, 0);
        let fit = 0;
        let pulledNeeded = 0;
        for (const c of chunks) {
          pulledNeeded++;
          if (fit + c > maxBytes) break;
          fit += c;
        }
        expect(out.bytes).toBe(Math.min(fit, total));
        expect(out.error !== undefined).toBe(total > maxBytes);
        if (total > maxBytes) expect(stats.pulled).toBe(pulledNeeded);
      }),
      { numRuns: 500 },
    );
  });
});
