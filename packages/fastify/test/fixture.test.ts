import type { AddressInfo } from 'node:net';
import { createGateway, type GatewayConfig } from '@switchyard/gateway';
import { describeAdapterFixture, type FixtureRequest } from '@switchyard/testing/vitest';
import Fastify from 'fastify';
import { switchyard } from '../src/index.js';

function headersOf(h: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : String(v);
  return out;
}

describeAdapterFixture('fastify', {
  yieldToIo: () => new Promise((r) => setImmediate(r)),
  setup: async ({ config, transport, clock, rng }) => {
    const gateway = createGateway(config as GatewayConfig, { transport, clock, rng });
    const app = Fastify({ forceCloseConnections: true });
    await app.register(switchyard, { gateway });
    await app.ready();
    let base: string | undefined;
    const send = (r: FixtureRequest, signal?: AbortSignal) =>
      fetch(`${base}${r.path}`, { method: r.method, headers: { ...r.headers }, ...(r.body !== undefined ? { body: r.body } : {}), ...(signal ? { signal } : {}) });
    return {
      // Whole responses through Fastify's own injection.
      async request(r) {
        const res = await app.inject({ method: r.method as 'GET', url: r.path, headers: { ...r.headers }, ...(r.body !== undefined ? { payload: r.body } : {}) });
        return { status: res.statusCode, headers: headersOf(res.headers), body: res.body };
      },
      // Streaming and client aborts need a socket (inject buffers and has no client to lose).
      async stream(r) {
        if (base === undefined) {
          await app.listen({ port: 0, host: '127.0.0.1' });
          base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
        }
        const ac = new AbortController();
        const res = await send(r, ac.signal);
        const reader = (res.body as ReadableStream<Uint8Array>).getReader();
        const decoder = new TextDecoder();
        const headers: Record<string, string> = {};
        res.headers.forEach((v, k) => (headers[k] = v));
        return {
          status: res.status,
          headers,
          read: async () => {
            const { done, value } = await reader.read();
            return done ? undefined : decoder.decode(value);
          },
          abort: () => {
            ac.abort();
            reader.cancel().catch(() => {});
          },
        };
      },
      async close() {
        await app.close();
        await gateway.stop();
      },
    };
  },
});
