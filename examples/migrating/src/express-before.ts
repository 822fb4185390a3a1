/**
 * BEFORE: Express with `http-proxy-middleware` and `express-rate-limit`. `/api/*` goes to the
 * upstream's `/v1/*` (hpm 3 proxies the path below the mount, joined to the target's path),
 * three requests a minute per client IP on `/api`, a response header added in `on.proxyRes`.
 */
import express from 'express';
import { rateLimit } from 'express-rate-limit';
import { createProxyMiddleware } from 'http-proxy-middleware';

export function expressBefore(upstream: string): express.Express {
  const app = express();
  app.use(
    '/api',
    rateLimit({ windowMs: 60_000, limit: 3 }),
    createProxyMiddleware({
      target: `${upstream}/v1`,
      on: {
        proxyRes: (proxyRes) => {
          proxyRes.headers['x-proxied-by'] = 'edge';
        },
      },
    }),
  );
  app.get('/health', (_req, res) => res.send('ok'));
  return app;
}
