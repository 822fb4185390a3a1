/**
 * AFTER: the same app on switchyard. The mount stays `app.use('/api', …)`; the target's path
 * is `rewritePrefix`; the limit and the added response header move to the gateway config
 * (`limits`, the route's `rewrite.responseHeaders`); the 429 keeps express-rate-limit's text
 * through the gateway's `errors` templates.
 */
import { createGateway, type Gateway } from '@switchyard/gateway';
import { switchyard } from '@switchyard/express';
import { createUndiciTransport } from '@switchyard/transport-undici';
import express from 'express';

export function ordersGateway(upstream: string): Gateway {
  return createGateway(
    {
      clientIdentity: { trustedProxies: [] }, // req.ip (Express's trust proxy) is the client
      routes: [
        {
          name: 'orders',
          matches: [{ path: { type: 'PathPrefix', value: '/api' } }],
          backends: [{ upstream: 'orders' }],
          limits: ['per-client'],
          rewrite: { responseHeaders: { set: { 'x-proxied-by': 'edge' } } },
        },
      ],
      upstreams: { orders: { endpoints: [{ url: upstream }] } },
      // express-rate-limit's { windowMs: 60_000, limit: 3 }, keyed on the client IP.
      limits: { 'per-client': { key: 'client-ip', policy: { maxTokens: 3, tokensPerFill: 3, fillIntervalMs: 60_000 } } },
      // rateLimitHeaders: 'legacy' is the default: X-RateLimit-Limit|Remaining|Reset, as express-rate-limit.
      errors: { responses: { SY_RATE_LIMITED: { body: 'Too many requests, please try again later.', contentType: 'text/html; charset=utf-8' } } },
    },
    { transport: createUndiciTransport() },
  );
}

export function expressAfter(gateway: Gateway): express.Express {
  const app = express();
  app.use('/api', switchyard({ gateway, rewritePrefix: '/v1' }));
  app.get('/health', (_req, res) => res.send('ok'));
  return app;
}
