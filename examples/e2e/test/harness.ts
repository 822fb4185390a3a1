/**
 * A tiny real-HTTP harness: upstream `node:http` servers on 127.0.0.1 (port 0) with socket
 * accounting, and a gateway server (`node:http` + the Node bridge + the undici transport) that
 * records, per downstream response, how often its head was written and how it ended.
 *
 * Nothing here waits on the wall clock for a fixed time: `until` polls a condition with a bound
 * on the number of polls, and tests assert counts, never durations.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setImmediate as tick, setTimeout as sleep } from 'node:timers/promises';
import { Agent } from 'undici';
import { clientAbortSignal, createGateway, fromNodeRequest, writeNodeResponse, type Gateway, type GatewayConfig, type GatewayEvent } from '@switchyard/gateway';
import { createUndiciTransport, type UndiciTransport, type UndiciTransportOptions } from '@switchyard/transport-undici';

export interface Upstream {
  readonly server: Server;
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Server-side sockets currently open. */
  readonly sockets: Set<Socket>;
  /** Connections ever accepted. */
  accepted(): number;
  /** Requests ever received. */
  requests(): number;
  /** Stops listening and destroys every socket. Idempotent. */
  close(): Promise<void>;
}

/** Starts an upstream on 127.0.0.1, port 0. */
export async function startUpstream(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Upstream> {
  let requests = 0;
  const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    requests++;
    handler(req, res);
  });
  const sockets = new Set<Socket>();
  let accepted = 0;
  server.on('connection', (socket: Socket) => {
    accepted++;
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await listen(server);
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    sockets,
    accepted: () => accepted,
    requests: () => requests,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        for (const s of sockets) s.destroy();
      });
      return closing;
    },
  };
}

/** A port nothing listens on (bound, then released). */
export async function deadPort(): Promise<number> {
  const s = createServer();
  await listen(s);
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** What happened to one downstream response of the gateway server. */
export interface ResponseRecord {
  readonly path: string;
  writeHeads: number;
  finishes: number;
  closes: number;
  /** The handler threw (it must not: `handle` never rejects, `writeNodeResponse` never rejects). */
  handlerErrors: number;
  status: number | undefined;
}

export interface GatewayServer {
  readonly gateway: Gateway;
  readonly transport: UndiciTransport;
  readonly server: Server;
  readonly url: string;
  /** One record per request the gateway server received, in arrival order. */
  readonly records: ResponseRecord[];
  /** Every event the gateway emitted. */
  readonly events: GatewayEvent[];
  /** Handlers still running (request received, response not yet written out). */
  active(): number;
  close(): Promise<void>;
}

/**
 * Starts the gateway server: a `node:http` server whose handler is exactly what a user writes
 * with the Node bridge.
 */
export async function startGateway(config: GatewayConfig, transportOptions: UndiciTransportOptions = {}): Promise<GatewayServer> {
  const transport = createUndiciTransport(transportOptions);
  const gateway = createGateway(config, { transport });
  const events: GatewayEvent[] = [];
  gateway.subscribe((e) => events.push(e));
  const records: ResponseRecord[] = [];
  let active = 0;
  const sockets = new Set<Socket>();
  const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    const record: ResponseRecord = { path: req.url ?? '', writeHeads: 0, finishes: 0, closes: 0, handlerErrors: 0, status: undefined };
    records.push(record);
    const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
    res.writeHead = ((...args: unknown[]) => {
      record.writeHeads++;
      record.status = args[0] as number;
      return writeHead(...args);
    }) as typeof res.writeHead;
    res.on('finish', () => record.finishes++);
    res.on('close', () => record.closes++);
    active++;
    void (async () => {
      try {
        const signal = clientAbortSignal(res);
        const r = await gateway.handle(fromNodeRequest(req), { signal });
        await writeNodeResponse(res, r);
      } catch {
        record.handlerErrors++;
        res.destroy();
      } finally {
        active--;
      }
    })();
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await listen(server);
  const port = (server.address() as AddressInfo).port;
  return {
    gateway,
    transport,
    server,
    url: `http://127.0.0.1:${port}`,
    records,
    events,
    active: () => active,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        for (const s of sockets) s.destroy();
      });
      await gateway.stop();
    },
  };
}

/** An undici client dispatcher for the tests (keep-alive, plenty of connections). */
export function client(connections = 128): Agent {
  return new Agent({ connections, keepAliveTimeout: 10_000, headersTimeout: 0, bodyTimeout: 0 });
}

/**
 * Resolves once `condition()` holds, checking it between event-loop turns and then every
 * `intervalMs`, at most `polls` times; rejects with `what` otherwise. A bound, not a timing claim.
 */
export async function until(condition: () => boolean, what: string | (() => string), polls = 400, intervalMs = 10): Promise<void> {
  for (let i = 0; i < polls; i++) {
    if (condition()) return;
    await (i < 20 ? tick() : sleep(intervalMs));
  }
  if (!condition()) throw new Error(`condition not met: ${typeof what === 'string' ? what : what()}`);
}

/** A promise and its resolver. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Reads a request or response body to the end, as text. */
export async function text(body: AsyncIterable<Uint8Array | string>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of body) parts.push(typeof c === 'string' ? Buffer.from(c) : Buffer.from(c.buffer, c.byteOffset, c.byteLength));
  return Buffer.concat(parts).toString('utf8');
}

function listen(server: Server): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
}
