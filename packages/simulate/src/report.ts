/**
 * The JSON report of a simulation run ({@link SimulationReport}) and of a comparison of two
 * configs on the same scenario ({@link ComparisonReport}).
 *
 * Design rules, so that the report can be plotted and asserted on without post-processing:
 * - Plain JSON data: no `Map`, no `undefined` values, no `NaN` or `Infinity` (a statistic with no
 *   samples is `null`). `JSON.parse(JSON.stringify(report))` deep-equals `report`.
 * - Units in field names (`…Ms`, `…Seconds`, `…Percent`); times are seconds since the start of
 *   the simulation (the scenario's t = 0), latencies milliseconds.
 * - Summaries are arrays sorted by their keys (route, then version, then endpoint), so that the
 *   same run gives the same bytes.
 * - Time series are column-oriented: `series.timeSeconds[i]` is the start of window `i`, and every
 *   per-window array in `series` has exactly `series.timeSeconds.length` entries (a chart library
 *   takes the columns as they are).
 *
 * What counts as what:
 * - A *request* is one downstream request the traffic generator sent; it ends with one status
 *   (the gateway's answer) after any number of upstream tries.
 * - *Success* follows Linkerd's success rate: a response with status < 500. 429s are counted apart
 *   (`rateLimited`) and are successes in that sense (the gateway answered as configured); use
 *   `statusCounts` for any other definition.
 * - *Latency* is the client's view: from the request's arrival at the gateway to its answer,
 *   every try, backoff and queueing included.
 * - A *version* is a route's backend (its `name`, default the upstream name plus subset values):
 *   what splits and rollouts weigh.
 *
 * @packageDocumentation
 */

/** The `format` of a {@link SimulationReport}; it changes when a field changes meaning. */
export const SIMULATION_REPORT_FORMAT = 'switchyard.simulation/v1';

/** The `format` of a {@link ComparisonReport}. */
export const COMPARISON_REPORT_FORMAT = 'switchyard.simulation-comparison/v1';

/** Latency statistics of a set of requests, in milliseconds. Every field is `null` when `count` is 0. */
export interface LatencyStats {
  /** Requests the statistics are over. */
  readonly count: number;
  /** Fastest answer, ms. */
  readonly minMs: number | null;
  /** Arithmetic mean, ms. */
  readonly meanMs: number | null;
  /** Median (nearest-rank), ms. */
  readonly p50Ms: number | null;
  /** 90th percentile (nearest-rank), ms. */
  readonly p90Ms: number | null;
  /** 99th percentile (nearest-rank), ms. */
  readonly p99Ms: number | null;
  /** 99.9th percentile (nearest-rank), ms. */
  readonly p999Ms: number | null;
  /** Slowest answer, ms. */
  readonly maxMs: number | null;
}

/** Outcome counts and latency of a set of requests. */
export interface RequestSummary {
  /** Requests that ended (every status, gateway refusals included). */
  readonly requests: number;
  /** Requests answered with a status < 500 (Linkerd's success rate numerator). */
  readonly successes: number;
  /** `successes / requests` in [0, 1]; `null` with no requests. */
  readonly successRate: number | null;
  /** Requests answered 429 (a rate limit refused them). */
  readonly rateLimited: number;
  /** Requests by status, keys are the status as a string (`"200"`, `"503"`), sorted. */
  readonly statusCounts: Readonly<Record<string, number>>;
  /**
   * Requests by the error code of the gateway's `request` event, sorted: the answers of the
   * forwarding stage (`SY_DEADLINE_EXCEEDED`, `SY_UPSTREAM_CONNECT`, `SY_NO_ENDPOINT`,
   * `SY_OVERLOADED`, …). Answers given before forwarding (429s, policy refusals, 404s) carry no
   * code here: count them by status.
   */
  readonly errorCodes: Readonly<Record<string, number>>;
  /** Latency of every request counted in `requests`. */
  readonly latency: LatencyStats;
}

/** Retries, hedges and the retry budget on one route. */
export interface RetrySummary {
  /** Upstream tries sent (first tries, retries and hedges). */
  readonly tries: number;
  /** Retries sent (tries after the first, not hedges). */
  readonly retries: number;
  /** Hedged tries sent. */
  readonly hedges: number;
  /** Tries ended by the per-try timeout. */
  readonly perTryTimeouts: number;
  /** Retries refused because the retry budget was spent (tower / Linkerd budget). */
  readonly budgetExhausted: number;
  /** Retries refused because the upstream's retry slots (`resourceLimits.maxRetries`) were all taken. */
  readonly retryOverflow: number;
  /** `retries / requests` as a percentage: compare it with the budget's `percent` (`null` with no requests). */
  readonly retriesPerRequestPercent: number | null;
}

/** One version (backend) of one route. */
export interface VersionSummary {
  /** Route name. */
  readonly route: string;
  /** Backend name (the version). */
  readonly version: string;
  /** Requests, successes and latency of the requests the split sent to this version. */
  readonly summary: RequestSummary;
  /** Share of the route's split requests that went to this version, percent (0-100). */
  readonly sharePercent: number;
}

/** 429s of one limit rule on one route, and per tier for tiered limits. */
export interface LimitSummary {
  // Deliberately alike: testing/src/sim/load.ts LoadStats — only the shape of documented readonly fields is shared, no logic.
  /** Route name. */
  readonly route: string;
  /** Limit name (the key of the config's `limits`). */
  readonly rule: string;
  /** Requests this rule refused (429). */
  readonly limited: number;
  /**
   * Refusals by tier, for a tiered limit whose tier the simulator can tell from the request
   * (`match` rules on headers, or the `default`); tiers read from an attribute set by a policy
   * are counted under `"unknown"`. Empty for a limit without tiers.
   */
  readonly byTier: Readonly<Record<string, number>>;
  /** Refusals by the scenario's traffic client (its `name`), sorted. */
  readonly byClient: Readonly<Record<string, number>>;
}

/** One route. */
export interface RouteSummary {
  /** Route name (`routes[].name` of the config). */
  readonly route: string;
  /** Every request the router matched to this route. */
  readonly summary: RequestSummary;
  /** Retries and hedges. */
  readonly retries: RetrySummary;
  /** One entry per version the split sent requests to, sorted by name. */
  readonly versions: readonly VersionSummary[];
}

/** One endpoint of one upstream. */
export interface EndpointSummary {
  /** Upstream name (the key of the config's `upstreams`). */
  readonly upstream: string;
  /** Endpoint id (the config's `id`, default its URL's origin). */
  readonly endpoint: string;
  /** The endpoint's zone (`locality.zone`), `null` when it has none. */
  readonly zone: string | null;
  /** The endpoint's `metadata.version`, `null` when it has none. */
  readonly version: string | null;
  /** Tries the gateway sent to it (first tries, retries and hedges). */
  readonly tries: number;
  /** Requests whose final answer came from this endpoint: their status and end-to-end latency. */
  readonly summary: RequestSummary;
  /** 5xx answers the endpoint itself sent (before any retry elsewhere), queue-full 503s included. */
  readonly serverErrors: number;
  /** Share of all tries that went to this endpoint, percent. */
  readonly sharePercent: number;
  /** Times the outlier detector ejected it. */
  readonly ejections: number;
  /** Total time it spent ejected during the run, seconds. */
  readonly ejectedSeconds: number;
  /** Times active health checking marked it unhealthy. */
  readonly unhealthyTransitions: number;
  /** Most requests it served at once (the simulated server's view). */
  readonly maxInFlight: number;
  /** Longest queue it had (requests waiting for a worker). */
  readonly maxQueued: number;
  /** Requests it refused because its queue was full (503). */
  readonly queueFullRejections: number;
}

/** An interval during which an endpoint was ejected by outlier detection. */
export interface EjectionInterval {
  /** Upstream name. */
  readonly upstream: string;
  /** Endpoint id. */
  readonly endpoint: string;
  /** Which detector ejected it (`consecutive-5xx`, `success-rate`, `failure-percentage`, …). */
  readonly detector: string;
  /** When it was ejected, seconds since the start. */
  readonly fromSeconds: number;
  /** When it returned, seconds since the start; `null` when still ejected at the end of the run. */
  readonly toSeconds: number | null;
}

/** One transition of a progressive rollout. */
export interface RolloutStep {
  /** When, seconds since the start. */
  readonly atSeconds: number;
  /** What happened (`started`, `promoted`, `held`, `check-failed`, `inconclusive`, `paused`, `rolled-back`, `succeeded`, `aborted`, `retried`). */
  readonly type: string;
  /** Canary weight before, percent. */
  readonly fromPercent: number;
  /** Canary weight after, percent. */
  readonly toPercent: number;
  /** The rollout phase after the transition. */
  readonly phase: string;
  /** Why, in the rollout's own words (the analysis figures that decided it). */
  readonly reason: string;
}

/** One route's progressive rollout. */
export interface RolloutSummary {
  /** Route name. */
  readonly route: string;
  /** Rollout name (`routes[].rollout.name`). */
  readonly name: string;
  /** Canary backend name. */
  readonly canary: string;
  /** Baseline backend name. */
  readonly baseline: string;
  /** Phase at the end of the run (`progressing`, `paused`, `succeeded`, `rolled-back`, `aborted`, `waiting`). */
  readonly finalPhase: string;
  /** Canary weight at the end of the run, percent. */
  readonly finalWeightPercent: number;
  /** Every transition, in order. */
  readonly steps: readonly RolloutStep[];
}

/** A scheduled scenario event, as applied (a marker for timelines). */
export interface AppliedEvent {
  /** When it started, seconds since the start. */
  readonly atSeconds: number;
  /** When it ended, seconds since the start; `null` when it lasts to the end (or is instantaneous, e.g. a rate change). */
  readonly untilSeconds: number | null;
  /** Event kind (`endpoint-slow`, `endpoint-failing`, `zone-outage`, `traffic-rate`, `version-regression`, …). */
  readonly kind: string;
  /** What it touched, in words (`upstream api endpoint api-2`, `zone eu-west-1b`, `version v2`). */
  readonly target: string;
  /** One-line description (`latency ×10`, `error rate 30 %`, `rate 300/s`). */
  readonly description: string;
}

/** Per-window latency and counts of one version of one route. */
export interface VersionSeries {
  /** Route name. */
  readonly route: string;
  /** Backend name. */
  readonly version: string;
  /** Requests that ended in each window. */
  readonly requests: readonly number[];
  /** Success rate in each window, [0, 1]; `null` for an empty window. */
  readonly successRate: readonly (number | null)[];
  /** Share of the route's split requests in each window, percent; `null` when the route had none. */
  readonly sharePercent: readonly (number | null)[];
  /** Median latency per window, ms (`null`: empty window). */
  readonly p50Ms: readonly (number | null)[];
  /** 90th percentile latency per window, ms. */
  readonly p90Ms: readonly (number | null)[];
  /** 99th percentile latency per window, ms. */
  readonly p99Ms: readonly (number | null)[];
}

/** Per-window latency and counts of one route. */
export interface RouteSeries {
  /** Route name. */
  readonly route: string;
  /** Requests that ended in each window (every status). */
  readonly requests: readonly number[];
  /** Success rate per window, [0, 1]; `null` for an empty window. */
  readonly successRate: readonly (number | null)[];
  /** 429s per window. */
  readonly rateLimited: readonly number[];
  /** Median latency per window, ms. */
  readonly p50Ms: readonly (number | null)[];
  /** 90th percentile latency per window, ms. */
  readonly p90Ms: readonly (number | null)[];
  /** 99th percentile latency per window, ms. */
  readonly p99Ms: readonly (number | null)[];
}

/** Per-window traffic of one endpoint. */
export interface EndpointSeries {
  /** Upstream name. */
  readonly upstream: string;
  /** Endpoint id. */
  readonly endpoint: string;
  /** Tries sent to it in each window. */
  readonly tries: readonly number[];
  /** Its share of its upstream's tries in each window, percent; `null` when the upstream had none. */
  readonly sharePercent: readonly (number | null)[];
  /** Whether it was ejected at any time during each window. */
  readonly ejected: readonly boolean[];
}

/** Per-window 429s of one rule, optionally one tier. */
export interface LimitSeries {
  /** Route name. */
  readonly route: string;
  /** Limit name. */
  readonly rule: string;
  /** Tier name, `null` for the rule's total. */
  readonly tier: string | null;
  /** 429s in each window. */
  readonly limited: readonly number[];
}

/** Per-window canary weight of one rollout. */
export interface RolloutSeries {
  /** Route name. */
  readonly route: string;
  /** Canary weight at the end of each window, percent. */
  readonly weightPercent: readonly number[];
}

/** Every time series of a run, in fixed windows. */
export interface SimulationSeries {
  // Deliberately alike: simulate/src/html/model.ts (HtmlRun) — the JSON report's series beside the HTML page's model: a data type's list of readonly fields: alike in shape only, different fields and meanings
  /** Window length, ms. */
  readonly windowMs: number;
  /** Start of each window, seconds since the start of the run. */
  readonly timeSeconds: readonly number[];
  /** Offered load per window: requests the traffic generator sent, per second. */
  readonly offeredRatePerSecond: readonly number[];
  /** One per route, sorted by route. */
  readonly routes: readonly RouteSeries[];
  /** One per (route, version), sorted. */
  readonly versions: readonly VersionSeries[];
  /** One per (upstream, endpoint), sorted. */
  readonly endpoints: readonly EndpointSeries[];
  /** One per (route, rule) with `tier: null`, and one per tier of a tiered rule; sorted. Only rules that refused something. */
  readonly limits: readonly LimitSeries[];
  /** One per route with a rollout, sorted. */
  readonly rollouts: readonly RolloutSeries[];
}

/** Points of an empirical latency CDF (cumulative distribution function). */
export interface CdfSeries {
  // Deliberately alike: core/src/pipeline.ts (CompiledPipeline), SimulationReport below — a data type's list of readonly fields: alike in shape only, different fields and meanings
  /** Route name. */
  readonly route: string;
  /** Backend name; `null` for the whole route. */
  readonly version: string | null;
  /** Latencies, ms, ascending. */
  readonly latencyMs: readonly number[];
  /** Fraction of requests at or below `latencyMs[i]`, in (0, 1], ascending; the last is 1. */
  readonly fraction: readonly number[];
}

/** What was simulated. */
export interface ScenarioInfo {
  /** The scenario's `name`. */
  readonly name: string;
  /** The scenario's `description` (empty when it has none). */
  readonly description: string;
  /** The seed of every random draw (arrivals, latencies, errors, the gateway's rng). */
  readonly seed: number;
  /** Length of the traffic, seconds (requests still in flight at its end are given up to `drainSeconds` more). */
  readonly durationSeconds: number;
  /** Window of the time series, ms. */
  readonly windowMs: number;
  /** Requests sent by the traffic generator. */
  readonly sent: number;
  /** Requests still unanswered when the run ended (after the drain); not in any summary. */
  readonly incomplete: number;
  /** Simulated time the run took, traffic and drain, seconds. */
  readonly simulatedSeconds: number;
}

/** The report of one simulation run: see the module documentation for the conventions. */
export interface SimulationReport {
  // Deliberately alike: CdfSeries above — a data type's list of readonly fields: alike in shape only, different fields and meanings
  /** Always {@link SIMULATION_REPORT_FORMAT}. */
  readonly format: typeof SIMULATION_REPORT_FORMAT;
  /** A label for the config (its file name, or `A`/`B` in a comparison). */
  readonly label: string;
  /** The scenario that was run. */
  readonly scenario: ScenarioInfo;
  /** Every request of the run. */
  readonly total: RequestSummary;
  /** One per route that received requests, sorted by name; requests no route matched are under `"(no route)"`. */
  readonly routes: readonly RouteSummary[];
  /** One per endpoint of every upstream the scenario's fleet simulates, sorted by upstream then endpoint. */
  readonly endpoints: readonly EndpointSummary[];
  /** One per (route, rule) that refused at least one request, sorted. */
  readonly limits: readonly LimitSummary[];
  /** Every outlier ejection, in time order. */
  readonly ejections: readonly EjectionInterval[];
  /** One per route with a progressive rollout, sorted by route. */
  readonly rollouts: readonly RolloutSummary[];
  /** The scenario's scheduled events, in time order. */
  readonly events: readonly AppliedEvent[];
  /** Time series in windows of `scenario.windowMs`. */
  readonly series: SimulationSeries;
  /** Latency CDFs per route and per (route, version), at most a few hundred points each. */
  readonly cdfs: readonly CdfSeries[];
  /** Config warnings the gateway reported when it compiled the config (`path: message`). */
  readonly warnings: readonly string[];
}

/** One figure of A against B. */
export interface Difference {
  /** What is compared, as a path into the report (`routes[api].summary.latency.p99Ms`). */
  readonly path: string;
  /** Route, version or endpoint it belongs to, in words (`route api`, `route api version v2`, `endpoint api/api-1`, `total`). */
  readonly subject: string;
  /** The figure's name (`p99Ms`, `successRate`, `rateLimited`, `ejections`, …). */
  readonly metric: string;
  /** Value in report A (`null`: no value, e.g. no requests). */
  readonly a: number | null;
  /** Value in report B. */
  readonly b: number | null;
  /** `b - a` (`null` when either is `null`). */
  readonly delta: number | null;
  /** `(b - a) / |a|` as a percentage (`null` when either is `null` or `a` is 0). */
  readonly deltaPercent: number | null;
  /** For the reader: `better`, `worse` or `same` for B relative to A (lower latency, higher success rate, fewer 429s and ejections are better); `changed` when no direction is better. */
  readonly verdict: 'better' | 'worse' | 'same' | 'changed';
}

/** Two configs run on the same seeded scenario, and their differences. */
export interface ComparisonReport {
  /** Always {@link COMPARISON_REPORT_FORMAT}. */
  readonly format: typeof COMPARISON_REPORT_FORMAT;
  /** The report of the first config (`a.label` names it). */
  readonly a: SimulationReport;
  /** The report of the second config. */
  readonly b: SimulationReport;
  /** Key figures of A and B side by side: totals, then per route, version, endpoint and rule; sorted as the reports. */
  readonly differences: readonly Difference[];
}
