/**
 * The differences between two reports of the same scenario: key figures side by side, with the
 * direction that is better for each.
 */
import { round3, round6 } from './internal/stats.js';
import { COMPARISON_REPORT_FORMAT, type ComparisonReport, type Difference, type RequestSummary, type SimulationReport } from './report.js';

/** Which way is better for a metric: lower, higher, or neither. */
type Better = 'lower' | 'higher' | 'none';

function diff(path: string, subject: string, metric: string, a: number | null, b: number | null, better: Better): Difference {
  const delta = a === null || b === null ? null : round6(b - a);
  const deltaPercent = a === null || b === null || a === 0 ? null : round3(((b - a) * 100) / Math.abs(a));
  let verdict: Difference['verdict'];
  if (a === b || delta === 0) verdict = 'same';
  else if (better === 'none' || a === null || b === null) verdict = 'changed';
  else verdict = (better === 'lower' ? b < a : b > a) ? 'better' : 'worse';
  return { path, subject, metric, a, b, delta, deltaPercent, verdict };
}

function summaryDiffs(path: string, subject: string, a: RequestSummary | undefined, b: RequestSummary | undefined): Difference[] {
  const n = (s: RequestSummary | undefined, f: (s: RequestSummary) => number | null): number | null => (s === undefined ? null : f(s));
  return [
    diff(`${path}.requests`, subject, 'requests', n(a, (s) => s.requests), n(b, (s) => s.requests), 'none'),
    diff(`${path}.successRate`, subject, 'successRate', n(a, (s) => s.successRate), n(b, (s) => s.successRate), 'higher'),
    diff(`${path}.rateLimited`, subject, 'rateLimited', n(a, (s) => s.rateLimited), n(b, (s) => s.rateLimited), 'lower'),
    diff(`${path}.latency.p50Ms`, subject, 'p50Ms', n(a, (s) => s.latency.p50Ms), n(b, (s) => s.latency.p50Ms), 'lower'),
    diff(`${path}.latency.p90Ms`, subject, 'p90Ms', n(a, (s) => s.latency.p90Ms), n(b, (s) => s.latency.p90Ms), 'lower'),
    diff(`${path}.latency.p99Ms`, subject, 'p99Ms', n(a, (s) => s.latency.p99Ms), n(b, (s) => s.latency.p99Ms), 'lower'),
    diff(`${path}.latency.p999Ms`, subject, 'p999Ms', n(a, (s) => s.latency.p999Ms), n(b, (s) => s.latency.p999Ms), 'lower'),
  ];
}

/** Keys of both lists, in order: A's, then B's that A lacks. */
function union<T>(a: readonly T[], b: readonly T[], key: (t: T) => string): string[] {
  const out = a.map(key);
  const seen = new Set(out);
  for (const t of b) if (!seen.has(key(t))) out.push(key(t));
  return out;
}

/**
 * Compares two reports (normally of the same scenario and seed with two configs): totals, then
 * per route, per version, per endpoint and per limit rule. Figures present on one side only
 * compare against `null`.
 *
 * @example
 * ```ts
 * import { compareReports } from '@switchyard/simulate';
 * declare const a: import('@switchyard/simulate').SimulationReport;
 * declare const b: import('@switchyard/simulate').SimulationReport;
 * compareReports(a, b).differences.filter((d) => d.verdict === 'worse');
 * ```
 */
export function compareReports(a: SimulationReport, b: SimulationReport): ComparisonReport {
  const out: Difference[] = [];
  out.push(...summaryDiffs('total', 'total', a.total, b.total));
  for (const route of union(a.routes, b.routes, (r) => r.route)) {
    const ra = a.routes.find((r) => r.route === route);
    const rb = b.routes.find((r) => r.route === route);
    const path = `routes[${route}]`;
    out.push(...summaryDiffs(`${path}.summary`, `route ${route}`, ra?.summary, rb?.summary));
    out.push(diff(`${path}.retries.retries`, `route ${route}`, 'retries', ra?.retries.retries ?? null, rb?.retries.retries ?? null, 'none'));
    out.push(diff(`${path}.retries.budgetExhausted`, `route ${route}`, 'budgetExhausted', ra?.retries.budgetExhausted ?? null, rb?.retries.budgetExhausted ?? null, 'lower'));
    for (const version of union(ra?.versions ?? [], rb?.versions ?? [], (v) => v.version)) {
      const va = ra?.versions.find((v) => v.version === version);
      const vb = rb?.versions.find((v) => v.version === version);
      const vp = `${path}.versions[${version}]`;
      out.push(diff(`${vp}.sharePercent`, `route ${route} version ${version}`, 'sharePercent', va?.sharePercent ?? null, vb?.sharePercent ?? null, 'none'));
      out.push(...summaryDiffs(`${vp}.summary`, `route ${route} version ${version}`, va?.summary, vb?.summary));
    }
  }
  for (const id of union(a.endpoints, b.endpoints, (e) => `${e.upstream}/${e.endpoint}`)) {
    const ea = a.endpoints.find((e) => `${e.upstream}/${e.endpoint}` === id);
    const eb = b.endpoints.find((e) => `${e.upstream}/${e.endpoint}` === id);
    const path = `endpoints[${id}]`;
    out.push(diff(`${path}.sharePercent`, `endpoint ${id}`, 'sharePercent', ea?.sharePercent ?? null, eb?.sharePercent ?? null, 'none'));
    out.push(diff(`${path}.tries`, `endpoint ${id}`, 'tries', ea?.tries ?? null, eb?.tries ?? null, 'none'));
    out.push(diff(`${path}.ejections`, `endpoint ${id}`, 'ejections', ea?.ejections ?? null, eb?.ejections ?? null, 'lower'));
  }
  for (const id of union(a.limits, b.limits, (l) => `${l.route}/${l.rule}`)) {
    const la = a.limits.find((l) => `${l.route}/${l.rule}` === id);
    const lb = b.limits.find((l) => `${l.route}/${l.rule}` === id);
    out.push(diff(`limits[${id}].limited`, `limit ${id}`, 'limited', la?.limited ?? 0, lb?.limited ?? 0, 'lower'));
  }
  for (const route of union(a.rollouts, b.rollouts, (r) => r.route)) {
    const ra = a.rollouts.find((r) => r.route === route);
    const rb = b.rollouts.find((r) => r.route === route);
    out.push(diff(`rollouts[${route}].finalWeightPercent`, `rollout ${route}`, 'finalWeightPercent', ra?.finalWeightPercent ?? null, rb?.finalWeightPercent ?? null, 'none'));
  }
  return { format: COMPARISON_REPORT_FORMAT, a, b, differences: out };
}
