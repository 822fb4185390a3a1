/** Bundles src/worker.ts for Workers-style runtimes: platform neutral, ESM, nothing from Node. */
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Builds dist/worker.js (or `outfile`); returns the bundle's text. */
export async function buildWorker(outfile = `${root}dist/worker.js`): Promise<string> {
  const result = await build({
    entryPoints: [`${root}src/worker.ts`],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    mainFields: ['module', 'main'],
    conditions: ['worker', 'browser', 'import'],
    tsconfig: `${root}tsconfig.json`,
    outfile,
    write: true,
    metafile: false,
    logLevel: 'warning',
  });
  if (result.errors.length > 0) throw new Error('worker bundle failed');
  const { readFile } = await import('node:fs/promises');
  return readFile(outfile, 'utf8');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const text = await buildWorker();
  console.log(`dist/worker.js: ${text.length} bytes`);
}
