/**
 * The middleware's WebSocket path on a real Bun (the binary of the `bun` npm package's platform
 * package): the app of test/bun/server.ts, bundled with esbuild, runs on `Bun.serve` with
 * `bunWebSocket()` (its upgrader in the middleware, its handlers in `Bun.serve`); the upstream is
 * a `ws` server on Node; the client is `ws`. Real sockets on 127.0.0.1; the Bun process is killed
 * in afterEach.
 */
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { cleanups, echo, open, refusal, runCleanups, wsUpstream } from '../../express/test/ws-fixture.js';
import { startRuntimeServer } from './runtime-harness.node.js';

afterEach(runCleanups);

const here = fileURLToPath(new URL('.', import.meta.url));
// The executable of the platform package `bun` depends on (`@oven/bun-linux-x64`...), not the
// `bun` package's `bin`: that is a placeholder its postinstall replaces, and pnpm 10 does not run
// install scripts. Nothing is downloaded.
const platformPackage = `@oven/bun-${process.platform}-${process.arch === 'arm64' ? 'aarch64' : process.arch}`;
const bunPackage = createRequire(join(here, '..', 'package.json')).resolve('bun/package.json');
const bun = join(dirname(createRequire(bunPackage).resolve(`${platformPackage}/package.json`)), 'bin', 'bun');
function startBun(upstream: string): Promise<string> {
  return startRuntimeServer({ runtime: 'bun', executable: bun, args: (outfile) => ['run', '--no-install', outfile], env: (dir) => ({ BUN_INSTALL_CACHE_DIR: join(dir, 'bun-cache'), DO_NOT_TRACK: '1', NO_COLOR: '1' }) }, upstream);
}

describe('hono middleware webSocket on Bun (Bun.serve + bunWebSocket())', () => {
  it('relays text and binary both ways through the matched route with the path and a request header rewritten; close codes pass both ways and each closing handshake completes', async () => {
    const a = await wsUpstream('a');
    const url = await startBun(a.url);
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
    const url = await startBun(a.url);
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
    const url = await startBun(a.url);
    expect(await refusal(`ws://${url}/nowhere`)).toMatchObject({ status: 404, body: { error: 'SY_NO_ROUTE' } });
    await open(`ws://${url}/limited`);
    const limited = await refusal(`ws://${url}/limited`);
    expect(limited).toMatchObject({ status: 429, body: { error: 'SY_RATE_LIMITED' } });
    expect(limited.headers['retry-after']).toBeDefined();
    expect(await refusal(`ws://${url}/private`)).toMatchObject({ status: 403, body: { error: 'SY_FORBIDDEN' } });
    expect(a.open.size).toBe(1);
  });
});
