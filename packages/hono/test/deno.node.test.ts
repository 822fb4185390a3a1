/**
 * The middleware's WebSocket path on a real Deno (the `deno` npm package's binary): the app of
 * test/deno/server.ts, bundled with esbuild, runs on `Deno.serve`; `Deno.upgradeWebSocket` is
 * detected; the upstream is a `ws` server on Node; the client is `ws`. Real sockets on 127.0.0.1;
 * the Deno process is killed in afterEach.
 */
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { cleanups, echo, open, refusal, runCleanups, wsUpstream } from '../../express/test/ws-fixture.js';
import { startRuntimeServer } from './runtime-harness.node.js';

afterEach(runCleanups);

const here = fileURLToPath(new URL('.', import.meta.url));
// The executable itself, not the npm `bin` wrapper: the wrapper runs deno as a child with
// spawnSync, so killing the wrapper would orphan the server. `runInstall` only resolves (or links)
// the binary shipped in the platform package; nothing is downloaded.
const deno = (createRequire(join(here, '..', 'package.json'))('deno/install_api.cjs') as { runInstall(): string }).runInstall();
function startDeno(upstream: string): Promise<string> {
  return startRuntimeServer({ runtime: 'deno', executable: deno, args: (outfile) => ['run', '--allow-net', '--no-prompt', outfile], env: (dir) => ({ DENO_DIR: join(dir, 'deno-dir'), DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' }) }, upstream);
}

describe('hono middleware webSocket on Deno (Deno.upgradeWebSocket, detected)', () => {
  it('relays text and binary both ways through the matched route with the path rewritten; close codes pass both ways and each closing handshake completes', async () => {
    const a = await wsUpstream('a');
    const url = await startDeno(a.url);
    const ws = await open(`ws://${url}/ws/room?x=1`);
    expect(await echo(ws, 'hi')).toBe('a:hi');
    expect(a.paths).toEqual(['/socket/room?x=1']);
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
    const url = await startDeno(a.url);
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
    const url = await startDeno(a.url);
    expect(await refusal(`ws://${url}/nowhere`)).toMatchObject({ status: 404, body: { error: 'SY_NO_ROUTE' } });
    await open(`ws://${url}/limited`);
    const limited = await refusal(`ws://${url}/limited`);
    expect(limited).toMatchObject({ status: 429, body: { error: 'SY_RATE_LIMITED' } });
    expect(limited.headers['retry-after']).toBeDefined();
    expect(await refusal(`ws://${url}/private`)).toMatchObject({ status: 403, body: { error: 'SY_FORBIDDEN' } });
    expect(a.open.size).toBe(1);
  });
});
