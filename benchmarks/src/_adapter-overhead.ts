/**
 * Probe (not a suite): instructions per request of a Fastify app answering locally, bare, with
 * the peers' limiter, or with switchyard's decide mode; client and server in one process over
 * loopback. Under callgrind: `bash benchmarks/src/callgrind-probe.sh benchmarks/src/_adapter-overhead.ts
 * bare rate-limit decide` (the script's header explains the flags). Without valgrind:
 * `node <bundle> <variant> <n>` (env WARMUP). `SPLIT=1`: the client runs in a child process
 * (not traced by valgrind), so the count is the server's alone. `-quiet` variants send no
 * rate-limit headers; `cb-*` variants bisect a callback hook.
 */
import { Pool } from 'undici';
import Fastify from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { createGateway, fromNodeRequest } from '@switchyard/gateway';
import { createUndiciTransport } from '@switchyard/transport-undici';
import { switchyard } from '@switchyard/fastify';
import { benchGatewayConfig } from './proxy/shared.ts';
import { countWhileChildLoads, forkLoad, loadCounted, loadForParent, split, type Batch } from './probe-window.ts';

/** The client: four connections, four concurrent GETs a batch, every answer checked. */
function client(port: number): Batch {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 4 });
  const one = async () => {
    const r = await pool.request({ method: 'GET', path: '/api/users/42?fields=name' });
    await r.body.text();
    if (r.statusCode !== 200) throw new Error(`status ${r.statusCode}`);
  };
  return () => Promise.all([one(), one(), one(), one()]);
}

// SPLIT's load process: the client alone, driven by the server process.
if (process.argv[2] === '__client') {
  const [port, n] = process.argv.slice(3).map(Number) as [number, number];
  await loadForParent(client(port), 4, n);
  process.exit(0);
}

const [variant = 'bare', nArg = '2000'] = process.argv.slice(2);
const n = Number(nArg);
const body = JSON.stringify({ ok: true });

const app = Fastify({ logger: false });
// The gateway of every switchyard variant: the proxy suite's config, the peer's header family.
// `-quiet` variants send no rate-limit headers: the limiters' own work, without the three fields
// whose emission (Fastify's reply.header, Node's validated writeHead) both sides pay alike.
const quiet = variant.endsWith('-quiet');
const gw = createGateway({ ...benchGatewayConfig(['http://127.0.0.1:1']), rateLimitHeaders: quiet ? 'none' : 'legacy' }, { transport: createUndiciTransport() });
const off = { 'x-ratelimit-limit': false, 'x-ratelimit-remaining': false, 'x-ratelimit-reset': false, 'retry-after': false };
if (variant === 'rate-limit') await app.register(rateLimit, { max: 1_000_000_000, timeWindow: 1000 });
if (variant === 'rate-limit-quiet') await app.register(rateLimit, { max: 1_000_000_000, timeWindow: 1000, addHeaders: off, addHeadersOnExceeding: off });
if (variant === 'decide' || variant === 'decide-quiet') await app.register(switchyard, { gateway: gw, mode: 'decide' });
// Bisection variants: an empty async hook, the hook building the request, deciding without headers.
if (variant === 'hook') app.addHook('onRequest', async () => {});
if (variant === 'hook-req' || variant === 'hook-decide' || variant === 'hook-decide-now') {
  app.decorateRequest('sy', null);
  app.addHook('onRequest', async (request) => {
    const r = fromNodeRequest(request.raw, { clientAddress: request.ip });
    (request as unknown as { sy: unknown }).sy = variant === 'hook-decide' ? await gw.decide(r) : variant === 'hook-decide-now' ? gw.decideNow(r) : r;
  });
}
// Callback-hook bisection: empty, three constant headers, deciding without / with the headers.
if (variant.startsWith('cb-')) {
  app.decorateRequest('sy', null);
  app.addHook('onRequest', (request, reply, done) => {
    if (variant === 'cb-3h') reply.header('x-ratelimit-limit', '1000000000').header('x-ratelimit-remaining', '999999999').header('x-ratelimit-reset', '1');
    if (variant === 'cb-headers') (request as unknown as { sy: unknown }).sy = request.raw.headers;
    if (variant === 'cb-req') (request as unknown as { sy: unknown }).sy = fromNodeRequest(request.raw, { clientAddress: request.ip });
    if (variant === 'cb-decide' || variant === 'cb-decide-h' || variant === 'cb-decide-quiet') {
      const d = gw.decideNow(fromNodeRequest(request.raw, { clientAddress: request.ip })) as { kind: string; headers?: Record<string, string> };
      (request as unknown as { sy: unknown }).sy = d;
      if (variant === 'cb-decide-h' && d.headers !== undefined) reply.headers(d.headers);
    }
    done();
  });
}
app.get('/api/*', async (_req, reply) => reply.header('content-type', 'application/json').send(body));
await app.listen({ host: '127.0.0.1', port: 0 });
const port = (app.server.address() as { port: number }).port;
if (split) await countWhileChildLoads(forkLoad(import.meta.url, ['__client', String(port), String(n)]));
else await loadCounted(client(port), 4, n);
await app.close();
await gw.stop();
