/**
 * Probe (not a suite): instructions per request of a Fastify app answering locally, bare, with
 * the peers' limiter, or with switchyard's decide mode; client and server in one process over
 * loopback. Under callgrind: `bash benchmarks/src/callgrind-probe.sh benchmarks/src/_adapter-overhead.ts
 * bare rate-limit decide` (the script's header explains the flags). Without valgrind:
 * `node <bundle> <variant> <n>` (env WARMUP). `SPLIT=1`: the client runs in a child process
 * (not traced by valgrind), so the count is the server's alone. `-quiet` variants send no
 * rate-limit headers; `cb-*` variants bisect a callback hook.
 */
import { execSync, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import Fastify from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { createGateway, fromNodeRequest } from '@switchyard/gateway';
import { createUndiciTransport } from '@switchyard/transport-undici';
import { switchyard } from '@switchyard/fastify';
import { benchGatewayConfig } from './proxy/shared.ts';


/** The client: four connections, the same GET each time, every answer checked. */
function client(port: number): () => Promise<void> {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 4 });
  return async () => {
    const r = await pool.request({ method: 'GET', path: '/api/users/42?fields=name' });
    await r.body.text();
    if (r.statusCode !== 200) throw new Error(`status ${r.statusCode}`);
  };
}

if (process.argv[2] === '__client') {
  const [port, n, warmup] = process.argv.slice(3).map(Number) as [number, number, number];
  const one = client(port);
  for (let i = 0; i < warmup; i += 4) await Promise.all([one(), one(), one(), one()]);
  process.send?.('warm');
  await new Promise<void>((resolve) => process.once('message', () => resolve()));
  for (let i = 0; i < n; i += 4) await Promise.all([one(), one(), one(), one()]);
  process.send?.('done');
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
// CALLGRIND=1 (under `valgrind --tool=callgrind --instr-atstart=no`): warm up uninstrumented,
// then count only the measured requests, so JIT warm-up is not in the figure.
const warmup = Number(process.env['WARMUP'] ?? 0);
const callgrind = process.env['CALLGRIND'] !== undefined;
const count = (on: boolean): void => {
  if (callgrind) execSync(`callgrind_control -i ${on ? 'on' : 'off'} ${process.pid}`);
};
if (process.env['SPLIT'] !== undefined) {
  // The server's instructions only: the client runs in a child process (valgrind does not
  // trace children), warms up, then sends the counted requests while instrumentation is on.
  const child = fork(fileURLToPath(import.meta.url), ['__client', String(port), String(n), String(warmup)], { env: { ...process.env, CALLGRIND: '' } });
  await new Promise<void>((resolve, reject) => {
    child.on('message', (m) => {
      if (m === 'warm') {
        count(true);
        child.send('go');
      } else if (m === 'done') {
        count(false);
        resolve();
      }
    });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`client exited ${code}`))));
  });
} else {
  const one = client(port);
  for (let i = 0; i < warmup; i += 4) await Promise.all([one(), one(), one(), one()]);
  count(true);
  for (let i = 0; i < n; i += 4) await Promise.all([one(), one(), one(), one()]);
  count(false);
}
await app.close();
await gw.stop();
