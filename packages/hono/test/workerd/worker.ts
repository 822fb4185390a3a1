/**
 * Run by workerd through Miniflare (bundled by test/workerd.node.test.ts): a Hono app with the
 * switchyard middleware in proxy mode, with the fetch transport. WebSocket upgrades take the
 * middleware's detected Workers path (`WebSocketPair` + `fetch` with `Upgrade: websocket`). The
 * upstream URL comes in the `UPSTREAM` binding; the gateway is built on the first request (its
 * state then lives as long as the isolate, as in production).
 */
import { createGateway, type Gateway } from '@switchyard/gateway';
import { createFetchTransport } from '@switchyard/transport-fetch';
import { Hono } from 'hono';
import { switchyard } from '../../src/index.js';

interface Env {
  readonly UPSTREAM: string;
}

let app: Hono<{ Bindings: Env }> | undefined;

function appFor(upstream: string): Hono<{ Bindings: Env }> {
  const gateway: Gateway = createGateway(
    {
      clientIdentity: { trustedProxies: [] },
      policies: { 'no-loopback': { type: 'ip-restriction', options: { deny: ['127.0.0.1', '::1'] } } },
      routes: [
        { name: 'ws', matches: [{ path: { type: 'PathPrefix', value: '/ws' } }], backends: [{ upstream: 'chat' }], rewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/socket' }, requestHeaders: { set: { 'x-via': 'switchyard' } } } },
        { name: 'limited', matches: [{ path: { type: 'PathPrefix', value: '/limited' } }], backends: [{ upstream: 'chat' }], limits: ['one-per-client'] },
        { name: 'private', matches: [{ path: { type: 'PathPrefix', value: '/private' } }], backends: [{ upstream: 'chat' }], policies: { inbound: ['no-loopback'] } },
      ],
      upstreams: { chat: { endpoints: [{ id: 'a', url: upstream }] } },
      limits: { 'one-per-client': { key: 'client-ip', policy: { maxTokens: 1, fillIntervalMs: 60_000 } } },
    },
    { transport: createFetchTransport() },
  );
  const hono = new Hono<{ Bindings: Env }>();
  // Cloudflare's client address header (Miniflare sets it to the connecting peer).
  hono.use(switchyard({ gateway, notFound: 'respond', clientAddress: (c) => c.req.header('cf-connecting-ip') }));
  return hono;
}

export default {
  fetch(request: Request, env: Env, ctx: unknown): Response | Promise<Response> {
    app ??= appFor(env.UPSTREAM);
    return app.fetch(request, env, ctx as never);
  },
};
