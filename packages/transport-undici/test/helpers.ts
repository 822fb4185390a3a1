/** Real HTTP servers on loopback for the integration tests, with socket accounting. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { createAbortController, createEndpoint, type AbortControllerLike, type Endpoint } from '@switchyard/core';

export interface TestServer {
  readonly server: Server;
  readonly port: number;
  /** `http://<host>:<port>` as bound. */
  readonly url: string;
  readonly endpoint: Endpoint;
  /** Sockets currently open on the server side. */
  readonly sockets: Set<Socket>;
  /** Total connections ever accepted. */
  accepted(): number;
  /** Resolves once at most `n` sockets are open (event-driven, no polling). */
  socketsAtMost(n: number): Promise<void>;
  close(): Promise<void>;
}

export async function startServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  host = '127.0.0.1',
): Promise<TestServer> {
  const server = createServer({ keepAliveTimeout: 60_000 }, handler);
  const sockets = new Set<Socket>();
  let accepted = 0;
  const waiters: { n: number; resolve: () => void }[] = [];
  const check = () => {
    for (let i = waiters.length - 1; i >= 0; i--) {
      const w = waiters[i]!;
      if (sockets.size <= w.n) {
        waiters.splice(i, 1);
        w.resolve();
      }
    }
  };
  server.on('connection', (socket: Socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('close', () => {
      sockets.delete(socket);
      check();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  const port = address.port;
  const url = host.includes(':') ? `http://[${host}]:${port}` : `http://${host}:${port}`;
  return {
    server,
    port,
    url,
    endpoint: createEndpoint({ url }),
    sockets,
    accepted: () => accepted,
    socketsAtMost(n) {
      return new Promise<void>((resolve) => {
        waiters.push({ n, resolve });
        check();
      });
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port nothing listens on (bound, then released). */
export async function deadPort(): Promise<number> {
  const s = await startServer(() => {});
  await s.close();
  return s.port;
}

export function controller(): AbortControllerLike {
  return createAbortController();
}

export const never = (): AbortControllerLike['signal'] => createAbortController().signal;

/** Reads a body to the end, returning its bytes as a string. */
export async function text(body: unknown): Promise<string> {
  if (body === null || body === undefined) return '';
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return Buffer.from(body).toString('utf8');
  const parts: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array>) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts).toString('utf8');
}

/** Reads a request to the end. */
export async function readRequest(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of req) parts.push(chunk as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

/** Yields to the event loop until `predicate` holds (bounded; no wall-clock sleeping). */
export async function settle(predicate: () => boolean, turns = 10_000): Promise<boolean> {
  for (let i = 0; i < turns; i++) {
    if (predicate()) return true;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return predicate();
}
