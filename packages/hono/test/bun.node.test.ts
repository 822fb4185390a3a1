/**
 * The middleware's WebSocket path on a real Bun (the binary of the `bun` npm package's platform
 * package): the app of test/bun/server.ts, bundled with esbuild, runs on `Bun.serve` with
 * `bunWebSocket()` (its upgrader in the middleware, its handlers in `Bun.serve`); the upstream is
 * a `ws` server on Node; the client is `ws`. Real sockets on 127.0.0.1; the Bun process is killed
 * in afterEach.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, it } from 'vitest';
import { runCleanups } from '../../express/test/ws-fixture.js';
import { refusalsAreHttpAnswers, relaysBothWays, upstreamPicksSubprotocol } from './runtime-cases.node.js';
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
  it('relays text and binary both ways through the matched route with the path and a request header rewritten; close codes pass both ways and each closing handshake completes', () =>
    relaysBothWays(startBun, { headerRewrite: true }));

  it("the upstream's subprotocol choice is the one the client gets", () => upstreamPicksSubprotocol(startBun));

  it('refusals are HTTP answers: 404, 429 with Retry-After, 403 by a policy', () => refusalsAreHttpAnswers(startBun));
});
