/**
 * Probe (not a suite): instructions per proxied request of one proxy contender, with the origin
 * (two instances), the contender and the client in ONE process over loopback, so that under
 * `valgrind --tool=callgrind --instr-atstart=no` the figure is stable on a loaded machine. The
 * origin's and the client's share is the same for every contender; differences between
 * contenders are the proxies' own cost.
 *
 *     bash benchmarks/src/callgrind-probe.sh benchmarks/src/_proxy-overhead.ts undici-stream sy-fastify
 *
 * (instructions per request; the script's header explains the flags). Its bundle also runs
 * without valgrind, `node benchmarks/.probe-_proxy-overhead.mjs <contender> <n>` (env WARMUP), and
 * prints the whole process's CPU time per request.
 *
 * `SPLIT=1`: the origins and the client run in a child process (not traced by valgrind), so the
 * count is the proxy process's alone (`direct` then counts nothing).
 *
 * Contender names are `direct` (no proxy) and those of `proxy/contender.ts` (undici-stream, fastify-http-proxy, sy-node,
 * sy-fastify, …).
 */
import { createServer } from 'node:http';
import { once } from 'node:events';
import { Pool } from 'undici';
import { ORIGIN_BODY, BENCH_PATH } from './proxy/shared.ts';
import { countWhileChildLoads, forkLoad, loadCounted, loadForParent, split, type Batch } from './probe-window.ts';

/** Two origin servers answering the suite's body; their URLs. */
async function startOrigins(): Promise<string[]> {
  const body = Buffer.from(ORIGIN_BODY);
  const urls: string[] = [];
  for (let i = 0; i < 2; i++) {
    const server = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.length) });
      res.end(body);
    });
    server.keepAliveTimeout = 60_000;
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    urls.push(`http://127.0.0.1:${(server.address() as { port: number }).port}`);
  }
  return urls;
}

/** The client: eight connections, each answer checked; the function sends eight requests. */
function client(port: number): Batch {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 8 });
  const one = async () => {
    const r = await pool.request({ method: 'GET', path: BENCH_PATH });
    const text = await r.body.text();
    if (r.statusCode !== 200 || text !== ORIGIN_BODY) throw new Error(`status ${r.statusCode}: ${text.slice(0, 80)}`);
  };
  return () => Promise.all([one(), one(), one(), one(), one(), one(), one(), one()]);
}

// SPLIT's peer process: the origins and the client, driven by the proxy process over IPC.
if (process.argv[2] === '__peer') {
  process.send?.({ urls: await startOrigins() });
  const [port, n] = await new Promise<number[]>((resolve) => process.once('message', (m) => resolve(m as number[])));
  await loadForParent(client(port!), 8, n!);
  process.exit(0);
}

const [name = 'sy-fastify', nArg = '2000'] = process.argv.slice(2);
const n = Number(nArg);
// SPLIT=1: the origins and the client run in a child process (valgrind does not trace it), so
// the figure is the proxy process's instructions alone.
const peer = split ? forkLoad(import.meta.url, ['__peer']) : undefined;
const urls =
  peer !== undefined ? await new Promise<string[]>((resolve) => peer.once('message', (m) => resolve((m as { urls: string[] }).urls))) : await startOrigins();

// The contender module starts its server from argv and announces its port as one JSON line.
process.argv = [process.argv[0]!, 'contender', name, ...urls];
const announced = new Promise<number>((resolve) => {
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    const text = String(chunk);
    if (text.startsWith('{"port"')) {
      resolve((JSON.parse(text) as { port: number }).port);
      process.stdout.write = write;
      return true;
    }
    return write(chunk, ...rest);
  }) as typeof process.stdout.write;
});
/**
 * Bisection variants (not in the suite): `bridge-transport` is the Node bridge over the undici
 * transport with no gateway (one endpoint, no timer, no limiter); `sy-node-nolimit` is the
 * gateway on the bridge without the route's limit.
 */
async function bisection(variant: string): Promise<number> {
  const { fromNodeRequest, writeNodeResponse, clientAbortSignal, createGateway } = await import('@switchyard/gateway');
  const { createUndiciTransport } = await import('@switchyard/transport-undici');
  const { createEndpoint } = await import('@switchyard/core');
  const { benchGatewayConfig } = await import('./proxy/shared.ts');
  const transport = createUndiciTransport();
  let handler: Parameters<typeof createServer>[1];
  if (variant === 'bridge-transport') {
    const endpoint = createEndpoint({ url: urls[0]! });
    handler = (req, res) => {
      const r = fromNodeRequest(req);
      void transport.send({ method: r.method, path: r.path, headers: r.headers }, endpoint, { signal: clientAbortSignal(res) }).then((result) => {
        if (result.kind === 'response') return writeNodeResponse(res, result.response);
        res.writeHead(502).end(result.message);
        return undefined;
      });
    };
  } else {
    const config = benchGatewayConfig(urls);
    const gw = createGateway({ ...config, routes: config.routes.map((r) => ({ ...r, limits: [] })) }, { transport });
    gw.start();
    handler = (req, res) => {
      void gw.handle(fromNodeRequest(req), { signal: clientAbortSignal(res) }).then((response) => writeNodeResponse(res, response));
    };
  }
  const server = createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as { port: number }).port;
}

// 'direct': the client hits an origin itself (the origin's and the client's share, no proxy).
const port =
  name === 'direct'
    ? Number(new URL(urls[0]!).port)
    : name === 'bridge-transport' || name === 'sy-node-nolimit'
      ? await bisection(name)
      : (await import('./proxy/contender.ts'), await announced);

if (peer !== undefined) {
  peer.send([port, n]);
  await countWhileChildLoads(peer);
  process.exit(0);
}
const cpuMicros = await loadCounted(client(port), 8, n);
// Without valgrind: CPU time of the whole process (origin + proxy + client) per request.
console.error(`${name}: ${(cpuMicros / n).toFixed(1)} us CPU per request (whole process)`);
process.exit(0);
