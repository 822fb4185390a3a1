/**
 * `pnpm bench policies`: the per-request cost of route policies. Each part lives in
 * `benchmarks/src/policies/<part>.ts` and returns its rows; this file runs them in one process
 * and writes benchmarks/results/policies.json. Parts: `jwt` (the jwt policy beside jose's
 * `jwtVerify` alone), `pipeline` (a route without policies vs the gateway before the pipeline,
 * when built: policies/pipeline.ts) and `builtins` (`api-key` + `rate-limit` + a custom policy vs
 * no policies). `POLICIES_PARTS=pipeline,builtins` runs some parts: the rows of the parts not run
 * are kept from the previous results file (merged by part), never dropped.
 */
import { readFileSync } from 'node:fs';
import { writeResults, type CaseResult } from './harness.js';
import { jwtPart } from './policies/jwt.js';
import { builtinsPart, pipelinePart } from './policies/pipeline.js';

const parts: ReadonlyArray<readonly [string, () => Promise<{ cases: CaseResult[]; notes: string[] }>]> = [
  ['jwt', jwtPart],
  ['pipeline', pipelinePart],
  ['builtins', builtinsPart],
];

/** The part a row belongs to (rows written before parts were recorded are jwt's). */
const partOf = (c: CaseResult): string => (typeof c['part'] === 'string' ? c['part'] : 'jwt');

function previous(): { cases: CaseResult[]; notes: string[] } {
  try {
    const r = JSON.parse(readFileSync(new URL('../results/policies.json', import.meta.url), 'utf8')) as { cases?: CaseResult[]; notes?: string[] };
    return { cases: r.cases ?? [], notes: r.notes ?? [] };
  } catch {
    return { cases: [], notes: [] };
  }
}

export default async function policies(): Promise<void> {
  const only = process.env['POLICIES_PARTS']?.split(',');
  const cases: CaseResult[] = [];
  const notes: string[] = [];
  const old = previous();
  for (const [name, part] of parts) {
    if (only !== undefined && !only.includes(name)) {
      // Not run this time: keep its previous rows and notes.
      cases.push(...old.cases.filter((c) => partOf(c) === name));
      notes.push(...old.notes.filter((n) => n.startsWith(`${name} `) || n.startsWith(`${name}:`)));
      continue;
    }
    const result = await part();
    cases.push(...result.cases.map((c) => ({ ...c, part: name })));
    notes.push(...result.notes);
  }
  if (process.env['BENCH_NOTE'] !== undefined) notes.push(process.env['BENCH_NOTE']);
  writeResults('policies', cases, notes);
  for (const n of notes) console.log(n);
}
