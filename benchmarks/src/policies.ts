/**
 * `pnpm bench policies`: the per-request cost of route policies. Each part lives in
 * `benchmarks/src/policies/<part>.ts` and returns its rows; this file runs them in one process
 * and writes benchmarks/results/policies.json. Parts: `jwt` (the jwt policy beside jose's
 * `jwtVerify` alone). The pipeline (a route without policies vs today's gateway) and the
 * built-ins (`api-key` + `rate-limit` + a custom policy) add their parts here.
 */
import { writeResults, type CaseResult } from './harness.js';
import { jwtPart } from './policies/jwt.js';

const parts: ReadonlyArray<readonly [string, () => Promise<{ cases: CaseResult[]; notes: string[] }>]> = [['jwt', jwtPart]];

export default async function policies(): Promise<void> {
  const only = process.env['POLICIES_PARTS']?.split(',');
  const cases: CaseResult[] = [];
  const notes: string[] = [];
  for (const [name, part] of parts) {
    if (only !== undefined && !only.includes(name)) continue;
    const result = await part();
    cases.push(...result.cases);
    notes.push(...result.notes);
  }
  if (process.env['BENCH_NOTE'] !== undefined) notes.push(process.env['BENCH_NOTE']);
  writeResults('policies', cases, notes);
  for (const n of notes) console.log(n);
}
