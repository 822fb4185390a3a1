/**
 * The upstream of the HTTP suites: a tiny `node:http` server answering every request with the
 * same small JSON body, keep-alive on. One process can hold several instances (one port each),
 * so "two origin instances" cost the same CPU share as one on a 2-core machine.
 *
 *     origin.ts [--count N] [--ports p1,p2] [--flap i:periodMs:downMs]
 *
 * `--flap 1:15000:5000` makes instance 1 answer 503 for the last 5 s of every 15 s.
 */
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { announce } from './process.js';
import { ORIGIN_BODY } from './shared.js';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { count: { type: 'string' }, ports: { type: 'string' }, flap: { type: 'string' } } });
  const fixed = values.ports?.split(',').map(Number) ?? [];
  const count = Math.max(Number(values.count ?? 1), fixed.length);
  const [flapIndex, periodMs, downMs] = (values.flap ?? '-1:1:0').split(':').map(Number) as [number, number, number];
  const started = performance.now();
  const body = Buffer.from(ORIGIN_BODY);
  const servers: Server[] = [];
  for (let i = 0; i < count; i++) {
    const flaps = i === flapIndex;
    const server = createServer((req, res) => {
      req.resume();
      if (flaps && (performance.now() - started) % periodMs >= periodMs - downMs) {
        res.writeHead(503, { 'content-type': 'text/plain', 'content-length': '4' });
        res.end('down');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.length) });
      res.end(body);
    });
    server.keepAliveTimeout = 60_000;
    server.listen(fixed[i] ?? 0, '127.0.0.1');
    await once(server, 'listening');
    servers.push(server);
  }
  announce(servers.map((s) => (s.address() as { port: number }).port));
}

await main();
