import { describe, expect, it } from 'vitest';
import { compileResourceLimits, createResourceCounters, releaseResource, resourceLimit, tryAcquireResource } from './resource-limits.js';

describe('resource limits', () => {
  it.each([
    ['maxConnections', 1024, 'max_connections'],
    ['maxPendingRequests', 1024, 'max_pending_requests'],
    ['maxRequests', 1024, 'max_requests'],
    ['maxRetries', 3, 'max_retries'],
  ] as ReadonlyArray<readonly [keyof ReturnType<typeof compileResourceLimits>, unknown, string]>)('default %s = %s comes from Envoy circuit_breaker.proto %s', (field, value) => {
    expect(compileResourceLimits()[field]).toBe(value);
  });

  it('retry budget defaults come from Envoy retry_budget: 20 % and min_retry_concurrency 3', () => {
    expect(compileResourceLimits({ retryBudget: {} }).retryBudget).toEqual({ budgetPercent: 20, minRetryConcurrency: 3 });
  });

  it('acquire - refuses at the limit (current < max) and release frees a slot', () => {
    const plan = compileResourceLimits({ maxRequests: 2 });
    const c = createResourceCounters();
    expect([tryAcquireResource(plan, c, 'requests'), tryAcquireResource(plan, c, 'requests'), tryAcquireResource(plan, c, 'requests')]).toEqual([true, true, false]);
    releaseResource(c, 'requests');
    expect(tryAcquireResource(plan, c, 'requests')).toBe(true);
    expect(c.requests).toBe(2);
  });

  it('retry budget - allows max(min, 20 % of active + pending) retries', () => {
    const plan = compileResourceLimits({ retryBudget: {} });
    const c = createResourceCounters();
    expect(resourceLimit(plan, c, 'retries')).toBe(3);
    c.requests = 40;
    c.pendingRequests = 10;
    expect(resourceLimit(plan, c, 'retries')).toBe(10);
    c.retries = 10;
    expect(tryAcquireResource(plan, c, 'retries')).toBe(false);
  });

  it('release never goes below zero', () => {
    const c = createResourceCounters();
    releaseResource(c, 'retries');
    expect(c.retries).toBe(0);
  });
});
