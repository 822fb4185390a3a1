// Checks that every package's package.json only depends on the @switchyard packages its
// layer allows (scripts/layers.mjs); eslint checks the imports themselves.
import { readFileSync, readdirSync } from 'node:fs';
import { allowed } from './layers.mjs';

let problems = 0;
for (const dir of readdirSync('packages')) {
  const pj = JSON.parse(readFileSync(`packages/${dir}/package.json`, 'utf8'));
  const may = allowed[dir];
  if (!may) {
    console.error(`packages/${dir}: not in scripts/layers.mjs; add it to the layer table`);
    problems++;
    continue;
  }
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
    for (const dep of Object.keys(pj[field] ?? {})) {
      if (!dep.startsWith('@switchyard/')) continue;
      const name = dep.slice('@switchyard/'.length);
      if (!may.includes(name)) {
        console.error(`packages/${dir}/package.json ${field}: ${dep} is not allowed (layer allows: ${may.join(', ') || 'nothing'})`);
        problems++;
      }
    }
  }
  if (['core'].includes(dir) && Object.keys(pj.dependencies ?? {}).length > 0) {
    console.error(`packages/${dir}: core must have zero runtime dependencies`);
    problems++;
  }
}
if (problems) process.exit(1);
console.log('dependency direction: ok');
