/**
 * The request lifecycle against its deadline (issue #18, #17): every path that ends a request
 * early is checked against the route timeout, retries hold at most one retry slot at a time,
 * the deadline and per-try timeouts cover bodies, and the deadline can be told to the upstream.
 * All on the fake clock.
 */
import {
  createEndpoint,
  type Endpoint,
  type Outcome,
  type PickResult,
  type Transport,
  type TransportResult,
  type UpstreamRequest,
} from '@switchyard/core';
import { createMockTransport, createTestClock, seededRng, type MockReply, type TestClock } from '@switchyard/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { guardBody } from './body.js';
import { formatGrpcTimeout, forward, type ForwardContext, type ForwardEvent, type ForwardPolicy, type ForwardResult } from './forward.js';
import { createRetryBudget } from './retry-budget.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry-policy.js';

const A = createEndpoint({ id: 'a', url: 'http://10.0.0.1:80' });
const B = createEndpoint({ id: 'b', url: 'http://10.0.0.2:80' });
const C = createEndpoint({ id: 'c', url: 'http://10.0.0.3:80' });

const retry = (over: Partial<RetryPolicy> = {}): RetryPolicy => ({ ...DEFAULT_RETRY_POLICY, retryOn: ['5xx'], ...over });

/** Retry slots shared like an upstream's `maxRetries` counter, recording the most ever held. */
function slots(max: number) {
  const s = {
    held: 0,
    peak: 0,
    refused: 0,
    acquire(): boolean {
      if (s.held >= max) {
        s.refused++;
        return false;
      }
      s.held++;
      s.peak = Math.max(s.peak, s.held);
      return true;
    },
    release(): void {
      s.held--;
    },
  };
  return s;
}

interface Harness {
  readonly clock: TestClock;
  readonly outcomes: Outcome[];
  readonly events: ForwardEvent[];
  readonly requests: UpstreamRequest[];
  start(over?: Partial<ForwardContext>): { done: Promise<ForwardResult>; result: () => ForwardResult | undefined };
}

function harness(policy: Partial<ForwardPolicy>, transport: (clock: TestClock) => Transport, opts: { endpoints?: Endpoint[]; seed?: number } = {}): Harness {
  const clock = createTestClock();
  const t = transport(clock);
  const endpoints = opts.endpoints ?? [A, B, C];
  const outcomes: Outcome[] = [];
  const events: ForwardEvent[] = [];
  const requests: UpstreamRequest[] = [];
  const pick = (tried: readonly Endpoint[]): PickResult => {
    const fresh = endpoints.filter((e) => !tried.includes(e));
    const e = (fresh.length > 0 ? fresh : endpoints)[0];
    return e === undefined ? { kind: 'empty', reason: 'no-eligible-endpoints' } : { kind: 'picked', endpoint: e };
  };
  return {
    clock,
    outcomes,
    events,
    requests,
    start(over = {}) {
      const ctx: ForwardContext = {
        clock,
        rng: seededRng(opts.seed ?? 3),
        transport: { send: (r, e, o) => (requests.push(r), t.send(r, e, o)) },
        policy: { timeoutMs: 15_000, perTryTimeoutMs: 0, ...policy },
        method: 'GET',
        body: { kind: 'none' },
        startedAt: clock.now(),
        pick,
        request: (_e, b) => ({ method: 'GET', path: '/x', headers: {}, body: b }),
        observe: (o) => outcomes.push(o),
        onEvent: (e) => events.push(e),
        ...over,
      };
      let value: ForwardResult | undefined;
      const done = forward(ctx).then((r) => (value = r));
      return { done, result: () => value };
    },
  };
}

const mock = (...replies: MockReply[]) => (clock: TestClock) => createMockTransport({ clock }).enqueue(...replies);

/** A transport whose sends all resolve with `result` at `atMs`, on a timer set before forward's own. */
function resolvesAt(clock: TestClock, atMs: number, result: () => TransportResult): Transport {
  const waiting: ((r: TransportResult) => void)[] = [];
  clock.setTimer(atMs - clock.now(), () => {
    for (const w of waiting.splice(0)) w(result());
  });
  return { send: () => new Promise<TransportResult>((resolve) => waiting.push(resolve)) };
}

function code(r: ForwardResult | undefined): number | string | undefined {
  return r === undefined ? undefined : r.kind === 'response' ? r.response.status : r.code;
}

describe('forward: deadlines win over retries', () => {
  it('a retry whose back-off would end after the deadline: 504 at once, never the 503', async () => {
    // 503 at 99 ms of a 100 ms route: the back-off (full jitter in [0, 250) ms) cannot fit.
    const h = harness({ timeoutMs: 100, retry: retry({ numRetries: 3, baseIntervalMs: 250, maxIntervalMs: 250 }) }, mock({ status: 503, delayMs: 99 }, { status: 200 }), { seed: 11 });
    const { done, result } = h.start();
    await h.clock.advanceAsync(99);
    expect(code(result())).toBe('SY_DEADLINE_EXCEEDED');
    expect(h.requests).toHaveLength(1);
    expect(code(await done)).toBe('SY_DEADLINE_EXCEEDED');
  });

  it('a failure observed at the deadline instant with retries left: 504, not the 503', async () => {
    const h = harness({ timeoutMs: 100, retry: retry({ numRetries: 3 }) }, (clock) => resolvesAt(clock, 100, () => ({ kind: 'response', response: { status: 503, headers: {}, body: null } })));
    const { done } = h.start();
    await h.clock.advanceAsync(100);
    expect(code(await done)).toBe('SY_DEADLINE_EXCEEDED');
  });

  it('a retry budget found empty at the deadline: 504; before the deadline it surfaces the last response', async () => {
    const empty = () => createRetryBudget({ ratio: 0.2, minRetriesPerSecond: 0 }, 0);
    const at = harness({ timeoutMs: 100, retry: retry() }, (clock) => resolvesAt(clock, 100, () => ({ kind: 'response', response: { status: 503, headers: {}, body: null } })));
    const r1 = at.start({ budget: empty() });
    await at.clock.advanceAsync(100);
    expect(code(await r1.done)).toBe('SY_DEADLINE_EXCEEDED');

    const before = harness({ timeoutMs: 100, retry: retry() }, mock({ status: 503, delayMs: 10 }));
    const r2 = before.start({ budget: empty() });
    await before.clock.advanceAsync(10);
    expect(code(await r2.done)).toBe(503);
    expect(before.events.some((e) => e.kind === 'retry-budget-exhausted')).toBe(true);
  });

  it('no endpoint left for the retry (empty pick) before the deadline surfaces the last response', async () => {
    const h = harness({ timeoutMs: 1_000, retry: retry() }, mock({ status: 503 }));
    let picks = 0;
    const { done } = h.start({ pick: () => (picks++ === 0 ? { kind: 'picked', endpoint: A } : { kind: 'empty', reason: 'no-eligible-endpoints' }) });
    await h.clock.advanceAsync(300);
    expect(code(await done)).toBe(503);
  });

  it('an error discarded while a hedge runs is never the answer: the deadline is', async () => {
    const h = harness(
      { timeoutMs: 100, perTryTimeoutMs: 50, retry: retry(), hedge: { onPerTryTimeout: true } },
      (clock) => createMockTransport({ clock }).enqueueFor('a', { status: 503, delayMs: 70 }).enqueueFor('b', { hang: true }),
    );
    const { done } = h.start();
    await h.clock.advanceAsync(100);
    expect(code(await done)).toBe('SY_DEADLINE_EXCEEDED');
    // Both tries observed: the 503 at 70 ms, the hedge canceled at the deadline after 50 ms.
    expect(h.outcomes.map((o) => `${o.endpoint.id}:${o.kind === 'error' ? o.error : o.status}:${o.latencyMs}`).sort()).toEqual(['a:503:70', 'b:canceled:50']);
  });

  it('a per-try timeout whose retry cannot start before the deadline: SY_DEADLINE_EXCEEDED', async () => {
    const h = harness({ timeoutMs: 100, perTryTimeoutMs: 95, retry: retry({ baseIntervalMs: 250, maxIntervalMs: 250 }) }, mock({ hang: true }, { status: 200 }), { seed: 5 });
    const { done } = h.start();
    await h.clock.advanceAsync(95);
    expect(code(await done)).toBe('SY_DEADLINE_EXCEEDED');
    expect(h.requests).toHaveLength(1);
  });

  it('retries exhausted before the deadline still surface the last upstream response (Gateway API)', async () => {
    const h = harness({ timeoutMs: 10_000, retry: retry({ numRetries: 1 }) }, mock({ status: 503 }, { status: 502 }));
    const { done } = h.start();
    await h.clock.advanceAsync(1_000);
    expect(code(await done)).toBe(502);
  });

  it('property: once the deadline has passed, the answer is never an upstream 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ status: fc.constantFrom(200, 500, 503), delayMs: fc.integer({ min: 0, max: 150 }) }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 0, max: 5 }),
        fc.constantFrom(0, 30, 60),
        fc.integer(),
        async (replies, numRetries, perTryTimeoutMs, seed) => {
          const h = harness({ timeoutMs: 100, perTryTimeoutMs, retry: retry({ numRetries }) }, (clock) => createMockTransport({ clock }).enqueue(...replies).respondWith(() => ({ hang: true })), { seed });
          let at = -1;
          const { done } = h.start();
          void done.then(() => (at = h.clock.now()));
          await h.clock.advanceAsync(200);
          const r = await done;
          if (r.kind === 'response' && r.response.status >= 500) expect(at).toBeLessThan(100);
          expect(at).toBeLessThanOrEqual(100);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('forward: retry slots (Envoy max_retries)', () => {
  it('a request holds at most one retry slot: 5 retries with a limit of 1, every slot given back', async () => {
    const s = slots(1);
    const h = harness({ retry: retry({ numRetries: 5 }) }, (clock) => createMockTransport({ clock }).respondWith(() => ({ status: 503, delayMs: 5 })));
    const { done } = h.start({ retrySlots: s });
    await h.clock.advanceAsync(5_000);
    expect(code(await done)).toBe(503);
    expect(h.requests).toHaveLength(6);
    expect(s.peak).toBe(1);
    expect(s.held).toBe(0);
  });

  it('overflow: no slot free means no retry, the last response and a retry-overflow event', async () => {
    const s = slots(0);
    const h = harness({ retry: retry({ numRetries: 2 }) }, mock({ status: 503 }, { status: 200 }));
    const { done } = h.start({ retrySlots: s });
    await h.clock.advanceAsync(1_000);
    expect(code(await done)).toBe(503);
    expect(h.requests).toHaveLength(1);
    expect(h.events).toContainEqual({ kind: 'retry-overflow', attempt: 2 });
  });

  it('a hedge holds the slot until its outcome is known, then gives it back', async () => {
    const s = slots(1);
    const h = harness(
      { timeoutMs: 1_000, perTryTimeoutMs: 50, retry: retry(), hedge: { onPerTryTimeout: true } },
      (clock) => createMockTransport({ clock }).enqueueFor('a', { status: 200, delayMs: 300 }).enqueueFor('b', { status: 200, body: 'hedge', delayMs: 20 }),
    );
    const { done } = h.start({ retrySlots: s });
    await h.clock.advanceAsync(55);
    expect(s.held).toBe(1); // the hedge is running
    await h.clock.advanceAsync(20);
    expect(await done).toMatchObject({ response: { body: 'hedge' } });
    expect(s.held).toBe(0);
  });

  it('property: slots never exceed one per request and are all back once it ends', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.record({ status: fc.constantFrom(200, 503), delayMs: fc.integer({ min: 0, max: 80 }) }), fc.constant({ hang: true as const })), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 0, max: 5 }),
        fc.constantFrom(0, 40),
        fc.boolean(),
        fc.integer(),
        async (replies, numRetries, perTryTimeoutMs, hedge, seed) => {
          const s = slots(1);
          const h = harness({ timeoutMs: 300, perTryTimeoutMs, retry: retry({ numRetries }), hedge: { onPerTryTimeout: hedge } }, (clock) => createMockTransport({ clock }).enqueue(...(replies as MockReply[])).respondWith(() => ({ hang: true })), { seed });
          const { done } = h.start({ retrySlots: s });
          await h.clock.advanceAsync(400);
          await done;
          expect(s.peak).toBeLessThanOrEqual(1);
          expect(s.held).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('forward: the deadline and per-try timeouts cover bodies', () => {
  const chunks = (n: number): string[] => Array.from({ length: n }, () => 'x');

  it('a response body trickling past the route deadline is cut at the deadline', async () => {
    const h = harness({ timeoutMs: 100 }, mock({ status: 200, body: chunks(50), chunkDelayMs: 10 }));
    const { done } = h.start();
    await h.clock.advanceAsync(0);
    const r = await done;
    expect(code(r)).toBe(200);
    let read = 0;
    let failure: unknown;
    const reading = (async () => {
      try {
        for await (const c of r.kind === 'response' ? (r.response.body as AsyncIterable<Uint8Array>) : []) read += c.byteLength;
      } catch (err) {
        failure = err;
      }
    })();
    await h.clock.advanceAsync(200);
    await reading;
    expect(failure).toMatchObject({ name: 'BodyTimeoutError', reason: 'deadline' });
    expect(read).toBeLessThan(50);
    expect(read).toBeGreaterThanOrEqual(9);
  });

  it('the winning try per-try timeout covers its body, and the idle timeout covers the gap between chunks', async () => {
    const perTry = harness({ timeoutMs: 10_000, perTryTimeoutMs: 50 }, mock({ status: 200, delayMs: 10, body: chunks(10), chunkDelayMs: 10 }));
    const p = perTry.start();
    await perTry.clock.advanceAsync(10);
    const r1 = await p.done;
    const read1 = readAll(r1);
    await perTry.clock.advanceAsync(200);
    expect(await read1).toMatchObject({ error: { reason: 'deadline' } });

    const idle = harness({ timeoutMs: 0, idleTimeoutMs: 30 }, mock({ status: 200, body: chunks(3), chunkDelayMs: 40 }));
    const q = idle.start();
    await idle.clock.advanceAsync(0);
    const read2 = readAll(await q.done);
    await idle.clock.advanceAsync(100);
    expect(await read2).toMatchObject({ bytes: 0, error: { reason: 'idle' } });
  });

  it('a Node-stream response body stays untouched; the deadline aborts its try, its end disarms the timer', async () => {
    const run = async (endFirst: boolean) => {
      const clock = createTestClock();
      const listeners = new Map<string, () => void>();
      const nodeBody = {
        async *[Symbol.asyncIterator]() {},
        pipe: (d: unknown) => d,
        once(event: string, fn: () => void) {
          listeners.set(event, fn);
          return this;
        },
      };
      let signal: { aborted: boolean } | undefined;
      const done = forward({
        clock,
        rng: seededRng(1),
        transport: { send: async (_r, _e, o) => ((signal = o.signal), { kind: 'response', response: { status: 200, headers: {}, body: nodeBody } }) },
        policy: { timeoutMs: 100, perTryTimeoutMs: 0 },
        method: 'GET',
        body: { kind: 'none' },
        startedAt: 0,
        pick: () => ({ kind: 'picked', endpoint: A }),
        request: () => ({ method: 'GET', path: '/', headers: {} }),
      });
      await clock.advanceAsync(10);
      const r = await done;
      expect(r.kind === 'response' && r.response.body).toBe(nodeBody);
      if (endFirst) listeners.get('end')?.();
      await clock.advanceAsync(100);
      return signal?.aborted;
    };
    expect(await run(false)).toBe(true);
    expect(await run(true)).toBe(false);
  });

  it('the route idle timeout is passed to the transport for each try', async () => {
    const seen: (number | undefined)[] = [];
    const h = harness({ idleTimeoutMs: 250 }, () => ({ send: async (_r, _e, o) => (seen.push(o.idleTimeoutMs), { kind: 'response', response: { status: 200, headers: {}, body: null } }) }));
    await h.start().done;
    expect(seen).toEqual([250]);
  });

  it('a request body still arriving at the deadline is answered 408 SY_REQUEST_TIMEOUT, the try canceled', async () => {
    const clock = createTestClock();
    const transport = createMockTransport({ clock }).respondWith(() => ({ hang: true }));
    const body = guardBody(trickle(clock, 1_000, 10), { clock, deadlineAt: 100, idleTimeoutMs: 0 });
    // The transport reads the body as it sends it.
    const sent = { ...transport, send: (r: UpstreamRequest, e: Endpoint, o: Parameters<Transport['send']>[2]) => (void readAll({ kind: 'response', response: { status: 0, headers: {}, body: r.body ?? null }, endpoint: e, tries: 1 }), transport.send(r, e, o)) };
    const outcomes: Outcome[] = [];
    const done = forward({
      clock,
      rng: seededRng(1),
      transport: sent,
      policy: { timeoutMs: 100, perTryTimeoutMs: 0 },
      method: 'POST',
      body: { kind: 'once', body },
      requestBody: body,
      startedAt: 0,
      pick: () => ({ kind: 'picked', endpoint: A }),
      request: (_e, b) => ({ method: 'POST', path: '/', headers: {}, body: b }),
      observe: (o) => outcomes.push(o),
    });
    await clock.advanceAsync(100);
    expect(code(await done)).toBe('SY_REQUEST_TIMEOUT');
    expect(outcomes).toMatchObject([{ kind: 'error', error: 'canceled', latencyMs: 100 }]);
  });

  it('a request body that stalls for the idle timeout is answered 408 before the deadline', async () => {
    const clock = createTestClock();
    const transport = createMockTransport({ clock }).respondWith(() => ({ hang: true }));
    const body = guardBody(trickle(clock, 3, 1_000), { clock, deadlineAt: 10_000, idleTimeoutMs: 50 });
    let at = -1;
    const done = forward({
      clock,
      rng: seededRng(1),
      transport,
      policy: { timeoutMs: 10_000, perTryTimeoutMs: 0 },
      method: 'POST',
      body: { kind: 'once', body },
      requestBody: body,
      startedAt: 0,
      pick: () => ({ kind: 'picked', endpoint: A }),
      request: (_e, b) => ({ method: 'POST', path: '/', headers: {}, body: b }),
    }).then((r) => ((at = clock.now()), r));
    void readAll({ kind: 'response', response: { status: 0, headers: {}, body }, endpoint: A, tries: 1 });
    await clock.advanceAsync(2_000);
    expect(code(await done)).toBe('SY_REQUEST_TIMEOUT');
    expect(at).toBe(50);
  });
});

describe('forward: deadline propagation', () => {
  it('x-envoy-expected-rq-timeout-ms: the per-try timeout, capped by what remains of the route timeout', async () => {
    const h = harness({ timeoutMs: 100, perTryTimeoutMs: 60, retry: retry(), propagateDeadline: true }, mock({ status: 503, delayMs: 50 }, { status: 200 }), { seed: 1 });
    const { done } = h.start();
    await h.clock.advanceAsync(100);
    expect(code(await done)).toBe(200);
    const [first, second] = h.requests;
    expect(first?.headers['x-envoy-expected-rq-timeout-ms']).toBe('60');
    const remaining = Number(second?.headers['x-envoy-expected-rq-timeout-ms']);
    expect(remaining).toBeLessThanOrEqual(50);
    expect(remaining).toBeGreaterThanOrEqual(1);
  });

  it('the route timeout when no per-try timeout or when hedging; nothing without a timeout or without the option', async () => {
    const plain = harness({ timeoutMs: 2_000, propagateDeadline: true }, mock({ status: 200 }));
    await plain.start().done;
    expect(plain.requests[0]?.headers['x-envoy-expected-rq-timeout-ms']).toBe('2000');
    const hedged = harness({ timeoutMs: 2_000, perTryTimeoutMs: 100, retry: retry(), hedge: { onPerTryTimeout: true }, propagateDeadline: true }, mock({ status: 200 }));
    await hedged.start().done;
    expect(hedged.requests[0]?.headers['x-envoy-expected-rq-timeout-ms']).toBe('2000');
    const none = harness({ timeoutMs: 0, propagateDeadline: true }, mock({ status: 200 }));
    await none.start().done;
    expect(none.requests[0]?.headers).not.toHaveProperty('x-envoy-expected-rq-timeout-ms');
    const off = harness({ timeoutMs: 2_000 }, mock({ status: 200 }));
    await off.start().done;
    expect(off.requests[0]?.headers).not.toHaveProperty('x-envoy-expected-rq-timeout-ms');
  });

  it('grpc-timeout for gRPC requests only, never raising a smaller one the client sent', async () => {
    const send = async (headers: Record<string, string>) => {
      const h = harness({ timeoutMs: 1_500, propagateDeadline: true }, mock({ status: 200 }));
      await h.start({ request: (_e, b) => ({ method: 'POST', path: '/pkg.Svc/Call', headers, body: b }) }).done;
      return h.requests[0]?.headers ?? {};
    };
    expect((await send({ 'content-type': 'application/grpc' }))['grpc-timeout']).toBe('1500m');
    expect((await send({ 'content-type': 'application/grpc+proto' }))['grpc-timeout']).toBe('1500m');
    expect((await send({ 'content-type': 'application/grpc', 'grpc-timeout': '200m' }))['grpc-timeout']).toBe('200m');
    expect((await send({ 'content-type': 'application/grpc', 'grpc-timeout': '1H' }))['grpc-timeout']).toBe('1500m');
    expect(await send({ 'content-type': 'application/json' })).not.toHaveProperty('grpc-timeout');
  });

  it('formats grpc-timeout as Envoy: at most 8 digits, coarser units beyond', () => {
    expect(formatGrpcTimeout(1)).toBe('1m');
    expect(formatGrpcTimeout(99_999_999)).toBe('99999999m');
    expect(formatGrpcTimeout(100_000_000)).toBe('100000S');
  });
});

/** A body of `n` one-byte chunks, `gapMs` apart on `clock`. */
function trickle(clock: TestClock, n: number, gapMs: number): AsyncIterable<Uint8Array> {
  return {
    async *[Symbol.asyncIterator]() {
      for (let i = 0; i < n; i++) {
        await new Promise<void>((r) => clock.setTimer(gapMs, r));
        yield new Uint8Array([120]);
      }
    },
  };
}

/** Reads a result's body to the end: bytes read and the error it failed with, if any. */
async function readAll(r: ForwardResult): Promise<{ bytes: number; error?: unknown }> {
  let bytes = 0;
  if (r.kind !== 'response') return { bytes };
  const body = r.response.body;
  if (body === null || typeof body === 'string' || body instanceof Uint8Array) return { bytes: body === null ? 0 : body.length };
  try {
    for await (const c of body) bytes += c.byteLength;
    return { bytes };
  } catch (error) {
    return { bytes, error };
  }
}
