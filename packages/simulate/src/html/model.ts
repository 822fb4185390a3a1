/**
 * The data the HTML report's page draws: a plain, JSON-serialisable view of one simulation run
 * (or of each side of a comparison), already bucketed over time. The page's script reads exactly
 * this shape from the embedded `<script type="application/json">`; `toHtmlModel` builds it from a
 * simulation report.
 * @module
 */

/** One series of values per time bucket (`null` where the bucket has no data). */
export interface HtmlSeries {
  /** Legend name (a version, an endpoint, a rule...). */
  readonly name: string;
  /** One value per entry of the run's `timeS`. */
  readonly values: readonly (number | null)[];
}

/** Latency percentiles of one version per time bucket, in milliseconds. */
export interface HtmlLatencySeries {
  /** The version (subset) name, or the route's name when the route has no versions. */
  readonly name: string;
  readonly p50: readonly (number | null)[];
  readonly p90: readonly (number | null)[];
  readonly p99: readonly (number | null)[];
}

/** An empirical latency CDF: `fraction[i]` of the requests took at most `latencyMs[i]`. */
export interface HtmlCdf {
  /** `route` or `route / version`. */
  readonly name: string;
  /** Ascending latencies in milliseconds. */
  readonly latencyMs: readonly number[];
  /** Non-decreasing fractions in [0, 1], same length as `latencyMs`. */
  readonly fraction: readonly number[];
}

/** One endpoint out of the load-balancing set from `fromS` until `toS` (`null`: until the end). */
export interface HtmlEjection {
  readonly endpoint: string;
  readonly fromS: number;
  readonly toS: number | null;
}

/** One step of a progressive rollout: the canary's weight from `atS` on, and why. */
export interface HtmlRolloutStep {
  readonly atS: number;
  /** The rollout's name (route or split), for scenarios with several. */
  readonly rollout: string;
  readonly weightPercent: number;
  /** `progressing`, `paused`, `promoted`, `aborted`... as the gateway names it. */
  readonly phase: string;
  readonly reason: string;
}

/** A scheduled scenario event (a slow endpoint, an outage, a rate change), shaded on time charts. */
export interface HtmlEvent {
  readonly fromS: number;
  /** `null`: to the end of the run, or an instant (a rate change). */
  readonly toS: number | null;
  /** Short text drawn on the chart (`endpoint-slow catalog-3: latency ×10`). */
  readonly label: string;
}

/** Everything drawn for one run (one config): a simulation has one, a comparison two. */
export interface HtmlRun {
  // Deliberately alike: simulate/src/report.ts (SimulationSeries) — the HTML page's model of a run beside the JSON report's series: a data type's list of readonly fields: alike in shape only, different fields and meanings
  /** The config's label (its file name in a comparison). */
  readonly label: string;
  /** Simulated duration in seconds (the x axis ends here). */
  readonly durationS: number;
  /** Bucket start times in simulated seconds, ascending. */
  readonly timeS: readonly number[];
  /** Latency percentiles per version over time. */
  readonly latency: readonly HtmlLatencySeries[];
  /** Latency percentiles per route over time (what the comparison charts overlay across runs). */
  readonly routeLatency: readonly HtmlLatencySeries[];
  /** Latency CDF per route (what the comparison CDF overlays across runs). */
  readonly routeCdfs: readonly HtmlCdf[];
  /** Latency CDFs per route and version. */
  readonly cdfs: readonly HtmlCdf[];
  /** Share (0..1) of each bucket's requests sent to each endpoint. */
  readonly endpointShare: readonly HtmlSeries[];
  /** Share (0..1) of each bucket's requests served by each version. */
  readonly versionShare: readonly HtmlSeries[];
  /** Outlier-detection ejections. */
  readonly ejections: readonly HtmlEjection[];
  /** Rollout steps, in time order. */
  readonly rollout: readonly HtmlRolloutStep[];
  /** Requests rejected with 429 per bucket, per limiter tier or rule. */
  readonly rejections: readonly HtmlSeries[];
  /** The scenario's scheduled events. */
  readonly events: readonly HtmlEvent[];
}

/** A summary table, rendered as HTML by the server side (readable without the page's script). */
export interface HtmlTable {
  readonly title: string;
  readonly columns: readonly string[];
  /** Cells: strings are shown as written (escaped), numbers formatted. */
  readonly rows: readonly (readonly (string | number | null)[])[];
  /** Index of the run the table belongs to (`null`: the whole report, e.g. a comparison's differences). */
  readonly run: number | null;
  /** `summary`: at the top, before the charts (the headline figures); `details`: after them. */
  readonly placement: 'summary' | 'details';
}

/** The whole page. */
export interface HtmlReportModel {
  readonly title: string;
  /** Key facts shown under the title (scenario, seed, duration, requests...). */
  readonly facts: readonly (readonly [string, string])[];
  /** One run, or the two sides of a comparison, in order. */
  readonly runs: readonly HtmlRun[];
  readonly tables: readonly HtmlTable[];
}

/** The chart kinds the page draws for each run, in page order. */
export const CHART_KINDS = ['latency', 'cdf', 'endpoint-share', 'version-share', 'ejections', 'rollout', 'rejections'] as const;

/** One of {@link CHART_KINDS}. */
export type ChartKind = (typeof CHART_KINDS)[number];

/** The charts that overlay every run on one plot, drawn first when a report has several runs. */
export const COMPARE_CHART_KINDS = ['compare-latency', 'compare-cdf'] as const;

/** One of {@link COMPARE_CHART_KINDS}. */
export type CompareChartKind = (typeof COMPARE_CHART_KINDS)[number];
