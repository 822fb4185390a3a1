/**
 * Instruction-count driver for the router suite (not a `pnpm bench` suite: the leading `_`
 * hides it). Runs one implementation over one case's requests `iterations` times, so that
 * `valgrind --tool=callgrind` can count instructions; the difference between two iteration
 * counts divided by the extra matches is the cost of one match, free of start-up and JIT
 * warm-up. Stable on a noisy shared machine, unlike wall-clock time.
 *
 *   ./node_modules/.bin/esbuild benchmarks/src/_callgrind-router.ts --bundle --platform=node --format=esm \
 *     --tsconfig=benchmarks/tsconfig.json --outfile=/tmp/cg.mjs \
 *     --banner:js="import{createRequire}from'module';const require=createRequire(import.meta.url);"
 *   valgrind --tool=callgrind --callgrind-out-file=/dev/null node --single-threaded /tmp/cg.mjs \
 *     hono-12 'all together' switchyard 2000 2>&1 | grep refs     # then again with 12000
 *   (refs(12000) - refs(2000)) / 10000 = instructions per pass over the case's requests
 * impl: a peer's name, `switchyard`, `switchyard first-match`, `switchyard +3 headers`,
 * `switchyard +3 headers (distinct)` or
 * `switchyard (+ read params)` (reads `result.params` after every match). JIT tiering makes
 * small counts wobble by a few percent: prefer 10000 and 30000.
 */
import { match } from '@switchyard/router';
import type { MatchRequest } from '@switchyard/router';
import { HEADERS, adapters, benchSets, ours, verify } from './router.ts';

const [setName, caseName, impl, iterArg] = process.argv.slice(2);
const set = benchSets().find((s) => s.name === setName);
const c = set?.cases.find((x) => x.name === caseName);
if (set === undefined || c === undefined || impl === undefined) throw new Error(`usage: <set> <case> <impl> <iterations>`);
const iterations = Number(iterArg ?? '0');
const ms = c.probes.map((p) => p.method);
const ps = c.probes.map((p) => p.path);
const reqs: MatchRequest[] = c.probes.map((p) => ({ method: p.method, path: p.path, headers: HEADERS }));
const n = reqs.length;
let sink: unknown;
if (impl.startsWith('switchyard')) {
  const hdr = impl === 'switchyard +3 headers' ? 'same' : impl === 'switchyard +3 headers (distinct)' ? 'distinct' : false;
  const mine = ours(set.routes, impl === 'switchyard first-match' ? 'first-match' : 'gateway', hdr);
  verify(impl, mine.find, c.probes);
  const t = mine.table;
  if (impl === 'switchyard (+ read params)') {
    for (let k = 0; k < iterations; k++) {
      for (let i = 0; i < n; i++) {
        const m = match(t, reqs[i] as MatchRequest);
        sink = m.kind === 'matched' ? m.params : m;
      }
    }
  } else for (let k = 0; k < iterations; k++) for (let i = 0; i < n; i++) sink = match(t, reqs[i] as MatchRequest);
} else {
  const a = adapters(set.routes)[impl];
  if (a === undefined) throw new Error(`unknown impl ${impl}`);
  verify(impl, a.find, c.probes);
  const hot = a.hot;
  for (let k = 0; k < iterations; k++) for (let i = 0; i < n; i++) sink = hot(ms[i] as string, ps[i] as string);
}
if (sink === Symbol.for('never')) console.log(sink);
