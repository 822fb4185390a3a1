/**
 * Local upstreams for the demo: small node:http servers on 127.0.0.1 whose behaviour changes on
 * a schedule (an instance that turns slow, one that fails for a while), so the gateway has
 * something real to route around.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Phase {
  /** Seconds since the demo started. */
  readonly from: number;
  readonly to: number;
  readonly kind: 'slow' | 'fail';
  /** Latency multiplier for `slow`. */
  readonly factor?: number;
}

export interface UpstreamSpec {
  readonly id: string;
  readonly service: string;
  readonly version: string;
  /** Base latency in ms (jittered ±30 %). */
  readonly latencyMs: number;
  readonly phases?: readonly Phase[];
}

export interface RunningUpstream extends UpstreamSpec {
  readonly url: string;
  readonly server: Server;
  served: number;
}

export async function startUpstreams(specs: readonly UpstreamSpec[], startedAt: number): Promise<RunningUpstream[]> {
  return Promise.all(
    specs.map(
      (spec) =>
        new Promise<RunningUpstream>((resolve) => {
          const up: { served: number } = { served: 0 };
          const server = createServer((req, res) => {
            const t = (performance.now() - startedAt) / 1000;
            const phase = spec.phases?.find((p) => t >= p.from && t < p.to);
            if (req.url === '/healthz') {
              res.writeHead(phase?.kind === 'fail' ? 503 : 200).end();
              return;
            }
            up.served++;
            if (phase?.kind === 'fail') {
              res.writeHead(503, { 'content-type': 'application/json' });
              res.end(JSON.stringify({ error: 'unavailable', instance: spec.id }));
              return;
            }
            const factor = phase?.kind === 'slow' ? (phase.factor ?? 10) : 1;
            const delay = spec.latencyMs * factor * (0.7 + Math.random() * 0.6);
            setTimeout(() => {
              res.writeHead(200, { 'content-type': 'application/json', 'x-served-by': spec.id, 'x-version': spec.version });
              res.end(JSON.stringify({ service: spec.service, version: spec.version, instance: spec.id, path: req.url }));
            }, delay);
          });
          server.keepAliveTimeout = 30_000;
          server.listen(0, '127.0.0.1', () => {
            const port = (server.address() as AddressInfo).port;
            resolve(Object.assign(up, spec, { url: `http://127.0.0.1:${port}`, server }) as RunningUpstream);
          });
        }),
    ),
  );
}

export async function stopAll(servers: readonly Server[]): Promise<void> {
  await Promise.all(
    servers.map(
      (s) =>
        new Promise<void>((resolve) => {
          s.closeAllConnections();
          s.close(() => resolve());
        }),
    ),
  );
}
