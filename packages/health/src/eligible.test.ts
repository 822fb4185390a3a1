import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createEndpoint } from '@switchyard/core';
import { computeEligible } from './eligible.js';

describe('computeEligible', () => {
  it('property: the healthy set is exactly the endpoints neither ejected nor actively unhealthy, in order; panic below the threshold', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ ejected: fc.boolean(), status: fc.constantFrom(undefined, 'pending', 'healthy', 'unhealthy') }), { maxLength: 30 }),
        fc.integer({ min: 0, max: 100 }),
        fc.boolean(),
        (flags, threshold, withHealth) => {
          const endpoints = flags.map((_, i) => createEndpoint({ url: `http://10.0.0.${i + 1}:80` }));
          const byId = new Map(endpoints.map((e, i) => [e.id, flags[i]!]));
          const options = {
            isEjected: (id: string) => byId.get(id)?.ejected === true,
            ...(withHealth ? { activeStatus: (id: string) => byId.get(id)?.status } : {}),
            panicThresholdPercent: threshold,
          };
          const expected = endpoints.filter((e) => {
            const f = byId.get(e.id)!;
            return !f.ejected && (!withHealth || f.status === undefined || f.status === 'healthy');
          });
          const r = computeEligible(endpoints, options);
          expect(r.healthyCount).toBe(expected.length);
          const panic = endpoints.length > 0 && threshold > 0 && (100 * expected.length) / endpoints.length < threshold;
          expect(r.panic).toBe(panic);
          expect(r.endpoints).toEqual(panic ? endpoints : expected);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('without health predicates every endpoint is eligible and the same array is returned (no allocation per request)', () => {
    const endpoints = [createEndpoint({ url: 'http://a:80' }), createEndpoint({ url: 'http://b:80' })];
    const r = computeEligible(endpoints);
    expect(r).toEqual({ endpoints, panic: false, healthyCount: 2 });
    expect(r.endpoints).toBe(endpoints);
    expect(computeEligible(endpoints, { isEjected: () => false }).endpoints).toBe(endpoints);
  });
});
