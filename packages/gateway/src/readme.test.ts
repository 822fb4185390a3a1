import { createMockTransport, createTestClock, seededRng } from '@switchyard/testing';
import { expect, it } from 'vitest';
import { createGateway } from './index.js';

it('README example: a 503 is retried on the other endpoint under the fake clock', async () => {
  const clock = createTestClock();
  const transport = createMockTransport({ clock }).enqueue({ status: 503 }, { status: 200, body: 'ok', delayMs: 20 });
  const gateway = createGateway(
    {
      routes: [{ name: 'r', backends: [{ upstream: 'u' }], retry: { numRetries: 1 } }],
      upstreams: { u: { endpoints: [{ url: 'http://10.0.0.1:80' }, { url: 'http://10.0.0.2:80' }] } },
    },
    { transport, clock, rng: seededRng(1) },
  );
  const pending = gateway.handle({ method: 'GET', scheme: 'http', authority: 'api', path: '/x', query: '', headers: {}, attributes: {} });
  await clock.advanceAsync(50);
  expect((await pending).status).toBe(200);
  expect(new Set(transport.requests.map((r) => r.endpoint.id)).size).toBe(2);
});
