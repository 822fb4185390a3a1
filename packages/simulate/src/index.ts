/**
 * `@switchyard/simulate`: what-if simulation of a gateway config: a scenario (fleet, latencies,
 * failures, traffic) run on a fake clock through the real gateway, with a JSON report and a
 * side-by-side comparison.
 * @packageDocumentation
 */
export type {
  AppliedEvent,
  CdfSeries,
  ComparisonReport,
  Difference,
  EjectionInterval,
  EndpointSeries,
  EndpointSummary,
  LatencyStats,
  LimitSeries,
  LimitSummary,
  RequestSummary,
  RetrySummary,
  RolloutSeries,
  RolloutStep,
  RolloutSummary,
  RouteSeries,
  RouteSummary,
  ScenarioInfo,
  SimulationReport,
  SimulationSeries,
  VersionSeries,
  VersionSummary,
} from './report.js';
export { COMPARISON_REPORT_FORMAT, SIMULATION_REPORT_FORMAT } from './report.js';
export type { ClientClass, EndpointBehaviour, FailureMode, FleetInput, LatencyInput, RatePoint, RequestTemplate, Scenario, ScenarioEvent, ScenarioValidation, Timed, TrafficInput, UpstreamFleet } from './scenario.js';
export { SCENARIO_KEYS, validateScenario } from './scenario.js';
export { parseSamples, samplesFiles, withSamples } from './samples.js';
export type { RunScenarioOptions } from './run.js';
export { NO_ROUTE, compareScenario, runScenario } from './run.js';
export { compareReports } from './compare.js';
export type { HtmlReportInput, HtmlReportOptions } from './html/from-report.js';
export { renderHtmlReport, toHtmlModel } from './html/from-report.js';
export type { ChartKind, CompareChartKind, HtmlCdf, HtmlEjection, HtmlEvent, HtmlLatencySeries, HtmlReportModel, HtmlRolloutStep, HtmlRun, HtmlSeries, HtmlTable } from './html/model.js';
export { CHART_KINDS, COMPARE_CHART_KINDS } from './html/model.js';
export { REPORT_CSP, renderHtmlModel } from './html/render.js';
