/**
 * Cloudflare Workers entry (`wrangler deploy` with `main = "dist/worker.js"` after
 * `pnpm build:worker`): set UPSTREAM_URL in the Worker's vars. The gateway is built on the first
 * request, not at import time; its limiter state is per isolate.
 */
import type { Hono } from 'hono';
import { createApp, createEdgeGateway } from './app.js';

let app: Hono | undefined;

export default {
  fetch(request: Request, env: { UPSTREAM_URL: string }, ctx: unknown): Response | Promise<Response> {
    app ??= createApp(createEdgeGateway(env.UPSTREAM_URL), (c) => c.req.header('cf-connecting-ip'));
    return app.fetch(request, env, ctx as never);
  },
};
