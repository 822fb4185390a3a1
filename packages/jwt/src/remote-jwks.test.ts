import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { errors } from 'jose';
import type { Transport } from '@switchyard/core';
import { createMockTransport, createTestClock, createTestJwks } from '@switchyard/testing';
import { createRemoteJwks, MAX_JWKS_BYTES } from './index.js';

const T0 = Date.UTC(2026, 0, 1);
const defaults = { cacheMaxAgeMs: 600_000, cooldownMs: 30_000, failedRefetchMs: 1_000, timeoutMs: 5_000 };

describe('createRemoteJwks', () => {
  it('property - fetches are at least cooldownMs apart, whatever the flood of unknown kids', async () => {
    const clock = createTestClock({ wallNow: T0 });
    const idp = await createTestJwks({ clock, algorithms: ['ES256'] });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ gapMs: fc.integer({ min: 0, max: 45_000 }), burst: fc.integer({ min: 1, max: 4 }) }), { minLength: 1, maxLength: 40 }), async (steps) => {
        const at: number[] = [];
        const transport: Transport = { send: (r, e, o) => (at.push(clock.now()), idp.transport.send(r, e, o)) };
        const jwks = createRemoteJwks({ uri: idp.jwksUri, transport, clock, ...defaults });
        let n = 0;
        for (const step of steps) {
          clock.advance(step.gapMs);
          const lookups = Array.from({ length: step.burst }, () => Promise.resolve(jwks.getKey({ alg: 'ES256', kid: `bogus-${n++}` }, { payload: '', signature: '' })).then(
            () => 'found',
            (e: unknown) => (e instanceof errors.JWKSNoMatchingKey ? 'no-match' : String(e)),
          ));
          for (const r of await Promise.all(lookups)) expect(r).toBe('no-match');
        }
        expect(at.length).toBeGreaterThanOrEqual(1);
        for (let i = 1; i < at.length; i++) expect((at[i] as number) - (at[i - 1] as number)).toBeGreaterThanOrEqual(30_000);
      }),
      { numRuns: 60, seed: 7 },
    );
  });

  it('request - GET the path and query of the URI with its Host (default port left out)', async () => {
    const clock = createTestClock({ wallNow: T0 });
    const idp = await createTestJwks({ clock, algorithms: ['ES256'] });
    const mock = createMockTransport({ clock }).respondWith(() => idp.reply());
    for (const [uri, path, host, origin] of [
      ['https://idp.test:443/keys?tenant=a', '/keys?tenant=a', 'idp.test', 'https://idp.test:443'],
      ['https://IDP.test:8443', '/', 'idp.test:8443', 'https://idp.test:8443'],
      ['http://127.0.0.1:8080/jwks', '/jwks', '127.0.0.1:8080', 'http://127.0.0.1:8080'],
    ] as const) {
      const jwks = createRemoteJwks({ uri, transport: mock, clock, ...defaults });
      await jwks.refresh();
      const sent = mock.requests.at(-1);
      expect(sent?.request).toMatchObject({ method: 'GET', path, headers: { host } });
      expect(sent?.endpoint.url).toBe(origin);
      expect(jwks.generation()).toBe(1);
      expect(jwks.fresh(clock.now())).toBe(true);
    }
  });

  it('body - a key set larger than MAX_JWKS_BYTES is refused (streamed or whole)', async () => {
    const clock = createTestClock({ wallNow: T0 });
    const big = 'x'.repeat(MAX_JWKS_BYTES + 1);
    const mock = createMockTransport({ clock }).enqueue({ status: 200, body: big }, { status: 200, body: [big.slice(0, MAX_JWKS_BYTES), 'xx'] });
    const jwks = createRemoteJwks({ uri: 'https://idp.test/jwks', transport: mock, clock, ...defaults });
    await jwks.refresh();
    expect(jwks.generation()).toBe(0);
    clock.advance(1_000);
    await jwks.refresh();
    expect(jwks.generation()).toBe(0);
  });

  it('close - aborts a fetch in flight', async () => {
    const clock = createTestClock({ wallNow: T0 });
    const mock = createMockTransport({ clock }).enqueue({ hang: true });
    const jwks = createRemoteJwks({ uri: 'https://idp.test/jwks', transport: mock, clock, ...defaults });
    const pending = jwks.refresh();
    expect(mock.inFlight()).toBe(1);
    jwks.close();
    await pending;
    expect(mock.inFlight()).toBe(0);
    expect(mock.requests[0]?.aborted()).toBe(true);
    expect(clock.pending()).toBe(0);
  });
});
