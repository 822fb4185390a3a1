import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { UpstreamBody, type PipeDestination } from './send-handler.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (chunks: readonly Uint8Array[]): string => chunks.map((c) => new TextDecoder().decode(c)).join('');

/** A body with counters for the parser's resume and the socket release. */
function body() {
  const calls = { resume: 0, release: 0 };
  const b = new UpstreamBody(
    () => calls.resume++,
    () => calls.release++,
  );
  const events: string[] = [];
  b.once('end', () => events.push('end'));
  b.once('error', () => events.push('error'));
  b.once('close', () => events.push('close'));
  return { b, calls, events };
}

/** A writable that accepts `capacity` chunks before asking for a drain. */
function destination(capacity = Number.POSITIVE_INFINITY) {
  const written: Uint8Array[] = [];
  let drain: (() => void) | undefined;
  let ended = false;
  const dest: PipeDestination = {
    write(chunk) {
      written.push(chunk);
      return written.length < capacity;
    },
    end() {
      ended = true;
    },
    once(_event, listener) {
      drain = listener;
    },
  };
  return {
    dest,
    written,
    ended: () => ended,
    drain: () => {
      const d = drain;
      drain = undefined;
      d?.();
    },
  };
}

describe('UpstreamBody - pipe', () => {
  it('writes chunks through, ends the destination, then emits end and close once', () => {
    const { b, events } = body();
    const d = destination();
    b.pipe(d.dest);
    expect(b.push(bytes('a'))).toBe(true);
    expect(b.push(bytes('b'))).toBe(true);
    b.complete();
    expect(text(d.written)).toBe('ab');
    expect(d.ended()).toBe(true);
    expect(events).toEqual(['end', 'close']);
  });

  it('chunks that arrived before pipe are written first; a body already complete ends at once', () => {
    const { b, events } = body();
    b.push(bytes('early'));
    b.complete();
    expect(events).toEqual([]);
    const d = destination();
    b.pipe(d.dest);
    expect(text(d.written)).toBe('early');
    expect(d.ended()).toBe(true);
    expect(events).toEqual(['end', 'close']);
  });

  it('a full destination pauses the parser until it drains', () => {
    const { b, calls } = body();
    const d = destination(1);
    b.pipe(d.dest);
    expect(b.push(bytes('1'))).toBe(false);
    expect(calls.resume).toBe(0);
    d.drain();
    expect(calls.resume).toBe(1);
  });

  it('the upstream failing mid-body emits error then close, never end, and does not end the destination', () => {
    const { b, events } = body();
    const d = destination();
    b.pipe(d.dest);
    b.push(bytes('x'));
    b.fail(new Error('reset'));
    expect(events).toEqual(['error', 'close']);
    expect(d.ended()).toBe(false);
  });

  it('destroy before the end releases the upstream socket once; after the end it does not', () => {
    const open = body();
    open.b.pipe(destination().dest);
    open.b.destroy();
    open.b.destroy();
    expect(open.calls.release).toBe(1);
    expect(open.events).toEqual(['close']);
    expect(open.b.destroyed).toBe(true);

    const done = body();
    done.b.pipe(destination().dest);
    done.b.complete();
    done.b.destroy();
    expect(done.calls.release).toBe(0);
  });

  it('removeListener takes back a once listener', () => {
    const b = new UpstreamBody(
      () => {},
      () => {},
    );
    let errors = 0;
    const onError = (): void => {
      errors++;
    };
    b.once('error', onError);
    b.removeListener('error', onError);
    b.fail(new Error('x'));
    expect(errors).toBe(0);
  });
});

describe('UpstreamBody - async iteration', () => {
  it('yields queued and later chunks in order, then done, emitting end and close', async () => {
    const { b, events } = body();
    b.push(bytes('a'));
    const it = b[Symbol.asyncIterator]();
    expect(text([(await it.next()).value as Uint8Array])).toBe('a');
    const pending = it.next();
    b.push(bytes('b'));
    expect(text([(await pending).value as Uint8Array])).toBe('b');
    const end = it.next();
    b.complete();
    expect((await end).done).toBe(true);
    expect(events).toEqual(['end', 'close']);
  });

  it('a failure rejects the pending read', async () => {
    const { b } = body();
    const it = b[Symbol.asyncIterator]();
    const pending = it.next();
    b.fail(new Error('reset'));
    await expect(pending).rejects.toThrow('reset');
  });

  it('breaking out of for-await releases the upstream socket', async () => {
    const { b, calls } = body();
    b.push(bytes('a'));
    for await (const _ of b) break;
    expect(calls.release).toBe(1);
  });

  it('property: whatever the chunk sizes, buffering pauses at the high-water mark and reading resumes below it, without loss', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 40_000 }), { minLength: 1, maxLength: 20 }), async (sizes) => {
        const { b, calls } = body();
        let pauses = 0;
        for (const n of sizes) if (!b.push(new Uint8Array(n))) pauses++;
        b.complete();
        let total = 0;
        for await (const c of b) total += c.byteLength;
        expect(total).toBe(sizes.reduce((a, n) => a + n, 0));
        // Every pause is followed by a resume once the reader drained the queue.
        expect(calls.resume).toBe(pauses > 0 ? 1 : 0);
        expect(calls.release).toBe(0);
      }),
      { numRuns: 200 },
    );
  });
});
