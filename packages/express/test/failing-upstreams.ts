/**
 * Upstreams that fail each way an upstream can over real sockets on 127.0.0.1 (connect refused,
 * connection reset, held past a timeout, DNS failure), with the strings that identify each one:
 * the error-bodies tests of the Express and Fastify adapters share them. `closeServers` (in
 * afterEach) stops every server `serve` started.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

const servers: Server[] = [];

/** Closes every server {@link serve} started (their open connections first). */
export async function closeServers(): Promise<void> {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
}

/** Serves `handler` on 127.0.0.1 (closed by {@link closeServers}); resolves with the port. */
export async function serve(handler: NonNullable<Parameters<typeof createServer>[1]>): Promise<number> {
  const s = createServer(handler);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return (s.address() as AddressInfo).port;
}

export type Kind = 'connect refused' | 'connection reset' | 'per-try timeout' | 'route timeout' | 'DNS failure';

export interface Failure {
  readonly url: string;
  /** Strings that identify the upstream: none may appear in a default body. */
  readonly secrets: readonly string[];
  /** Resolves when the upstream holds the request (timeouts only). */
  readonly held?: Promise<void>;
  /** The route's per-try timeout, for `per-try timeout`. */
  readonly perTryTimeoutMs?: number;
}

export async function failing(kind: Kind): Promise<Failure> {
  switch (kind) {
    case 'connect refused': {
      const s = createServer();
      await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
      const port = (s.address() as AddressInfo).port;
      await new Promise((r) => s.close(r));
      return { url: `http://127.0.0.1:${port}`, secrets: ['127.0.0.1', `:${port}`] };
    }
    case 'connection reset': {
      const port = await serve((req) => req.socket.destroy());
      return { url: `http://127.0.0.1:${port}`, secrets: ['127.0.0.1', `:${port}`] };
    }
    case 'per-try timeout':
    case 'route timeout': {
      let arrived!: () => void;
      const held = new Promise<void>((r) => (arrived = r));
      const port = await serve(() => arrived());
      return { url: `http://127.0.0.1:${port}`, secrets: ['127.0.0.1', `:${port}`], held, ...(kind === 'per-try timeout' ? { perTryTimeoutMs: 2_000 } : {}) };
    }
    case 'DNS failure':
      return { url: 'http://orders-db.internal.invalid:8443', secrets: ['orders-db', 'internal.invalid', ':8443'] };
  }
}
