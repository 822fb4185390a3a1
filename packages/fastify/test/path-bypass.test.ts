/**
 * Decide mode over real sockets: a route that denies `/admin` cannot be skipped by any spelling
 * of the request target that Fastify (find-my-way) routes to its `/admin` handler (issue #17).
 */
import { connect, type AddressInfo } from 'node:net';
import { createGateway, type GatewayConfig } from '@switchyard/gateway';
import { createMockTransport, createTestClock } from '@switchyard/testing';
import { ADMIN_HANDLER_BODY, describePathBypassChecks, pathBypassConfig } from '@switchyard/testing/vitest';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { switchyard } from '../src/index.js';

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

/** Sends `GET <target>` byte for byte (no client-side URL parsing) and returns status and body. */
function rawGet(port: number, target: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, body: text.slice(text.indexOf('\r\n\r\n') + 4) });
    });
    socket.write(`GET ${target} HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n`);
  });
}

// find-my-way's option, which Fastify passes through (its FastifyRouterOptions type omits it).
const SEMICOLON = { routerOptions: { useSemicolonDelimiter: true } } as FastifyServerOptions;

describe.each<[string, FastifyServerOptions]>([
  ['defaults', {}],
  ['routerOptions.useSemicolonDelimiter', SEMICOLON],
  ['ignoreTrailingSlash, ignoreDuplicateSlashes, caseSensitive: false', { routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true, caseSensitive: false } }],
])('fastify (%s) - decide mode: a deny route on /admin cannot be bypassed', (_name, fastifyOptions) => {
  async function start(): Promise<number> {
    const gateway = createGateway(pathBypassConfig() as GatewayConfig, { transport: createMockTransport({ clock: createTestClock() }), clock: createTestClock() });
    const app = Fastify(fastifyOptions);
    apps.push(app);
    await app.register(switchyard, { gateway, mode: 'decide' });
    app.get('/admin', async () => ADMIN_HANDLER_BODY);
    app.setNotFoundHandler(async (request, reply) => reply.code(404).send(`other ${request.url}`));
    await app.listen({ port: 0, host: '127.0.0.1' });
    return (app.server.address() as AddressInfo).port;
  }

  describePathBypassChecks('Fastify', async () => {
    const port = await start();
    return (target) => rawGet(port, target);
  });
});

it('fastify with useSemicolonDelimiter: /admin;x is decided as /admin (find-my-way ends the path at ";")', async () => {
  const gateway = createGateway(pathBypassConfig() as GatewayConfig, { transport: createMockTransport({ clock: createTestClock() }), clock: createTestClock() });
  const app = Fastify(SEMICOLON);
  apps.push(app);
  await app.register(switchyard, { gateway, mode: 'decide' });
  app.get('/public', async (request) => JSON.stringify(request.query));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as AddressInfo).port;
  expect((await rawGet(port, '/admin;x')).status).toBe(403);
  expect(await rawGet(port, '/public;a=1')).toEqual({ status: 200, body: '{"a":"1"}' });
});
