/**
 * Run by Deno (bundled by test/deno.node.test.ts): a Hono app with the switchyard middleware in
 * proxy mode on `Deno.serve`, with the fetch transport. WebSocket upgrades take the middleware's
 * detected Deno path (`Deno.upgradeWebSocket`). Upstream URL in argv[0]; prints `listening <port>`.
 */
import { createGateway } from '@switchyard/gateway';
import { createFetchTransport } from '@switchyard/transport-fetch';
import { Hono } from 'hono';
import { switchyard } from '../../src/index.js';

declare const Deno: {
  args: string[];
  serve(options: { port: number; hostname: string; onListen(addr: { port: number }): void }, handler: (req: Request, info: { remoteAddr: { hostname: string } }) => Response | Promise<Response>): unknown;
};

const upstream = Deno.args[0] ?? 'http://127.0.0.1:1';
const gateway = createGateway(
  {
    clientIdentity: { trustedProxies: [] },
    policies: { 'no-loopback': { type: 'ip-restriction', options: { deny: ['127.0.0.1', '::1'] } } },
    routes: [
      { name: 'ws', matches: [{ path: { type: 'PathPrefix', value: '/ws' } }], backends: [{ upstream: 'chat' }], rewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/socket' } } },
      { name: 'limited', matches: [{ path: { type: 'PathPrefix', value: '/limited' } }], backends: [{ upstream: 'chat' }], limits: ['one-per-client'] },
      { name: 'private', matches: [{ path: { type: 'PathPrefix', value: '/private' } }], backends: [{ upstream: 'chat' }], policies: { inbound: ['no-loopback'] } },
    ],
    upstreams: { chat: { endpoints: [{ id: 'a', url: upstream }] } },
    limits: { 'one-per-client': { key: 'client-ip', policy: { maxTokens: 1, fillIntervalMs: 60_000 } } },
  },
  { transport: createFetchTransport() },
);
const app = new Hono<{ Bindings: { remoteAddr: { hostname: string } } }>();
app.use(switchyard({ gateway, notFound: 'respond', clientAddress: (c) => (c.env as { remoteAddr: { hostname: string } }).remoteAddr.hostname }));
Deno.serve({ port: 0, hostname: '127.0.0.1', onListen: ({ port }) => console.log(`listening ${port}`) }, (req, info) => app.fetch(req, { remoteAddr: info.remoteAddr }));
