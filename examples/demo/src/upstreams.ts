/**
 * Local upstreams for the demo: small node:http servers on 127.0.0.1 whose behaviour changes on
 * a schedule, so the gateway has something real to route around:
 * - `fail`: a gray failure: requests answer 503 while `/healthz` still answers 200 (only passive
 *   checks, i.e. outlier detection, can see it);
 * - `drain`: `/healthz` answers 503 while requests are still served (only the active health
 *   check can see it, as with a Kubernetes pod whose readiness probe fails before shutdown);
 * - `slow`: every response takes `factor` times longer (Peak EWMA should route around it);
 * - `flaky`: a share of requests (`failRatio`) answers 503 (`DEMO_SABOTAGE=canary`).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Phase {
  /** Milliseconds since the demo started. */
  readonly fromMs: number;
  readonly toMs: number;
  readonly kind: 'slow' | 'fail' | 'drain' | 'flaky';
  /** Latency multiplier for `slow`. */
  readonly factor?: number;
  /** Share of requests answered 503 for `flaky`. */
  readonly failRatio?: number;
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
  /** Requests answered (health checks excluded). */
  served: number;
  /** Of which answered 503 because of a `fail` or `flaky` phase. */
  failed: number;
}

/** `epoch()`: `performance.now()` of the demo's start, which phases count from (`Infinity` before it: no phase). */
export async function startUpstreams(specs: readonly UpstreamSpec[], epoch: () => number): Promise<RunningUpstream[]> {
  return Promise.all(
    specs.map(
      (spec) =>
        new Promise<RunningUpstream>((resolve) => {
          const up: { served: number; failed: number } = { served: 0, failed: 0 };
          const server = createServer((req, res) => {
            const t = performance.now() - epoch();
            const phase = spec.phases?.find((p) => t >= p.fromMs && t < p.toMs);
            if (req.url === '/healthz') {
              res.writeHead(phase?.kind === 'drain' ? 503 : 200).end();
              return;
            }
            up.served++;
            if (phase?.kind === 'fail' || (phase?.kind === 'flaky' && Math.random() < (phase.failRatio ?? 0.5))) {
              up.failed++;
              res.writeHead(503, { 'content-type': 'application/json', 'x-served-by': spec.id, 'x-version': spec.version });
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
