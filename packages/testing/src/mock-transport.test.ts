import { createAbortController, createEndpoint, type TransportResult } from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import { createMockTransport } from './mock-transport.js';
import { createTestClock } from './test-clock.js';

const a = createEndpoint({ id: 'a', url: 'http://a:1' });
const b = createEndpoint({ id: 'b', url: 'http://b:1' });
const req = (path = '/') => ({ method: 'GET', path, headers: {} });
const signal = () => createAbortController().signal;
const status = (r: TransportResult) => (r.kind === 'response' ? r.response.status : r.error);

async function collect(body: unknown): Promise<string> {
  let out = '';
  for await (const chunk of body as AsyncIterable<Uint8Array>) out += new TextDecoder().decode(chunk);
  return out;
}

describe('createMockTransport', () => {
  it('answers 200 with no body by default and records every request with its time', async () => {
    const clock = createTestClock({ now: 42 });
    const t = createMockTransport({ clock });
    const r = await t.send(req('/x?y=1'), a, { signal: signal() });
    expect(r).toEqual({ kind: 'response', response: { status: 200, headers: {}, body: null } });
    expect(t.requests).toHaveLength(1);
    expect(t.requests[0]).toMatchObject({ request: { path: '/x?y=1' }, endpoint: { id: 'a' }, at: 42 });
    expect(t.requests[0]?.aborted()).toBe(false);
  });

  it('uses queued replies in order, per-endpoint queues first, then the fallback handler', async () => {
    const clock = createTestClock();
    const t = createMockTransport({ clock })
      .enqueue({ status: 201 }, { status: 202 })
      .enqueueFor('b', { status: 418 })
      .respondWith((r, e) => ({ status: 299, body: `${e.id}${r.path}` }));
    const results: Array<number | string> = [];
    for (const e of [b, a, b, a, a]) results.push(status(await t.send(req('/p'), e, { signal: signal() })));
    expect(results).toEqual([418, 201, 202, 299, 299]);
    const last = await t.send(req('/q'), a, { signal: signal() });
    expect(last.kind === 'response' && last.response.body).toBe('a/q');
  });

  it('injects connect, reset and timeout errors, after their delay on the clock', async () => {
    const clock = createTestClock();
    const t = createMockTransport({ clock }).enqueue({ error: 'connect' }, { error: 'reset', delayMs: 30, message: 'socket hang up' }, { error: 'timeout', delayMs: 1000 });
    expect(await t.send(req(), a, { signal: signal() })).toMatchObject({ kind: 'error', error: 'connect', message: 'mock connect' });
    const reset = t.send(req(), a, { signal: signal() });
    const timeout = t.send(req(), a, { signal: signal() });
    expect(t.inFlight()).toBe(2);
    await clock.advanceAsync(30);
    expect(await reset).toMatchObject({ kind: 'error', error: 'reset', message: 'socket hang up' });
    await clock.advanceAsync(970);
    expect(await timeout).toMatchObject({ kind: 'error', error: 'timeout' });
    expect(t.inFlight()).toBe(0);
  });

  it('delays response headers by delayMs', async () => {
    const clock = createTestClock();
    const t = createMockTransport({ clock }).enqueue({ status: 200, delayMs: 50 });
    let done = false;
    const p = t.send(req(), a, { signal: signal() }).then((r) => ((done = true), r));
    await clock.advanceAsync(49);
    expect(done).toBe(false);
    await clock.advanceAsync(1);
    expect(status(await p)).toBe(200);
  });

  it('a hung reply ends only when the signal aborts, as canceled', async () => {
    const clock = createTestClock();
    const t = createMockTransport({ clock }).enqueue({ hang: true });
    const ac = createAbortController();
    let result: TransportResult | undefined;
    void t.send(req(), a, { signal: ac.signal }).then((r) => (result = r));
    await clock.advanceAsync(3_600_000);
    expect(result).toBeUndefined();
    expect(t.inFlight()).toBe(1);
    ac.abort();
    await clock.advanceAsync(0);
    expect(result).toMatchObject({ kind: 'error', error: 'canceled' });
    expect(t.requests[0]?.aborted()).toBe(true);
    expect(t.inFlight()).toBe(0);
  });

  it('an abort before a delayed reply cancels it, and an already-aborted signal cancels at once (regression: threw a TDZ ReferenceError)', async () => {
    const clock = createTestClock();
    const t = createMockTransport({ clock }).respondWith(() => ({ status: 200, delayMs: 100 }));
    const ac = createAbortController();
    const p = t.send(req(), a, { signal: ac.signal });
    await clock.advanceAsync(10);
    ac.abort();
    expect(await p).toMatchObject({ kind: 'error', error: 'canceled' });
    await clock.advanceAsync(200); // the cancelled reply timer must not resolve anything twice
    const pre = createAbortController();
    pre.abort();
    expect(await t.send(req(), a, { signal: pre.signal })).toMatchObject({ kind: 'error', error: 'canceled' });
  });

  it('streams a chunked body chunkDelayMs apart on the clock (a slow body)', async () => {
    const clock = createTestClock();
    const t = createMockTransport({ clock }).enqueue({ status: 200, headers: { 'content-type': 'text/plain' }, body: ['he', 'llo', ' π'], chunkDelayMs: 100 });
    const r = await t.send(req(), a, { signal: signal() });
    if (r.kind !== 'response') throw new Error('expected a response');
    expect(r.response.headers).toEqual({ 'content-type': 'text/plain' });
    const arrivals: Array<[string, number]> = [];
    const reading = (async () => {
      for await (const chunk of r.response.body as AsyncIterable<Uint8Array>) arrivals.push([new TextDecoder().decode(chunk), clock.now()]);
    })();
    await clock.advanceAsync(250);
    expect(arrivals).toEqual([
      ['he', 100],
      ['llo', 200],
    ]);
    await clock.advanceAsync(50);
    await reading;
    expect(arrivals[2]).toEqual([' π', 300]);
  });

  it('a chunked body without delay reads at once, and aborting mid-body fails the stream', async () => {
    const clock = createTestClock();
    const t = createMockTransport({ clock }).enqueue({ status: 200, body: ['a', 'b'] }, { status: 200, body: ['x', 'y'], chunkDelayMs: 10 });
    const quick = await t.send(req(), a, { signal: signal() });
    expect(await collect(quick.kind === 'response' && quick.response.body)).toBe('ab');
    const ac = createAbortController();
    const slow = await t.send(req(), a, { signal: ac.signal });
    const reading = collect(slow.kind === 'response' && slow.response.body);
    ac.abort();
    await clock.advanceAsync(10);
    await expect(reading).rejects.toThrow('body aborted');
  });
});
