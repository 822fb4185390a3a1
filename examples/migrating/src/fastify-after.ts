/**
 * AFTER: the same app on switchyard. The prefix, `rewritePrefix` and `rewriteHeaders` keep their
 * names; the limit moves to the gateway config (`limits` + the route's `limits`), and its 429
 * body takes Fastify's error shape through the gateway's `errors` templates.
 */
import { createGateway, type Gateway } from '@switchyard/gateway';
import { switchyard } from '@switchyard/fastify';
import { createUndiciTransport } from '@switchyard/transport-undici';
import Fastify, { type FastifyInstance } from 'fastify';

export function ordersGateway(upstream: string): Gateway {
  return createGateway(
    {
      clientIdentity: { trustedProxies: [] }, // request.ip (Fastify's trustProxy) is the client
      routes: [{ name: 'orders', matches: [{ path: { type: 'PathPrefix', value: '/api' } }], backends: [{ upstream: 'orders' }], limits: ['per-client'] }],
      upstreams: { orders: { endpoints: [{ url: upstream }] } },
      // @fastify/rate-limit's { max: 3, timeWindow: 60_000 }, keyed on the client IP.
      limits: { 'per-client': { key: 'client-ip', policy: { maxTokens: 3, tokensPerFill: 3, fillIntervalMs: 60_000 } } },
      // rateLimitHeaders: 'legacy' is the default: X-RateLimit-Limit|Remaining|Reset, as @fastify/rate-limit.
      errors: {
        responses: {
          SY_RATE_LIMITED: { body: { statusCode: '${status}', error: 'Too Many Requests', message: 'Rate limit exceeded, retry in ${retryAfterSeconds} seconds' }, contentType: 'application/json; charset=utf-8' },
        },
      },
    },
    { transport: createUndiciTransport() },
  );
}

export async function fastifyAfter(gateway: Gateway): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(switchyard, {
    gateway,
    prefix: '/api',
    rewritePrefix: '/v1',
    rewriteHeaders: (headers) => ({ ...headers, 'x-proxied-by': 'edge' }),
  });
  app.get('/health', async () => 'ok');
  return app;
}
