import { describe, expect, it } from 'vitest';
import { SCRIPT_HASHES, STYLE_HASH } from './assets.generated.js';
import { escapeHtml } from './escape.js';
import { fixtureModel, HOSTILE_NAME } from './fixture.js';
import { CHART_KINDS, COMPARE_CHART_KINDS, type HtmlReportModel } from './model.js';
import { REPORT_CSP, renderHtmlModel } from './render.js';

function dataBlock(html: string): string {
  const open = '<script type="application/json" id="sy-report-data">';
  const start = html.indexOf(open) + open.length;
  return html.slice(start, html.indexOf('</script>', start));
}

describe('renderHtmlModel', () => {
  const html = renderHtmlModel(fixtureModel(2));

  it('render - one document with a strict CSP meta tag before any script or style', () => {
    expect(html.startsWith('<!doctype html>\n<html lang="en">')).toBe(true);
    const csp = html.indexOf('http-equiv="Content-Security-Policy"');
    expect(csp).toBeGreaterThan(0);
    expect(csp).toBeLessThan(html.indexOf('<style>'));
    expect(csp).toBeLessThan(html.indexOf('<script'));
    expect(REPORT_CSP).toContain("default-src 'none'");
    expect(REPORT_CSP).toContain(`script-src '${SCRIPT_HASHES[0]}' '${SCRIPT_HASHES[1]}'`);
    expect(REPORT_CSP).toContain(`style-src '${STYLE_HASH}'`);
    expect(REPORT_CSP).not.toContain('unsafe');
  });

  it('render - nothing refers to anything outside the file', () => {
    expect(html).not.toMatch(/\b(src|href)\s*=/i);
    expect(html).not.toMatch(/@import|url\(/i);
  });

  it('render - exactly three scripts: the data block, uPlot, the page script', () => {
    expect(html.match(/<script\b/gi)).toHaveLength(3);
    expect(html.match(/<\/script>/gi)).toHaveLength(3);
  });

  it('render - a hostile name never appears unescaped, and the data block parses back to the runs', () => {
    expect(html).not.toContain(HOSTILE_NAME);
    expect(html).not.toContain('<script>alert');
    expect(html).toContain('&lt;/script&gt;&lt;script&gt;alert(&quot;x&quot;)');
    const data = JSON.parse(dataBlock(html)) as { title: string; runs: unknown };
    const model = fixtureModel(2);
    expect(data.title).toBe(model.title);
    expect(data.runs).toEqual(JSON.parse(JSON.stringify(model.runs)));
  });

  it('render - a hostile config label (run label) is escaped in headings and chart labels too', () => {
    const base = fixtureModel(2);
    const out = renderHtmlModel({ ...base, runs: base.runs.map((r) => ({ ...r, label: HOSTILE_NAME })), tables: [] });
    expect(out).not.toContain(HOSTILE_NAME);
    expect(out).toContain(`aria-label="Latency over time: ${escapeHtml(HOSTILE_NAME)}"`);
  });

  it('render - the overlay charts, then one chart placeholder per chart kind and run, in page order', () => {
    const placeholders = [...html.matchAll(/<div class="sy-chart[a-z -]*" data-chart="([a-z-]+)" data-run="(\d|all)" role="figure" aria-label="[^"<>]*"><\/div>/g)].map((m) => `${m[1]}:${m[2]}`);
    expect(placeholders).toEqual([...COMPARE_CHART_KINDS.map((k) => `${k}:all`), ...CHART_KINDS.flatMap((k) => [`${k}:0`, `${k}:1`])]);
    expect(html).toContain('class="sy-row sy-cols-2"');
  });

  it('render - a run without ejections, rollout or 429s says so instead of an empty chart', () => {
    const base = fixtureModel(1);
    const run0 = base.runs[0];
    if (run0 === undefined) throw new Error('fixture has a run');
    const quiet: HtmlReportModel = { ...base, runs: [{ ...run0, ejections: [], rollout: [], rejections: [{ name: 'free', values: run0.timeS.map(() => 0) }] }] };
    const out = renderHtmlModel(quiet);
    expect(out).toContain('No endpoint was ejected.');
    expect(out).toContain('No progressive rollout in this scenario.');
    expect(out).toContain('No request was rate limited.');
    expect(out).not.toContain('data-chart="ejections"');
    expect(out).toContain('data-chart="latency" data-run="0"');
    expect(out).not.toContain('class="sy-row sy-cols-2"');
    expect(out).not.toContain('data-run="all"');
  });

  it('render - summary tables: text escaped, numbers formatted, null as a dash', () => {
    expect(html).toContain('<caption>Per route</caption>');
    expect(html).toContain('<td>12000</td><td>99.5</td><td>180</td>');
    expect(html).toContain('<td>3</td><td>100</td><td>–</td>');
    expect(html).toContain('<caption>Differences</caption>');
  });

  it('render - summary tables come before the charts, details after them', () => {
    const base = fixtureModel(1);
    const details = { title: 'Endpoints', run: 0, placement: 'details' as const, columns: ['endpoint', 'tries'], rows: [['a', 1]] };
    const out = renderHtmlModel({ ...base, tables: [...base.tables, details] });
    const at = (s: string): number => out.indexOf(s);
    expect(at('<caption>Per route</caption>')).toBeLessThan(at('data-chart="latency"'));
    expect(at('<caption>Endpoints</caption>')).toBeGreaterThan(at('data-chart="rejections"'));
    expect(at('<h2>Details</h2>')).toBeLessThan(at('<caption>Endpoints</caption>'));
  });

  it('render - deterministic: the same model gives the same bytes', () => {
    expect(renderHtmlModel(fixtureModel(2))).toBe(html);
  });
});
