/**
 * The scenario format: what a what-if run simulates around an unmodified gateway config. A
 * fleet (the config's upstream endpoints, each with a latency distribution, an error rate, a
 * zone and a worker pool), scheduled events (an endpoint turns slow or fails, a zone goes
 * away, the traffic rate changes, a version regresses) and the traffic (a rate over time, a
 * mix of requests, clients with their addresses, headers and API keys).
 *
 * The JSON Schema `scenario.schema.json` (next to this package's `package.json`) describes the
 * same format for editors; {@link validateScenario} is the authority and reports every problem
 * with its path (`events[2].untilSeconds: must be greater than atSeconds`).
 *
 * @packageDocumentation
 */
import type { ConfigIssue } from '@switchyard/core';
import { keyPath } from './internal/path.js';

/**
 * A latency distribution, ms. A bare number is a fixed latency.
 *
 * - `fixed` (alias `constant`): always `ms`.
 * - `normal`: mean `meanMs`, standard deviation `stdDevMs`, never below `minMs` (default 0).
 * - `lognormal`: median `medianMs`, shape `sigma` (standard deviation of ln(latency); p99 ≈ median·e^(2.326·sigma)).
 * - `bimodal`: `slow` with probability `slowFraction`, else `fast`.
 * - `empirical`: one of `samplesMs` drawn uniformly. In a file, `file` names a samples file
 *   (numbers separated by white space, commas or new lines; `#` comments) that the CLI reads
 *   into `samplesMs`, relative to the scenario file; {@link runScenario} needs `samplesMs`.
 */
export type LatencyInput =
  | number
  | { readonly kind: 'fixed' | 'constant'; readonly ms: number }
  | { readonly kind: 'normal'; readonly meanMs: number; readonly stdDevMs: number; readonly minMs?: number }
  | { readonly kind: 'lognormal'; readonly medianMs: number; readonly sigma: number }
  | { readonly kind: 'bimodal'; readonly fast: LatencyInput; readonly slow: LatencyInput; readonly slowFraction: number }
  | { readonly kind: 'empirical'; readonly samplesMs?: readonly number[]; readonly file?: string };

/** How a simulated endpoint behaves. Every field is optional: an endpoint inherits its upstream's, which inherit the fleet's `defaults`. */
export interface EndpointBehaviour {
  /** Time to answer once served, ms (default 0). */
  readonly latency?: LatencyInput;
  /** Fraction in [0, 1] of requests answered `errorStatus` (default 0). */
  readonly errorRate?: number;
  /** Status of those errors (default 500). */
  readonly errorStatus?: number;
  /** Requests it serves at once (its worker pool; default unlimited); more wait in a FIFO queue. */
  readonly maxConcurrent?: number;
  /** Requests that may wait (default unlimited); beyond it the endpoint answers 503 at once. */
  readonly maxQueue?: number;
  /** The endpoint's zone for `zone-outage` events (default: the config's `locality.zone`). */
  readonly zone?: string;
}

/** One upstream of the fleet: behaviour for all its endpoints, and overrides per endpoint id. */
export interface UpstreamFleet extends EndpointBehaviour {
  /** Per endpoint id of the config's upstream (its `id`, default its URL's origin). Endpoints not listed behave as the upstream says. */
  readonly endpoints?: Readonly<Record<string, EndpointBehaviour>>;
}

/** The simulated servers. Upstreams of the config not listed here behave as `defaults`. */
export interface FleetInput {
  /** Behaviour of every endpoint unless its upstream or itself says otherwise. */
  readonly defaults?: EndpointBehaviour;
  /** By upstream name (the keys of the config's `upstreams`). */
  readonly upstreams?: Readonly<Record<string, UpstreamFleet>>;
}

/** How an endpoint fails: `errors` (answers `errorStatus` with probability `errorRate`), or an outage: `connect` (down: refused), `reset` (accepts then drops), `status` (answers `status` at once), `blackhole` (never answers; only a timeout helps). */
export type FailureMode = 'errors' | 'connect' | 'reset' | 'status' | 'blackhole';

/** When a scheduled event ({@link ScenarioEvent}) is in force. */
export interface Timed {
  /** When it starts, seconds since the start of the run. */
  readonly atSeconds: number;
  /** When it ends, seconds; default: the end of the run. */
  readonly untilSeconds?: number;
}

/** A scheduled change. Events overlap freely; each lasts from `atSeconds` to `untilSeconds`. */
export type ScenarioEvent =
  /** An endpoint's latency is multiplied by `factor`. */
  | (Timed & { readonly kind: 'endpoint-slow'; readonly upstream: string; readonly endpoint: string; readonly factor: number })
  /** An endpoint fails (`mode`, default `errors` with `errorRate` 1). */
  | (Timed & { readonly kind: 'endpoint-failing'; readonly upstream: string; readonly endpoint: string; readonly mode?: FailureMode; readonly errorRate?: number; readonly status?: number })
  /** Every endpoint in `zone` (of `upstream`, or of every upstream) is down (`mode`, default `connect`). */
  | (Timed & { readonly kind: 'zone-outage'; readonly zone: string; readonly upstream?: string; readonly mode?: Exclude<FailureMode, 'errors'>; readonly status?: number })
  /** The traffic rate is multiplied by `factor` (3 = triples). */
  | (Timed & { readonly kind: 'traffic-rate'; readonly factor: number })
  /**
   * The endpoints of one version regress: those with `metadata.version` = `version` (in
   * `upstream`, or any upstream) get slower by `latencyFactor` and/or fail with `errorRate`.
   */
  | (Timed & { readonly kind: 'version-regression'; readonly version: string; readonly upstream?: string; readonly latencyFactor?: number; readonly errorRate?: number });

/** One point of a rate over time. */
export interface RatePoint {
  /** Seconds since the start. */
  readonly atSeconds: number;
  /** Requests per second from here (`step`) or at this point (`linear`: the rate ramps to the next point). */
  readonly perSecond: number;
}

/** One kind of request in the traffic mix. */
export interface RequestTemplate {
  /** Relative share (default 1). */
  readonly weight?: number;
  /** Upper-case method (default `GET`). */
  readonly method?: string;
  /** Path, starting with `/` (default `/`). */
  readonly path?: string;
  /** Query string without `?` (default none). */
  readonly query?: string;
  /** Host (`:authority`; default the traffic's `host`). */
  readonly host?: string;
  /** Request headers (names are lower-cased). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** A class of clients. Each request comes from one class (by `weight`), then one of its addresses and API keys. */
export interface ClientClass {
  /** Names the class in the report (429s per client). */
  readonly name: string;
  /** Relative share of the requests (default 1). */
  readonly weight?: number;
  /** Client addresses (the TCP peer) drawn uniformly. */
  readonly addresses?: readonly string[];
  /** Or this many distinct generated addresses (`10.<class>.x.y`). Default: one address per class. */
  readonly addressCount?: number;
  /** Headers every request of the class carries. */
  readonly headers?: Readonly<Record<string, string>>;
  /** API keys drawn uniformly, sent in `apiKeyHeader`. */
  readonly apiKeys?: readonly string[];
  /** Header carrying the API key (default `x-api-key`). */
  readonly apiKeyHeader?: string;
  /** Request attributes (what an adapter or an auth step upstream of the gateway would set: `identity`, `tier`, …). */
  readonly attributes?: Readonly<Record<string, string>>;
}

/** The traffic the gateway receives. */
export interface TrafficInput {
  /** Requests per second: a constant, or points of a rate over time. */
  readonly ratePerSecond: number | readonly RatePoint[];
  /** Between points: `step` (default; the rate jumps at each point) or `linear` (it ramps). */
  readonly rateShape?: 'step' | 'linear';
  /** `poisson` (default: independent arrivals, exponential gaps) or `constant` (evenly spaced). */
  readonly arrivals?: 'poisson' | 'constant';
  /** Host of every request unless its template says otherwise (default `gateway.test`). */
  readonly host?: string;
  /** `http` (default) or `https`. */
  readonly scheme?: 'http' | 'https';
  /** The request mix (default one `GET /`). */
  readonly requests?: readonly RequestTemplate[];
  /** The client classes (default one class `default` with one address). */
  readonly clients?: readonly ClientClass[];
}

/** A what-if scenario. */
export interface Scenario {
  /** Names the scenario in the report. */
  readonly name: string;
  /** What it shows (free text). */
  readonly description?: string;
  /** Seed of every random draw (default 1): the same seed gives the same report, byte for byte. */
  readonly seed?: number;
  /** How long traffic is sent, seconds. */
  readonly durationSeconds: number;
  /** Width of the report's time-series windows, ms (default 1 000). */
  readonly windowMs?: number;
  /** After the traffic stops, how long requests in flight may still finish, seconds (default 60). */
  readonly drainSeconds?: number;
  /** The simulated servers. */
  readonly fleet?: FleetInput;
  /** Scheduled changes. */
  readonly events?: readonly ScenarioEvent[];
  /** The traffic. */
  readonly traffic: TrafficInput;
}

/** What {@link validateScenario} returns: the scenario, typed, or every problem. */
export type ScenarioValidation = { readonly kind: 'valid'; readonly scenario: Scenario } | { readonly kind: 'invalid'; readonly issues: readonly ConfigIssue[] };

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isFiniteNumber = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const RESERVED = new Set(['__proto__', 'constructor', 'prototype']);

class Checker {
  readonly issues: ConfigIssue[] = [];
  add(path: string, message: string): void {
    this.issues.push({ path, message });
  }
  /** An object with only `known` keys; false (and an issue) when not an object. */
  object(x: unknown, path: string, known: readonly string[]): x is Record<string, unknown> {
    if (!isObject(x)) {
      this.add(path, 'must be an object');
      return false;
    }
    for (const k of Object.keys(x)) if (!known.includes(k)) this.add(keyPath(path, k), `unknown key (expected one of ${known.join(', ')})`);
    return true;
  }
  number(x: unknown, path: string, opts: { min?: number; max?: number; exclusiveMin?: boolean; integer?: boolean } = {}): void {
    if (!isFiniteNumber(x)) return this.add(path, 'must be a finite number');
    if (opts.integer === true && !Number.isInteger(x)) return this.add(path, 'must be an integer');
    if (opts.min !== undefined && (opts.exclusiveMin === true ? !(x > opts.min) : !(x >= opts.min))) return this.add(path, `must be ${opts.exclusiveMin === true ? '>' : '>='} ${opts.min}`);
    if (opts.max !== undefined && !(x <= opts.max)) this.add(path, `must be <= ${opts.max}`);
  }
  string(x: unknown, path: string, nonEmpty = true): void {
    if (typeof x !== 'string' || (nonEmpty && x === '')) this.add(path, nonEmpty ? 'must be a non-empty string' : 'must be a string');
  }
  oneOf(x: unknown, path: string, values: readonly string[]): void {
    if (typeof x !== 'string' || !values.includes(x)) this.add(path, `must be one of ${values.join(', ')}`);
  }
  stringMap(x: unknown, path: string): void {
    if (!isObject(x)) return this.add(path, 'must be an object of strings');
    for (const [k, v] of Object.entries(x)) if (typeof v !== 'string') this.add(keyPath(path, k), 'must be a string');
  }
  map(x: unknown, path: string, each: (value: unknown, path: string, key: string) => void): void {
    if (!isObject(x)) return this.add(path, 'must be an object');
    for (const [k, v] of Object.entries(x)) {
      if (RESERVED.has(k)) this.add(keyPath(path, k), 'is a reserved name');
      else each(v, keyPath(path, k), k);
    }
  }
  array(x: unknown, path: string, each: (value: unknown, path: string, index: number) => void, nonEmpty = false): void {
    if (!Array.isArray(x)) return this.add(path, 'must be an array');
    if (nonEmpty && x.length === 0) return this.add(path, 'must not be empty');
    x.forEach((v, i) => each(v, `${path}[${i}]`, i));
  }
}

const LATENCY_KINDS = ['fixed', 'constant', 'normal', 'lognormal', 'bimodal', 'empirical'] as const;
const FAILURE_MODES = ['errors', 'connect', 'reset', 'status', 'blackhole'] as const;
const OUTAGE_MODES = ['connect', 'reset', 'status', 'blackhole'] as const;
const EVENT_KINDS = ['endpoint-slow', 'endpoint-failing', 'zone-outage', 'traffic-rate', 'version-regression'] as const;
const BEHAVIOUR_KEYS = ['latency', 'errorRate', 'errorStatus', 'maxConcurrent', 'maxQueue', 'zone'] as const;

function checkLatency(c: Checker, x: unknown, path: string): void {
  if (typeof x === 'number') return c.number(x, path, { min: 0 });
  if (!isObject(x)) return c.add(path, `must be a number (ms) or an object with kind ${LATENCY_KINDS.join(' | ')}`);
  const kind = x['kind'];
  switch (kind) {
    case 'fixed':
    case 'constant':
      if (c.object(x, path, ['kind', 'ms'])) c.number(x['ms'], `${path}.ms`, { min: 0 });
      return;
    case 'normal':
      if (!c.object(x, path, ['kind', 'meanMs', 'stdDevMs', 'minMs'])) return;
      c.number(x['meanMs'], `${path}.meanMs`, { min: 0 });
      c.number(x['stdDevMs'], `${path}.stdDevMs`, { min: 0 });
      if (x['minMs'] !== undefined) c.number(x['minMs'], `${path}.minMs`, { min: 0 });
      return;
    case 'lognormal':
      if (!c.object(x, path, ['kind', 'medianMs', 'sigma'])) return;
      c.number(x['medianMs'], `${path}.medianMs`, { min: 0 });
      c.number(x['sigma'], `${path}.sigma`, { min: 0 });
      return;
    case 'bimodal':
      if (!c.object(x, path, ['kind', 'fast', 'slow', 'slowFraction'])) return;
      checkLatency(c, x['fast'], `${path}.fast`);
      checkLatency(c, x['slow'], `${path}.slow`);
      c.number(x['slowFraction'], `${path}.slowFraction`, { min: 0, max: 1 });
      return;
    case 'empirical': {
      if (!c.object(x, path, ['kind', 'samplesMs', 'file'])) return;
      const has = (k: string): boolean => x[k] !== undefined;
      if (has('samplesMs') === has('file')) c.add(path, 'give exactly one of samplesMs and file');
      if (has('samplesMs')) c.array(x['samplesMs'], `${path}.samplesMs`, (v, p) => c.number(v, p, { min: 0 }), true);
      if (has('file')) c.string(x['file'], `${path}.file`);
      return;
    }
    default:
      c.add(`${path}.kind`, `must be one of ${LATENCY_KINDS.join(', ')}`);
  }
}

function checkBehaviour(c: Checker, x: Record<string, unknown>, path: string): void {
  if (x['latency'] !== undefined) checkLatency(c, x['latency'], `${path}.latency`);
  if (x['errorRate'] !== undefined) c.number(x['errorRate'], `${path}.errorRate`, { min: 0, max: 1 });
  if (x['errorStatus'] !== undefined) c.number(x['errorStatus'], `${path}.errorStatus`, { min: 100, max: 599, integer: true });
  if (x['maxConcurrent'] !== undefined) c.number(x['maxConcurrent'], `${path}.maxConcurrent`, { min: 1, integer: true });
  if (x['maxQueue'] !== undefined) c.number(x['maxQueue'], `${path}.maxQueue`, { min: 0, integer: true });
  if (x['zone'] !== undefined) c.string(x['zone'], `${path}.zone`);
}

function checkEvent(c: Checker, x: unknown, path: string, durationSeconds: number | undefined): void {
  if (!isObject(x)) return c.add(path, 'must be an object');
  const kind = x['kind'];
  const timed = ['kind', 'atSeconds', 'untilSeconds'];
  const keys: Record<(typeof EVENT_KINDS)[number], readonly string[]> = {
    'endpoint-slow': [...timed, 'upstream', 'endpoint', 'factor'],
    'endpoint-failing': [...timed, 'upstream', 'endpoint', 'mode', 'errorRate', 'status'],
    'zone-outage': [...timed, 'zone', 'upstream', 'mode', 'status'],
    'traffic-rate': [...timed, 'factor'],
    'version-regression': [...timed, 'version', 'upstream', 'latencyFactor', 'errorRate'],
  };
  if (typeof kind !== 'string' || !(EVENT_KINDS as readonly string[]).includes(kind)) return c.add(`${path}.kind`, `must be one of ${EVENT_KINDS.join(', ')}`);
  const k = kind as (typeof EVENT_KINDS)[number];
  c.object(x, path, keys[k]);
  c.number(x['atSeconds'], `${path}.atSeconds`, { min: 0 });
  if (x['untilSeconds'] !== undefined) {
    c.number(x['untilSeconds'], `${path}.untilSeconds`, { min: 0 });
    if (isFiniteNumber(x['atSeconds']) && isFiniteNumber(x['untilSeconds']) && !(x['untilSeconds'] > x['atSeconds'])) c.add(`${path}.untilSeconds`, 'must be greater than atSeconds');
  }
  if (durationSeconds !== undefined && isFiniteNumber(x['atSeconds']) && x['atSeconds'] >= durationSeconds) c.add(`${path}.atSeconds`, `must be before the end of the run (durationSeconds ${durationSeconds})`);
  switch (k) {
    case 'endpoint-slow':
      c.string(x['upstream'], `${path}.upstream`);
      c.string(x['endpoint'], `${path}.endpoint`);
      c.number(x['factor'], `${path}.factor`, { min: 0, exclusiveMin: true });
      return;
    case 'endpoint-failing': {
      c.string(x['upstream'], `${path}.upstream`);
      c.string(x['endpoint'], `${path}.endpoint`);
      if (x['mode'] !== undefined) c.oneOf(x['mode'], `${path}.mode`, FAILURE_MODES);
      const mode = x['mode'] ?? 'errors';
      if (x['errorRate'] !== undefined) {
        c.number(x['errorRate'], `${path}.errorRate`, { min: 0, max: 1 });
        if (mode !== 'errors') c.add(`${path}.errorRate`, 'only with mode errors');
      }
      if (x['status'] !== undefined) {
        c.number(x['status'], `${path}.status`, { min: 100, max: 599, integer: true });
        if (mode !== 'status') c.add(`${path}.status`, 'only with mode status');
      }
      return;
    }
    case 'zone-outage':
      c.string(x['zone'], `${path}.zone`);
      if (x['upstream'] !== undefined) c.string(x['upstream'], `${path}.upstream`);
      if (x['mode'] !== undefined) c.oneOf(x['mode'], `${path}.mode`, OUTAGE_MODES);
      if (x['status'] !== undefined) {
        c.number(x['status'], `${path}.status`, { min: 100, max: 599, integer: true });
        if (x['mode'] !== 'status') c.add(`${path}.status`, 'only with mode status');
      }
      return;
    case 'traffic-rate':
      c.number(x['factor'], `${path}.factor`, { min: 0 });
      return;
    case 'version-regression':
      c.string(x['version'], `${path}.version`);
      if (x['upstream'] !== undefined) c.string(x['upstream'], `${path}.upstream`);
      if (x['latencyFactor'] !== undefined) c.number(x['latencyFactor'], `${path}.latencyFactor`, { min: 0, exclusiveMin: true });
      if (x['errorRate'] !== undefined) c.number(x['errorRate'], `${path}.errorRate`, { min: 0, max: 1 });
      if (x['latencyFactor'] === undefined && x['errorRate'] === undefined) c.add(path, 'give latencyFactor and/or errorRate');
      return;
  }
}

function checkTraffic(c: Checker, x: unknown, path: string): void {
  if (!c.object(x, path, ['ratePerSecond', 'rateShape', 'arrivals', 'host', 'scheme', 'requests', 'clients'])) return;
  const rate = x['ratePerSecond'];
  if (Array.isArray(rate)) {
    c.array(
      rate,
      `${path}.ratePerSecond`,
      (p, at, i) => {
        if (!c.object(p, at, ['atSeconds', 'perSecond'])) return;
        c.number(p['atSeconds'], `${at}.atSeconds`, { min: 0 });
        c.number(p['perSecond'], `${at}.perSecond`, { min: 0 });
        const prev = i > 0 ? (rate[i - 1] as Record<string, unknown> | undefined) : undefined;
        if (i === 0 && p['atSeconds'] !== 0) c.add(`${at}.atSeconds`, 'the first point must be at 0');
        if (isObject(prev) && isFiniteNumber(prev['atSeconds']) && isFiniteNumber(p['atSeconds']) && !(p['atSeconds'] > prev['atSeconds'])) c.add(`${at}.atSeconds`, 'must be greater than the previous point');
      },
      true,
    );
  } else c.number(rate, `${path}.ratePerSecond`, { min: 0, exclusiveMin: true });
  if (x['rateShape'] !== undefined) c.oneOf(x['rateShape'], `${path}.rateShape`, ['step', 'linear']);
  if (x['arrivals'] !== undefined) c.oneOf(x['arrivals'], `${path}.arrivals`, ['poisson', 'constant']);
  if (x['host'] !== undefined) c.string(x['host'], `${path}.host`);
  if (x['scheme'] !== undefined) c.oneOf(x['scheme'], `${path}.scheme`, ['http', 'https']);
  if (x['requests'] !== undefined) {
    c.array(
      x['requests'],
      `${path}.requests`,
      (r, at) => {
        if (!c.object(r, at, ['weight', 'method', 'path', 'query', 'host', 'headers'])) return;
        if (r['weight'] !== undefined) c.number(r['weight'], `${at}.weight`, { min: 0, exclusiveMin: true });
        if (r['method'] !== undefined && (typeof r['method'] !== 'string' || !/^[A-Z]+$/.test(r['method']))) c.add(`${at}.method`, 'must be an upper-case HTTP method');
        if (r['path'] !== undefined && (typeof r['path'] !== 'string' || !r['path'].startsWith('/'))) c.add(`${at}.path`, 'must be a string starting with /');
        if (r['query'] !== undefined) c.string(r['query'], `${at}.query`, false);
        if (r['host'] !== undefined) c.string(r['host'], `${at}.host`);
        if (r['headers'] !== undefined) c.stringMap(r['headers'], `${at}.headers`);
      },
      true,
    );
  }
  if (x['clients'] !== undefined) {
    const names = new Set<string>();
    c.array(
      x['clients'],
      `${path}.clients`,
      (cl, at) => {
        if (!c.object(cl, at, ['name', 'weight', 'addresses', 'addressCount', 'headers', 'apiKeys', 'apiKeyHeader', 'attributes'])) return;
        c.string(cl['name'], `${at}.name`);
        if (typeof cl['name'] === 'string') {
          if (names.has(cl['name'])) c.add(`${at}.name`, `duplicate client name ${JSON.stringify(cl['name'])}`);
          names.add(cl['name']);
        }
        if (cl['weight'] !== undefined) c.number(cl['weight'], `${at}.weight`, { min: 0, exclusiveMin: true });
        if (cl['addresses'] !== undefined) c.array(cl['addresses'], `${at}.addresses`, (a, p) => c.string(a, p), true);
        if (cl['addressCount'] !== undefined) c.number(cl['addressCount'], `${at}.addressCount`, { min: 1, max: 65_536, integer: true });
        if (cl['addresses'] !== undefined && cl['addressCount'] !== undefined) c.add(`${at}.addressCount`, 'give addresses or addressCount, not both');
        if (cl['headers'] !== undefined) c.stringMap(cl['headers'], `${at}.headers`);
        if (cl['apiKeys'] !== undefined) c.array(cl['apiKeys'], `${at}.apiKeys`, (a, p) => c.string(a, p), true);
        if (cl['apiKeyHeader'] !== undefined) {
          c.string(cl['apiKeyHeader'], `${at}.apiKeyHeader`);
          if (cl['apiKeys'] === undefined) c.add(`${at}.apiKeyHeader`, 'only with apiKeys');
        }
        if (cl['attributes'] !== undefined) c.stringMap(cl['attributes'], `${at}.attributes`);
      },
      true,
    );
  }
}

/** The keys a scenario document may have at the top level. */
export const SCENARIO_KEYS = ['name', 'description', 'seed', 'durationSeconds', 'windowMs', 'drainSeconds', 'fleet', 'events', 'traffic'] as const;

/**
 * Checks a parsed scenario document (from YAML or JSON) and reports every problem with its
 * path. It checks the scenario alone; names that refer to the gateway config (upstreams,
 * endpoint ids, zones, versions) are checked by {@link runScenario} against the config.
 *
 * When to use: before {@link runScenario} on anything read from a file (the CLI does).
 *
 * @example
 * ```ts
 * import { validateScenario } from '@switchyard/simulate';
 * const v = validateScenario({ name: 'x', durationSeconds: 0, traffic: { ratePerSecond: 10 } });
 * v.kind; // 'invalid'
 * v.kind === 'invalid' && v.issues[0]?.path; // 'durationSeconds'
 * ```
 */
export function validateScenario(input: unknown): ScenarioValidation {
  const c = new Checker();
  if (!c.object(input, '', SCENARIO_KEYS)) return { kind: 'invalid', issues: [{ path: '(root)', message: 'must be an object' }] };
  const x = input;
  c.string(x['name'], 'name');
  if (x['description'] !== undefined) c.string(x['description'], 'description', false);
  if (x['seed'] !== undefined) c.number(x['seed'], 'seed', { min: 0, max: 2 ** 32 - 1, integer: true });
  c.number(x['durationSeconds'], 'durationSeconds', { min: 0, exclusiveMin: true, max: 86_400 });
  if (x['windowMs'] !== undefined) c.number(x['windowMs'], 'windowMs', { min: 1, integer: true });
  if (isFiniteNumber(x['windowMs']) && isFiniteNumber(x['durationSeconds']) && x['windowMs'] >= 1 && (x['durationSeconds'] * 1000) / x['windowMs'] > 100_000) c.add('windowMs', 'gives more than 100 000 windows: make it wider');
  if (x['drainSeconds'] !== undefined) c.number(x['drainSeconds'], 'drainSeconds', { min: 0 });
  if (x['fleet'] !== undefined && c.object(x['fleet'], 'fleet', ['defaults', 'upstreams'])) {
    const f = x['fleet'];
    if (f['defaults'] !== undefined && c.object(f['defaults'], 'fleet.defaults', BEHAVIOUR_KEYS)) checkBehaviour(c, f['defaults'], 'fleet.defaults');
    if (f['upstreams'] !== undefined)
      c.map(f['upstreams'], 'fleet.upstreams', (u, at) => {
        if (!c.object(u, at, [...BEHAVIOUR_KEYS, 'endpoints'])) return;
        checkBehaviour(c, u, at);
        if (u['endpoints'] !== undefined)
          c.map(u['endpoints'], `${at}.endpoints`, (e, ep) => {
            if (c.object(e, ep, BEHAVIOUR_KEYS)) checkBehaviour(c, e, ep);
          });
      });
  }
  const duration = isFiniteNumber(x['durationSeconds']) ? x['durationSeconds'] : undefined;
  if (x['events'] !== undefined) c.array(x['events'], 'events', (e, at) => checkEvent(c, e, at, duration));
  if (x['traffic'] === undefined) c.add('traffic', 'is required');
  else checkTraffic(c, x['traffic'], 'traffic');
  return c.issues.length > 0 ? { kind: 'invalid', issues: c.issues } : { kind: 'valid', scenario: x as unknown as Scenario };
}
