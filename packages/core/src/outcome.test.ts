import { describe, expect, it } from 'vitest';
import { createEndpoint } from './endpoint.js';
import { isFailure, isLocalOrigin, type Outcome, type OutcomeErrorKind } from './outcome.js';

describe('isFailure', () => {
  const endpoint = createEndpoint({ url: 'http://a:1' });
  const response = (status: number): Outcome => ({ kind: 'response', endpoint, status, latencyMs: 1, at: 1 });
  const error = (e: OutcomeErrorKind): Outcome => ({ kind: 'error', endpoint, error: e, latencyMs: 1, at: 1 });

  it('counts 5xx and every upstream error as the endpoint’s failure, never canceled, invalid-request or local', () => {
    expect([200, 404, 429, 499, 500, 503].map((s) => isFailure(response(s)))).toEqual([false, false, false, false, true, true]);
    const kinds = ['connect', 'timeout', 'reset', 'canceled', 'invalid-request', 'local'] as const;
    expect(kinds.map((e) => isFailure(error(e)))).toEqual([true, true, true, false, false, false]);
    expect(kinds.map((e) => isLocalOrigin(e))).toEqual([false, false, false, true, true, true]);
  });
});
