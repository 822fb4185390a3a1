/**
 * Property: whatever request target the gateway accepts, find-my-way (Fastify's router) splits
 * it into the same path and query string as the Node bridge did, with and without
 * `useSemicolonDelimiter`, so decide mode decides on the path whose handler Fastify runs.
 */
import { createRequire } from 'node:module';
import { createGateway, fromNodeRequest, type GatewayConfig } from '@switchyard/gateway';
import { createMockTransport, createTestClock } from '@switchyard/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

// Fastify's own copy of find-my-way, and the function its router splits a target with.
const fmw = createRequire(createRequire(import.meta.url).resolve('fastify'));
const { safeDecodeURI } = fmw(`${fmw.resolve('find-my-way').replace(/index\.js$/, '')}lib/url-sanitizer.js`) as {
  safeDecodeURI: (path: string, useSemicolonDelimiter: boolean) => { path: string; querystring: string };
};

const gateway = createGateway(
  { routes: [{ name: 'all', matches: [{ path: { type: 'PathPrefix', value: '/' } }], backends: [{ upstream: 'u' }] }], upstreams: { u: { endpoints: [{ url: 'http://127.0.0.1:9' }] } } } as GatewayConfig,
  { transport: createMockTransport({ clock: createTestClock() }), clock: createTestClock() },
);

const target = fc
  .array(fc.constantFrom('a', 'd', 'm', '/', '?', '#', ';', '%', '2', '3', '6', '1', '.', '=', '&', 'A'), { maxLength: 14 })
  .map((chars) => `/${chars.join('')}`);

describe('Node bridge and find-my-way agree on every accepted target', () => {
  it.each([false, true])('property - useSemicolonDelimiter %s: an accepted target has find-my-way\'s split', (semicolonDelimiter) => {
    fc.assert(
      fc.property(target, (url) => {
        const sy = fromNodeRequest({ url, headers: { host: 'h' }, async *[Symbol.asyncIterator]() {} }, { semicolonDelimiter });
        const decision = gateway.decideNow(sy) as Awaited<ReturnType<typeof gateway.decideNow>>;
        if (decision.kind === 'respond' && decision.response.status === 400) return; // refused: no handler runs
        let split: { path: string; querystring: string };
        try {
          split = safeDecodeURI(url, semicolonDelimiter);
        } catch {
          return; // a malformed escape Fastify answers 400 itself (onBadUrl)
        }
        expect(sy.query).toBe(split.querystring);
        // find-my-way hands its router the path percent-decoded; the raw path is what precedes the query.
        expect(url.slice(0, sy.path.length)).toBe(sy.path);
        expect(url.length === sy.path.length || ['?', ';'].includes(url[sy.path.length] as string)).toBe(true);
        expect(url.includes('#')).toBe(false);
      }),
      { numRuns: 3000 },
    );
  });
});
