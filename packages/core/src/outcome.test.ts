import { describe, expect, it } from 'vitest';
import { createEndpoint } from './endpoint.js';
import { isFailure, type Outcome } from './outcome.js';

describe('isFailure', () => {
  const endpoint = createEndpoint({ url: 'http://a:1' });
  const response = (status: number): Outcome => ({ kind: 'response', endpoint, status, latencyMs: 1, at: 1 });
  const error = (e: 'connect' | 'timeout' | 'reset' | 'canceled'): Outcome => ({ kind: 'error', endpoint, error: e, latencyMs: 1, at: 1 });

  it('counts 5xx and every error but canceled as the endpoint’s failure', () => {
    expect([200, 404, 429, 499, 500, 503].map((s) => isFailure(response(s)))).toEqual([false, false, false, false, true, true]);
    expect((['connect', 'timeout', 'reset', 'canceled'] as const).map((e) => isFailure(error(e)))).toEqual([true, true, true, false]);
  });
});
