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
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { cleanups, echo, open, runCleanups, wsUpstream } from '../../express/test/ws-fixture.js';
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
async function refusal(url: string): Promise<{ status: number; body: { error?: string }; headers: IncomingMessage['headers'] }> {
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
}

describe('hono middleware webSocket on Cloudflare Workers (workerd via Miniflare, WebSocketPair detected)', () => {
  it.each([BEFORE_AUTO_CLOSE_REPLY, AFTER_AUTO_CLOSE_REPLY])('compatibility date %s: relays text and binary both ways through the matched route with the path and a request header rewritten; close codes pass both ways and each closing handshake completes', async (date) => {
    const a = await wsUpstream('a');
    const url = await startWorker(a.url, date);
    const ws = await open(`ws://${url}/ws/room?x=1`);
    expect(await echo(ws, 'hi')).toBe('a:hi');
    expect(a.paths).toEqual(['/socket/room?x=1']);
    // The route's request-header rewrite reaches the upstream's handshake (this runtime's client sends headers).
    expect(a.headers[0]?.['x-via']).toBe('switchyard');
    const up = [...a.open][0]!;
    const fromUpstream = once(ws, 'message') as Promise<[Buffer, boolean]>;
    up.send(Buffer.from([1, 2, 3, 250]), { binary: true });
    const [data, isBinary] = await fromUpstream;
    expect(isBinary).toBe(true);
    expect([...data]).toEqual([1, 2, 3, 250]);
    const upReceived = once(up, 'message') as Promise<[Buffer, boolean]>;
    ws.send(Buffer.from([9, 0, 255]), { binary: true });
    const [upData, upBinary] = await upReceived;
    expect(upBinary).toBe(true);
    expect([...upData]).toEqual([9, 0, 255]);
    const closed = once(ws, 'close') as Promise<[number, Buffer]>;
    const upDone = once(up, 'close') as Promise<[number, Buffer]>;
    up.close(4002, 'server bye');
    const [code, reason] = await closed;
    expect(code).toBe(4002);
    expect(String(reason)).toBe('server bye');
    // The upstream's Close frame is answered (echoed): a dropped connection would be 1006.
    expect((await upDone)[0]).toBe(4002);

    const ws2 = await open(`ws://${url}/ws`);
    await echo(ws2, 'x');
    const up2 = [...a.open][0]!;
    const upClosed = once(up2, 'close') as Promise<[number, Buffer]>;
    const clientDone = once(ws2, 'close') as Promise<[number, Buffer]>;
    ws2.close(4001, 'client bye');
    const [code2, reason2] = await upClosed;
    expect(code2).toBe(4001);
    expect(String(reason2)).toBe('client bye');
    expect((await clientDone)[0]).toBe(4001);
  });

  it("the upstream's subprotocol choice is the one the client gets", async () => {
    const a = await wsUpstream('a');
    const url = await startWorker(a.url);
    const ws = new WebSocket(`ws://${url}/ws`, ['chat.v2', 'chat.v1']);
    cleanups.push(() => {
      ws.on('error', () => {});
      if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
    });
    await once(ws, 'open');
    // `ws` servers pick the first protocol offered.
    expect(ws.protocol).toBe('chat.v2');
    expect(a.headers[0]?.['sec-websocket-protocol']).toBe('chat.v2, chat.v1');
    expect(await echo(ws, 'p')).toBe('a:p');
  });

  it('refusals are HTTP answers: 404, 429 with Retry-After, 403 by a policy', async () => {
    const a = await wsUpstream('a');
    const url = await startWorker(a.url);
    expect(await refusal(`ws://${url}/nowhere`)).toMatchObject({ status: 404, body: { error: 'SY_NO_ROUTE' } });
    await open(`ws://${url}/limited`);
    const limited = await refusal(`ws://${url}/limited`);
    expect(limited).toMatchObject({ status: 429, body: { error: 'SY_RATE_LIMITED' } });
    expect(limited.headers['retry-after']).toBeDefined();
    expect(await refusal(`ws://${url}/private`)).toMatchObject({ status: 403, body: { error: 'SY_FORBIDDEN' } });
    expect(a.open.size).toBe(1);
  });
});
