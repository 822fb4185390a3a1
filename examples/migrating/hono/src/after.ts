/**
 * AFTER: the same app with `@switchyard/hono`: the gateway routes `/api`, strips the prefix,
 * limits each client to 3 requests a minute and proxies (streaming both ways); `/health` falls
 * through to the app. WebSocket upgrades under `/api` come for free on Node with one line
 * (`attachUpgrade` in main.ts).
 */
import { createGateway, type Gateway } from '@switchyard/gateway';
import { switchyard } from '@switchyard/hono';
import { createUndiciTransport } from '@switchyard/transport-undici';
import { Hono } from 'hono';

export function afterGateway(upstream: string): Gateway {
  return createGateway(
    {
      clientIdentity: { trustedProxies: [] },
      // hono-rate-limiter's `standardHeaders: 'draft-6'` ≈ `'ietf'` here (see the guide's table).
      rateLimitHeaders: 'ietf',
      routes: [
        {
          name: 'api',
          matches: [{ path: { type: 'PathPrefix', value: '/api' } }],
          backends: [{ upstream: 'api' }],
          rewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' } },
          limits: ['per-client'],
        },
      ],
      upstreams: { api: { endpoints: [{ url: upstream }] } },
      limits: { 'per-client': { key: 'client-ip', policy: { algorithm: 'sliding-window', limit: 3, windowMs: 60_000 } } },
      // hono-rate-limiter's default `message`, as plain text.
      errors: { responses: { SY_RATE_LIMITED: { body: 'Too many requests, please try again later.' } } },
    },
    { transport: createUndiciTransport() },
  );
}

export function afterApp(gateway: Gateway): Hono {
  const app = new Hono();
  app.use(switchyard({ gateway }));
  app.get('/health', (c) => c.text('ok'));
  return app;
}
