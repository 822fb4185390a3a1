import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AdapterHarness, FixtureRequest } from '@switchyard/testing/vitest';

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/** Listens on 127.0.0.1, port 0. */
export async function listen(handler: Listener | { listen: (port: number, host: string, cb: () => void) => Server }): Promise<{ server: Server; url: string }> {
  const server: Server =
    typeof handler === 'function'
      ? createServer(handler).listen(0, '127.0.0.1')
      : handler.listen(0, '127.0.0.1', () => {});
  await new Promise<void>((r) => (server.listening ? r() : server.once('listening', () => r())));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

export function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((r) => server.close(() => r()));
}

export const yieldToIo = (): Promise<void> => new Promise((r) => setImmediate(r));

function headersOf(res: Response): Record<string, string> {
  const out: Record<string, string> = {};
  res.headers.forEach((v, k) => (out[k] = v));
  return out;
}

/** The fixture's harness over a real listening server, with fetch as the client. */
export function httpHarness(url: string, close: () => Promise<void>): AdapterHarness {
  const send = (r: FixtureRequest, signal?: AbortSignal) =>
    fetch(`${url}${r.path}`, { method: r.method, headers: { ...r.headers }, ...(r.body !== undefined ? { body: r.body } : {}), ...(signal ? { signal } : {}) });
  return {
    async request(r) {
      const res = await send(r);
      return { status: res.status, headers: headersOf(res), body: await res.text() };
    },
    async stream(r) {
      const ac = new AbortController();
      const res = await send(r, ac.signal);
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      const decoder = new TextDecoder();
      return {
        status: res.status,
        headers: headersOf(res),
        read: async () => {
          const { done, value } = await reader.read();
          return done ? undefined : decoder.decode(value);
        },
        abort: () => {
          ac.abort();
          reader.cancel().catch(() => {});
        },
      };
    },
    close,
  };
}
