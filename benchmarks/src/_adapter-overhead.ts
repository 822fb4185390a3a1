/**
 * Probe (not a suite): instructions per request of a Fastify / Express app answering locally,
 * bare, with the peers' limiter, or with switchyard's decide mode; client and server in one
 * process over loopback. Run it twice under callgrind with two request counts and divide the
 * difference (see scripts in the performance guide): `node _adapter-overhead.mjs <variant> <n>`.
 */
import { execSync } from 'node:child_process';
import { Pool } from 'undici';
import Fastify from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { createGateway, fromNodeRequest } from '@switchyard/gateway';
import { createUndiciTransport } from '@switchyard/transport-undici';
import { switchyard } from '@switchyard/fastify';
import { benchGatewayConfig } from './proxy/shared.ts';

const [variant = 'bare', nArg = '2000'] = process.argv.slice(2);
const n = Number(nArg);
const body = JSON.stringify({ ok: true });

const app = Fastify({ logger: false });
// The gateway of every switchyard variant: the proxy suite's config, the peer's header family.
const gw = createGateway({ ...benchGatewayConfig(['http://127.0.0.1:1']), rateLimitHeaders: 'legacy' }, { transport: createUndiciTransport() });
if (variant === 'rate-limit') await app.register(rateLimit, { max: 1_000_000_000, timeWindow: 1000 });
if (variant === 'decide') await app.register(switchyard, { gateway: gw, mode: 'decide' });
// Bisection variants: an empty async hook, the hook building the request, deciding without headers.
if (variant === 'hook') app.addHook('onRequest', async () => {});
if (variant === 'hook-req' || variant === 'hook-decide' || variant === 'hook-decide-now') {
  app.decorateRequest('sy', null);
  app.addHook('onRequest', async (request) => {
    const r = fromNodeRequest(request.raw, { clientAddress: request.ip });
    (request as unknown as { sy: unknown }).sy = variant === 'hook-decide' ? await gw.decide(r) : variant === 'hook-decide-now' ? gw.decideNow(r) : r;
  });
}
app.get('/api/*', async (_req, reply) => reply.header('content-type', 'application/json').send(body));
await app.listen({ host: '127.0.0.1', port: 0 });
const port = (app.server.address() as { port: number }).port;
const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 4 });
const one = async () => {
  const r = await pool.request({ method: 'GET', path: '/api/users/42?fields=name' });
  await r.body.text();
  if (r.statusCode !== 200) throw new Error(`status ${r.statusCode}`);
};
// Under `valgrind --tool=callgrind --instr-atstart=no`: warm up uninstrumented, then count only
// the measured requests (`callgrind_control -i on`), so JIT warm-up is not in the figure.
const warmup = Number(process.env['WARMUP'] ?? 0);
for (let i = 0; i < warmup; i += 4) await Promise.all([one(), one(), one(), one()]);
if (warmup > 0) execSync(`callgrind_control -i on ${process.pid}`);
for (let i = 0; i < n; i += 4) await Promise.all([one(), one(), one(), one()]);
if (warmup > 0) execSync(`callgrind_control -i off ${process.pid}`);
await pool.close();
await app.close();
await gw.stop();
