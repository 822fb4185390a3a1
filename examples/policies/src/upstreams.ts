/**
 * Three local upstreams on 127.0.0.1 (node:http). Each answers JSON with its own name and the
 * request headers it received, so a test sees which backend got a request and what was forwarded.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Upstreams } from './config.js';

/** Listens on 127.0.0.1 (port 0: any free port); resolves the port. */
export function listen(server: Server, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

/** Closes a node:http server and its open connections. */
export async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** Starts the `default`, `eu` and `canary` upstreams. */
export async function startUpstreams(): Promise<{ urls: Upstreams; stop: () => Promise<void> }> {
  const names = ['default', 'eu', 'canary'] as const;
  const servers = names.map((name) =>
    createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ backend: name, method: req.method, url: req.url, headers: req.headers }));
      });
    }),
  );
  const started: Server[] = [];
  try {
    const ports: number[] = [];
    for (const s of servers) {
      ports.push(await listen(s));
      started.push(s);
    }
    const url = (i: number): string => `http://127.0.0.1:${ports[i]}`;
    return { urls: { default: url(0), eu: url(1), canary: url(2) }, stop: async () => void (await Promise.all(started.map(closeServer))) };
  } catch (e) {
    await Promise.all(started.map(closeServer));
    throw e;
  }
}
