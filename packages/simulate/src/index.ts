/**
 * `@switchyard/simulate`: what-if simulation of a gateway config (scaffold; see issue #22).
 * @packageDocumentation
 */
export type { HtmlCdf, HtmlEjection, HtmlLatencySeries, HtmlReportModel, HtmlRolloutStep, HtmlRun, HtmlSeries, HtmlTable, ChartKind } from './html/model.js';
export { CHART_KINDS } from './html/model.js';
export { REPORT_CSP, renderHtmlModel } from './html/render.js';
