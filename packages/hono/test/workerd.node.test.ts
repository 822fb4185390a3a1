/**
 * The middleware's WebSocket path on a real workerd (Miniflare 4 runs the `workerd` binary of the
 * `@cloudflare/workerd-linux-64` npm package): the app of test/workerd/worker.ts, bundled with
 * esbuild, is the Worker; `WebSocketPair` is detected; the upstream is a `ws` server on Node,
 * reached by the Worker's `fetch` with `Upgrade: websocket`; the client is `ws`. Real sockets on
 * 127.0.0.1; Miniflare is disposed in afterEach.
 */
import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import { afterEach, describe, it } from 'vitest';
import WebSocket from 'ws';
import { cleanups, runCleanups } from '../../express/test/ws-fixture.js';
import { refusalsAreHttpAnswers, relaysBothWays, upstreamPicksSubprotocol, type Refusal } from './runtime-cases.node.js';
import { runtimeBuildOptions } from './runtime-harness.node.js';

afterEach(runCleanups);


let bundled: Promise<string> | undefined;

/** The Worker bundle, built once per file. */
function bundle(): Promise<string> {
  bundled ??= build({ ...runtimeBuildOptions('workerd', 'worker.ts'), write: false }).then((r) => r.outputFiles[0]!.text);
  return bundled;
}

/**
 * Compatibility dates on both sides of 2026-04-07, when Workers started answering a peer's Close
 * frame themselves (`web_socket_auto_reply_to_close`); before it the script must answer.
 */
const BEFORE_AUTO_CLOSE_REPLY = '2025-09-01';
const AFTER_AUTO_CLOSE_REPLY = '2026-07-30';

async function startWorker(upstream: string, compatibilityDate = AFTER_AUTO_CLOSE_REPLY): Promise<string> {
  const mf = new Miniflare({
    modules: [{ type: 'ESModule', path: 'worker.js', contents: await bundle() }],
    compatibilityDate,
    bindings: { UPSTREAM: upstream },
    host: '127.0.0.1',
    port: 0,
  });
  cleanups.push(() => mf.dispose());
  const url = await mf.ready;
  return url.host;
}

/**
 * Expects the upgrade to be refused with an HTTP answer: its status, JSON body and headers. Unlike
 * the fixture's `refusal`, it does not wait for the server to close the connection: workerd owns
 * the client connection and drops the `Connection: close` the middleware sets on a refusal (the
 * connection stays an idle HTTP/1.1 keep-alive connection until workerd's idle timeout, which
 * RFC 9110 §7.8 allows: a server that does not switch just answers). The client drops it here.
 */
const refusal: Refusal = async (url) => {
  const ws = new WebSocket(url);
  cleanups.push(() => {
    ws.on('error', () => {});
    if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
  });
  const [, res] = (await once(ws, 'unexpected-response')) as [unknown, IncomingMessage];
  const socket = res.socket;
  let text = '';
  for await (const chunk of res) text += String(chunk);
  socket.destroy();
  return { status: res.statusCode ?? 0, body: JSON.parse(text) as { error?: string }, headers: res.headers };
};

describe('hono middleware webSocket on Cloudflare Workers (workerd via Miniflare, WebSocketPair detected)', () => {
  it.each([BEFORE_AUTO_CLOSE_REPLY, AFTER_AUTO_CLOSE_REPLY])('compatibility date %s: relays text and binary both ways through the matched route with the path and a request header rewritten; close codes pass both ways and each closing handshake completes', (date) =>
    relaysBothWays((upstream) => startWorker(upstream, date), { headerRewrite: true }));

  it("the upstream's subprotocol choice is the one the client gets", () => upstreamPicksSubprotocol((upstream) => startWorker(upstream)));

  it('refusals are HTTP answers: 404, 429 with Retry-After, 403 by a policy', () => refusalsAreHttpAnswers((upstream) => startWorker(upstream), refusal));
});
