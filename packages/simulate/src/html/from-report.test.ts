import { beforeAll, describe, expect, it } from 'vitest';
import { compareReports } from '../compare.js';
import type { SimulationReport } from '../report.js';
import { runScenario } from '../run.js';
import { renderHtmlReport, toHtmlModel } from './from-report.js';
import { REAL_CONFIG, REAL_SCENARIO } from './real-scenario.js';

let report: SimulationReport;

beforeAll(async () => {
  report = await runScenario(REAL_CONFIG, REAL_SCENARIO, { label: 'shop.yaml' });
});

describe('toHtmlModel', () => {
  it('model - one run with the report time axis, facts from the scenario, title from its name', () => {
    const model = toHtmlModel(report);
    expect(model.title).toBe('What-if: report-every-chart');
    expect(model.facts).toEqual(expect.arrayContaining([['scenario', 'report-every-chart'], ['seed', '5'], ['config', 'shop.yaml']]));
    expect(model.runs).toHaveLength(1);
    const run = model.runs[0];
    expect(run?.timeS).toEqual(report.series.timeSeconds);
    expect(run?.durationS).toBeGreaterThanOrEqual(30);
    expect(toHtmlModel(report, { title: 'mine' }).title).toBe('mine');
  });

  it('model - endpoint and version shares of each busy window add up to 1', () => {
    const run = toHtmlModel(report).runs[0];
    if (run === undefined) throw new Error('one run');
    for (const list of [run.endpointShare, run.versionShare]) {
      run.timeS.forEach((_, i) => {
        const values = list.map((s) => s.values[i] ?? null);
        if (values.every((v) => v === null)) return;
        expect(values.reduce((a: number, v) => a + (v ?? 0), 0)).toBeCloseTo(1, 9);
      });
    }
  });

  it('model - a tiered rule is drawn per tier, not also as its total', () => {
    const run = toHtmlModel(report).runs[0];
    expect(run?.rejections.map((s) => s.name)).toEqual(['perKey / free', 'perKey / pro']);
    const free = report.series.limits.find((l) => l.tier === 'free');
    expect(run?.rejections[0]?.values).toEqual(free?.limited);
  });

  it('model - the rollout starts at t = 0 with the weight before its first transition', () => {
    const run = toHtmlModel(report).runs[0];
    const steps = report.rollouts[0]?.steps ?? [];
    expect(run?.rollout[0]).toMatchObject({ atS: 0, rollout: 'shop-v2', weightPercent: steps[0]?.fromPercent });
    expect(run?.rollout.slice(1).map((s) => [s.atS, s.weightPercent])).toEqual(steps.map((s) => [s.atSeconds, s.toPercent]));
  });

  it('model - ejections, events and per-version latency come from the report', () => {
    const run = toHtmlModel(report).runs[0];
    expect(run?.ejections).toEqual(report.ejections.map((e) => ({ endpoint: e.endpoint, fromS: e.fromSeconds, toS: e.toSeconds })));
    expect(run?.events.map((e) => e.label)).toEqual(['endpoint-failing: error rate 100 %', 'endpoint-slow: latency ×5']);
    expect(run?.latency.map((l) => l.name)).toEqual(['canary', 'stable']);
    // Two versions: the route's own CDF is drawn beside theirs.
    expect(run?.cdfs.map((c) => c.name)).toEqual(['shop', 'canary', 'stable']);
  });

  it('model - summary tables: routes and events at the top, endpoints, versions, limits, rollout steps below', () => {
    const tables = toHtmlModel(report).tables;
    const where = Object.fromEntries(tables.map((t) => [t.title.split(' (')[0]?.split(':')[0], t.placement]));
    expect(where).toMatchObject({ 'Scenario events': 'summary', Routes: 'summary', Versions: 'details', Endpoints: 'details', 'Rate limits': 'details', 'Rollout shop-v2': 'details', Ejections: 'details' });
    const routes = tables.find((t) => t.title === 'Routes');
    expect(routes?.rows[1]?.slice(0, 4)).toEqual(['shop', report.routes[0]?.summary.requests, `${((report.routes[0]?.summary.successRate ?? 0) * 100).toFixed(2)} %`, report.routes[0]?.summary.rateLimited]);
  });

  it('model - a comparison gives two runs and a table of the figures that changed', () => {
    const other = { ...report, label: 'other.yaml', total: { ...report.total, rateLimited: report.total.rateLimited + 1 } };
    const model = toHtmlModel(compareReports(report, other));
    expect(model.runs.map((r) => r.label)).toEqual(['shop.yaml', 'other.yaml']);
    const diff = model.tables[0];
    expect(diff?.title).toMatch(/^Differences, other\.yaml against shop\.yaml \(1 of \d+ figures changed\)$/);
    expect(diff?.rows).toEqual([['total', 'rateLimited', report.total.rateLimited, report.total.rateLimited + 1, 1, expect.any(String), 'worse']]);
  });

  it('model - several runs of one scenario (one per balancer) side by side', () => {
    const model = toHtmlModel([report, { ...report, label: 'b.yaml' }, { ...report, label: 'c.yaml' }]);
    expect(model.facts).toContainEqual(['configs', 'shop.yaml, b.yaml, c.yaml']);
    expect(model.runs).toHaveLength(3);
  });

  it('renderHtmlReport - the same report gives the same bytes; no report is a TypeError', () => {
    expect(renderHtmlReport(report)).toBe(renderHtmlReport(JSON.parse(JSON.stringify(report)) as SimulationReport));
    expect(() => renderHtmlReport([])).toThrow(TypeError);
  });
});
