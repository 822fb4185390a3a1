/**
 * What a simulation run observes (requests, limits, tries, ejections, rollout transitions) and
 * how it becomes the {@link SimulationReport}: per-route, per-version, per-endpoint and
 * per-limit summaries and time series, rollout steps, the applied events and the latency CDFs.
 * `run.ts` fills the observations from the gateway's events; this file only summarises them.
 */
import type { GatewayConfig } from '@switchyard/gateway';
import type { Fleet } from '@switchyard/testing';
import type { Generated } from './traffic.js';
import type { WorldEndpoint } from './world.js';
import { byString, cdfPoints, pct, round3, round6, sorted, sortedRecord, SummaryBuilder } from './stats.js';
import {
  SIMULATION_REPORT_FORMAT,
  type AppliedEvent,
  type CdfSeries,
  type EjectionInterval,
  type EndpointSeries,
  type EndpointSummary,
  type LimitSeries,
  type LimitSummary,
  type RolloutStep,
  type RolloutSummary,
  type RouteSeries,
  type RouteSummary,
  type SimulationReport,
  type VersionSeries,
  type VersionSummary,
} from '../report.js';
import type { Scenario, ScenarioEvent } from '../scenario.js';

/** The backend and endpoint name of a request that reached none. */
export const NONE = '';

export interface RequestRow {
  readonly atMs: number;
  readonly route: string;
  readonly backend: string;
  readonly endpoint: string;
  readonly status: number;
  readonly latencyMs: number;
  readonly code: string | undefined;
}

export interface Ejection {
  readonly upstream: string;
  readonly endpoint: string;
  readonly detector: string;
  readonly fromMs: number;
  toMs: number | null;
}

/** What the run observed, before it is summarised. */
export class Observations {
  readonly requests: RequestRow[] = [];
  readonly limited: Array<{ atMs: number; route: string; rule: string; client: string; tier: string | null }> = [];
  readonly tries: Array<{ atMs: number; route: string; endpoint: string; hedge: boolean }> = [];
  readonly retries = new Map<string, { retries: number; hedges: number; perTryTimeouts: number; budgetExhausted: number; retryOverflow: number }>();
  readonly ejections: Ejection[] = [];
  readonly unhealthy = new Map<string, number>();
  readonly rollout = new Map<string, Array<{ atMs: number; type: string; fromPercent: number; toPercent: number; reason: string }>>();
  readonly warnings: string[] = [];
  readonly arrivals: number[] = [];
  /** The request being handed to the gateway right now (limits decide synchronously). */
  current: Generated | undefined;

  retryOf(route: string): { retries: number; hedges: number; perTryTimeouts: number; budgetExhausted: number; retryOverflow: number } {
    let r = this.retries.get(route);
    if (r === undefined) this.retries.set(route, (r = { retries: 0, hedges: 0, perTryTimeouts: 0, budgetExhausted: 0, retryOverflow: 0 }));
    return r;
  }
}


/** The `phase` after a rollout transition. */
function phaseAfter(type: string, toPercent: number): string {
  switch (type) {
    case 'paused':
      return 'paused';
    case 'rolled-back':
      return 'rolled-back';
    case 'succeeded':
      return 'succeeded';
    case 'aborted':
      return 'aborted';
    default:
      return toPercent >= 100 && type === 'promoted' ? 'succeeded' : 'progressing';
  }
}

function describeEvent(e: ScenarioEvent, durationSeconds: number): AppliedEvent {
  const until = e.untilSeconds === undefined || e.untilSeconds >= durationSeconds ? null : e.untilSeconds;
  switch (e.kind) {
    case 'endpoint-slow':
      return { atSeconds: e.atSeconds, untilSeconds: until, kind: e.kind, target: `upstream ${e.upstream} endpoint ${e.endpoint}`, description: `latency ×${e.factor}` };
    case 'endpoint-failing': {
      const mode = e.mode ?? 'errors';
      return { atSeconds: e.atSeconds, untilSeconds: until, kind: e.kind, target: `upstream ${e.upstream} endpoint ${e.endpoint}`, description: mode === 'errors' ? `error rate ${round6((e.errorRate ?? 1) * 100)} %` : mode === 'status' ? `answers ${e.status ?? 503}` : `${mode} failures` };
    }
    case 'zone-outage':
      return { atSeconds: e.atSeconds, untilSeconds: until, kind: e.kind, target: `zone ${e.zone}${e.upstream === undefined ? '' : ` of upstream ${e.upstream}`}`, description: `${e.mode ?? 'connect'} failures` };
    case 'traffic-rate':
      return { atSeconds: e.atSeconds, untilSeconds: until, kind: e.kind, target: 'traffic', description: `rate ×${e.factor}` };
    case 'version-regression':
      return {
        atSeconds: e.atSeconds,
        untilSeconds: until,
        kind: e.kind,
        target: `version ${e.version}${e.upstream === undefined ? '' : ` of upstream ${e.upstream}`}`,
        description: [e.latencyFactor !== undefined ? `latency ×${e.latencyFactor}` : undefined, e.errorRate !== undefined ? `error rate ${round6(e.errorRate * 100)} %` : undefined].filter((x) => x !== undefined).join(', '),
      };
  }
}

/** What {@link buildReport} summarises: the run's observations and what it ran on. */
export interface BuildInput {
  readonly config: GatewayConfig;
  readonly scenario: Scenario;
  readonly seed: number;
  readonly label: string;
  readonly obs: Observations;
  readonly world: readonly WorldEndpoint[];
  readonly fleet: Fleet;
  readonly upstreamOf: ReadonlyMap<string, string>;
  readonly endMs: number;
  readonly sent: number;
  readonly incomplete: number;
  readonly rollouts: ReadonlyArray<{ readonly name: string; readonly phase: string | undefined; readonly weightPercent: number }>;
}

const key2 = (a: string, b: string): string => `${a}\u0000${b}`;

function group<T>(rows: readonly T[], keyOf: (r: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const r of rows) {
    const k = keyOf(r);
    let l = m.get(k);
    if (l === undefined) m.set(k, (l = []));
    l.push(r);
  }
  return m;
}

export function buildReport(input: BuildInput): SimulationReport {
  const { config, scenario, obs, world, endMs } = input;
  const windowMs = scenario.windowMs ?? 1000;
  const windows = Math.max(1, Math.ceil(Math.max(endMs, scenario.durationSeconds * 1000) / windowMs));
  const win = (ms: number): number => Math.min(windows - 1, Math.floor(ms / windowMs));
  const zeros = (): number[] => new Array<number>(windows).fill(0);

  const summarize = (rows: readonly RequestRow[]): SummaryBuilder => {
    const b = new SummaryBuilder();
    for (const r of rows) b.add(r.status, r.latencyMs, r.code);
    return b;
  };

  // ---- routes and versions
  const byRoute = group(obs.requests, (r) => r.route);
  const routeNames = [...byRoute.keys()].sort(byString);
  const routes: RouteSummary[] = routeNames.map((route) => {
    const rows = byRoute.get(route) as RequestRow[];
    const split = rows.filter((r) => r.backend !== NONE);
    const byVersion = group(split, (r) => r.backend);
    const versions: VersionSummary[] = [...byVersion.keys()].sort(byString).map((version) => ({
      route,
      version,
      summary: summarize(byVersion.get(version) as RequestRow[]).build(),
      sharePercent: round6(((byVersion.get(version) as RequestRow[]).length * 100) / split.length),
    }));
    const r = obs.retries.get(route);
    const tries = obs.tries.filter((t) => t.route === route).length;
    return {
      route,
      summary: summarize(rows).build(),
      retries: {
        tries,
        retries: r?.retries ?? 0,
        hedges: r?.hedges ?? 0,
        perTryTimeouts: r?.perTryTimeouts ?? 0,
        budgetExhausted: r?.budgetExhausted ?? 0,
        retryOverflow: r?.retryOverflow ?? 0,
        retriesPerRequestPercent: rows.length === 0 ? null : round6(((r?.retries ?? 0) * 100) / rows.length),
      },
      versions,
    };
  });

  // ---- endpoints
  const triesByEndpoint = group(obs.tries, (t) => t.endpoint);
  const rowsByEndpoint = group(
    obs.requests.filter((r) => r.endpoint !== NONE),
    (r) => r.endpoint,
  );
  const totalTries = obs.tries.length;
  const stats = input.fleet.allStats();
  const ejectionsOf = (u: string, id: string): Ejection[] => obs.ejections.filter((x) => x.upstream === u && x.endpoint === id);
  const sortedWorld = [...world].sort((a, b) => byString(a.upstream, b.upstream) || byString(a.endpoint.id, b.endpoint.id));
  const endpoints: EndpointSummary[] = sortedWorld.map((w) => {
    const id = w.endpoint.id;
    const tries = triesByEndpoint.get(id)?.length ?? 0;
    const ej = ejectionsOf(w.upstream, id);
    const s = stats[id];
    return {
      upstream: w.upstream,
      endpoint: id,
      zone: w.zone,
      version: w.version,
      tries,
      summary: summarize(rowsByEndpoint.get(id) ?? []).build(),
      serverErrors: s?.errorResponses ?? 0,
      sharePercent: totalTries === 0 ? 0 : round6((tries * 100) / totalTries),
      ejections: ej.length,
      ejectedSeconds: round3(ej.reduce((sum, x) => sum + ((x.toMs ?? endMs) - x.fromMs), 0) / 1000),
      unhealthyTransitions: input.obs.unhealthy.get(key2(w.upstream, id)) ?? 0,
      maxInFlight: s?.maxInFlight ?? 0,
      maxQueued: s?.maxQueued ?? 0,
      queueFullRejections: s?.rejected ?? 0,
    };
  });

  // ---- limits
  const byRule = group(obs.limited, (l) => key2(l.route, l.rule));
  const ruleKeys = [...byRule.keys()].sort(byString);
  const limits: LimitSummary[] = ruleKeys.map((k) => {
    const rows = byRule.get(k) as (typeof obs.limited)[number][];
    const first = rows[0] as (typeof obs.limited)[number];
    const tiers = new Map<string, number>();
    const clients = new Map<string, number>();
    for (const r of rows) {
      if (r.tier !== null) tiers.set(r.tier, (tiers.get(r.tier) ?? 0) + 1);
      clients.set(r.client, (clients.get(r.client) ?? 0) + 1);
    }
    return { route: first.route, rule: first.rule, limited: rows.length, byTier: sortedRecord(tiers), byClient: sortedRecord(clients) };
  });

  // ---- ejections and rollouts
  const ejections: EjectionInterval[] = [...obs.ejections]
    .sort((a, b) => a.fromMs - b.fromMs || byString(a.upstream, b.upstream) || byString(a.endpoint, b.endpoint))
    .map((x) => ({ upstream: x.upstream, endpoint: x.endpoint, detector: x.detector, fromSeconds: round3(x.fromMs / 1000), toSeconds: x.toMs === null ? null : round3(x.toMs / 1000) }));
  const rolloutRoutes = config.routes.filter((r) => r.rollout !== undefined).map((r) => r.name).sort(byString);
  const statusByName = new Map(input.rollouts.map((s) => [s.name, s]));
  const rollouts: RolloutSummary[] = rolloutRoutes.map((route) => {
    const rc = config.routes.find((r) => r.name === route)?.rollout as NonNullable<GatewayConfig['routes'][number]['rollout']>;
    const evs = obs.rollout.get(route) ?? [];
    const steps: RolloutStep[] = evs.map((e) => ({ atSeconds: round3(e.atMs / 1000), type: e.type, fromPercent: e.fromPercent, toPercent: e.toPercent, phase: phaseAfter(e.type, e.toPercent), reason: e.reason }));
    const status = statusByName.get(rc.name);
    const last = steps[steps.length - 1];
    return {
      route,
      name: rc.name,
      canary: rc.canary,
      baseline: rc.baseline,
      finalPhase: status?.phase ?? last?.phase ?? 'progressing',
      finalWeightPercent: status?.weightPercent ?? last?.toPercent ?? 0,
      steps,
    };
  });

  // ---- series
  const timeSeconds = Array.from({ length: windows }, (_, i) => round3((i * windowMs) / 1000));
  const offered = zeros();
  for (const t of obs.arrivals) (offered[win(t)] as number)++;
  const offeredRatePerSecond = offered.map((n) => round3((n * 1000) / windowMs));

  const windowed = (rows: readonly RequestRow[]): { requests: number[]; successRate: (number | null)[]; limited: number[]; p50: (number | null)[]; p90: (number | null)[]; p99: (number | null)[] } => {
    const lat: number[][] = Array.from({ length: windows }, () => []);
    const ok = zeros();
    const limited = zeros();
    for (const r of rows) {
      const i = win(r.atMs);
      (lat[i] as number[]).push(r.latencyMs);
      if (r.status < 500) (ok[i] as number)++;
      if (r.status === 429) (limited[i] as number)++;
    }
    const s = lat.map((l) => sorted(l));
    return {
      requests: lat.map((l) => l.length),
      successRate: lat.map((l, i) => (l.length === 0 ? null : round6((ok[i] as number) / l.length))),
      limited,
      p50: s.map((x) => pct(x, 50)),
      p90: s.map((x) => pct(x, 90)),
      p99: s.map((x) => pct(x, 99)),
    };
  };
  const routeSeries: RouteSeries[] = routeNames.map((route) => {
    const w = windowed(byRoute.get(route) as RequestRow[]);
    return { route, requests: w.requests, successRate: w.successRate, rateLimited: w.limited, p50Ms: w.p50, p90Ms: w.p90, p99Ms: w.p99 };
  });
  const versionSeries: VersionSeries[] = [];
  for (const route of routeNames) {
    const split = (byRoute.get(route) as RequestRow[]).filter((r) => r.backend !== NONE);
    const perWindow = zeros();
    for (const r of split) (perWindow[win(r.atMs)] as number)++;
    const byVersion = group(split, (r) => r.backend);
    for (const version of [...byVersion.keys()].sort(byString)) {
      const w = windowed(byVersion.get(version) as RequestRow[]);
      versionSeries.push({
        route,
        version,
        requests: w.requests,
        successRate: w.successRate,
        sharePercent: w.requests.map((n, i) => ((perWindow[i] as number) === 0 ? null : round6((n * 100) / (perWindow[i] as number)))),
        p50Ms: w.p50,
        p90Ms: w.p90,
        p99Ms: w.p99,
      });
    }
  }
  const upstreamTries = new Map<string, number[]>();
  const endpointSeries: EndpointSeries[] = sortedWorld.map((w) => {
    const tries = zeros();
    for (const t of triesByEndpoint.get(w.endpoint.id) ?? []) (tries[win(t.atMs)] as number)++;
    let ut = upstreamTries.get(w.upstream);
    if (ut === undefined) upstreamTries.set(w.upstream, (ut = zeros()));
    for (let i = 0; i < windows; i++) (ut[i] as number) += tries[i] as number;
    const ejected = new Array<boolean>(windows).fill(false);
    for (const x of ejectionsOf(w.upstream, w.endpoint.id)) {
      const from = win(x.fromMs);
      const to = win(x.toMs ?? endMs);
      for (let i = from; i <= to; i++) ejected[i] = true;
    }
    return { upstream: w.upstream, endpoint: w.endpoint.id, tries, sharePercent: [], ejected };
  });
  const endpointSeriesDone: EndpointSeries[] = endpointSeries.map((s) => {
    const ut = upstreamTries.get(s.upstream) as number[];
    return { ...s, sharePercent: s.tries.map((n, i) => ((ut[i] as number) === 0 ? null : round6((n * 100) / (ut[i] as number)))) };
  });
  const limitSeries: LimitSeries[] = [];
  for (const k of ruleKeys) {
    const rows = byRule.get(k) as (typeof obs.limited)[number][];
    const first = rows[0] as (typeof obs.limited)[number];
    const all = zeros();
    const tiers = new Map<string, number[]>();
    for (const r of rows) {
      const i = win(r.atMs);
      (all[i] as number)++;
      if (r.tier !== null) {
        let t = tiers.get(r.tier);
        if (t === undefined) tiers.set(r.tier, (t = zeros()));
        (t[i] as number)++;
      }
    }
    limitSeries.push({ route: first.route, rule: first.rule, tier: null, limited: all });
    for (const tier of [...tiers.keys()].sort(byString)) limitSeries.push({ route: first.route, rule: first.rule, tier, limited: tiers.get(tier) as number[] });
  }
  const rolloutSeries = rollouts.map((r) => {
    const evs = obs.rollout.get(r.route) ?? [];
    const weight: number[] = [];
    let current = evs.length > 0 ? (evs[0] as (typeof evs)[number]).fromPercent : r.finalWeightPercent;
    let j = 0;
    for (let i = 0; i < windows; i++) {
      const endOfWindow = (i + 1) * windowMs;
      while (j < evs.length && (evs[j] as (typeof evs)[number]).atMs < endOfWindow) current = (evs[j++] as (typeof evs)[number]).toPercent;
      weight.push(current);
    }
    return { route: r.route, weightPercent: weight };
  });

  // ---- CDFs
  const cdfs: CdfSeries[] = [];
  for (const route of routeNames) {
    const rows = byRoute.get(route) as RequestRow[];
    cdfs.push({ route, version: null, ...cdfPoints(sorted(rows.map((r) => r.latencyMs))) });
    const byVersion = group(
      rows.filter((r) => r.backend !== NONE),
      (r) => r.backend,
    );
    for (const version of [...byVersion.keys()].sort(byString)) cdfs.push({ route, version, ...cdfPoints(sorted((byVersion.get(version) as RequestRow[]).map((r) => r.latencyMs))) });
  }

  const events = [...(scenario.events ?? [])].map((e) => describeEvent(e, scenario.durationSeconds)).sort((a, b) => a.atSeconds - b.atSeconds);

  return {
    format: SIMULATION_REPORT_FORMAT,
    label: input.label,
    scenario: {
      name: scenario.name,
      description: scenario.description ?? '',
      seed: input.seed,
      durationSeconds: scenario.durationSeconds,
      windowMs,
      sent: input.sent,
      incomplete: input.incomplete,
      simulatedSeconds: round3(endMs / 1000),
    },
    total: summarize(obs.requests).build(),
    routes,
    endpoints,
    limits,
    ejections,
    rollouts,
    events,
    series: { windowMs, timeSeconds, offeredRatePerSecond, routes: routeSeries, versions: versionSeries, endpoints: endpointSeriesDone, limits: limitSeries, rollouts: rolloutSeries },
    cdfs,
    warnings: [...obs.warnings],
  };
}
