/**
 * Run by Bun (bundled by test/bun.node.test.ts): a Hono app with the switchyard middleware in
 * proxy mode on `Bun.serve`, with the fetch transport. WebSocket upgrades take `bunWebSocket()`:
 * its upgrader in the middleware, its handlers in `Bun.serve`. Upstream URL in argv[2]; prints
 * `listening <port>`.
 */
import { createGateway } from '@switchyard/gateway';
import { createFetchTransport } from '@switchyard/transport-fetch';
import { Hono } from 'hono';
import { bunWebSocket, switchyard } from '../../src/index.js';

interface BunServer {
  readonly port: number;
  requestIP(request: Request): { address: string } | null;
}

declare const Bun: {
  argv: string[];
  serve(options: { port: number; hostname: string; fetch: (request: Request, server: BunServer) => Response | Promise<Response>; websocket: ReturnType<typeof bunWebSocket>['websocket'] }): BunServer;
};

const upstream = Bun.argv[2] ?? 'http://127.0.0.1:1';
const gateway = createGateway(
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
const ws = bunWebSocket();
const app = new Hono<{ Bindings: BunServer }>();
app.use(switchyard({ gateway, notFound: 'respond', webSocket: ws.upgrader, clientAddress: (c) => (c.env as BunServer).requestIP(c.req.raw)?.address }));
const server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: (request, srv) => app.fetch(request, srv), websocket: ws.websocket });
console.log(`listening ${server.port}`);
