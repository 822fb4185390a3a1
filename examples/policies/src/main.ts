/**
 * `pnpm --filter @switchyard/example-policies start [express|fastify|hono]`: starts the three
 * upstreams and the gateway on the chosen framework (default express) on PORT (default 8080).
 */
import { createPoliciesGateway, KEYS } from './config.js';
import { serveExpress } from './express.js';
import { serveFastify } from './fastify.js';
import { serveHono } from './hono.js';
import { startUpstreams } from './upstreams.js';

const servers = { express: serveExpress, fastify: serveFastify, hono: serveHono } as const;
const framework = (process.argv[2] ?? 'express') as keyof typeof servers;
if (!(framework in servers)) throw new Error(`unknown framework ${framework}: express, fastify or hono`);
const upstreams = await startUpstreams();
const gateway = createPoliciesGateway(upstreams.urls);
const { url } = await servers[framework](gateway, Number(process.env['PORT'] ?? 8080));
console.log(`policies example (${framework}) on ${url}:
  curl -i ${url}/api/hello                                   # 401, WWW-Authenticate
  curl -i -H 'x-api-key: ${KEYS.free}' ${url}/api/hello       # 200 from "default"; 4th in a minute: 429
  curl -i -H 'x-api-key: ${KEYS.beta}' ${url}/api/hello       # 200 from "canary"
  curl -i -H 'x-api-key: ${KEYS.enterprise}' -H 'cf-ipcountry: DE' ${url}/api/hello   # 200 from "eu"`);
