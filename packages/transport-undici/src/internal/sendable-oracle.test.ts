/**
 * core's `checkSendable(request, 'undici')` against undici itself: a request is refused by the
 * check exactly when undici's `Client.dispatch` refuses it (its `Request` constructor throws and
 * the handler's `onError` runs inside the call). Nothing is ever sent: the client points at a
 * port nothing listens on and is destroyed at the end.
 */
import fc from 'fast-check';
import { Client, type Dispatcher } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { checkSendable } from '@switchyard/core';

const client = new Client('http://127.0.0.1:1');
afterAll(() => client.destroy());

/** True when undici refuses the request inside `dispatch` (nothing queued). */
function undiciRefuses(method: string, path: string, headers: Record<string, string>): boolean {
  let refused = false;
  let inCall = true;
  const handler = {
    onConnect: () => {},
    onHeaders: () => true,
    onData: () => true,
    onComplete: () => {},
    onUpgrade: () => {},
    onError: () => {
      if (inCall) refused = true;
    },
  };
  client.dispatch({ method: method as Dispatcher.HttpMethod, path, headers }, handler as unknown as Dispatcher.DispatchHandler);
  inCall = false;
  return refused;
}

const SKIP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'expect', 'content-length', 'host']);
const char = (max: number) => fc.integer({ min: 0, max }).map((c) => String.fromCharCode(c));
const text = (max: number, maxLength: number) => fc.string({ unit: fc.oneof(char(max), fc.constantFrom('a', '/', '[', ']', ':', ' ', '\t')), maxLength });

describe('checkSendable - undici as the oracle', () => {
  it('refuses exactly what undici refuses (method, path, header name and value, Host)', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.constantFrom('GET', 'POST', 'PURGE', 'M-SEARCH'), text(0x7f, 6)),
        text(0x17f, 12).map((p) => `/${p}`),
        text(0x7e, 8).filter((n) => !SKIP.has(n.toLowerCase())),
        text(0x17f, 12),
        fc.option(text(0x17f, 10), { nil: undefined }),
        (method, path, name, value, host) => {
          const headers: Record<string, string> = { [name]: value };
          if (host !== undefined) headers['host'] = host;
          const ours = checkSendable({ method, path, headers }, 'undici') !== undefined;
          expect(ours).toBe(undiciRefuses(method, path, headers));
        },
      ),
      { numRuns: 3_000 },
    );
  });
});
