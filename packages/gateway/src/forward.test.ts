import { createEndpoint, type Endpoint, type Outcome, type PickResult } from '@switchyard/core';
import { createMockTransport, createTestClock, seededRng, type MockReply } from '@switchyard/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { prepareBody } from './body.js';
import { forward, type ForwardContext, type ForwardEvent, type ForwardPolicy, type ForwardResult } from './forward.js';
import { createRetryBudget, depositRequest } from './retry-budget.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry-policy.js';

const A = createEndpoint({ id: 'a', url: 'http://10.0.0.1:80' });
const B = createEndpoint({ id: 'b', url: 'http://10.0.0.2:80' });
const C = createEndpoint({ id: 'c', url: 'http://10.0.0.3:80' });

const retry = (over: Partial<RetryPolicy> = {}): RetryPolicy => ({ ...DEFAULT_RETRY_POLICY, retryOn: ['5xx'], ...over });

function setup(policy: Partial<ForwardPolicy>, opts: { endpoints?: Endpoint[]; method?: string; seed?: number } = {}) {
  const clock = createTestClock();
  const rng = seededRng(opts.seed ?? 7);
  const transport = createMockTransport({ clock });
  const endpoints = opts.endpoints ?? [A, B, C];
  const begun: string[] = [];
  const outcomes: Outcome[] = [];
  const events: ForwardEvent[] = [];
  const pick = (tried: readonly Endpoint[]): PickResult => {
    // Deterministic round-robin that avoids endpoints already tried, like Envoy's previous_hosts.
    const fresh = endpoints.filter((e) => !tried.includes(e));
    const pool = fresh.length > 0 ? fresh : endpoints;
    const e = pool[0];
    return e === undefined ? { kind: 'empty', reason: 'no-eligible-endpoints' } : { kind: 'picked', endpoint: e };
  };
  const run = async (body?: string): Promise<{ result: () => ForwardResult | undefined; done: Promise<ForwardResult> }> => {
    const prepared = await prepareBody(body, 1024);
    const ctx: ForwardContext = {
      clock,
      rng,
      transport,
      policy: { timeoutMs: 15_000, perTryTimeoutMs: 0, ...policy },
      method: opts.method ?? 'GET',
      body: prepared,
      startedAt: clock.now(),
      pick,
      request: (_e, b) => ({ method: opts.method ?? 'GET', path: '/x', headers: {}, body: b }),
      begin: (e) => begun.push(e.id),
      observe: (o) => outcomes.push(o),
      onEvent: (e) => events.push(e),
    };
    let value: ForwardResult | undefined;
    const done = forward(ctx).then((r) => (value = r));
    return { result: () => value, done };
  };
  return { clock, rng, transport, begun, outcomes, events, run };
}

/**
 * A context with one endpoint (A), no deadline, no retries and no body; a test passes the
 * clock and transport and overrides what it exercises.
 */
function single(over: Partial<ForwardContext> & Pick<ForwardContext, 'clock' | 'transport'>): ForwardContext {
  return {
    rng: seededRng(1),
    policy: { timeoutMs: 0, perTryTimeoutMs: 0 },
    method: 'GET',
    body: { kind: 'none' },
    startedAt: 0,
    pick: () => ({ kind: 'picked', endpoint: A }),
    request: () => ({ method: 'GET', path: '/', headers: {} }),
    ...over,
  };
}

function status(r: ForwardResult | undefined): number | string | undefined {
  return r === undefined ? undefined : r.kind === 'response' ? r.response.status : r.code;
}

describe('forward', () => {
  it('answers with the first response when it is not retriable, observing the try once', async () => {
    const t = setup({ retry: retry() });
    t.transport.enqueue({ status: 200, body: 'ok', delayMs: 12 });
    const { done } = await t.run();
    await t.clock.advanceAsync(12);
    const r = await done;
    expect(status(r)).toBe(200);
    expect(t.begun).toEqual(['a']);
    expect(t.outcomes).toMatchObject([{ kind: 'response', status: 200, latencyMs: 12 }]);
  });

  it('retries a 503 on another endpoint after a full-jitter back-off below 25 ms', async () => {
    const t = setup({ retry: retry() });
    t.transport.enqueue({ status: 503 }, { status: 200 });
    const { done } = await t.run();
    await t.clock.advanceAsync(25);
    const r = await done;
    expect(status(r)).toBe(200);
    expect(t.transport.requests.map((q) => q.endpoint.id)).toEqual(['a', 'b']);
    const retryEvent = t.events.find((e) => e.kind === 'retry');
    expect(retryEvent).toMatchObject({ kind: 'retry', attempt: 2, reason: 'status 503' });
    expect((retryEvent as { backoffMs: number }).backoffMs).toBeLessThan(25);
    expect(t.transport.requests[1]?.at).toBeLessThan(25);
  });

  it('surfaces the last upstream response once retries are exhausted (retries, not tries)', async () => {
    const t = setup({ retry: retry({ numRetries: 2 }) });
    t.transport.enqueue({ status: 503, body: 'first' }, { status: 502, body: 'second' }, { status: 500, body: 'third' });
    const { done } = await t.run();
    await t.clock.advanceAsync(1_000);
    const r = await done;
    expect(t.transport.requests).toHaveLength(3);
    expect(r).toMatchObject({ kind: 'response', tries: 3, response: { status: 500, body: 'third' } });
  });

  it('never retries a non-idempotent request unless the route says so', async () => {
    const t = setup({ retry: retry() }, { method: 'POST' });
    t.transport.enqueue({ status: 503 }, { status: 200 });
    const { done } = await t.run('payload');
    await t.clock.advanceAsync(1_000);
    expect(status(await done)).toBe(503);
    expect(t.transport.requests).toHaveLength(1);

    const u = setup({ retry: retry({ retryNonIdempotent: true }) }, { method: 'POST' });
    u.transport.enqueue({ status: 503 }, { status: 200 });
    const second = await u.run('payload');
    await u.clock.advanceAsync(1_000);
    expect(status(await second.done)).toBe(200);
    expect(u.transport.requests.map((q) => q.request.body)).toEqual(['payload', 'payload']);
  });

  it('answers 504 at the route deadline and never retries after it, cancelling the try', async () => {
    const t = setup({ timeoutMs: 100, retry: retry({ numRetries: 5 }) });
    t.transport.enqueue({ hang: true });
    const { done, result } = await t.run();
    await t.clock.advanceAsync(99);
    expect(result()).toBeUndefined();
    await t.clock.advanceAsync(1);
    expect(status(await done)).toBe('SY_DEADLINE_EXCEEDED');
    expect(t.transport.requests).toHaveLength(1);
    expect(t.transport.requests[0]?.aborted()).toBe(true);
    expect(t.outcomes).toMatchObject([{ kind: 'error', error: 'canceled', latencyMs: 100 }]);
    await t.clock.advanceAsync(1_000);
    expect(t.transport.requests).toHaveLength(1);
  });

  it('without a per-try timeout a hung try is not retried: the route timeout covers it (Envoy gotcha)', async () => {
    const t = setup({ timeoutMs: 200, retry: retry() });
    t.transport.enqueue({ hang: true }, { status: 200 });
    const { done } = await t.run();
    await t.clock.advanceAsync(200);
    expect(status(await done)).toBe('SY_DEADLINE_EXCEEDED');
    expect(t.transport.requests).toHaveLength(1);
  });

  it('retries after a per-try timeout, observing the timed-out try as a timeout', async () => {
    const t = setup({ timeoutMs: 1_000, perTryTimeoutMs: 50, retry: retry() });
    t.transport.enqueue({ hang: true }, { status: 200, delayMs: 10 });
    const { done } = await t.run();
    await t.clock.advanceAsync(200);
    const r = await done;
    expect(status(r)).toBe(200);
    expect(t.transport.requests[0]?.aborted()).toBe(true);
    expect(t.outcomes.map((o) => (o.kind === 'error' ? o.error : o.status))).toEqual(['timeout', 200]);
    expect(t.outcomes[0]?.latencyMs).toBe(50);
  });

  it('answers 504 SY_UPSTREAM_TIMEOUT when the per-try timeout fires and no retry is left', async () => {
    const t = setup({ timeoutMs: 1_000, perTryTimeoutMs: 50 });
    t.transport.enqueue({ hang: true });
    const { done } = await t.run();
    await t.clock.advanceAsync(50);
    expect(status(await done)).toBe('SY_UPSTREAM_TIMEOUT');
  });

  it('honours Retry-After in seconds, jittered within [v, 1.5 v)', async () => {
    const t = setup({ timeoutMs: 10_000, retry: retry() });
    t.transport.enqueue({ status: 503, headers: { 'retry-after': '2' } }, { status: 200 });
    const { done, result } = await t.run();
    await t.clock.advanceAsync(1_999);
    expect(result()).toBeUndefined();
    expect(t.transport.requests).toHaveLength(1);
    await t.clock.advanceAsync(1_001);
    expect(status(await done)).toBe(200);
    expect(t.transport.requests[1]?.at).toBeGreaterThanOrEqual(2_000);
    expect(t.transport.requests[1]?.at).toBeLessThan(3_000);
  });

  it('does not wait for a Retry-After that would outlive the deadline: it answers 504 at once, not the 503', async () => {
    const t = setup({ timeoutMs: 1_000, retry: retry() });
    t.transport.enqueue({ status: 503, headers: { 'retry-after': '5' } }, { status: 200 });
    const { done } = await t.run();
    await t.clock.advanceAsync(0);
    expect(status(await done)).toBe('SY_DEADLINE_EXCEEDED');
    expect(t.transport.requests).toHaveLength(1);
  });

  it('stops retrying when the retry budget is spent and says so', async () => {
    const t = setup({ retry: retry({ numRetries: 3 }) });
    // ratio 0.2 ⇒ a retry withdraws 5 tokens; no free retries; one request deposited 1 token.
    const budget = createRetryBudget({ ratio: 0.2, minRetriesPerSecond: 0 }, 0);
    for (let i = 0; i < 5; i++) depositRequest(budget, 0);
    t.transport.enqueue({ status: 503 }, { status: 503 }, { status: 200 });
    const prepared = await prepareBody(undefined, 0);
    const outcomes: Outcome[] = [];
    const events: ForwardEvent[] = [];
    const done = forward(
      single({
        clock: t.clock,
        rng: t.rng,
        transport: t.transport,
        policy: { timeoutMs: 15_000, perTryTimeoutMs: 0, retry: retry({ numRetries: 3 }) },
        body: prepared,
        observe: (o) => outcomes.push(o),
        onEvent: (e) => events.push(e),
        budget,
      }),
    );
    await t.clock.advanceAsync(1_000);
    expect(status(await done)).toBe(503);
    expect(t.transport.requests).toHaveLength(2);
    expect(events.some((e) => e.kind === 'retry-budget-exhausted')).toBe(true);
  });

  it('hedges on per-try timeout: the faster try wins and the loser is cancelled', async () => {
    const t = setup({ timeoutMs: 1_000, perTryTimeoutMs: 50, retry: retry(), hedge: { onPerTryTimeout: true } });
    t.transport.enqueueFor('a', { status: 200, body: 'slow', delayMs: 300 });
    t.transport.enqueueFor('b', { status: 200, body: 'fast', delayMs: 10 });
    const { done } = await t.run();
    await t.clock.advanceAsync(60);
    const r = await done;
    expect(r).toMatchObject({ kind: 'response', response: { body: 'fast' }, endpoint: { id: 'b' }, tries: 2 });
    expect(t.transport.requests[0]?.aborted()).toBe(true);
    expect(t.transport.requests[1]?.aborted()).toBe(false);
    expect(t.events.filter((e) => e.kind === 'hedge')).toHaveLength(1);
    // Both tries observed exactly once: the winner's response and the loser as canceled.
    expect(t.outcomes.map((o) => `${o.endpoint.id}:${o.kind === 'error' ? o.error : o.status}`).sort()).toEqual(['a:canceled', 'b:200']);
  });

  it('hedges after a fixed delay when configured, and the original can still win', async () => {
    const t = setup({ timeoutMs: 1_000, retry: retry(), hedge: { onPerTryTimeout: false, delayMs: 20 } });
    t.transport.enqueueFor('a', { status: 200, body: 'original', delayMs: 25 });
    t.transport.enqueueFor('b', { status: 200, body: 'hedge', delayMs: 100 });
    const { done } = await t.run();
    await t.clock.advanceAsync(30);
    expect(await done).toMatchObject({ response: { body: 'original' }, tries: 2 });
    expect(t.transport.requests[1]?.aborted()).toBe(true);
  });

  it('while a hedge is in flight, an error from the other try is discarded', async () => {
    const t = setup({ timeoutMs: 1_000, perTryTimeoutMs: 50, retry: retry(), hedge: { onPerTryTimeout: true } });
    t.transport.enqueueFor('a', { status: 503, delayMs: 70 });
    t.transport.enqueueFor('b', { status: 200, delayMs: 40 });
    const { done } = await t.run();
    await t.clock.advanceAsync(100);
    expect(status(await done)).toBe(200);
    expect(t.events.filter((e) => e.kind === 'retry')).toHaveLength(0);
  });

  it('a client abort cancels the try and answers SY_CANCELED', async () => {
    const clock = createTestClock();
    const transport = createMockTransport({ clock }).enqueue({ hang: true });
    const client = new AbortController();
    const outcomes: Outcome[] = [];
    const done = forward(single({ clock, transport, observe: (o) => outcomes.push(o), signal: client.signal }));
    await clock.advanceAsync(10);
    client.abort();
    expect(status(await done)).toBe('SY_CANCELED');
    expect(transport.requests[0]?.aborted()).toBe(true);
    expect(outcomes).toMatchObject([{ kind: 'error', error: 'canceled' }]);
  });

  it('after headers, a client abort still cancels the winning try until its body ends', async () => {
    const clock = createTestClock();
    const transport = createMockTransport({ clock }).enqueue({ status: 200, body: ['a', 'b', 'c'], chunkDelayMs: 1_000 });
    const client = new AbortController();
    const result = await forward(single({ clock, transport, signal: client.signal }));
    expect(result.kind).toBe('response');
    expect(transport.requests[0]?.aborted()).toBe(false);
    client.abort();
    expect(transport.requests[0]?.aborted()).toBe(true);
  });

  it('a Node-style stream body is passed through untouched; its close event disarms the client-abort tie', async () => {
    const listeners = new Map<string, () => void>();
    const nodeBody = {
      async *[Symbol.asyncIterator]() {},
      pipe: (d: unknown) => d,
      once(event: string, fn: () => void) {
        listeners.set(event, fn);
        return this;
      },
    };
    const signals: { aborted: boolean }[] = [];
    const run = async (closeFirst: boolean) => {
      const client = new AbortController();
      const result = await forward(
        single({
          clock: createTestClock(),
          transport: {
            send: async (_r, _e, o) => {
              signals.push(o.signal);
              return { kind: 'response', response: { status: 200, headers: {}, body: nodeBody } };
            },
          },
          signal: client.signal,
        }),
      );
      expect(result.kind === 'response' && result.response.body).toBe(nodeBody);
      expect([...listeners.keys()].sort()).toEqual(['close', 'end', 'error']);
      if (closeFirst) listeners.get('close')?.();
      client.abort();
      return signals.at(-1)?.aborted;
    };
    expect(await run(false)).toBe(true);
    expect(await run(true)).toBe(false);
  });

  it('maps connect errors and resets to 502 codes after retries, and no endpoint to 503', async () => {
    const t = setup({ retry: retry({ retryOn: ['connect-failure'] }) });
    t.transport.enqueue({ error: 'connect' }, { error: 'connect' });
    const { done } = await t.run();
    await t.clock.advanceAsync(1_000);
    expect(status(await done)).toBe('SY_UPSTREAM_CONNECT');

    const u = setup({ retry: retry({ retryOn: ['connect-failure'] }) });
    u.transport.enqueue({ error: 'reset' });
    const second = await u.run();
    await u.clock.advanceAsync(1_000);
    expect(status(await second.done)).toBe('SY_UPSTREAM_RESET');
    expect(u.transport.requests).toHaveLength(1);

    const v = setup({}, { endpoints: [] });
    const third = await v.run();
    expect(status(await third.done)).toBe('SY_NO_ENDPOINT');
  });

  it('does not retry a streamed body larger than the replay buffer', async () => {
    const t = setup({ retry: retry({ retryNonIdempotent: true }) }, { method: 'PUT' });
    t.transport.enqueue({ status: 503 }, { status: 200 });
    const big = new Uint8Array(4096);
    const prepared = await prepareBody(
      (async function* () {
        yield big;
        yield big;
      })(),
      1024,
    );
    expect(prepared.kind).toBe('once');
    const done = forward(
      single({
        clock: t.clock,
        rng: t.rng,
        transport: t.transport,
        policy: { timeoutMs: 1_000, perTryTimeoutMs: 0, retry: retry({ retryNonIdempotent: true }) },
        method: 'PUT',
        body: prepared,
        request: (_e, b) => ({ method: 'PUT', path: '/', headers: {}, body: b }),
      }),
    );
    await t.clock.advanceAsync(100);
    expect(status(await done)).toBe(503);
    expect(t.transport.requests).toHaveLength(1);
  });

  it('property: exactly one result, every begun try observed exactly once, never more retries than allowed', async () => {
    const reply = fc.oneof(
      fc.record({ status: fc.constantFrom(200, 404, 500, 502, 503, 504), delayMs: fc.integer({ min: 0, max: 120 }) }),
      fc.record({ error: fc.constantFrom('connect' as const, 'reset' as const, 'timeout' as const), delayMs: fc.integer({ min: 0, max: 120 }) }),
      fc.constant({ hang: true as const }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(reply, { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 0, max: 4 }),
        fc.constantFrom(0, 40, 80),
        fc.boolean(),
        fc.constantFrom(0, 150, 400),
        fc.integer(),
        async (replies, numRetries, perTryTimeoutMs, hedgeOnPerTryTimeout, timeoutMs, seed) => {
          const t = setup(
            { timeoutMs, perTryTimeoutMs, retry: retry({ numRetries }), hedge: { onPerTryTimeout: hedgeOnPerTryTimeout } },
            { seed },
          );
          t.transport.enqueue(...(replies as MockReply[]));
          t.transport.respondWith(() => ({ hang: true }));
          let results = 0;
          const { done } = await t.run();
          void done.then(() => results++);
          await t.clock.advanceAsync(timeoutMs === 0 ? 5_000 : timeoutMs + 10);
          if (timeoutMs === 0) {
            // No deadline: hung tries may legitimately still be waiting; nothing else may be.
            if (results === 0) expect(t.transport.inFlight()).toBeGreaterThan(0);
          } else {
            expect(results).toBe(1);
            // Every begun try has been observed, exactly once.
            expect(t.outcomes).toHaveLength(t.begun.length);
          }
          expect(t.begun.length).toBeLessThanOrEqual(1 + numRetries);
          const ids = t.outcomes.map((o) => o.endpoint.id);
          expect(ids.length).toBeLessThanOrEqual(t.begun.length);
        },
      ),
      { numRuns: 300 },
    );
  });
});
