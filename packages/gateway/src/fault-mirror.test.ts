import { createEndpoint, type Outcome } from '@switchyard/core';
import { createMockTransport, createTestClock, seededRng } from '@switchyard/testing';
import { describe, expect, it } from 'vitest';
import { decideFault, NO_FAULT } from './fault.js';
import { sendMirror, shadowHost, shouldMirror } from './mirror.js';

const S = createEndpoint({ id: 'shadow', url: 'http://10.9.9.9:80' });

describe('fault injection', () => {
  it('does nothing when the percentage is unset (Envoy/Istio default 0 %)', () => {
    const rng = seededRng(1);
    for (let i = 0; i < 1_000; i++) {
      expect(decideFault({ delay: { fixedDelayMs: 100 }, abort: { httpStatus: 503 } }, {}, rng)).toBe(NO_FAULT);
    }
  });

  it('applies delay and abort to about their percentage of requests', () => {
    const rng = seededRng(2);
    let delayed = 0;
    let aborted = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const d = decideFault({ delay: { fixedDelayMs: 50, percent: 10 }, abort: { httpStatus: 503, percent: 25 } }, {}, rng);
      if (d.delayMs === 50) delayed++;
      if (d.abortStatus === 503) aborted++;
    }
    // Binomial 4σ bounds: 10 % ± 0.85 %, 25 % ± 1.22 %.
    expect(Math.abs(delayed / n - 0.1)).toBeLessThan(0.0085);
    expect(Math.abs(aborted / n - 0.25)).toBeLessThan(0.0123);
  });

  it('faults only requests matching every configured header', () => {
    const rng = seededRng(3);
    const policy = { abort: { httpStatus: 500, percent: 100 }, headers: { 'x-chaos': 'yes' } };
    expect(decideFault(policy, { 'x-chaos': 'no' }, rng)).toBe(NO_FAULT);
    expect(decideFault(policy, { 'x-chaos': 'yes' }, rng).abortStatus).toBe(500);
  });

  it('lets clients pick delay and status only with headerControl on', () => {
    const rng = seededRng(4);
    const headers = { 'x-fault-delay-request': '7', 'x-fault-abort-request': '418' };
    const base = { delay: { fixedDelayMs: 100, percent: 100 }, abort: { httpStatus: 503, percent: 100 } };
    expect(decideFault(base, headers, rng)).toEqual({ delayMs: 100, abortStatus: 503 });
    expect(decideFault({ ...base, headerControl: true }, headers, rng)).toEqual({ delayMs: 7, abortStatus: 418 });
  });
});

describe('mirroring', () => {
  it('mirrors 100 % when the percentage is unset', () => {
    const rng = seededRng(5);
    for (let i = 0; i < 100; i++) expect(shouldMirror({}, rng)).toBe(true);
    expect(shouldMirror({ percent: 0 }, rng)).toBe(false);
  });

  it('appends -shadow to the host, keeping the port', () => {
    expect(shadowHost('api.example.com')).toBe('api.example.com-shadow');
    expect(shadowHost('api:8080')).toBe('api-shadow:8080');
    expect(shadowHost('[::1]:8080')).toBe('[::1]-shadow:8080');
  });

  it('is fire-and-forget: returns at once, discards the shadow response and observes it', async () => {
    const clock = createTestClock();
    const transport = createMockTransport({ clock }).enqueue({ status: 500, body: 'boom', delayMs: 40 });
    const outcomes: Outcome[] = [];
    sendMirror({
      clock,
      transport,
      policy: {},
      body: { kind: 'replayable', body: 'x', bytes: 1 },
      pick: () => ({ kind: 'picked', endpoint: S }),
      request: (_e, body) => ({ method: 'POST', path: '/orders', headers: { host: 'orders' }, body }),
      observe: (o) => outcomes.push(o),
    });
    expect(transport.requests[0]?.request.headers['host']).toBe('orders-shadow');
    expect(outcomes).toHaveLength(0);
    await clock.advanceAsync(40);
    expect(outcomes).toMatchObject([{ kind: 'response', status: 500, latencyMs: 40 }]);
  });

  it('cancels a hung shadow request after its timeout, and skips bodies it cannot replay', async () => {
    const clock = createTestClock();
    const transport = createMockTransport({ clock }).enqueue({ hang: true });
    const outcomes: Outcome[] = [];
    const skips: string[] = [];
    const ctx = {
      clock,
      transport,
      policy: { timeoutMs: 100 },
      pick: () => ({ kind: 'picked' as const, endpoint: S }),
      request: () => ({ method: 'GET', path: '/', headers: {} }),
      observe: (o: Outcome) => outcomes.push(o),
      onSkip: (r: string) => skips.push(r),
    };
    sendMirror({ ...ctx, body: { kind: 'none' } });
    await clock.advanceAsync(100);
    expect(transport.requests[0]?.aborted()).toBe(true);
    expect(outcomes).toMatchObject([{ kind: 'error', error: 'canceled' }]);
    sendMirror({ ...ctx, body: { kind: 'once', body: (async function* () {})() } });
    expect(skips).toEqual(['body-not-replayable']);
    expect(transport.requests).toHaveLength(1);
  });
});
