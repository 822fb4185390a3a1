// The HTML report in a real headless Chromium (Debian's /usr/bin/chromium driven by
// playwright-core; no browser download): it opens offline without console errors, CSP violations
// or requests, and every chart is present, drew its series and names them in its legend.
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_JS } from './assets.generated.js';
import { fixtureModel, HOSTILE_NAME } from './fixture.js';
import { runScenario } from '../run.js';
import { renderHtmlReport } from './from-report.js';
import { CHART_KINDS, COMPARE_CHART_KINDS } from './model.js';
import { REAL_CONFIG, REAL_SCENARIO } from './real-scenario.js';
import { renderHtmlModel } from './render.js';

const CHROMIUM = '/usr/bin/chromium';

/** What a chart container shows once the page script ran. */
interface ChartState {
  kind: string;
  run: string;
  drawn: boolean;
  canvases: number;
  /** Pixels with a clearly non-grey colour: series, bands, fills (axes and grid are grey). */
  colouredPixels: number;
  legend: string[];
  title: string;
}

interface Opened {
  page: Page;
  problems: string[];
  charts: ChartState[];
}

let browser: Browser | undefined;

beforeAll(async () => {
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
});

afterAll(async () => {
  await browser?.close();
});

async function open(html: string, { waitForCharts = true } = {}): Promise<Opened> {
  if (browser === undefined) throw new Error('chromium did not start');
  // Offline: the file must open with no network at all. Any request is a problem, failed or not.
  const context = await browser.newContext({ offline: true, viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => problems.push(`request: ${r.url()}`));
  page.on('requestfailed', (r) => problems.push(`failed request: ${r.url()}`));
  page.on('dialog', (d) => {
    problems.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  await page.setContent(html, { waitUntil: 'load' });
  if (waitForCharts) await page.waitForSelector('html[data-sy-charts]');
  const charts = await page.$$eval('.sy-chart', (els) =>
    els.map((el) => {
      let coloured = 0;
      const canvases = el.querySelectorAll('canvas');
      canvases.forEach((canvas) => {
        const ctx = canvas.getContext('2d');
        if (ctx === null || canvas.width === 0 || canvas.height === 0) return;
        const px = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
        for (let i = 0; i < px.length; i += 4) {
          const r = px[i] ?? 0;
          const g = px[i + 1] ?? 0;
          const b = px[i + 2] ?? 0;
          if ((px[i + 3] ?? 0) > 0 && Math.max(r, g, b) - Math.min(r, g, b) > 40) coloured++;
        }
      });
      return {
        kind: el.getAttribute('data-chart') ?? '',
        run: el.getAttribute('data-run') ?? '',
        drawn: el.getAttribute('data-drawn') === 'true',
        canvases: canvases.length,
        colouredPixels: coloured,
        legend: [...el.querySelectorAll('.u-legend .u-series .u-label')].map((l) => l.textContent ?? ''),
        title: el.querySelector('.u-title')?.textContent ?? '',
      };
    }),
  );
  return { page, problems, charts };
}

describe('HTML report in headless Chromium', () => {
  it('browser - a comparison report opens offline with no errors, no requests and every chart drawn', async () => {
    const model = fixtureModel(2);
    const { page, problems, charts } = await open(renderHtmlModel(model));
    try {
      expect(problems).toEqual([]);
      expect(charts.map((c) => `${c.kind}:${c.run}`)).toEqual([...COMPARE_CHART_KINDS.map((k) => `${k}:all`), ...CHART_KINDS.flatMap((k) => [`${k}:0`, `${k}:1`])]);
      for (const c of charts) {
        expect(c, `${c.kind} run ${c.run}`).toMatchObject({ drawn: true, canvases: 1 });
        expect(c.colouredPixels, `${c.kind} run ${c.run} drew no series`).toBeGreaterThan(200);
      }
      const byKind = (kind: string, run: string): ChartState => charts.find((c) => c.kind === kind && c.run === run) as ChartState;
      expect(byKind('latency', '0').legend).toEqual(expect.arrayContaining(['v1 p50', 'v1 p90', 'v1 p99', 'v2 p50', 'v2 p90', 'v2 p99']));
      expect(byKind('latency', '1').title).toContain('peak-ewma.yaml');
      expect(byKind('cdf', '0').legend).toEqual(expect.arrayContaining(['GET /api / v1', 'GET /api / v2', HOSTILE_NAME]));
      expect(byKind('endpoint-share', '0').legend).toEqual(expect.arrayContaining(['10.0.0.1:80', '10.0.0.2:80', HOSTILE_NAME]));
      expect(byKind('version-share', '1').legend).toEqual(expect.arrayContaining(['v1', 'v2']));
      expect(byKind('ejections', '0').legend).toEqual(expect.arrayContaining(['10.0.0.2:80', HOSTILE_NAME]));
      expect(byKind('rollout', '0').legend).toEqual(expect.arrayContaining(['api-canary']));
      expect(byKind('rejections', '0').legend).toEqual(expect.arrayContaining(['free', 'pro']));
      expect(byKind('compare-latency', 'all').legend).toEqual(
        expect.arrayContaining(['round-robin.yaml p99', 'round-robin.yaml p50', 'peak-ewma.yaml p99', 'peak-ewma.yaml p50']),
      );
      expect(byKind('compare-cdf', 'all').legend).toEqual(expect.arrayContaining(['round-robin.yaml', 'peak-ewma.yaml']));
      // Escaped data comes back as the same text, not as markup.
      expect(await page.title()).toBe(model.title);
      expect(await page.locator('script').count()).toBe(3);
    } finally {
      await page.context().close();
    }
  });

  it('browser - a single-run report lays charts one per row and states what did not happen', async () => {
    const base = fixtureModel(1);
    const run0 = base.runs[0];
    if (run0 === undefined) throw new Error('fixture has a run');
    const { page, problems, charts } = await open(renderHtmlModel({ ...base, runs: [{ ...run0, rollout: [] }] }));
    try {
      expect(problems).toEqual([]);
      expect(charts.map((c) => c.kind)).toEqual(CHART_KINDS.filter((k) => k !== 'rollout'));
      for (const c of charts) expect(c.colouredPixels, c.kind).toBeGreaterThan(200);
      expect(await page.locator('#sy-rollout .sy-empty').textContent()).toBe('No progressive rollout in this scenario.');
      // One chart per row: the latency chart spans (almost) the page's width.
      const width = await page.locator('.sy-chart[data-chart="latency"]').evaluate((el) => el.clientWidth);
      expect(width).toBeGreaterThan(1200);
    } finally {
      await page.context().close();
    }
  });

  it('browser - the CSP refuses a script that is not the one the renderer hashed', async () => {
    const html = renderHtmlModel(fixtureModel(1));
    const tampered = html.replace(`<script>${CLIENT_JS}</script>`, `<script>${CLIENT_JS}\n// changed</script>`);
    expect(tampered).not.toBe(html);
    const { page, problems, charts } = await open(tampered, { waitForCharts: false });
    try {
      expect(problems.some((p) => p.includes('Content Security Policy'))).toBe(true);
      expect(charts.every((c) => c.canvases === 0)).toBe(true);
      expect(await page.locator('html').getAttribute('data-sy-charts')).toBeNull();
    } finally {
      await page.context().close();
    }
  });

  it('browser - the report of a real runScenario run (canary rollout, tiered limit, ejection) draws every chart', async () => {
    const report = await runScenario(REAL_CONFIG, REAL_SCENARIO, { label: 'shop.yaml' });
    // The scenario does produce what each chart is about.
    expect(report.ejections.length).toBeGreaterThan(0);
    expect(report.rollouts[0]?.steps.length).toBeGreaterThan(0);
    expect(Object.keys(report.limits[0]?.byTier ?? {})).toEqual(['free', 'pro']);
    const { page, problems, charts } = await open(renderHtmlReport(report));
    try {
      expect(problems).toEqual([]);
      expect(charts.map((c) => c.kind)).toEqual([...CHART_KINDS]);
      for (const c of charts) {
        expect(c.drawn, c.kind).toBe(true);
        expect(c.colouredPixels, `${c.kind} drew no series`).toBeGreaterThan(200);
      }
      const legend = (kind: string): string[] => charts.find((c) => c.kind === kind)?.legend ?? [];
      expect(legend('latency')).toEqual(expect.arrayContaining(['canary p50', 'canary p99', 'stable p50', 'stable p99']));
      expect(legend('cdf')).toEqual(expect.arrayContaining(['shop', 'canary', 'stable']));
      expect(legend('endpoint-share')).toEqual(expect.arrayContaining(['shop-v1-a', 'shop-v1-b', 'shop-v1-c', 'shop-v2-a']));
      expect(legend('version-share')).toEqual(expect.arrayContaining(['canary', 'stable']));
      expect(legend('ejections')).toEqual(expect.arrayContaining(['shop-v1-b']));
      expect(legend('rollout')).toEqual(expect.arrayContaining(['shop-v2']));
      expect(legend('rejections')).toEqual(expect.arrayContaining(['perKey / free', 'perKey / pro']));
      expect(await page.locator('#sy-summary caption').allTextContents()).toEqual(expect.arrayContaining(['Scenario events', 'Routes']));
    } finally {
      await page.context().close();
    }
  });
});
