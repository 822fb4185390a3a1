import { createTestClock, type TestClock } from '@switchyard/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BodyTimeoutError, guardBody, teeBody } from './body.js';

/** `n` one-byte chunks (values 0..n-1), `gapMs` apart on `clock` (0: no wait). */
function source(clock: TestClock, n: number, gapMs: number): AsyncIterable<Uint8Array> & { closed: () => boolean } {
  let closed = false;
  return {
    closed: () => closed,
    async *[Symbol.asyncIterator]() {
      try {
        for (let i = 0; i < n; i++) {
          if (gapMs > 0) await new Promise<void>((r) => clock.setTimer(gapMs, r));
          yield new Uint8Array([i % 256]);
        }
      } finally {
        closed = true;
      }
    },
  };
}

async function drain(body: AsyncIterable<Uint8Array>): Promise<{ bytes: number[]; error?: unknown }> {
  const bytes: number[] = [];
  try {
    for await (const c of body) bytes.push(...c);
    return { bytes };
  } catch (error) {
    return { bytes, error };
  }
}

describe('guardBody', () => {
  it('passes a body that keeps pace through unchanged and says when it ended', async () => {
    const clock = createTestClock();
    const body = guardBody(source(clock, 5, 10), { clock, deadlineAt: 1_000, idleTimeoutMs: 50 });
    const reading = drain(body);
    await clock.advanceAsync(100);
    expect(await reading).toEqual({ bytes: [0, 1, 2, 3, 4] });
    expect(body.ended).toBe(true);
    expect(body.timedOut.aborted).toBe(false);
    expect(clock.pending()).toBe(0); // no timer left behind
  });

  it('fails a body trickling past the deadline, even though no gap reaches the idle timeout', async () => {
    const clock = createTestClock();
    const src = source(clock, 1_000, 10);
    const body = guardBody(src, { clock, deadlineAt: 100, idleTimeoutMs: 50 });
    const reading = drain(body);
    await clock.advanceAsync(200);
    const r = await reading;
    expect(r.error).toBeInstanceOf(BodyTimeoutError);
    expect(r.error).toMatchObject({ reason: 'deadline' });
    expect(r.bytes.length).toBe(9);
    expect(body.timedOut.aborted).toBe(true);
    expect(src.closed()).toBe(false); // left open: a Node request would lose its socket, and the client its 408
  });

  it('fails a body silent for the idle timeout, timed from its last chunk', async () => {
    const clock = createTestClock();
    const reasons: string[] = [];
    const body = guardBody(source(clock, 3, 80), { clock, deadlineAt: Number.POSITIVE_INFINITY, idleTimeoutMs: 50, onTimeout: (r) => reasons.push(r) });
    let at = -1;
    const reading = drain(body).then((r) => ((at = clock.now()), r));
    await clock.advanceAsync(500);
    expect((await reading).error).toMatchObject({ reason: 'idle' });
    expect(at).toBe(50);
    expect(reasons).toEqual(['idle']);
  });

  it('arms at the first read unless told to arm now; a consumer closing it closes the source and stops the timers', async () => {
    const clock = createTestClock();
    const lazy = guardBody(source(clock, 3, 10), { clock, deadlineAt: 100, idleTimeoutMs: 50 });
    expect(clock.pending()).toBe(0);
    const eager = guardBody(source(clock, 3, 10), { clock, deadlineAt: 100, idleTimeoutMs: 50, armNow: true });
    expect(clock.pending()).toBe(2);
    const src = source(clock, 10, 10);
    const closing = guardBody(src, { clock, deadlineAt: 1_000, idleTimeoutMs: 50 });
    const it = closing[Symbol.asyncIterator]();
    const first = it.next();
    await clock.advanceAsync(10);
    expect((await first).value).toEqual(new Uint8Array([0]));
    await it.return?.();
    expect(src.closed()).toBe(true);
    expect(await it.next()).toEqual({ done: true, value: undefined });
    void lazy;
    void eager;
  });
});

describe('teeBody', () => {
  it('the primary reads at its own pace; the shadow gets every chunk in order', async () => {
    const clock = createTestClock();
    const { primary, shadow } = teeBody(source(clock, 6, 5), 1_024);
    const p = drain(primary);
    await clock.advanceAsync(100);
    expect(await p).toEqual({ bytes: [0, 1, 2, 3, 4, 5] });
    expect(await drain(shadow)).toEqual({ bytes: [0, 1, 2, 3, 4, 5] });
  });

  it('a source error fails both readers; the primary closing early fails the shadow', async () => {
    async function* broken() {
      yield new Uint8Array([1]);
      throw new Error('client went away');
    }
    const a = teeBody(broken(), 1_024);
    const [pa, sa] = await Promise.all([drain(a.primary), drain(a.shadow)]);
    expect(String(pa.error)).toMatch(/client went away/);
    expect(sa).toMatchObject({ bytes: [1] });
    expect(String(sa.error)).toMatch(/client went away/);

    const clock = createTestClock();
    const b = teeBody(source(clock, 10, 0), 1_024);
    const it = b.primary[Symbol.asyncIterator]();
    await it.next();
    await it.return?.();
    expect(String((await drain(b.shadow)).error)).toMatch(/primary stopped reading/);
  });

  it('property: the primary always gets the whole body; the shadow gets it whole or fails once it lags more than the cap', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 20 }), { maxLength: 30 }), fc.integer({ min: 0, max: 100 }), fc.boolean(), async (sizes, cap, shadowFirst) => {
        const chunks = sizes.map((n, i) => new Uint8Array(n).fill(i % 256));
        const total = sizes.reduce((a, b) => a + b, 0);
        const { primary, shadow } = teeBody(
          (async function* () {
            yield* chunks;
          })(),
          cap,
        );
        // The shadow reads only after the primary is done (the worst lag), or alongside it.
        const [p, s] = shadowFirst ? await Promise.all([drain(primary), drain(shadow)]) : [await drain(primary), await drain(shadow)];
        expect(p.bytes.length).toBe(total);
        if (s.error === undefined) expect(s.bytes).toEqual(p.bytes);
        else expect(String(s.error)).toMatch(/fell more than/);
        if (!shadowFirst && total <= cap) expect(s.error).toBeUndefined();
      }),
      { numRuns: 200 },
    );
  });
});
