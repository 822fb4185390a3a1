import { createEndpoint } from '@switchyard/core';
import { createMockTransport, createTestClock } from '@switchyard/testing';
import { describe, expect, it } from 'vitest';
import { createTransportWebhookCaller, evaluateWithWebhooks, type RolloutWebhook } from './rollout-webhooks.js';
import { observeRollout, startRollout, type RolloutConfig, type RolloutEvent } from './rollout.js';

const v1 = createEndpoint({ id: 'v1', url: 'http://10.0.0.1:80' });
const v2 = createEndpoint({ id: 'v2', url: 'http://10.0.0.2:80' });
const base: RolloutConfig = { name: 'api-v2', steps: [10, 50, 100], analysisIntervalMs: 10_000, minRequests: 10, minLatencySamples: 10, failureThreshold: 2 };

function setup(webhooks: RolloutWebhook[], answer: (path: string, n: number) => { status: number; delayMs?: number }) {
  const clock = createTestClock();
  const transport = createMockTransport({ clock });
  const calls: Array<{ path: string; key: string | undefined; body: unknown }> = [];
  transport.respondWith((req) => {
    calls.push({ path: req.path, key: req.headers['x-switchyard-idempotency-key'], body: JSON.parse(String(req.body)) });
    return answer(req.path, calls.filter((c) => c.path === req.path).length);
  });
  const call = createTransportWebhookCaller({ transport, clock });
  const config: RolloutConfig = { ...base, webhooks };
  const state = startRollout(config, 0);
  const events: RolloutEvent[] = [...state.events];
  /** One interval of healthy traffic, then the check (the fake clock runs while webhooks answer). */
  const interval = async (): Promise<void> => {
    for (let i = 0; i < 200; i++) {
      const canary = i % 100 < state.weightPercent;
      observeRollout(config, state, canary ? 'canary' : 'baseline', { kind: 'response', endpoint: canary ? v2 : v1, status: 200, latencyMs: 20 + (i % 7), at: clock.now() });
    }
    await clock.advanceAsync(10_000);
    let done = false;
    void evaluateWithWebhooks(config, state, clock.now(), call).then((e) => {
      events.push(...e);
      done = true;
    });
    while (!done) await clock.advanceAsync(100);
  };
  return { clock, state, events, calls, interval };
}

const story = (events: readonly RolloutEvent[]) => events.map((e) => `${e.type}:${e.toPercent}`);

describe('rollout webhooks (Flagger types)', () => {
  it('confirm-rollout holds the canary at 0 % until it answers 2xx', async () => {
    const t = setup([{ name: 'human', type: 'confirm-rollout', url: 'http://gate.test/confirm' }], (_p, n) => ({ status: n < 3 ? 403 : 200 }));
    expect(t.state).toMatchObject({ phase: 'waiting', weightPercent: 0 });
    for (let i = 0; i < 4; i++) await t.interval();
    expect(story(t.events)).toEqual(['started:0', 'held:0', 'held:0', 'promoted:10', 'promoted:50']);
    expect(t.events[1]?.reason).toBe('waiting for confirm-rollout: human answered 403');
  });

  it('pre-rollout runs once and rollout at every check; a failure is a failed check (rolled back at the threshold)', async () => {
    const t = setup(
      [
        { name: 'load', type: 'pre-rollout', url: 'http://lt.test/pre' },
        { name: 'smoke', url: 'http://lt.test/smoke' },
      ],
      (p, n) => ({ status: p === '/smoke' && n >= 2 ? 500 : 200 }),
    );
    for (let i = 0; i < 4; i++) await t.interval();
    expect(t.calls.filter((c) => c.path === '/pre')).toHaveLength(1);
    expect(story(t.events)).toEqual(['started:10', 'promoted:50', 'check-failed:50', 'rolled-back:0']);
    expect(t.events.at(-1)?.reason).toMatch(/webhook failed: smoke answered 500/);
    expect(t.state.failedChecks).toBe(2);
  });

  it('confirm-promotion: the last step waits (checks go on) until approved; post-rollout is called after, with the idempotency key', async () => {
    let approve = false;
    const t = setup(
      [
        { name: 'approve', type: 'confirm-promotion', url: 'http://gate.test/promote' },
        { name: 'notify', type: 'post-rollout', url: 'http://chat.test/post', metadata: { channel: '#releases' } },
      ],
      (p) => ({ status: p === '/promote' && !approve ? 403 : 200 }),
    );
    for (let i = 0; i < 3; i++) await t.interval();
    expect(story(t.events)).toEqual(['started:10', 'promoted:50', 'held:50', 'held:50']);
    expect(t.events.at(-1)?.reason).toMatch(/^check passed at 50%; waiting for confirm-promotion: approve answered 403/);
    approve = true;
    await t.interval();
    expect(story(t.events).at(-1)).toBe('succeeded:100');
    const post = t.calls.find((c) => c.path === '/post');
    expect(post?.body).toEqual({ name: 'api-v2', namespace: '', phase: 'succeeded', checksum: `api-v2:${t.state.revision}`, metadata: { channel: '#releases' } });
    expect(post?.key).toBe(`api-v2:${t.state.revision}:post-rollout`);
  });

  it('a rollback webhook answering 2xx rolls back at once (inverted sense)', async () => {
    const t = setup([{ name: 'pager', type: 'rollback', url: 'http://pager.test/incident' }], (_p, n) => ({ status: n >= 2 ? 200 : 404 }));
    for (let i = 0; i < 3; i++) await t.interval();
    expect(story(t.events)).toEqual(['started:10', 'promoted:50', 'rolled-back:0']);
    expect(t.events.at(-1)?.reason).toBe('rollback webhook: pager answered 200');
  });

  it('times out each attempt and retries', async () => {
    const t = setup([{ name: 'slow', url: 'http://lt.test/slow', timeoutMs: 1000, retries: 1 }], () => ({ status: 200, delayMs: 5000 }));
    await t.interval();
    expect(t.calls).toHaveLength(2);
    expect(t.events.at(-1)?.reason).toMatch(/webhook failed: slow answered timeout after 1000 ms \(after 2 attempts\)/);
  });
});

