/**
 * Property: whatever request target the gateway accepts, Express (4 and 5 both route on
 * `parseurl`) reads the same path and query from it as the Node bridge did, so decide mode
 * decides on the path whose handler Express runs. Targets the gateway refuses (400) never reach
 * a handler in decide mode.
 */
import { createRequire } from 'node:module';
import { createGateway, fromNodeRequest, type GatewayConfig } from '@switchyard/gateway';
import { createMockTransport, createTestClock } from '@switchyard/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

// Express's own copy of parseurl (a dependency of express and of its router).
const parseurl = createRequire(createRequire(import.meta.url).resolve('express'))('parseurl') as (req: { url: string }) => { pathname: string | null; query: string | null };

const gateway = createGateway(
  { routes: [{ name: 'all', matches: [{ path: { type: 'PathPrefix', value: '/' } }], backends: [{ upstream: 'u' }] }], upstreams: { u: { endpoints: [{ url: 'http://127.0.0.1:9' }] } } } as GatewayConfig,
  { transport: createMockTransport({ clock: createTestClock() }), clock: createTestClock() },
);

const target = fc
  .array(fc.constantFrom('a', 'd', 'm', '/', '?', '#', ';', '%', '2', '3', '6', '1', '.', '=', '&', 'A'), { maxLength: 14 })
  .map((chars) => `/${chars.join('')}`);

describe('Node bridge and Express agree on every accepted target', () => {
  it('property - an accepted target has the path and query parseurl gives Express', () => {
    fc.assert(
      fc.property(target, (url) => {
        const sy = fromNodeRequest({ url, headers: { host: 'h' }, async *[Symbol.asyncIterator]() {} });
        const decision = gateway.decideNow(sy) as Awaited<ReturnType<typeof gateway.decideNow>>;
        if (decision.kind === 'respond' && decision.response.status === 400) return; // refused: no handler runs
        const parsed = parseurl({ url });
        expect([sy.path, sy.query]).toEqual([parsed.pathname, parsed.query ?? '']);
        expect(url.includes('#')).toBe(false);
      }),
      { numRuns: 3000 },
    );
  });
});
