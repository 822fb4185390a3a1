/**
 * The three WebSocket cases every runtime test (Bun, Deno, workerd) runs, written once: each takes
 * the runtime's `start(upstream)` (which resolves with the server's `host:port`) and asserts the
 * same behaviour through it.
 */
import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { expect } from 'vitest';
import WebSocket from 'ws';
import { cleanups, echo, open, refusal as fixtureRefusal, wsUpstream } from '../../express/test/ws-fixture.js';

/** Starts the runtime's server in front of `upstream`; resolves with its `host:port`. */
export type StartRuntime = (upstream: string) => Promise<string>;

/** An upgrade refused with an HTTP answer: its status, JSON body and headers. */
export type Refusal = (url: string) => Promise<{ status: number; body: { error?: string }; headers: IncomingMessage['headers'] }>;

/**
 * Text and binary both ways through the matched route with the path rewritten (and, where the
 * runtime's client sends headers, a request header); close codes pass both ways and each closing
 * handshake completes.
 */
export async function relaysBothWays(start: StartRuntime, options: { readonly headerRewrite: boolean }): Promise<void> {
  const a = await wsUpstream('a');
  const url = await start(a.url);
  const ws = await open(`ws://${url}/ws/room?x=1`);
  expect(await echo(ws, 'hi')).toBe('a:hi');
  expect(a.paths).toEqual(['/socket/room?x=1']);
  // The route's request-header rewrite reaches the upstream's handshake (this runtime's client sends headers).
  if (options.headerRewrite) expect(a.headers[0]?.['x-via']).toBe('switchyard');
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
}

/** The upstream's subprotocol choice is the one the client gets. */
export async function upstreamPicksSubprotocol(start: StartRuntime): Promise<void> {
  const a = await wsUpstream('a');
  const url = await start(a.url);
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
}

/** Refusals are HTTP answers: 404, 429 with Retry-After, 403 by a policy. */
export async function refusalsAreHttpAnswers(start: StartRuntime, refusal: Refusal = fixtureRefusal): Promise<void> {
  const a = await wsUpstream('a');
  const url = await start(a.url);
  expect(await refusal(`ws://${url}/nowhere`)).toMatchObject({ status: 404, body: { error: 'SY_NO_ROUTE' } });
  await open(`ws://${url}/limited`);
  const limited = await refusal(`ws://${url}/limited`);
  expect(limited).toMatchObject({ status: 429, body: { error: 'SY_RATE_LIMITED' } });
  expect(limited.headers['retry-after']).toBeDefined();
  expect(await refusal(`ws://${url}/private`)).toMatchObject({ status: 403, body: { error: 'SY_FORBIDDEN' } });
  expect(a.open.size).toBe(1);
}
