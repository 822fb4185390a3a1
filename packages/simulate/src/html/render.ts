/**
 * The self-contained HTML page: markup, summary tables and chart placeholders written here; uPlot
 * and the page script (inlined, see assets.generated.ts) draw the charts from the embedded model.
 * @module
 */
import { CLIENT_JS, SCRIPT_HASHES, STYLE, STYLE_HASH, UPLOT_JS, UPLOT_LICENSE, UPLOT_VERSION } from './assets.generated.js';
import { escapeHtml, jsonForScript } from './escape.js';
import { CHART_KINDS, COMPARE_CHART_KINDS, type ChartKind, type CompareChartKind, type HtmlReportModel, type HtmlRun, type HtmlTable } from './model.js';

/**
 * The page's Content-Security-Policy: nothing may load from anywhere (`default-src 'none'`), and
 * only the two inline scripts and the one style element this renderer writes may run, by hash
 * (CSP Level 3 hash-source). The report data sits in a `type="application/json"` script, which is
 * a data block the browser never executes, so it needs no hash. `frame-ancestors` has no effect
 * in a meta tag (CSP3 §6.1.6), hence its absence.
 */
export const REPORT_CSP = [
  "default-src 'none'",
  `script-src ${SCRIPT_HASHES.map((h) => `'${h}'`).join(' ')}`,
  `style-src '${STYLE_HASH}'`,
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

const SECTION_TEXT: Readonly<Record<ChartKind | CompareChartKind, { title: string; note: string; empty: string }>> = {
  'compare-latency': {
    title: 'Latency over time, configs compared',
    note: 'Per route and config: the p99 (thick) and the p50 (thin) per time bucket, all configs on one plot. Shaded: the scenario\'s events.',
    empty: 'No requests completed.',
  },
  'compare-cdf': {
    title: 'Latency distribution, configs compared',
    note: 'The fraction of requests that completed within a latency, per route and config (log scale). Further left and steeper is better.',
    empty: 'No requests completed.',
  },
  latency: {
    title: 'Latency over time',
    note: "Per version: the p50 line, with the band up to p90 (darker) and up to p99 (lighter), per time bucket. Shaded: the scenario's events.",
    empty: 'No requests completed.',
  },
  cdf: {
    title: 'Latency distribution (CDF)',
    note: 'The fraction of requests that completed within a latency, per route and version (log scale). Further left is faster; a long tail to the right is the p99 story.',
    empty: 'No requests completed.',
  },
  'endpoint-share': {
    title: 'Traffic share per endpoint',
    note: 'Which endpoints the balancer picked, as a share of each time bucket (stacked).',
    empty: 'No requests reached an endpoint.',
  },
  'version-share': {
    title: 'Traffic share per version',
    note: 'The split between versions (backends) over time (stacked).',
    empty: 'One version only: nothing is split.',
  },
  ejections: {
    title: 'Ejections',
    note: 'Endpoints taken out of the load-balancing set by outlier detection, and when they returned.',
    empty: 'No endpoint was ejected.',
  },
  rollout: {
    title: 'Rollout',
    note: "The canary's weight at each step of a progressive rollout; hover a step for its phase and reason.",
    empty: 'No progressive rollout in this scenario.',
  },
  rejections: {
    title: 'Rate limiting (429s)',
    note: 'Requests rejected with 429 Too Many Requests, per limiter tier or rule, per time bucket.',
    empty: 'No request was rate limited.',
  },
};

/** Whether a run has anything to draw for a chart kind. */
export function runHasChart(run: HtmlRun, kind: ChartKind): boolean {
  switch (kind) {
    case 'latency':
      return run.timeS.length > 0 && run.latency.some((l) => l.p50.some((v) => v !== null));
    case 'cdf':
      return run.cdfs.some((c) => c.latencyMs.length > 0);
    case 'endpoint-share':
      return run.timeS.length > 0 && run.endpointShare.length > 0;
    case 'version-share':
      // One version only: nothing is split, a flat 100 % says nothing.
      return run.timeS.length > 0 && run.versionShare.length > 1;
    case 'ejections':
      return run.ejections.length > 0;
    case 'rollout':
      return run.rollout.length > 0;
    case 'rejections':
      return run.timeS.length > 0 && run.rejections.some((s) => s.values.some((v) => v !== null && v > 0));
  }
}

/** Whether any run has anything to draw for a chart that overlays all runs. */
function runsHaveCompareChart(runs: readonly HtmlRun[], kind: CompareChartKind): boolean {
  return kind === 'compare-latency'
    ? runs.some((r) => r.timeS.length > 0 && r.routeLatency.some((l) => l.p99.some((v) => v !== null)))
    : runs.some((r) => r.routeCdfs.some((c) => c.latencyMs.length > 0));
}

function formatCell(cell: string | number | null): string {
  if (cell === null) return '–';
  if (typeof cell === 'string') return escapeHtml(cell);
  if (!Number.isFinite(cell)) return escapeHtml(String(cell));
  if (Number.isInteger(cell)) return String(cell);
  const abs = Math.abs(cell);
  return cell.toFixed(abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3);
}

function renderTable(table: HtmlTable): string {
  // Columns of figures (numbers, `12.5 %`, `–`) are right-aligned, text left-aligned.
  const figure = (c: string | number | null | undefined): boolean => c === null || typeof c === 'number' || (c !== undefined && /^(–|[-+]?\d[\d.]*( ?%| pp)?)$/.test(c));
  const textual = table.columns.map((_, i) => !table.rows.every((r) => figure(r[i])));
  const cls = (i: number): string => (textual[i] ? ' class="sy-text"' : '');
  const head = table.columns.map((c, i) => `<th${cls(i)}>${escapeHtml(c)}</th>`).join('');
  const body = table.rows.map((r) => `<tr>${r.map((c, i) => `<td${cls(i)}>${formatCell(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table class="sy-table"><caption>${escapeHtml(table.title)}</caption>\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody></table>`;
}

function renderSection(model: HtmlReportModel, kind: ChartKind): string {
  const text = SECTION_TEXT[kind];
  const cols = model.runs.length > 1 ? ' sy-cols-2' : '';
  const cells = model.runs.map((run, i) =>
    runHasChart(run, kind)
      ? `<div class="sy-chart" data-chart="${kind}" data-run="${i}" role="figure" aria-label="${escapeHtml(`${text.title}: ${run.label}`)}"></div>`
      : `<p class="sy-empty">${escapeHtml(model.runs.length > 1 ? `${run.label}: ${text.empty}` : text.empty)}</p>`,
  );
  return `<section id="sy-${kind}">\n<h2>${text.title}</h2>\n<p class="sy-note">${text.note}</p>\n<div class="sy-row${cols}">\n${cells.join('\n')}\n</div>\n</section>`;
}

function renderCompareSection(model: HtmlReportModel, kind: CompareChartKind): string {
  const text = SECTION_TEXT[kind];
  const body = runsHaveCompareChart(model.runs, kind) ? `<div class="sy-chart sy-wide" data-chart="${kind}" data-run="all" role="figure" aria-label="${text.title}"></div>` : `<p class="sy-empty">${text.empty}</p>`;
  return `<section id="sy-${kind}">\n<h2>${text.title}</h2>\n<p class="sy-note">${text.note}</p>\n${body}\n</section>`;
}

function renderTables(model: HtmlReportModel, placement: HtmlTable['placement']): string {
  const mine = model.tables.filter((t) => t.placement === placement);
  if (mine.length === 0) return '';
  const overall = mine.filter((t) => t.run === null).map(renderTable);
  const perRun = model.runs.map((run, i) => {
    const tables = mine.filter((t) => t.run === i).map(renderTable);
    if (tables.length === 0) return '';
    const heading = model.runs.length > 1 ? `<h3>${escapeHtml(run.label)}</h3>\n` : '';
    return `<div>\n${heading}${tables.join('\n')}\n</div>`;
  });
  const cols = model.runs.length > 1 ? ' sy-cols-2' : '';
  const title = placement === 'summary' ? 'Summary' : 'Details';
  return `<section id="sy-${placement}">\n<h2>${title}</h2>\n${overall.join('\n')}\n<div class="sy-row${cols}">\n${perRun.join('\n')}\n</div>\n</section>`;
}

/**
 * Renders a report model as one self-contained HTML document (uPlot, styles, script and data
 * inlined; nothing is fetched; deterministic: the same model gives the same bytes).
 *
 * Use `renderHtmlReport` for a simulation or comparison report; this is the step after it, for a
 * model built or edited by hand.
 *
 * @example
 * ```ts
 * const html = renderHtmlModel({ title: 'empty', facts: [], runs: [], tables: [] });
 * html.startsWith('<!doctype html>'); // true
 * ```
 */
export function renderHtmlModel(model: HtmlReportModel): string {
  const data = { title: model.title, runs: model.runs };
  const facts = model.facts.map(([k, v]) => `<div><dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd></div>`).join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(REPORT_CSP)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="switchyard simulate">
<title>${escapeHtml(model.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>${escapeHtml(model.title)}</h1>
<dl class="sy-facts">${facts}</dl>
</header>
<main>
${renderTables(model, 'summary')}
${model.runs.length > 1 ? COMPARE_CHART_KINDS.map((k) => renderCompareSection(model, k)).join('\n') : ''}
${CHART_KINDS.map((k) => renderSection(model, k)).join('\n')}
${renderTables(model, 'details')}
</main>
<footer>
<p>Generated by <code>switchyard simulate</code> on a simulated clock: the same config, scenario and seed give this file byte for byte. Charts drawn with uPlot ${escapeHtml(UPLOT_VERSION)}.</p>
<details><summary>uPlot licence</summary><pre>${escapeHtml(UPLOT_LICENSE)}</pre></details>
</footer>
<script type="application/json" id="sy-report-data">${jsonForScript(data)}</script>
<script>${UPLOT_JS}</script>
<script>${CLIENT_JS}</script>
</body>
</html>
`;
}
