/**
 * Starts the upstream, the four apps (Fastify and Express, before and after) and prints what
 * each answers to the same requests, side by side. `pnpm --filter @switchyard/example-migrating start`.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expressAfter, ordersGateway as expressGateway } from './express-after.js';
import { expressBefore } from './express-before.js';
import { fastifyAfter, ordersGateway as fastifyGateway } from './fastify-after.js';
import { fastifyBefore } from './fastify-before.js';
import { startUpstream } from './upstream.js';

/** One observed answer: what the migration must keep. */
export interface Observed {
  readonly status: number;
  /** What the upstream saw (`METHOD path`), or the body when the app answered itself. */
  readonly seen: string;
  /** The headers a client reads, by name. */
  readonly headers: Readonly<Record<string, string>>;
}

/** The headers compared: the rest (date, connection, request ids) differ from run to run. */
export const COMPARED = ['content-type', 'location', 'retry-after', 'x-proxied-by', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-upstream'] as const;

/** The requests both sides get, in order (the fourth proxied one is over the limit). */
export const SCRIPT: readonly { readonly method: 'GET' | 'POST'; readonly path: string }[] = [
  { method: 'GET', path: '/api/orders?status=open' },
  { method: 'POST', path: '/api/orders' },
  { method: 'GET', path: '/health' },
  { method: 'GET', path: '/api/orders/7' },
  { method: 'GET', path: '/api/orders/42' },
];

export async function observe(base: string): Promise<Observed[]> {
  const out: Observed[] = [];
  for (const step of SCRIPT) {
    const res = await fetch(`${base}${step.path}`, { method: step.method, redirect: 'manual', ...(step.method === 'POST' ? { body: '{"item":"tea"}', headers: { 'content-type': 'application/json' } } : {}) });
    const text = await res.text();
    let seen = text;
    try {
      const j = JSON.parse(text) as { method?: string; path?: string };
      if (j.path !== undefined) seen = `${j.method} ${j.path}`;
    } catch {
      // not the upstream's JSON: the app answered itself
    }
    const headers: Record<string, string> = {};
    for (const name of COMPARED) {
      const v = res.headers.get(name);
      if (v !== null) headers[name] = v;
    }
    out.push({ status: res.status, seen, headers });
  }
  return out;
}

/** A started side: its URL and how to stop it. */
export interface Side {
  readonly url: string;
  stop(): Promise<void>;
}

function listening(server: Server): Promise<string> {
  const url = () => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return server.listening ? Promise.resolve(url()) : new Promise((r) => server.once('listening', () => r(url())));
}

export async function startSides(upstream: string): Promise<Record<'fastifyBefore' | 'fastifyAfter' | 'expressBefore' | 'expressAfter', Side>> {
  const fb = await fastifyBefore(upstream);
  await fb.listen({ port: 0, host: '127.0.0.1' });
  const fg = fastifyGateway(upstream);
  const fa = await fastifyAfter(fg);
  await fa.listen({ port: 0, host: '127.0.0.1' });
  const eb = expressBefore(upstream).listen(0, '127.0.0.1');
  const eg = expressGateway(upstream);
  const ea = expressAfter(eg).listen(0, '127.0.0.1');
  const close = (s: Server) => {
    s.closeAllConnections();
    return new Promise<void>((r) => s.close(() => r()));
  };
  return {
    fastifyBefore: { url: `http://127.0.0.1:${(fb.server.address() as AddressInfo).port}`, stop: () => fb.close() },
    fastifyAfter: { url: `http://127.0.0.1:${(fa.server.address() as AddressInfo).port}`, stop: async () => { await fa.close(); await fg.stop(); } },
    expressBefore: { url: await listening(eb), stop: () => close(eb) },
    expressAfter: { url: await listening(ea), stop: async () => { await close(ea); await eg.stop(); } },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const upstream = await startUpstream();
  const sides = await startSides(upstream.url);
  try {
    for (const [name, side] of Object.entries(sides)) {
      console.log(`\n${name} (${side.url})`);
      for (const [i, o] of (await observe(side.url)).entries()) console.log(`  ${SCRIPT[i]?.method} ${SCRIPT[i]?.path} → ${o.status} ${o.seen} ${JSON.stringify(o.headers)}`);
    }
  } finally {
    for (const side of Object.values(sides)) await side.stop();
    await upstream.close();
  }
}
