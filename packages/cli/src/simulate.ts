/**
 * `switchyard simulate`: loads a scenario file (YAML or JSON, with its samples files), runs it
 * through `@switchyard/simulate` against the loaded config(s), and prints the summary tables.
 * The files are read here; the simulator itself reads nothing.
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { parseSamples, samplesFiles, validateScenario, withSamples, type ComparisonReport, type Difference, type Scenario, type SimulationReport } from '@switchyard/simulate';
import type { Style } from './output.js';
import { parsePath, type Problem } from './problems.js';

/** What {@link loadScenario} returns: the scenario, ready to run, or every problem located in its file. */
export type LoadedScenario =
  | {
      readonly kind: 'ok';
      readonly scenario: Scenario;
      /** Line and column of a path of the scenario in its file, when found (for problems found later, against a config). */
      readonly locate: (path: string) => { readonly line?: number; readonly column?: number };
    }
  | { readonly kind: 'invalid'; readonly problems: readonly Problem[] };

/**
 * Reads a scenario file (`.json`, else YAML), validates it, and reads the samples files its
 * `empirical` latencies name (relative to the scenario file). Problems carry the file, the path
 * and the line.
 *
 * @example
 * ```ts
 * import { loadScenario } from '@switchyard/cli';
 * const loaded = await loadScenario('examples/scenarios/slow-endpoint/scenario.yaml');
 * if (loaded.kind === 'ok') loaded.scenario.durationSeconds; // 60
 * ```
 */
export async function loadScenario(file: string): Promise<LoadedScenario> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    return { kind: 'invalid', problems: [{ file, path: '(file)', message: `cannot read: ${err instanceof Error ? err.message : String(err)}` }] };
  }
  const lines = new LineCounter();
  // JSON is YAML 1.2 flow syntax: one parser gives values and positions for both.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      kind: 'invalid',
      problems: doc.errors.map((e) => ({ file, path: '(document)', message: `invalid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${e.message.split('\n')[0] ?? e.message}`, ...(e.linePos?.[0] !== undefined ? { line: e.linePos[0].line, column: e.linePos[0].col } : {}) })),
    };
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    return { kind: 'invalid', problems: [{ file, path: '(document)', message: `invalid YAML: ${err instanceof Error ? err.message : String(err)}` }] };
  }
  const locate = (path: string): { line?: number; column?: number } => {
    const segments = parsePath(path);
    if (segments === undefined) return {};
    for (let n = segments.length; n >= 0; n--) {
      const node = (n === 0 ? doc.contents : doc.getIn(segments.slice(0, n), true)) as YamlNode | null | undefined;
      const range = node?.range;
      if (range !== undefined && range !== null) {
        const { line, col } = lines.linePos(range[0]);
        return { line, column: col };
      }
    }
    return {};
  };
  const v = validateScenario(value);
  if (v.kind === 'invalid') return { kind: 'invalid', problems: v.issues.map((i) => ({ file, path: i.path, message: i.message, ...locate(i.path) })) };
  const problems: Problem[] = [];
  const samples = new Map<string, readonly number[]>();
  for (const { path, file: samplesFile } of samplesFiles(v.scenario)) {
    const full = isAbsolute(samplesFile) ? samplesFile : resolve(dirname(file), samplesFile);
    if (samples.has(samplesFile)) continue;
    let body: string;
    try {
      body = await readFile(full, 'utf8');
    } catch (err) {
      problems.push({ file, path: `${path}.file`, message: `cannot read samples file ${JSON.stringify(samplesFile)}: ${err instanceof Error ? err.message : String(err)}`, ...locate(`${path}.file`) });
      continue;
    }
    const parsed = parseSamples(body);
    if (parsed.kind === 'invalid') for (const i of parsed.issues) problems.push({ file: full, path: i.path, message: i.message });
    else samples.set(samplesFile, parsed.samplesMs);
  }
  if (problems.length > 0) return { kind: 'invalid', problems };
  return { kind: 'ok', scenario: withSamples(v.scenario, (f) => samples.get(f) ?? []), locate };
}

// ---------------------------------------------------------------------------------------------
// The text summary.

const num = (x: number | null, digits = 1): string => (x === null ? '-' : x.toFixed(digits));
const pctOf = (x: number | null): string => (x === null ? '-' : `${(x * 100).toFixed(2)}%`);
const int = (x: number): string => String(x);

/** A plain text table: a header row, then rows; numbers right-aligned (columns flagged in `right`). */
function table(header: readonly string[], rows: readonly (readonly string[])[], right: ReadonlySet<number>, s: Style): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    `  ${cells
      .map((c, i) => (right.has(i) ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd()}`;
  return [s.dim(line(header)), ...rows.map(line)];
}

const RIGHT_FROM = (from: number, to: number): Set<number> => new Set(Array.from({ length: to - from }, (_, i) => from + i));

/**
 * The summary of one report as text: the scenario, then tables per route, version, endpoint and
 * limit, the ejections, the rollout steps with their reasons, and the scheduled events.
 *
 * @example
 * ```ts
 * import { renderReport, styleFor } from '@switchyard/cli';
 * declare const report: import('@switchyard/simulate').SimulationReport;
 * process.stdout.write(renderReport(report, styleFor(process.stdout, process.env)));
 * ```
 */
export function renderReport(r: SimulationReport, s: Style): string {
  const out: string[] = [];
  const sc = r.scenario;
  out.push(`${s.bold(`scenario ${sc.name}`)} ${s.dim(`(config ${r.label}, seed ${sc.seed}, ${sc.durationSeconds} s of traffic, ${sc.sent} requests${sc.incomplete > 0 ? `, ${sc.incomplete} unanswered at the end` : ''})`)}`);
  if (sc.description !== '') out.push(s.dim(`  ${sc.description}`));
  out.push('');
  out.push(s.bold('routes'));
  const lat = (l: SimulationReport['total']['latency']): string[] => [num(l.p50Ms), num(l.p90Ms), num(l.p99Ms), num(l.p999Ms)];
  out.push(
    ...table(
      ['route', 'requests', 'success', '429', 'p50 ms', 'p90 ms', 'p99 ms', 'p99.9 ms', 'retries', 'budget exhausted'],
      [
        ...r.routes.map((x) => [x.route, int(x.summary.requests), pctOf(x.summary.successRate), int(x.summary.rateLimited), ...lat(x.summary.latency), int(x.retries.retries), int(x.retries.budgetExhausted)]),
        ['(total)', int(r.total.requests), pctOf(r.total.successRate), int(r.total.rateLimited), ...lat(r.total.latency), int(r.routes.reduce((a, x) => a + x.retries.retries, 0)), int(r.routes.reduce((a, x) => a + x.retries.budgetExhausted, 0))],
      ],
      RIGHT_FROM(1, 10),
      s,
    ),
  );
  const versions = r.routes.flatMap((x) => x.versions);
  if (versions.length > 0) {
    out.push('', s.bold('versions'));
    out.push(...table(['route', 'version', 'share', 'requests', 'success', 'p50 ms', 'p90 ms', 'p99 ms', 'p99.9 ms'], versions.map((v) => [v.route, v.version, `${v.sharePercent.toFixed(1)}%`, int(v.summary.requests), pctOf(v.summary.successRate), ...lat(v.summary.latency)]), RIGHT_FROM(2, 9), s));
  }
  out.push('', s.bold('endpoints'));
  out.push(
    ...table(
      ['upstream', 'endpoint', 'zone', 'version', 'tries', 'share', 'success', 'p50 ms', 'p99 ms', 'ejections', 'ejected s', 'max in flight'],
      r.endpoints.map((e) => [e.upstream, e.endpoint, e.zone ?? '-', e.version ?? '-', int(e.tries), `${e.sharePercent.toFixed(1)}%`, pctOf(e.summary.successRate), num(e.summary.latency.p50Ms), num(e.summary.latency.p99Ms), int(e.ejections), num(e.ejectedSeconds), int(e.maxInFlight)]),
      new Set([4, 5, 6, 7, 8, 9, 10, 11]),
      s,
    ),
  );
  if (r.limits.length > 0) {
    out.push('', s.bold('rate limits (429)'));
    const rec = (x: Readonly<Record<string, number>>): string => (Object.keys(x).length === 0 ? '-' : Object.entries(x).map(([k, v]) => `${k} ${v}`).join(', '));
    out.push(...table(['route', 'rule', 'refused', 'by tier', 'by client'], r.limits.map((l) => [l.route, l.rule, int(l.limited), rec(l.byTier), rec(l.byClient)]), new Set([2]), s));
  }
  if (r.ejections.length > 0) {
    out.push('', s.bold('ejections'));
    out.push(...table(['upstream', 'endpoint', 'detector', 'from s', 'to s'], r.ejections.map((e) => [e.upstream, e.endpoint, e.detector, num(e.fromSeconds, 3), e.toSeconds === null ? '(end)' : num(e.toSeconds, 3)]), new Set([3, 4]), s));
  }
  for (const ro of r.rollouts) {
    out.push('', `${s.bold(`rollout ${ro.name}`)} ${s.dim(`(route ${ro.route}: ${ro.canary} vs ${ro.baseline})`)}: ${ro.finalPhase === 'rolled-back' || ro.finalPhase === 'aborted' ? s.red(ro.finalPhase) : ro.finalPhase === 'succeeded' ? s.green(ro.finalPhase) : ro.finalPhase} at ${ro.finalWeightPercent}%`);
    if (ro.steps.length === 0) out.push(s.dim('  no transition during the run'));
    for (const st of ro.steps) out.push(`  ${num(st.atSeconds).padStart(7)} s  ${st.type.padEnd(13)} ${`${st.fromPercent} → ${st.toPercent}%`.padEnd(12)} ${s.dim(st.reason)}`);
  }
  if (r.events.length > 0) {
    out.push('', s.bold('scheduled events'));
    for (const e of r.events) out.push(`  ${`${num(e.atSeconds)}–${e.untilSeconds === null ? 'end' : num(e.untilSeconds)} s`.padEnd(14)} ${e.kind.padEnd(19)} ${e.target}: ${e.description}`);
  }
  if (r.warnings.length > 0) {
    out.push('', s.bold('config warnings'));
    for (const w of r.warnings) out.push(`  ${s.yellow(w)}`);
  }
  return `${out.join('\n')}\n`;
}

/**
 * A comparison as text: both summaries, then the figures that differ between A and B, with
 * the direction that is better.
 *
 * @example
 * ```ts
 * import { renderComparison, styleFor } from '@switchyard/cli';
 * declare const cmp: import('@switchyard/simulate').ComparisonReport;
 * process.stdout.write(renderComparison(cmp, styleFor(process.stdout, process.env)));
 * ```
 */
export function renderComparison(c: ComparisonReport, s: Style): string {
  const out: string[] = [renderReport(c.a, s), renderReport(c.b, s)];
  const changed = c.differences.filter((d) => d.verdict !== 'same');
  out.push(`${s.bold(`differences: ${c.b.label} against ${c.a.label}`)} ${s.dim(`(${changed.length} of ${c.differences.length} figures differ)`)}`);
  const fmt = (d: Difference, x: number | null): string => {
    if (x === null) return '-';
    if (d.metric === 'successRate') return pctOf(x);
    return Number.isInteger(x) ? String(x) : x.toFixed(d.metric.endsWith('Percent') ? 2 : 1);
  };
  const verdict = (d: Difference): string => (d.verdict === 'better' ? s.green('better') : d.verdict === 'worse' ? s.red('worse') : d.verdict);
  out.push(
    ...table(
      ['subject', 'metric', c.a.label, c.b.label, 'change', ''],
      changed.map((d) => [d.subject, d.metric, fmt(d, d.a), fmt(d, d.b), d.deltaPercent === null ? (d.delta === null ? '-' : `${d.delta > 0 ? '+' : ''}${fmt(d, d.delta)}`) : `${d.deltaPercent > 0 ? '+' : ''}${d.deltaPercent.toFixed(1)}%`, verdict(d)]),
      new Set([2, 3, 4]),
      s,
    ),
  );
  return `${out.join('\n')}\n`;
}
