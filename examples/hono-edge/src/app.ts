/**
 * The runtime-neutral part: a Hono app with switchyard in front of one upstream, on the fetch
 * transport. No `node:` import here, so the same file runs on Node and in a Worker.
 */
import { createGateway, type Gateway } from '@switchyard/gateway';
import { switchyard } from '@switchyard/hono';
import { createFetchTransport } from '@switchyard/transport-fetch';
import { Hono } from 'hono';

/** Builds the gateway for `upstreamUrl`: /api proxied, with a per-client limit and 1 retry. */
export function createEdgeGateway(upstreamUrl: string): Gateway {
  return createGateway(
    {
      clientIdentity: { trustedProxies: [] },
      routes: [{ name: 'api', matches: [{ path: { type: 'PathPrefix', value: '/api' } }], backends: [{ upstream: 'api' }], retry: { numRetries: 1 }, limits: ['per-client'] }],
      upstreams: { api: { endpoints: [{ url: upstreamUrl }] } },
      limits: { 'per-client': { key: 'client-ip', policy: { maxTokens: 50, tokensPerFill: 50, fillIntervalMs: 1_000 } } },
    },
    { transport: createFetchTransport() },
  );
}

/** The app: `clientAddress` reads the runtime's idea of the client (Workers: cf-connecting-ip). */
export function createApp(gateway: Gateway, clientAddress: (c: { req: { header(name: string): string | undefined } }) => string | undefined): Hono {
  const app = new Hono();
  app.use(switchyard({ gateway, clientAddress }));
  app.get('/health', (c) => c.text('ok\n'));
  return app;
}
