/**
 * BEFORE: Fastify with `@fastify/http-proxy` and `@fastify/rate-limit`. `/api/*` goes to the
 * upstream's `/v1/*`, three requests a minute per client IP on the proxied routes only, a
 * response header added by `replyOptions.rewriteHeaders`, the app's own `/health` beside it.
 */
import fastifyHttpProxy from '@fastify/http-proxy';
import fastifyRateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance } from 'fastify';

export async function fastifyBefore(upstream: string): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(fastifyRateLimit, { global: false });
  await app.register(fastifyHttpProxy, {
    upstream,
    prefix: '/api',
    rewritePrefix: '/v1',
    config: { rateLimit: { max: 3, timeWindow: 60_000 } },
    replyOptions: { rewriteHeaders: (headers) => ({ ...headers, 'x-proxied-by': 'edge' }) },
  });
  app.get('/health', async () => 'ok');
  return app;
}
