/**
 * WebSocket upgrades in the Hono middleware on runtimes that have a WebSocket upgrade API:
 * Cloudflare Workers (`WebSocketPair`, and `fetch` with `Upgrade: websocket` to the origin),
 * Deno (`Deno.upgradeWebSocket`) and Bun (`server.upgrade`, with the `websocket` handlers passed
 * to `Bun.serve`). On Node, `@hono/node-server` never hands an upgrade to `app.fetch`: use
 * `attachUpgrade` from `@switchyard/hono/node`, which splices raw sockets instead.
 *
 * The gateway decides first (`gateway.acquire`: routing, limits, policies, split, balancer,
 * rewrite), exactly as for the Node dispatcher; a refusal is answered as an HTTP response. Then an
 * upgrader opens a WebSocket to the chosen endpoint and relays messages between the two sockets
 * (`relayWebSockets`). Unlike the Node splice, this is a message relay on the runtime's
 * WebSocket API: each hop answers its own pings (the API has no ping/pong), close codes that the
 * API lets a script send (1000, 3000-4999) pass through and others end as a plain close, and
 * there is no backpressure beyond what the runtime itself applies (the API has no way to stop
 * reading). The pattern is the one of Cloudflare's documented WebSocket proxy
 * (developers.cloudflare.com/workers/examples/websockets) and of Deno's `upgradeWebSocket` docs.
 *
 * This file holds the gateway step and the relay; `websocket-runtimes.ts` the runtimes' upgraders.
 *
 * Runtime-neutral: no `node:` imports; the runtimes' APIs are reached through structural types
 * and `globalThis`, only when an upgrade arrives.
 */
import { systemClock, type Clock, type Endpoint, type Outcome, type OutcomeErrorKind, type SyRequest, type SyResponse } from '@switchyard/core';
import { toFetchResponse, type Acquired, type Gateway } from '@switchyard/gateway';
import type { Context } from 'hono';

/** The part of a WHATWG `WebSocket` the relay uses: what Deno, Bun, Workers (and `ws` on Node) all offer. */
export interface WebSocketLike {
  readonly readyState: number;
  readonly protocol?: string | undefined;
  binaryType?: string;
  send(data: string | ArrayBuffer | ArrayBufferView): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'message' | 'close' | 'error', listener: (event: { readonly data?: unknown; readonly code?: number; readonly reason?: string }) => void): void;
}

/** The client side of a relay when it is not a {@link WebSocketLike} (Bun's `ServerWebSocket`). */
export interface RelayClientEnd {
  readonly readyState: number;
  send(data: string | ArrayBuffer | ArrayBufferView): unknown;
  close(code?: number, reason?: string): void;
}

/** Where an upgrade goes, once the gateway has picked the endpoint and rewritten the request. */
export interface WebSocketTarget {
  /** `ws:` or `wss:` URL: the endpoint's origin with the rewritten path and query. */
  readonly url: string;
  /** The same target as `http:` / `https:` (what `fetch` takes on Workers). */
  readonly httpUrl: string;
  /** The rewritten request headers (hop-by-hop fields removed by the rewriter). */
  readonly headers: Readonly<Record<string, string>>;
  /** The client's offered subprotocols (`Sec-WebSocket-Protocol`), in order. */
  readonly protocols: readonly string[];
  /** The gateway's clock (handshake timeout). */
  readonly clock: Clock;
  /** How long the upstream has to accept the WebSocket. */
  readonly handshakeTimeoutMs: number;
  /** Call when the upstream accepted: the handshake's latency is measured up to here. */
  opened(): void;
  /** Call exactly once when the connection ends; `error` when the upstream failed (not when a side closed). */
  ended(error?: OutcomeErrorKind): void;
  /** Call instead of `ended` when the upstream answered the handshake with another status than 101 (its answer is relayed). */
  declined(status: number): void;
}

/** Answers one routed upgrade on one runtime; built-ins: {@link cloudflareWebSocket}, {@link denoWebSocket}, {@link bunWebSocket}. */
export interface WebSocketUpgrader {
  /**
   * Opens the upstream WebSocket, upgrades the client and relays; returns the response to give
   * the runtime (the 101 / upgrade answer, or the upstream's refusal). Rejecting means the
   * upstream could not be reached (the middleware answers 502).
   */
  upgrade(c: Context, target: WebSocketTarget): Promise<Response>;
}

/** Options of the middleware's `webSocket` option when given as an object. */
export interface WebSocketOptions {
  /** The runtime's upgrader. Default: detected (Workers: `WebSocketPair`; Deno: `Deno.upgradeWebSocket`); Bun needs {@link bunWebSocket}. */
  readonly upgrader?: WebSocketUpgrader | undefined;
  /** The gateway's clock, if it is not the system clock (outcomes and the handshake timeout). */
  readonly clock?: Clock | undefined;
  /** How long an upstream has to accept before the client gets 504. Default 10 000. */
  readonly handshakeTimeoutMs?: number | undefined;
}

/** True for a WebSocket opening handshake (RFC 6455 §4.1: GET with `Upgrade: websocket`). */
export function isWebSocketUpgrade(request: Request): boolean {
  if (request.method !== 'GET') return false;
  const upgrade = request.headers.get('upgrade');
  return upgrade !== null && upgrade.toLowerCase() === 'websocket';
}

/**
 * Routes one upgrade through the gateway and hands it to `upgrader`: the middleware's WebSocket
 * path. A `respond` decision (404, 429, 403, 503...) comes back as `{ kind: 'respond' }` for the
 * middleware to answer (or fall through on no route).
 */
export async function upgradeThroughGateway(
  c: Context,
  gateway: Pick<Gateway, 'acquire' | 'errorResponse'>,
  request: SyRequest,
  upgrader: WebSocketUpgrader,
  options: { readonly clock?: Clock | undefined; readonly handshakeTimeoutMs?: number | undefined } = {},
): Promise<{ readonly kind: 'respond'; readonly response: SyResponse } | { readonly kind: 'upgraded'; readonly response: Response }> {
  const acquired = await gateway.acquire(request);
  if (acquired.kind === 'respond') return acquired;
  const clock = options.clock ?? systemClock;
  const started = clock.now();
  const { endpoint } = acquired;
  let handshakeMs: number | undefined;
  let released = false;
  const release = (outcome: Outcome): void => {
    if (released) return;
    released = true;
    acquired.release(outcome);
  };
  const target: WebSocketTarget = {
    ...targetOf(acquired, request),
    clock,
    handshakeTimeoutMs: options.handshakeTimeoutMs ?? 10_000,
    opened: () => {
      handshakeMs ??= clock.now() - started;
    },
    ended: (error) => release(outcomeOf(endpoint, clock.now(), handshakeMs ?? clock.now() - started, error)),
    declined: (status) => {
      const at = clock.now();
      release({ kind: 'response', endpoint, status, latencyMs: at - started, at });
    },
  };
  try {
    return { kind: 'upgraded', response: await upgrader.upgrade(c, target) };
  } catch (err) {
    const timedOut = err instanceof HandshakeTimeout;
    release(outcomeOf(endpoint, clock.now(), clock.now() - started, timedOut ? 'timeout' : 'connect'));
    const response = timedOut
      ? gateway.errorResponse('SY_UPSTREAM_TIMEOUT', request, { message: `upstream ${endpoint.id} did not accept the WebSocket in time`, status: 504 })
      : gateway.errorResponse('SY_UPSTREAM_CONNECT', request, { message: `could not open a WebSocket to upstream ${endpoint.id}`, status: 502 });
    return { kind: 'upgraded', response: toFetchResponse(response) as Response };
  }
}

function outcomeOf(endpoint: Endpoint, at: number, latencyMs: number, error: OutcomeErrorKind | undefined): Outcome {
  // Latency is the handshake, not the session's lifetime: balancers average it (as the Node dispatcher).
  return error === undefined ? { kind: 'response', endpoint, status: 101, latencyMs, at } : { kind: 'error', endpoint, error, latencyMs, at };
}

function targetOf(acquired: Extract<Acquired, { kind: 'endpoint' }>, original: SyRequest): Pick<WebSocketTarget, 'url' | 'httpUrl' | 'headers' | 'protocols'> {
  const origin = new URL(acquired.endpoint.url);
  const httpUrl = `${origin.protocol}//${origin.host}${acquired.request.path}`;
  const url = `${origin.protocol === 'https:' ? 'wss:' : 'ws:'}//${origin.host}${acquired.request.path}`;
  const headers: Record<string, string> = {};
  for (const name in acquired.request.headers) {
    const v = acquired.request.headers[name];
    // The runtime's WebSocket client writes its own handshake fields.
    if (v !== undefined && !name.startsWith('sec-websocket-') && name !== 'upgrade' && name !== 'connection') headers[name] = v;
  }
  const offered = original.headers['sec-websocket-protocol'];
  const protocols = offered === undefined ? [] : offered.split(',').map((p) => p.trim()).filter((p) => p !== '');
  return { url, httpUrl, headers, protocols };
}

/** Thrown by {@link openUpstream} when the upstream did not accept within the handshake timeout. */
export class HandshakeTimeout extends Error {
  override readonly name = 'HandshakeTimeout';
}

/**
 * Opens a WebSocket to `target.url` and resolves once it is open (rejects on an error or close
 * before that, or after `target.handshakeTimeoutMs`). `create` builds the socket: the runtime's
 * `new WebSocket(url, protocols)` by default.
 */
export function openUpstream(target: WebSocketTarget, create: (url: string, protocols: readonly string[]) => WebSocketLike = standardWebSocket): Promise<WebSocketLike> {
  return new Promise((resolve, reject) => {
    let settled = false;
    let upstream: WebSocketLike;
    try {
      upstream = create(target.url, target.protocols);
    } catch (err) {
      reject(err);
      return;
    }
    upstream.binaryType = 'arraybuffer';
    const cancel = target.clock.setTimer(target.handshakeTimeoutMs, () => {
      if (settled) return;
      settled = true;
      upstream.close();
      reject(new HandshakeTimeout(`no answer from ${target.url}`));
    });
    upstream.addEventListener('open', () => {
      if (settled) return;
      settled = true;
      cancel();
      target.opened();
      resolve(upstream);
    });
    const fail = (): void => {
      if (settled) return;
      settled = true;
      cancel();
      reject(new Error(`WebSocket to ${target.url} failed`));
    };
    upstream.addEventListener('error', fail);
    upstream.addEventListener('close', fail);
  });
}

function standardWebSocket(url: string, protocols: readonly string[]): WebSocketLike {
  const Ctor = (globalThis as { WebSocket?: new (url: string, protocols?: string[]) => WebSocketLike }).WebSocket;
  if (Ctor === undefined) throw new Error('this runtime has no WebSocket client');
  return new Ctor(url, [...protocols]);
}

const OPEN = 1;
const CLOSING = 2;

/**
 * Closes `ws` with the code and reason the other side closed with, where the WebSocket API lets
 * a script send it (1000 and 3000-4999, WHATWG WebSockets `close()` step 1); 1005/1006/1015 are
 * never sent on the wire (RFC 6455 §7.4.1): a plain close. A runtime that refuses another code
 * gets a plain close too.
 */
export function forwardClose(ws: RelayClientEnd, code: number | undefined, reason: string | undefined): void {
  if (ws.readyState >= CLOSING) return;
  sendClose(ws, code, reason);
}

const CLOSED = 3;

/**
 * Answers the Close frame `ws` just received (its `close` event), echoing the code as RFC 6455
 * §5.5.1 says an endpoint typically does. Where the runtime follows the WebSocket spec it has
 * already answered (readyState is CLOSED when the event fires) and this does nothing. Cloudflare
 * Workers with a compatibility date before 2026-04-07 (no `web_socket_auto_reply_to_close` flag)
 * leave the answer to the script: without it the peer that closed never gets its Close frame
 * back, and workerd cancels the request as hung, so the peer sees 1006 instead of its own code
 * (run in test/workerd.node.test.ts).
 */
export function answerClose(ws: RelayClientEnd, code: number | undefined, reason: string | undefined): void {
  if (ws.readyState >= CLOSED) return;
  try {
    sendClose(ws, code, reason);
  } catch {
    // Already closed by the runtime in the meantime: nothing to answer.
  }
}

function sendClose(ws: RelayClientEnd, code: number | undefined, reason: string | undefined): void {
  if (code === undefined || code === 1005 || code === 1006 || code === 1015) {
    ws.close();
    return;
  }
  try {
    ws.close(code, reason);
  } catch {
    try {
      ws.close(1000, reason);
    } catch {
      ws.close();
    }
  }
}

/** What a relay exposes to a client end that delivers its events by callback (Bun's handlers). */
export interface Relay {
  /** The client end opened: messages the upstream sent meanwhile are delivered now. */
  clientOpened(): void;
  clientMessage(data: string | ArrayBuffer | ArrayBufferView): void;
  clientClosed(code: number | undefined, reason: string | undefined): void;
  clientFailed(): void;
}

/**
 * Relays messages between `client` and `upstream` until either closes; the other side is closed
 * with the same code and reason ({@link forwardClose}). Messages from the upstream that arrive
 * before the client end is open are queued and delivered on `clientOpened()`. `ended` is called
 * once, with `'reset'` when the upstream failed. For a {@link WebSocketLike} client call
 * {@link relayWebSockets} instead, which wires the events.
 */
export function createRelay(client: RelayClientEnd, upstream: WebSocketLike, ended: (error?: OutcomeErrorKind) => void): Relay {
  let done = false;
  let pending: (string | ArrayBuffer | ArrayBufferView)[] | undefined = client.readyState === OPEN ? undefined : [];
  const finish = (error?: OutcomeErrorKind): void => {
    if (done) return;
    done = true;
    ended(error);
  };
  upstream.addEventListener('message', (event) => {
    const data = event.data as string | ArrayBuffer | ArrayBufferView;
    if (pending !== undefined) pending.push(data);
    else if (client.readyState === OPEN) client.send(data);
  });
  upstream.addEventListener('close', (event) => {
    if (pending !== undefined && client.readyState === OPEN) for (const data of pending.splice(0)) client.send(data);
    forwardClose(client, event.code, event.reason);
    answerClose(upstream, event.code, event.reason);
    finish();
  });
  upstream.addEventListener('error', () => {
    forwardClose(client, 1011, 'upstream error');
    finish('reset');
  });
  return {
    clientOpened() {
      const queued = pending;
      pending = undefined;
      if (queued !== undefined) for (const data of queued) client.send(data);
    },
    clientMessage(data) {
      if (upstream.readyState === OPEN) upstream.send(data);
    },
    clientClosed(code, reason) {
      forwardClose(upstream, code, reason);
      finish();
    },
    clientFailed() {
      forwardClose(upstream, 1011, 'client error');
      finish();
    },
  };
}

/** {@link createRelay} for a client that is itself a {@link WebSocketLike} (Deno's socket, the Workers pair's server end). */
export function relayWebSockets(client: WebSocketLike, upstream: WebSocketLike, ended: (error?: OutcomeErrorKind) => void): void {
  client.binaryType = 'arraybuffer';
  const relay = createRelay(client, upstream, ended);
  if (client.readyState === OPEN) relay.clientOpened();
  else client.addEventListener('open', () => relay.clientOpened());
  client.addEventListener('message', (event) => relay.clientMessage(event.data as string | ArrayBuffer | ArrayBufferView));
  client.addEventListener('close', (event) => {
    relay.clientClosed(event.code, event.reason);
    answerClose(client, event.code, event.reason);
  });
  client.addEventListener('error', () => relay.clientFailed());
}
