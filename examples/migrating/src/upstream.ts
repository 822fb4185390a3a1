/**
 * The local upstream both sides proxy to: it answers with the path it received, and a
 * `Location` for `/v1/orders` (POST creates an order), so path mapping, header rewriting and
 * status codes can be compared.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running upstream: its URL and how to stop it. */
export interface Upstream {
  readonly url: string;
  close(): Promise<void>;
}

/** Starts the upstream on 127.0.0.1 (port 0: any free port). */
export async function startUpstream(port = 0): Promise<Upstream> {
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const headers: Record<string, string> = { 'content-type': 'application/json', 'x-upstream': 'orders' };
      if (req.method === 'POST' && req.url === '/v1/orders') headers['location'] = '/v1/orders/42';
      res.writeHead(req.method === 'POST' ? 201 : 200, headers).end(JSON.stringify({ method: req.method, path: req.url }));
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}
