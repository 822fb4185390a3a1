/**
 * The simulated world of a scenario around a gateway config: one simulated endpoint per
 * endpoint of the config's upstreams (behaviour from the scenario), and the scenario's events
 * turned into fleet changes at their instants.
 */
import { createEndpoint, type ConfigIssue, type Endpoint } from '@switchyard/core';
import type { GatewayConfig } from '@switchyard/gateway';
import type { FleetEvent, LatencySpec, SimEndpointSpec } from '@switchyard/testing';
import type { EndpointBehaviour, LatencyInput, Scenario, ScenarioEvent } from '../scenario.js';
import { keyPath } from './path.js';

/** One simulated endpoint and what the report needs to know of it. */
export interface WorldEndpoint {
  readonly upstream: string;
  readonly endpoint: Endpoint;
  readonly zone: string | null;
  readonly version: string | null;
  readonly spec: SimEndpointSpec;
}

/** A fleet condition change at one instant (ms). */
export interface Change {
  readonly atMs: number;
  readonly events: readonly FleetEvent[];
}

function latencySpec(l: LatencyInput, path: string, issues: ConfigIssue[]): LatencySpec {
  if (typeof l === 'number') return l;
  switch (l.kind) {
    case 'fixed':
    case 'constant':
      return { kind: 'constant', ms: l.ms };
    case 'bimodal':
      return { kind: 'bimodal', fast: latencySpec(l.fast, `${path}.fast`, issues), slow: latencySpec(l.slow, `${path}.slow`, issues), slowFraction: l.slowFraction };
    case 'empirical':
      if (l.samplesMs === undefined) {
        issues.push({ path: `${path}.file`, message: 'samples files are read by the caller (the CLI): pass samplesMs (withSamples) to runScenario' });
        return 0;
      }
      return { kind: 'empirical', samplesMs: l.samplesMs };
    default:
      return l;
  }
}

/** Resolves the fleet and checks every name of the scenario against the config. */
export function buildWorld(config: GatewayConfig, scenario: Scenario): { kind: 'ok'; endpoints: WorldEndpoint[]; changes: Change[] } | { kind: 'invalid'; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const fleet = scenario.fleet ?? {};
  const upstreams = config.upstreams ?? {};
  for (const u of Object.keys(fleet.upstreams ?? {})) {
    if (!Object.prototype.hasOwnProperty.call(upstreams, u)) issues.push({ path: keyPath('fleet.upstreams', u), message: `the config has no upstream ${JSON.stringify(u)} (it has ${Object.keys(upstreams).join(', ') || 'none'})` });
  }
  const endpoints: WorldEndpoint[] = [];
  const seen = new Map<string, string>();
  for (const [u, up] of Object.entries(upstreams)) {
    const uf = fleet.upstreams?.[u];
    const ids = new Set<string>();
    (up.endpoints ?? []).forEach((input, i) => {
      const local: ConfigIssue[] = [];
      const endpoint = createEndpoint(input, `${keyPath('upstreams', u)}.endpoints[${i}]`, local);
      if (local.length > 0) return; // the gateway reports it
      ids.add(endpoint.id);
      const other = seen.get(endpoint.id);
      if (other !== undefined) {
        // The same server in two upstreams: one simulated server (its behaviour from the first).
        return;
      }
      seen.set(endpoint.id, u);
      const own = uf?.endpoints?.[endpoint.id];
      const b: EndpointBehaviour = { ...fleet.defaults, ...stripEndpoints(uf), ...own };
      const at = keyPath('fleet.upstreams', u);
      const path = own?.latency !== undefined ? `${keyPath(`${at}.endpoints`, endpoint.id)}.latency` : uf?.latency !== undefined ? `${at}.latency` : 'fleet.defaults.latency';
      const spec: SimEndpointSpec = {
        id: endpoint.id,
        url: endpoint.url,
        ...(b.latency !== undefined ? { latency: latencySpec(b.latency, path, issues) } : {}),
        ...(b.errorRate !== undefined ? { errorRate: b.errorRate } : {}),
        ...(b.errorStatus !== undefined ? { errorStatus: b.errorStatus } : {}),
        ...(b.maxConcurrent !== undefined ? { maxConcurrent: b.maxConcurrent } : {}),
        ...(b.maxQueue !== undefined ? { maxQueue: b.maxQueue } : {}),
      };
      endpoints.push({ upstream: u, endpoint, zone: b.zone ?? endpoint.locality?.zone ?? null, version: endpoint.metadata['version'] ?? null, spec });
    });
    for (const id of Object.keys(uf?.endpoints ?? {})) {
      if (!ids.has(id)) issues.push({ path: keyPath(`${keyPath('fleet.upstreams', u)}.endpoints`, id), message: `upstream ${JSON.stringify(u)} has no endpoint ${JSON.stringify(id)} (it has ${[...ids].join(', ') || 'none'})` });
    }
  }
  if (endpoints.length === 0) issues.push({ path: 'fleet', message: 'the config has no upstream endpoint to simulate' });

  const durationMs = scenario.durationSeconds * 1000;
  const targets = (e: ScenarioEvent, path: string): WorldEndpoint[] => {
    const inUpstream = (u: string | undefined): WorldEndpoint[] => {
      if (u !== undefined && !Object.prototype.hasOwnProperty.call(upstreams, u)) {
        issues.push({ path: `${path}.upstream`, message: `the config has no upstream ${JSON.stringify(u)}` });
        return [];
      }
      return u === undefined ? endpoints : endpoints.filter((w) => w.upstream === u || (upstreams[u]?.endpoints ?? []).some((x) => createEndpoint(x).id === w.endpoint.id));
    };
    switch (e.kind) {
      case 'endpoint-slow':
      case 'endpoint-failing': {
        const list = inUpstream(e.upstream).filter((w) => w.endpoint.id === e.endpoint);
        if (list.length === 0 && Object.prototype.hasOwnProperty.call(upstreams, e.upstream)) issues.push({ path: `${path}.endpoint`, message: `upstream ${JSON.stringify(e.upstream)} has no endpoint ${JSON.stringify(e.endpoint)}` });
        return list;
      }
      case 'zone-outage': {
        const list = inUpstream(e.upstream).filter((w) => w.zone === e.zone);
        if (list.length === 0) issues.push({ path: `${path}.zone`, message: `no simulated endpoint is in zone ${JSON.stringify(e.zone)} (zones: ${[...new Set(endpoints.map((w) => w.zone).filter((z) => z !== null))].join(', ') || 'none'})` });
        return list;
      }
      case 'version-regression': {
        const list = inUpstream(e.upstream).filter((w) => w.version === e.version);
        if (list.length === 0) issues.push({ path: `${path}.version`, message: `no simulated endpoint has metadata.version ${JSON.stringify(e.version)}` });
        return list;
      }
      case 'traffic-rate':
        return [];
    }
  };

  // The condition of each endpoint at each instant where some event starts or ends.
  const scenarioEvents = scenario.events ?? [];
  const touched = scenarioEvents.map((e, i) => targets(e, `events[${i}]`));
  if (issues.length > 0) return { kind: 'invalid', issues };
  const cuts = new Set<number>();
  for (const e of scenarioEvents) {
    if (e.kind === 'traffic-rate') continue;
    cuts.add(e.atSeconds * 1000);
    if (e.untilSeconds !== undefined) cuts.add(e.untilSeconds * 1000);
  }
  interface Condition {
    outage: { mode: 'connect' | 'reset' | 'status' | 'blackhole'; status: number } | undefined;
    slowdown: number;
    errorRate: number;
  }
  const baseCondition = (w: WorldEndpoint): Condition => ({ outage: undefined, slowdown: 1, errorRate: w.spec.errorRate ?? 0 });
  const conditionAt = (w: WorldEndpoint, ms: number): Condition => {
    const c = baseCondition(w);
    let outageFrom = -1;
    scenarioEvents.forEach((e, i) => {
      if (!(touched[i] as WorldEndpoint[]).includes(w)) return;
      const from = e.atSeconds * 1000;
      const until = e.untilSeconds === undefined ? Number.POSITIVE_INFINITY : e.untilSeconds * 1000;
      if (!(from <= ms && ms < until)) return;
      switch (e.kind) {
        case 'endpoint-slow':
          c.slowdown *= e.factor;
          return;
        case 'version-regression':
          if (e.latencyFactor !== undefined) c.slowdown *= e.latencyFactor;
          if (e.errorRate !== undefined) c.errorRate = Math.max(c.errorRate, e.errorRate);
          return;
        case 'endpoint-failing':
        case 'zone-outage': {
          const mode = e.mode ?? (e.kind === 'endpoint-failing' ? 'errors' : 'connect');
          if (mode === 'errors') {
            c.errorRate = Math.max(c.errorRate, e.kind === 'endpoint-failing' ? (e.errorRate ?? 1) : 1);
            return;
          }
          // Overlapping outages: the one that started last decides how the endpoint fails.
          if (from >= outageFrom) {
            outageFrom = from;
            c.outage = { mode, status: e.status ?? 503 };
          }
          return;
        }
        default:
          return;
      }
    });
    return c;
  };
  const changes: Change[] = [];
  const current = new Map<WorldEndpoint, Condition>(endpoints.map((w) => [w, baseCondition(w)]));
  for (const ms of [...cuts].sort((a, b) => a - b)) {
    if (ms >= durationMs + (scenario.drainSeconds ?? 60) * 1000) continue;
    const evs: FleetEvent[] = [];
    for (const w of endpoints) {
      const before = current.get(w) as Condition;
      const after = conditionAt(w, ms);
      const id = w.endpoint.id;
      const outageChanged = JSON.stringify(before.outage) !== JSON.stringify(after.outage);
      if (outageChanged && after.outage === undefined) {
        // `recover` ends the outage and resets slowdown and error rate: put those back.
        evs.push({ atMs: ms, endpointId: id, kind: 'recover' });
        if (after.slowdown !== 1) evs.push({ atMs: ms, endpointId: id, kind: 'slowdown', factor: after.slowdown });
        if (after.errorRate !== (w.spec.errorRate ?? 0)) evs.push({ atMs: ms, endpointId: id, kind: 'error-rate', errorRate: after.errorRate });
      } else {
        if (outageChanged && after.outage !== undefined) evs.push({ atMs: ms, endpointId: id, kind: 'outage', mode: after.outage.mode, status: after.outage.status });
        if (after.slowdown !== before.slowdown) evs.push({ atMs: ms, endpointId: id, kind: 'slowdown', factor: after.slowdown });
        if (after.errorRate !== before.errorRate) evs.push({ atMs: ms, endpointId: id, kind: 'error-rate', errorRate: after.errorRate });
      }
      current.set(w, after);
    }
    if (evs.length > 0) changes.push({ atMs: ms, events: evs });
  }
  return { kind: 'ok', endpoints, changes };
}

function stripEndpoints(u: (EndpointBehaviour & { readonly endpoints?: unknown }) | undefined): EndpointBehaviour {
  if (u === undefined) return {};
  const { endpoints: _ignored, ...rest } = u;
  return rest;
}
