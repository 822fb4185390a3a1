// `pnpm test [vitest args…]`: the README's test command. It brings what the tests need on a
// fresh machine, then runs vitest:
// - a `redis-server` on PATH (the Redis store's tests run against a real one) and Debian's
//   `chromium` (the dashboard and HTML-report tests drive a real headless browser): installed with
//   apt-get when this machine can (root + apt), as .ci/run does; otherwise one line saying what is
//   missing and why, and exit 1 (a skipped test would be a silent failure);
// - built packages (the packaging test installs the packed tarballs): `pnpm build` when any
//   package's dist is missing or older than its sources.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(new URL('..', import.meta.url).pathname);

function onPath(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Makes `cmd` available by installing Debian's `pkg` with apt-get when this machine can (root +
 * apt), as .ci/run does; otherwise prints one line saying what is missing and why, and exits 1.
 */
function ensureDebianPackage(cmd, pkg, why) {
  if (onPath(cmd)) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const fail = (reason) => {
    console.error(`pnpm test: ${cmd} is required (${why}) and is not on PATH: ${reason}.`);
    process.exit(1);
  };
  if (isRoot && onPath('apt-get')) {
    console.log(`pnpm test: installing ${pkg} with apt-get (${why})…`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const update = spawnSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env });
    const install = update.status === 0 ? spawnSync('apt-get', ['install', '-y', '-qq', pkg], { stdio: 'ignore', env }) : update;
    if (install.status === 0 && onPath(cmd)) return;
    fail(`apt-get could not install ${pkg} (no access to the Debian mirror?)`);
  }
  fail(isRoot ? 'there is no apt-get on this machine' : `installing it needs root (sudo apt-get install ${pkg})`);
}

/** Newest modification time under `dir` (files only), 0 if absent. */
function newest(dir) {
  if (!existsSync(dir)) return 0;
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

function ensureBuilt() {
  const stale = readdirSync(join(root, 'packages')).filter((d) => {
    const pkg = join(root, 'packages', d);
    if (!existsSync(join(pkg, 'package.json'))) return false;
    const dist = join(pkg, 'dist', 'index.js');
    return !existsSync(dist) || statSync(dist).mtimeMs < Math.max(newest(join(pkg, 'src')), statSync(join(pkg, 'package.json')).mtimeMs);
  });
  if (stale.length === 0) return;
  console.log(`pnpm test: building (${stale.length} package${stale.length === 1 ? '' : 's'} not built or older than their sources)…`);
  execFileSync('pnpm', ['build'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
}

ensureDebianPackage('redis-server', 'redis-server', "the Redis store's integration tests run against a real one");
ensureDebianPackage('chromium', 'chromium', 'the dashboard and HTML report tests open their pages in a real headless browser');
ensureBuilt();
const vitest = spawnSync('pnpm', ['exec', 'vitest', 'run', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
process.exit(vitest.status ?? 1);
