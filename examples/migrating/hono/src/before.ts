/**
 * BEFORE: a Hono app on Node that proxies `/api/*` with Hono's `proxy()` helper and limits each
 * client to 3 requests a minute with `hono-rate-limiter`, next to its own `/health` route.
 */
import { getConnInfo } from '@hono/node-server/conninfo';
import { Hono } from 'hono';
import { proxy } from 'hono/proxy';
import { rateLimiter } from 'hono-rate-limiter';

export function beforeApp(upstream: string): Hono {
  const app = new Hono();
  app.use(
    '/api/*',
    rateLimiter({
      windowMs: 60_000,
      limit: 3,
      standardHeaders: 'draft-6',
      keyGenerator: (c) => getConnInfo(c).remote.address ?? '',
    }),
  );
  app.all('/api/*', (c) => {
    const url = new URL(c.req.url);
    // Strip the mount prefix by hand: /api/items?x=1 → <upstream>/items?x=1.
    return proxy(`${upstream}${url.pathname.slice('/api'.length) || '/'}${url.search}`, {
      ...c.req,
      headers: { ...c.req.header(), 'x-forwarded-host': c.req.header('host') },
    });
  });
  app.get('/health', (c) => c.text('ok'));
  return app;
}
