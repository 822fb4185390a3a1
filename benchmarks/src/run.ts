/**
 * `pnpm bench <suite>`: checks its arguments (usage without a suite), builds the packages
 * (suites compare the built output users get), then runs benchmarks/src/<suite>.ts, whose
 * default export is `() => Promise<void>` and which writes benchmarks/results/<suite>.json;
 * then regenerates docs/guides/performance.md from the results (performance-doc.ts), so the
 * page never drifts from them.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { PERFORMANCE_DOC, writePerformanceDoc } from './performance-doc.ts';

const suites = readdirSync(new URL('.', import.meta.url))
  .filter((f) => f.endsWith('.ts') && !['run.ts', 'harness.ts', 'performance-doc.ts'].includes(f) && !f.startsWith('_'))
  .map((f) => f.slice(0, -3))
  .sort();

const wanted = process.argv.slice(2);
if (wanted.length === 0) {
  console.error(`usage: pnpm bench <suite> [<suite> …]\nsuites: ${suites.join(', ')}`);
  process.exit(2);
}
for (const name of wanted) {
  if (!suites.includes(name)) {
    console.error(`unknown suite ${JSON.stringify(name)}; suites: ${suites.join(', ')}`);
    process.exit(2);
  }
}
execFileSync('pnpm', ['-s', 'build'], { cwd: new URL('../..', import.meta.url), stdio: ['ignore', 'ignore', 'inherit'] });
for (const name of wanted) {
  console.log(`\n### bench ${name} (node ${process.version})`);
  const mod = (await import(`./${name}.ts`)) as { default: () => Promise<void> };
  await mod.default();
}
console.log(`\n${PERFORMANCE_DOC} ${writePerformanceDoc() ? 'regenerated from' : 'already matches'} benchmarks/results/`);
