/**
 * The proxy process of `pnpm bench soak`: switchyard's gateway on a plain `node:http` server
 * (the bridge every Node adapter is built on), in front of the origins given as arguments,
 * with the settings a production deployment would run: least-request P2C, two retries on
 * connect failure / reset / 502-503-504 (up to 64 concurrent retries), passive outlier detection. Pushes its memory and
 * handle counts to the parent every 5 s; start it with `--expose-gc` so the parent can force a
 * collection before reading the heap.
 *
 *     soak-proxy.ts <originUrl> <originUrl> <originUrl>
 */
import { createServer } from 'node:http';
import { once } from 'node:events';
import { clientAbortSignal, createGateway, fromNodeRequest, writeNodeResponse } from '@switchyard/gateway';
import { createUndiciTransport } from '@switchyard/transport-undici';
import { announce } from './process.js';

const origins = process.argv.slice(2);
const gateway = createGateway(
  {
    clientIdentity: { trustedProxies: [] },
    routes: [
      {
        name: 'api',
        matches: [{ path: { type: 'PathPrefix', value: '/api' } }],
        backends: [{ upstream: 'origin' }],
        limits: ['per-client'],
        timeoutMs: 5000,
        retry: { numRetries: 2, baseIntervalMs: 5, maxIntervalMs: 50 },
      },
    ],
    upstreams: {
      origin: {
        endpoints: origins.map((url) => ({ url })),
        balancer: { policy: 'least-request' },
        outlierDetection: { consecutive5xx: 5, intervalMs: 1000, baseEjectionTimeMs: 3000, maxEjectionPercent: 67 },
        // Envoy's default of 3 concurrent retries per cluster is sized for one host's worth of
        // failures at low concurrency; a flapping host at 300 rps needs more headroom.
        resourceLimits: { maxRetries: 64 },
      },
    },
    limits: {
      'per-client': { key: 'client-ip', policy: { algorithm: 'token-bucket', maxTokens: 1_000_000_000, tokensPerFill: 1_000_000_000, fillIntervalMs: 1000 } },
    },
  },
  { transport: createUndiciTransport() },
);
gateway.start();

const server = createServer((req, res) => {
  void gateway.handle(fromNodeRequest(req), { signal: clientAbortSignal(res) }).then((response) => writeNodeResponse(res, response));
});
server.listen(0, '127.0.0.1');
await once(server, 'listening');
announce((server.address() as { port: number }).port, { sampleEveryMs: 5000 });
