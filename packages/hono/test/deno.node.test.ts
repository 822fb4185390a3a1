/**
 * The middleware's WebSocket path on a real Deno (the `deno` npm package's binary): the app of
 * test/deno/server.ts, bundled with esbuild, runs on `Deno.serve`; `Deno.upgradeWebSocket` is
 * detected; the upstream is a `ws` server on Node; the client is `ws`. Real sockets on 127.0.0.1;
 * the Deno process is killed in afterEach.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, it } from 'vitest';
import { runCleanups } from '../../express/test/ws-fixture.js';
import { refusalsAreHttpAnswers, relaysBothWays, upstreamPicksSubprotocol } from './runtime-cases.node.js';
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
  it('relays text and binary both ways through the matched route with the path rewritten; close codes pass both ways and each closing handshake completes', () =>
    relaysBothWays(startDeno, { headerRewrite: false }));

  it("the upstream's subprotocol choice is the one the client gets", () => upstreamPicksSubprotocol(startDeno));

  it('refusals are HTTP answers: 404, 429 with Retry-After, 403 by a policy', () => refusalsAreHttpAnswers(startDeno));
});
