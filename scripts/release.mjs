// `pnpm release [--dry-run] [--out DIR]`: publish every public package with Changesets, or (with
// --dry-run) pack every one into DIR (default: a temp dir) and check each tarball: it must hold
// the package's LICENSE, README.md, package.json and every file its `exports`, `main`, `module`,
// `types` and `bin` point at. Packages must be built first (`pnpm build`). CI runs the dry run.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { 'dry-run': { type: 'boolean', default: false }, out: { type: 'string' }, help: { type: 'boolean', default: false } } });
if (values.help) {
  console.log('usage: pnpm release [--dry-run] [--out DIR]\n  --dry-run  pack every package into DIR and check the tarballs; publish nothing');
  process.exit(0);
}

const root = resolve(new URL('..', import.meta.url).pathname);
const packages = readdirSync(join(root, 'packages'))
  .filter((d) => existsSync(join(root, 'packages', d, 'package.json')))
  .map((d) => ({ dir: join(root, 'packages', d), json: JSON.parse(readFileSync(join(root, 'packages', d, 'package.json'), 'utf8')) }))
  .filter((p) => p.json.private !== true);

if (!values['dry-run']) {
  execFileSync('pnpm', ['exec', 'changeset', 'publish'], { cwd: root, stdio: 'inherit' });
  process.exit(0);
}

/** Every file path a package.json points at (exports conditions, main, module, types, bin). */
function pointedAt(json) {
  const out = new Set();
  const walk = (v) => {
    if (typeof v === 'string') {
      if (v.startsWith('./') && !v.includes('*')) out.add(v.slice(2));
    } else if (v && typeof v === 'object') for (const x of Object.values(v)) walk(x);
  };
  walk(json.exports);
  for (const k of ['main', 'module', 'types']) if (typeof json[k] === 'string') out.add(json[k].replace(/^\.\//, ''));
  if (typeof json.bin === 'string') out.add(json.bin.replace(/^\.\//, ''));
  else if (json.bin) for (const b of Object.values(json.bin)) out.add(b.replace(/^\.\//, ''));
  return [...out];
}

const dest = values.out ? resolve(values.out) : mkdtempSync(join(tmpdir(), 'switchyard-pack-'));
let problems = 0;
for (const p of packages) {
  const line = execFileSync('pnpm', ['pack', '--pack-destination', dest], { cwd: p.dir, encoding: 'utf8' }).trim().split('\n').pop();
  const tarball = line.endsWith('.tgz') ? resolve(p.dir, line) : '';
  const listed = new Set(execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n').filter(Boolean).map((f) => f.replace(/^package\//, '')));
  const missing = ['LICENSE', 'README.md', 'package.json', ...pointedAt(p.json)].filter((f) => !listed.has(f));
  if (missing.length > 0) {
    problems++;
    console.error(`${p.json.name}: tarball lacks ${missing.join(', ')}`);
  } else console.log(`${p.json.name}@${p.json.version}: ${listed.size} files, ok`);
}
console.log(`packed ${packages.length} packages into ${dest}`);
process.exit(problems === 0 ? 0 : 1);
