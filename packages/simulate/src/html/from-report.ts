/**
 * From a simulation report (or a comparison, or several runs of one scenario) to the model the
 * HTML page draws, and the public `renderHtmlReport`.
 * @module
 */
import type { CdfSeries, ComparisonReport, Difference, RequestSummary, SimulationReport } from '../report.js';
import type { HtmlCdf, HtmlLatencySeries, HtmlReportModel, HtmlRun, HtmlSeries, HtmlTable } from './model.js';
import { renderHtmlModel } from './render.js';

/** Options of {@link renderHtmlReport}. */
export interface HtmlReportOptions {
  /** The page title (default: `What-if: <scenario name>`). */
  readonly title?: string;
}

/** What {@link renderHtmlReport} accepts: one run, a comparison of two, or several runs of one scenario. */
export type HtmlReportInput = SimulationReport | ComparisonReport | readonly SimulationReport[];

const pct = (v: number | null): string | null => (v === null ? null : `${(v * 100).toFixed(2)} %`);
const pctOf = (v: number | null): string | null => (v === null ? null : `${v.toFixed(1)} %`);

function cdfName(c: CdfSeries, multiRoute: boolean): string {
  if (c.version === null) return c.route;
  return multiRoute ? `${c.route} / ${c.version}` : c.version;
}

function toRun(r: SimulationReport): HtmlRun {
  const s = r.series;
  const timeS = s.timeSeconds;
  const last = timeS.length === 0 ? 0 : (timeS[timeS.length - 1] ?? 0) + s.windowMs / 1000;
  const multiRoute = r.routes.length > 1;
  const multiUpstream = new Set(r.endpoints.map((e) => e.upstream)).size > 1;
  const endpointName = (upstream: string, endpoint: string): string => (multiUpstream ? `${upstream}/${endpoint}` : endpoint);

  const versioned = new Set(s.versions.map((v) => v.route));
  const latency: HtmlLatencySeries[] = [
    ...s.versions.map((v) => ({ name: multiRoute ? `${v.route} / ${v.version}` : v.version, p50: v.p50Ms, p90: v.p90Ms, p99: v.p99Ms })),
    // A route with no version series (its requests matched but never reached a backend) still plots.
    ...s.routes.filter((rt) => !versioned.has(rt.route)).map((rt) => ({ name: rt.route, p50: rt.p50Ms, p90: rt.p90Ms, p99: rt.p99Ms })),
  ];
  const routeLatency = s.routes.map((rt) => ({ name: rt.route, p50: rt.p50Ms, p90: rt.p90Ms, p99: rt.p99Ms }));

  // Per version; the route's own CDF too when it has several versions (or none), since with one
  // version both lines coincide.
  const versionsOf = new Map<string, number>();
  for (const c of r.cdfs) if (c.version !== null) versionsOf.set(c.route, (versionsOf.get(c.route) ?? 0) + 1);
  const toCdf = (c: CdfSeries): HtmlCdf => ({ name: cdfName(c, multiRoute), latencyMs: c.latencyMs, fraction: c.fraction });
  const cdfs = r.cdfs.filter((c) => c.version !== null || (versionsOf.get(c.route) ?? 0) !== 1).map(toCdf);
  const routeCdfs = r.cdfs.filter((c) => c.version === null).map(toCdf);

  // Shares of all tries (endpoints) and of all requests (versions) in each window, so that the
  // stacked areas add up to 100 % whatever the number of upstreams and routes.
  const shareOfTotal = (rows: readonly { name: string; counts: readonly number[] }[]): HtmlSeries[] => {
    const totals = timeS.map((_, i) => rows.reduce((sum, row) => sum + (row.counts[i] ?? 0), 0));
    return rows.map((row) => ({ name: row.name, values: timeS.map((_, i) => ((totals[i] ?? 0) === 0 ? null : (row.counts[i] ?? 0) / (totals[i] ?? 1))) }));
  };
  const endpointShare = shareOfTotal(s.endpoints.map((e) => ({ name: endpointName(e.upstream, e.endpoint), counts: e.tries })));
  const versionShare = shareOfTotal(s.versions.map((v) => ({ name: multiRoute ? `${v.route} / ${v.version}` : v.version, counts: v.requests })));

  // Per tier where a rule has tiers (its total would double-count), else the rule's total.
  const tiered = new Set(s.limits.filter((l) => l.tier !== null).map((l) => `${l.route}\u0000${l.rule}`));
  const rejections = s.limits
    .filter((l) => l.tier !== null || !tiered.has(`${l.route}\u0000${l.rule}`))
    .map((l) => {
      const rule = multiRoute ? `${l.route} ${l.rule}` : l.rule;
      return { name: l.tier === null ? rule : `${rule} / ${l.tier}`, values: l.limited };
    });

  const rollout = r.rollouts.flatMap((ro) => {
    const first = ro.steps[0];
    // The weight before the first transition: the rollout's starting step, from t = 0.
    const start = first === undefined || first.atSeconds === 0 ? [] : [{ atS: 0, rollout: ro.name, weightPercent: first.fromPercent, phase: 'progressing', reason: 'initial weight' }];
    return [...start, ...ro.steps.map((st) => ({ atS: st.atSeconds, rollout: ro.name, weightPercent: st.toPercent, phase: `${st.type} → ${st.phase}`, reason: st.reason }))];
  });

  return {
    label: r.label,
    durationS: Math.max(r.scenario.durationSeconds, last),
    timeS,
    latency,
    routeLatency,
    cdfs,
    routeCdfs,
    endpointShare,
    versionShare,
    ejections: r.ejections.map((e) => ({ endpoint: endpointName(e.upstream, e.endpoint), fromS: e.fromSeconds, toS: e.toSeconds })),
    rollout,
    rejections,
    events: r.events.map((e) => ({ fromS: e.atSeconds, toS: e.untilSeconds, label: `${e.kind}: ${e.description}` })),
  };
}

function summaryCells(s: RequestSummary): (string | number | null)[] {
  return [s.requests, pct(s.successRate), s.rateLimited, s.latency.p50Ms, s.latency.p90Ms, s.latency.p99Ms, s.latency.p999Ms];
}
const SUMMARY_COLUMNS = ['requests', 'success', '429s', 'p50 (ms)', 'p90 (ms)', 'p99 (ms)', 'p99.9 (ms)'];

function runTables(r: SimulationReport, run: number): HtmlTable[] {
  const tables: HtmlTable[] = [
    {
      title: 'Routes',
      run,
      placement: 'summary',
      columns: ['route', ...SUMMARY_COLUMNS, 'retries', 'hedges', 'budget exhausted'],
      rows: [
        ['(total)', ...summaryCells(r.total), null, null, null],
        ...r.routes.map((rt) => [rt.route, ...summaryCells(rt.summary), rt.retries.retries, rt.retries.hedges, rt.retries.budgetExhausted]),
      ],
    },
    {
      title: 'Versions',
      run,
      placement: 'details',
      columns: ['route', 'version', 'share', ...SUMMARY_COLUMNS],
      rows: r.routes.flatMap((rt) => rt.versions.map((v) => [rt.route, v.version, pctOf(v.sharePercent), ...summaryCells(v.summary)])),
    },
    {
      title: 'Endpoints',
      run,
      placement: 'details',
      columns: ['upstream', 'endpoint', 'zone', 'version', 'tries', 'share', 'success', 'p99 (ms)', 'ejections', 'ejected (s)', 'max in flight', 'max queued'],
      rows: r.endpoints.map((e) => [
        e.upstream,
        e.endpoint,
        e.zone ?? '–',
        e.version ?? '–',
        e.tries,
        pctOf(e.sharePercent),
        pct(e.summary.successRate),
        e.summary.latency.p99Ms,
        e.ejections,
        e.ejectedSeconds,
        e.maxInFlight,
        e.maxQueued,
      ]),
    },
  ];
  // Deliberately alike: the rollout and ejection tables below — each table literal names its own title, columns and row mapping; a helper would only rename those fields
  if (r.limits.length > 0) {
    tables.push({
      title: 'Rate limits (429s)',
      run,
      placement: 'details',
      columns: ['route', 'rule', 'refused', 'by tier', 'by client'],
      rows: r.limits.map((l) => [
        l.route,
        l.rule,
        l.limited,
        Object.entries(l.byTier).map(([k, v]) => `${k}: ${v}`).join(', ') || '–',
        Object.entries(l.byClient).map(([k, v]) => `${k}: ${v}`).join(', ') || '–',
      ]),
    });
  }
  // Deliberately alike: the rate-limit table above — each table literal names its own title, columns and row mapping; a helper would only rename those fields
  for (const ro of r.rollouts) {
    tables.push({
      title: `Rollout ${ro.name} (route ${ro.route}, ${ro.canary} over ${ro.baseline}): ${ro.finalPhase} at ${ro.finalWeightPercent} %`,
      run,
      placement: 'details',
      columns: ['at (s)', 'step', 'weight', 'phase', 'reason'],
      rows: ro.steps.map((st) => [st.atSeconds, st.type, `${st.fromPercent} → ${st.toPercent} %`, st.phase, st.reason]),
    });
  }
  if (r.ejections.length > 0) {
    tables.push({
      title: 'Ejections',
      run,
      placement: 'details',
      columns: ['upstream', 'endpoint', 'detector', 'from (s)', 'to (s)'],
      rows: r.ejections.map((e) => [e.upstream, e.endpoint, e.detector, e.fromSeconds, e.toSeconds ?? 'end']),
    });
  }
  if (r.warnings.length > 0) {
    tables.push({ title: 'Config warnings', run, placement: 'summary', columns: ['warning'], rows: r.warnings.map((w) => [w]) });
  }
  return tables;
}

function scenarioTables(r: SimulationReport): HtmlTable[] {
  if (r.events.length === 0) return [];
  return [
    {
      title: 'Scenario events',
      run: null,
      placement: 'summary',
      columns: ['from (s)', 'until (s)', 'event', 'target', 'what'],
      rows: r.events.map((e) => [e.atSeconds, e.untilSeconds ?? '–', e.kind, e.target, e.description]),
    },
  ];
}

function differenceTable(c: ComparisonReport): HtmlTable {
  const fmt = (d: Difference, v: number | null): string | number | null => (d.metric === 'successRate' ? pct(v) : v);
  const changed = c.differences.filter((d) => d.verdict !== 'same');
  return {
    title: `Differences, ${c.b.label} against ${c.a.label} (${changed.length} of ${c.differences.length} figures changed)`,
    run: null,
    placement: 'summary',
    columns: ['subject', 'metric', c.a.label, c.b.label, 'Δ', 'Δ %', `${c.b.label} is`],
    rows: changed.map((d) => [d.subject, d.metric, fmt(d, d.a), fmt(d, d.b), d.metric === 'successRate' && d.delta !== null ? `${(d.delta * 100).toFixed(2)} pp` : d.delta, d.deltaPercent === null ? null : `${d.deltaPercent.toFixed(1)} %`, d.verdict]),
  };
}

function isComparison(input: HtmlReportInput): input is ComparisonReport {
  return !Array.isArray(input) && (input as ComparisonReport | SimulationReport).format === 'switchyard.simulation-comparison/v1';
}

/**
 * The page model of a report (what {@link renderHtmlReport} draws), for callers that want to
 * adjust it before `renderHtmlModel`.
 */
export function toHtmlModel(input: HtmlReportInput, options: HtmlReportOptions = {}): HtmlReportModel {
  const reports: readonly SimulationReport[] = isComparison(input) ? [input.a, input.b] : Array.isArray(input) ? input : [input as SimulationReport];
  const first = reports[0];
  if (first === undefined) throw new TypeError('renderHtmlReport: no report to render');
  const sc = first.scenario;
  const facts: [string, string][] = [
    ['scenario', sc.name],
    ...(sc.description === '' ? [] : ([['description', sc.description]] as [string, string][])),
    [reports.length > 1 ? 'configs' : 'config', reports.map((r) => r.label).join(', ')],
    ['seed', String(sc.seed)],
    ['duration', `${sc.durationSeconds} s`],
    ['window', `${sc.windowMs} ms`],
    ['requests sent', String(sc.sent)],
    ...(sc.incomplete === 0 ? [] : ([['unanswered', String(sc.incomplete)]] as [string, string][])),
  ];
  return {
    title: options.title ?? `What-if: ${sc.name}`,
    facts,
    runs: reports.map(toRun),
    tables: [...(isComparison(input) ? [differenceTable(input)] : []), ...scenarioTables(first), ...reports.flatMap((r, i) => runTables(r, i))],
  };
}

/**
 * Renders a simulation report as one self-contained HTML file: latency over time per version with
 * p50/p90/p99 bands, latency CDFs per route and version, traffic share per endpoint and per version,
 * ejection and rollout timelines, 429s per tier or rule, the scenario's events shaded on every time
 * chart, and the summary tables. A comparison (or several runs of one scenario, e.g. one per
 * balancer) gets the runs side by side plus charts that overlay them.
 *
 * The file needs no network access to open: uPlot (MIT, minified), the styles, the
 * page script and the data are inlined, and a Content-Security-Policy meta tag forbids loading
 * anything. Report data is embedded as escaped JSON and never becomes markup. Deterministic: the
 * same report gives the same bytes.
 *
 * @example
 * ```ts
 * import { renderHtmlReport, runScenario } from '@switchyard/simulate';
 * declare const config: import('@switchyard/gateway').GatewayConfig;
 * declare const scenario: import('@switchyard/simulate').Scenario;
 * const html = renderHtmlReport(await runScenario(config, scenario));
 * // write `html` to report.html and open it in a browser
 * ```
 */
export function renderHtmlReport(input: HtmlReportInput, options: HtmlReportOptions = {}): string {
  return renderHtmlModel(toHtmlModel(input, options));
}
