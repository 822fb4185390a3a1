// The deprecated names of issue #24's one vocabulary stay exported and are the new names.
import { seededRng } from '@switchyard/testing';
import { describe, expect, it } from 'vitest';
import { createCircuitBreaker, observeBreakerResult, observeHealthCheckResult, recordBreakerResult, recordHealthCheckResult } from './index.js';

describe('deprecated names', () => {
  it('recordBreakerResult is observeBreakerResult', () => {
    expect(recordBreakerResult).toBe(observeBreakerResult);
  });

  it('recordHealthCheckResult is observeHealthCheckResult', () => {
    expect(recordHealthCheckResult).toBe(observeHealthCheckResult);
  });

  it('CircuitBreaker.record is observe (the same function)', () => {
    const breaker = createCircuitBreaker({ config: { name: 'b', policy: { kind: 'consecutive', maxFailures: 1 } }, rng: seededRng(1) });
    expect(breaker.record).toBe(breaker.observe);
    // Feedback through the old name still counts: one failure opens a maxFailures: 1 breaker.
    breaker.record(breaker.tryAcquire(0), true, 0);
    expect(breaker.status(0)).toBe('open');
  });
});
