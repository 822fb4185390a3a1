/**
 * Runs a scenario through the real gateway on the fake clock and builds the report.
 *
 * The gateway is `createGateway` from `@switchyard/gateway`, unmodified, with the simulated
 * fleet's transport, the test clock and a seeded rng: every policy, limiter, balancer, outlier
 * detector, retry, hedge and rollout runs as in production. What the report says comes from the
 * gateway's own events (`request`, `limited`, `upstream`, `health`, `rollout`), the traffic
 * generator (client classes) and the fleet's counters; `internal/build-report.ts` summarises
 * them into the report.
 *
 * @packageDocumentation
 */
import { ConfigError, type SyRequest, type Transport } from '@switchyard/core';
import { createGateway, type GatewayConfig, type GatewayEvent, type LimitConfig } from '@switchyard/gateway';
import { createFleet, createTestClock, runLoad, seededRng, type Fleet } from '@switchyard/testing';
import { compareReports } from './compare.js';
import { arrivalGaps, requestMaker, type Generated } from './internal/traffic.js';
import { buildWorld } from './internal/world.js';
import { buildReport, NONE, Observations, type Ejection } from './internal/build-report.js';
import type { ComparisonReport, SimulationReport } from './report.js';
import { validateScenario, type Scenario } from './scenario.js';

/** Options of {@link runScenario}. */
export interface RunScenarioOptions {
  /** Names the config in the report (default `config`). */
  readonly label?: string;
  /** Overrides the scenario's `seed`. */
  readonly seed?: number;
}

/** The name requests that matched no route are reported under. */
export const NO_ROUTE = '(no route)';

/** The tier of `request` under a tiered limit, as the gateway's compiler selects it (compile.ts `compileLimit`). */
function tierOf(limit: LimitConfig | undefined, request: SyRequest, hasPolicies: boolean): string | null {
  const t = limit?.tiers;
  if (t === undefined) return null;
  if (t.attribute !== undefined) {
    const v = request.attributes[t.attribute];
    if (typeof v === 'string') return v;
    // A policy (api-key, jwt) may set the attribute on the way: the generator cannot know.
    if (hasPolicies) return 'unknown';
  }
  for (const m of t.match ?? []) {
    const attrs = Object.entries(m.attributes ?? {}).every(([k, v]) => request.attributes[k] === v);
    const heads = Object.entries(m.headers ?? {}).every(([k, v]) => request.headers[k.toLowerCase()] === v);
    if (attrs && heads) return m.tier;
  }
  return t.default ?? 'unknown';
}
/**
 * Runs `scenario` against `config` and returns the report. Deterministic: the same config,
 * scenario and seed give the same report, byte for byte (`JSON.stringify`).
 *
 * When to use: in tests, to assert what a config does under a scenario (`report.routes[0]
 * .summary.latency.p99Ms`); from the command line, `switchyard simulate` calls it.
 *
 * Gotchas:
 * - The scenario is validated first, then checked against the config (upstream names, endpoint
 *   ids, zones, versions): problems throw one `ConfigError` listing every one by path. An
 *   invalid gateway config throws the gateway's own `ConfigError`.
 * - `empirical` latencies must carry `samplesMs` (see `withSamples`); reading files is the caller's job.
 * - Only configs: custom policy types (code) cannot be simulated; a route using one fails to compile.
 * - Random draws come from three streams forked from the seed: traffic, fleet, gateway. Two
 *   configs on the same scenario get the same arrivals and the same requests.
 *
 * @example
 * ```ts
 * import { runScenario } from '@switchyard/simulate';
 * const report = await runScenario(
 *   { routes: [{ name: 'api', backends: [{ upstream: 'api' }] }], upstreams: { api: { endpoints: [{ id: 'a', url: 'http://a.test' }, { id: 'b', url: 'http://b.test' }] } } },
 *   { name: 'demo', durationSeconds: 5, fleet: { defaults: { latency: 20 } }, traffic: { ratePerSecond: 50 } },
 * );
 * report.routes[0]?.summary.latency.p50Ms; // 20
 * ```
 */
export async function runScenario(config: GatewayConfig, scenarioInput: Scenario, options: RunScenarioOptions = {}): Promise<SimulationReport> {
  const v = validateScenario(scenarioInput);
  if (v.kind === 'invalid') throw new ConfigError([...v.issues]);
  const scenario = v.scenario;
  const world = buildWorld(config, scenario);
  if (world.kind === 'invalid') throw new ConfigError(world.issues);
  const seed = options.seed ?? scenario.seed ?? 1;
  const root = seededRng(seed);
  const trafficRng = root.fork();
  const fleetRng = root.fork();
  const gatewayRng = root.fork();
  const clock = createTestClock();
  const fleet: Fleet = createFleet({ clock, rng: fleetRng, endpoints: world.endpoints.map((w) => w.spec) });
  for (const change of world.changes) clock.setTimer(change.atMs, () => {
    for (const e of change.events) fleet.apply(e);
  });

  const obs = new Observations();
  const upstreamOf = new Map<string, string>(world.endpoints.map((w) => [w.endpoint.id, w.upstream]));
  const hasPolicies = config.policies !== undefined || config.routes.some((r) => (r as { policies?: unknown }).policies !== undefined);
  const onEvent = (e: GatewayEvent): void => {
    switch (e.kind) {
      case 'request':
        obs.requests.push({ atMs: e.at, route: e.route ?? NO_ROUTE, backend: e.backend ?? NONE, endpoint: e.endpoint ?? NONE, status: e.status, latencyMs: e.latencyMs, code: e.code });
        return;
      case 'limited': {
        const g = obs.current;
        obs.limited.push({ atMs: e.at, route: e.route, rule: e.rule, client: g?.client ?? 'unknown', tier: g === undefined ? (config.limits?.[e.rule]?.tiers === undefined ? null : 'unknown') : tierOf(config.limits?.[e.rule], g.request, hasPolicies) });
        return;
      }
      case 'upstream': {
        const f = e.event;
        if (f.kind === 'try') obs.tries.push({ atMs: e.at, route: e.route, endpoint: f.endpoint.id, hedge: f.hedge });
        else if (f.kind === 'retry') obs.retryOf(e.route).retries++;
        else if (f.kind === 'hedge') obs.retryOf(e.route).hedges++;
        else if (f.kind === 'per-try-timeout') obs.retryOf(e.route).perTryTimeouts++;
        else if (f.kind === 'retry-budget-exhausted') obs.retryOf(e.route).budgetExhausted++;
        else if (f.kind === 'retry-overflow') obs.retryOf(e.route).retryOverflow++;
        return;
      }
      case 'health': {
        const h = e.event;
        if (h.kind === 'ejected') obs.ejections.push({ upstream: e.upstream, endpoint: h.endpointId, detector: h.detector, fromMs: h.at, toMs: null });
        else if (h.kind === 'unejected') {
          for (let i = obs.ejections.length - 1; i >= 0; i--) {
            const x = obs.ejections[i] as Ejection;
            if (x.upstream === e.upstream && x.endpoint === h.endpointId && x.toMs === null) {
              x.toMs = h.at;
              break;
            }
          }
        } else if (h.kind === 'unhealthy') {
          const k = `${e.upstream}\u0000${h.endpointId}`;
          obs.unhealthy.set(k, (obs.unhealthy.get(k) ?? 0) + 1);
        }
        return;
      }
      case 'rollout': {
        let list = obs.rollout.get(e.route);
        if (list === undefined) obs.rollout.set(e.route, (list = []));
        // The gateway's monotonic time: a fleet-mode driver stamps its own events with wall time.
        list.push({ atMs: e.at, type: e.event.type, fromPercent: e.event.fromPercent, toPercent: e.event.toPercent, reason: e.event.reason });
        return;
      }
      case 'config-warning':
        obs.warnings.push(`${e.path}: ${e.message}`);
        return;
      default:
        return;
    }
  };
  // Calls to what the fleet does not simulate (a rollout webhook, a remote JWKS) fail as a
  // refused connection, as they would with nothing listening.
  const simulated = new Set(world.endpoints.map((w) => w.endpoint.id));
  const transport: Transport = {
    send: (request, endpoint, opts) =>
      simulated.has(endpoint.id) ? fleet.transport.send(request, endpoint, opts) : Promise.resolve({ kind: 'error', error: 'connect', message: `${endpoint.id} is not part of the simulated fleet` }),
  };
  const gateway = createGateway(config, { transport, clock, rng: gatewayRng, onEvent });
  gateway.start();
  const make = requestMaker(scenario);
  const durationMs = scenario.durationSeconds * 1000;
  const drainMs = (scenario.drainSeconds ?? 60) * 1000;
  let load;
  try {
    load = await runLoad<Generated>({
      clock,
      rng: trafficRng,
      arrivalGapMs: arrivalGaps(scenario),
      durationMs,
      drainMs,
      makeRequest: make,
      // The client's signal is not passed on: the gateway's own deadlines govern, and requests
      // still out when the run ends are counted `incomplete` without an answer.
      handler: (g) => {
        obs.arrivals.push(clock.now());
        obs.current = g;
        let pending: Promise<{ status: number }>;
        try {
          pending = gateway.handle(g.request);
        } finally {
          obs.current = undefined;
        }
        return pending.then((r) => ({ status: r.status }));
      },
    });
  } finally {
    await gateway.stop();
  }
  const endMs = load.endedAt;
  return buildReport({ config, scenario, seed, label: options.label ?? 'config', obs, world: world.endpoints, fleet, upstreamOf, endMs, sent: load.sent, incomplete: load.incomplete, rollouts: gateway.rollouts.status() });
}

/**
 * Runs `scenario` against two configs (same seed, so the same arrivals and requests) and
 * returns both reports and their differences.
 *
 * @example
 * ```ts
 * import { compareScenario } from '@switchyard/simulate';
 * declare const roundRobin: import('@switchyard/gateway').GatewayConfig;
 * declare const peakEwma: import('@switchyard/gateway').GatewayConfig;
 * declare const scenario: import('@switchyard/simulate').Scenario;
 * const cmp = await compareScenario(roundRobin, peakEwma, scenario, { labels: ['round robin', 'peak ewma'] });
 * cmp.differences.filter((d) => d.metric === 'p99Ms');
 * ```
 */
export async function compareScenario(
  configA: GatewayConfig,
  configB: GatewayConfig,
  scenario: Scenario,
  options: { readonly labels?: readonly [string, string]; readonly seed?: number } = {},
): Promise<ComparisonReport> {
  const [la, lb] = options.labels ?? ['A', 'B'];
  const seed = options.seed === undefined ? {} : { seed: options.seed };
  const a = await runScenario(configA, scenario, { label: la, ...seed });
  const b = await runScenario(configB, scenario, { label: lb, ...seed });
  return compareReports(a, b);
}
