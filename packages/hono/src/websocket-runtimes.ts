/**
 * The runtimes' WebSocket upgraders for the Hono middleware: Cloudflare Workers
 * (`WebSocketPair`), Deno (`Deno.upgradeWebSocket`) and Bun (`server.upgrade` with the
 * `websocket` handlers passed to `Bun.serve`), and the detection of the one the runtime has.
 * Each accepts the client's socket its runtime's way and hands both ends to the relay of
 * `websocket.ts`.
 *
 * Runtime-neutral: the runtimes' APIs are reached through structural types and `globalThis`,
 * only when an upgrade arrives.
 */
import type { OutcomeErrorKind } from '@switchyard/core';
import { createRelay, openUpstream, relayWebSockets, type Relay, type RelayClientEnd, type WebSocketLike, type WebSocketUpgrader } from './websocket.js';

/** The runtime's own upgrader, or undefined where none can be detected (Node, Bun without opt-in). */
export function detectWebSocketUpgrader(): WebSocketUpgrader | undefined {
  const g = globalThis as { WebSocketPair?: unknown; Deno?: { upgradeWebSocket?: unknown } };
  if (typeof g.WebSocketPair === 'function') return cloudflareWebSocket();
  if (typeof g.Deno?.upgradeWebSocket === 'function') return denoWebSocket();
  return undefined;
}

/** A Workers WebSocket: the standard API plus `accept()`. */
interface WorkersWebSocket extends WebSocketLike {
  accept(): void;
}

/**
 * Cloudflare Workers: the upstream is reached with `fetch(httpUrl, { headers: { Upgrade:
 * 'websocket' } })` (the Workers way; the rewritten headers go with it), the client gets the
 * first end of a `WebSocketPair` in a 101 response, and the pair's other end is relayed to the
 * upstream's. An upstream that answers without a WebSocket has its response relayed as is.
 * Both compatibility-date behaviours of Close frames are handled (`answerClose` in `websocket.ts`). Run on a
 * real workerd (Miniflare) in test/workerd.node.test.ts, at compatibility dates before and
 * after 2026-04-07.
 */
export function cloudflareWebSocket(): WebSocketUpgrader {
  return {
    async upgrade(_c, target) {
      const headers = new Headers(target.headers);
      headers.set('upgrade', 'websocket');
      if (target.protocols.length > 0) headers.set('sec-websocket-protocol', target.protocols.join(', '));
      const res = (await fetch(target.httpUrl, { headers })) as Response & { webSocket?: WorkersWebSocket | null };
      const upstream = res.webSocket;
      if (upstream === null || upstream === undefined) {
        target.declined(res.status);
        return res;
      }
      target.opened();
      // With the `websocket_standard_binary_type` compatibility flag binary messages arrive as
      // `Blob` by default (the WHATWG default), and `send(blob)` does not relay them as binary:
      // ask for ArrayBuffers, as for every other socket of the relay (run in test/workerd.node.test.ts).
      upstream.binaryType = 'arraybuffer';
      upstream.accept();
      const Pair = (globalThis as unknown as { WebSocketPair: new () => Record<0 | 1, WorkersWebSocket> }).WebSocketPair;
      const pair = new Pair();
      const server = pair[1];
      server.accept();
      relayWebSockets(server, upstream, target.ended);
      const protocol = res.headers.get('sec-websocket-protocol');
      return new Response(null, { status: 101, webSocket: pair[0], ...(protocol !== null ? { headers: { 'sec-websocket-protocol': protocol } } : {}) } as ResponseInit);
    },
  };
}

/** The part of `Deno.upgradeWebSocket` used. */
export type DenoUpgradeWebSocket = (request: Request, options?: { protocol?: string }) => { socket: WebSocketLike; response: Response };

/**
 * Deno: the upstream WebSocket is opened first (so that its chosen subprotocol is the one the
 * client is told), then `Deno.upgradeWebSocket` answers the client and the two are relayed.
 * The standard WebSocket constructor sends no custom headers: request-header rewrites do not
 * reach the upstream's handshake on Deno (path and query rewrites do). `upgradeWebSocket` and
 * `create` are injectable for tests. Run on a real Deno in test/deno.node.test.ts.
 */
export function denoWebSocket(options: { readonly upgradeWebSocket?: DenoUpgradeWebSocket; readonly create?: (url: string, protocols: readonly string[]) => WebSocketLike } = {}): WebSocketUpgrader {
  return {
    async upgrade(c, target) {
      const upgrade = options.upgradeWebSocket ?? (globalThis as unknown as { Deno: { upgradeWebSocket: DenoUpgradeWebSocket } }).Deno.upgradeWebSocket;
      const upstream = await openUpstream(target, options.create);
      const protocol = upstream.protocol !== undefined && upstream.protocol !== '' ? upstream.protocol : undefined;
      let answered: { socket: WebSocketLike; response: Response };
      try {
        answered = upgradeWithProtocol(upgrade, c.req.raw, protocol);
      } catch (err) {
        upstream.close();
        throw err;
      }
      relayWebSockets(answered.socket, upstream, target.ended);
      return answered.response;
    },
  };
}

/**
 * `Deno.upgradeWebSocket(request, { protocol })`, except that Deno (2.9) splits the client's
 * `Sec-WebSocket-Protocol` on ", " only, so an offer written `a,b` (RFC 9110 §5.6.1 lists; what
 * `ws` on Node sends) makes it throw "not in the request's protocol list". The protocol is the
 * upstream's choice among the client's offer, so it is valid: on that refusal the upgrade is made
 * without the option and the header is set on the 101 response instead (run in
 * test/deno.node.test.ts).
 */
function upgradeWithProtocol(upgrade: DenoUpgradeWebSocket, request: Request, protocol: string | undefined): { socket: WebSocketLike; response: Response } {
  if (protocol === undefined) return upgrade(request, {});
  try {
    return upgrade(request, { protocol });
  } catch (err) {
    if (!(err instanceof TypeError) || !/protocol list/.test(err.message)) throw err;
    const answered = upgrade(request, {});
    answered.response.headers.set('sec-websocket-protocol', protocol);
    return answered;
  }
}

/** The part of Bun's `ServerWebSocket` used. */
export interface BunServerWebSocket extends RelayClientEnd {
  readonly data: unknown;
}

const BUN_RELAY = Symbol.for('switchyard.hono.bunRelay');

interface BunRelayData {
  readonly [BUN_RELAY]: { upstream: WebSocketLike; ended: (error?: OutcomeErrorKind) => void; relay?: Relay };
}

function bunRelayOf(ws: BunServerWebSocket): BunRelayData[typeof BUN_RELAY] | undefined {
  const data = ws.data as Partial<BunRelayData> | null | undefined;
  return data !== null && typeof data === 'object' ? data[BUN_RELAY] : undefined;
}

/** What {@link bunWebSocket} returns: the upgrader for the middleware and the handlers for `Bun.serve`. */
export interface BunWebSocket {
  readonly upgrader: WebSocketUpgrader;
  readonly websocket: {
    open(ws: BunServerWebSocket): void;
    message(ws: BunServerWebSocket, message: string | ArrayBuffer | ArrayBufferView): void;
    close(ws: BunServerWebSocket, code: number, reason: string): void;
  };
}

/**
 * Bun: `upgrader` goes in the middleware's `webSocket` option and `websocket` in `Bun.serve`
 * (`export default { fetch: app.fetch, websocket }`): Bun delivers a server socket's events to
 * the handlers given to `Bun.serve`, not to the socket. The upstream is opened first with
 * `new WebSocket(url, { protocols, headers })` (Bun's client sends the rewritten headers).
 * Sockets upgraded by other code (no switchyard mark in `ws.data`) are ignored by these handlers.
 * Run on a real Bun in test/bun.node.test.ts.
 */
export function bunWebSocket(): BunWebSocket {
  return {
    upgrader: {
      async upgrade(c, target) {
        const env = c.env as { server?: { upgrade?: unknown }; upgrade?: unknown } | null | undefined;
        const server = (env !== null && typeof env === 'object' && 'server' in env ? env.server : env) as { upgrade(req: Request, options: { data: unknown; headers?: Record<string, string> }): boolean } | undefined;
        if (server === undefined || typeof server.upgrade !== 'function') throw new Error('bunWebSocket: c.env is not the Bun server (pass app.fetch to Bun.serve)');
        const Ctor = (globalThis as unknown as { WebSocket?: new (url: string, options: { protocols: string[]; headers: Record<string, string> }) => WebSocketLike }).WebSocket;
        const upstream = await openUpstream(target, (url, protocols) => {
          if (Ctor === undefined) throw new Error('this runtime has no WebSocket client');
          return new Ctor(url, { protocols: [...protocols], headers: { ...target.headers } });
        });
        const data: BunRelayData = { [BUN_RELAY]: { upstream, ended: target.ended } };
        const protocol = upstream.protocol;
        if (!server.upgrade(c.req.raw, { data, ...(protocol !== undefined && protocol !== '' ? { headers: { 'sec-websocket-protocol': protocol } } : {}) })) {
          upstream.close();
          throw new Error('Bun refused the upgrade');
        }
        // Bun ignores the response of an upgraded request.
        return new Response(null);
      },
    },
    websocket: {
      open(ws) {
        const state = bunRelayOf(ws);
        if (state === undefined) return;
        state.relay = createRelay(ws, state.upstream, state.ended);
        state.relay.clientOpened();
      },
      message(ws, message) {
        bunRelayOf(ws)?.relay?.clientMessage(message);
      },
      close(ws, code, reason) {
        bunRelayOf(ws)?.relay?.clientClosed(code, reason);
      },
    },
  };
}
