import Ajv from 'ajv';
import { describe, expect, it } from 'vitest';
import schema from '../scenario.schema.json' with { type: 'json' };
import { parseSamples, samplesFiles, withSamples } from './samples.js';
import { validateScenario, type Scenario } from './scenario.js';

// The shipped example scenarios are checked against both in examples/scenarios/test/schema.test.ts.
const validateWithSchema = new Ajv({ allErrors: true, strict: false }).compile(schema);

const minimal = { name: 'x', durationSeconds: 10, traffic: { ratePerSecond: 5 } };

const paths = (input: unknown): string[] => {
  const v = validateScenario(input);
  return v.kind === 'valid' ? [] : v.issues.map((i) => i.path);
};

/** Documents both the validator and the schema refuse (the validator says where). */
const INVALID: ReadonlyArray<readonly [string, unknown, readonly string[]]> = [
  ['not an object', [], ['(root)']],
  ['missing keys', {}, ['name', 'durationSeconds', 'traffic']],
  ['unknown top-level key', { ...minimal, durashun: 3 }, ['durashun']],
  ['zero duration', { ...minimal, durationSeconds: 0 }, ['durationSeconds']],
  ['seed not an integer', { ...minimal, seed: 1.5 }, ['seed']],
  ['window below 1 ms', { ...minimal, windowMs: 0 }, ['windowMs']],
  ['latency kind unknown', { ...minimal, fleet: { defaults: { latency: { kind: 'pareto', ms: 1 } } } }, ['fleet.defaults.latency.kind']],
  ['negative latency', { ...minimal, fleet: { upstreams: { api: { latency: -1 } } } }, ['fleet.upstreams.api.latency']],
  ['normal without stdDevMs', { ...minimal, fleet: { defaults: { latency: { kind: 'normal', meanMs: 3 } } } }, ['fleet.defaults.latency.stdDevMs']],
  ['bimodal slowFraction above 1', { ...minimal, fleet: { defaults: { latency: { kind: 'bimodal', fast: 1, slow: 9, slowFraction: 2 } } } }, ['fleet.defaults.latency.slowFraction']],
  ['empirical with neither samples nor file', { ...minimal, fleet: { defaults: { latency: { kind: 'empirical' } } } }, ['fleet.defaults.latency']],
  ['empirical with both', { ...minimal, fleet: { defaults: { latency: { kind: 'empirical', samplesMs: [1], file: 'a' } } } }, ['fleet.defaults.latency']],
  ['error rate above 1 on an endpoint with a dash in its id', { ...minimal, fleet: { upstreams: { api: { endpoints: { 'api-1': { errorRate: 1.5 } } } } } }, ['fleet.upstreams.api.endpoints["api-1"].errorRate']],
  ['maxConcurrent 0', { ...minimal, fleet: { defaults: { maxConcurrent: 0 } } }, ['fleet.defaults.maxConcurrent']],
  ['unknown endpoint key', { ...minimal, fleet: { upstreams: { api: { endpoints: { a: { latencyMs: 3 } } } } } }, ['fleet.upstreams.api.endpoints.a.latencyMs']],
  ['event kind unknown', { ...minimal, events: [{ kind: 'meteor', atSeconds: 1 }] }, ['events[0].kind']],
  ['endpoint-slow without factor', { ...minimal, events: [{ kind: 'endpoint-slow', upstream: 'a', endpoint: 'b', atSeconds: 1 }] }, ['events[0].factor']],
  ['endpoint-failing status without mode status', { ...minimal, events: [{ kind: 'endpoint-failing', upstream: 'a', endpoint: 'b', atSeconds: 1, status: 503 }] }, ['events[0].status']],
  ['zone-outage mode errors', { ...minimal, events: [{ kind: 'zone-outage', zone: 'z', mode: 'errors', atSeconds: 1 }] }, ['events[0].mode']],
  ['version-regression without an effect', { ...minimal, events: [{ kind: 'version-regression', version: 'v2', atSeconds: 1 }] }, ['events[0]']],
  ['event with an unknown key', { ...minimal, events: [{ kind: 'traffic-rate', factor: 2, atSeconds: 1, zone: 'z' }] }, ['events[0].zone']],
  ['rate 0', { ...minimal, traffic: { ratePerSecond: 0 } }, ['traffic.ratePerSecond']],
  ['rate point without perSecond', { ...minimal, traffic: { ratePerSecond: [{ atSeconds: 0 }] } }, ['traffic.ratePerSecond[0].perSecond']],
  ['lower-case method and relative path', { ...minimal, traffic: { ratePerSecond: 1, requests: [{ method: 'get', path: 'x' }] } }, ['traffic.requests[0].method', 'traffic.requests[0].path']],
  ['client without a name, with addresses and addressCount', { ...minimal, traffic: { ratePerSecond: 1, clients: [{ addresses: ['a'], addressCount: 2 }] } }, ['traffic.clients[0].name', 'traffic.clients[0].addressCount']],
  ['apiKeyHeader without apiKeys', { ...minimal, traffic: { ratePerSecond: 1, clients: [{ name: 'c', apiKeyHeader: 'x-key' }] } }, ['traffic.clients[0].apiKeyHeader']],
  ['header value not a string', { ...minimal, traffic: { ratePerSecond: 1, requests: [{ headers: { 'x-a': 1 } }] } }, ['traffic.requests[0].headers["x-a"]']],
];

/** Documents only the validator refuses: rules a JSON Schema cannot state. */
const SEMANTIC: ReadonlyArray<readonly [string, unknown, readonly string[]]> = [
  ['until before at', { ...minimal, events: [{ kind: 'traffic-rate', factor: 2, atSeconds: 5, untilSeconds: 5 }] }, ['events[0].untilSeconds']],
  ['event after the end', { ...minimal, events: [{ kind: 'traffic-rate', factor: 2, atSeconds: 10 }] }, ['events[0].atSeconds']],
  ['rate points out of order, first not at 0', { ...minimal, traffic: { ratePerSecond: [{ atSeconds: 1, perSecond: 1 }, { atSeconds: 1, perSecond: 2 }] } }, ['traffic.ratePerSecond[0].atSeconds', 'traffic.ratePerSecond[1].atSeconds']],
  ['duplicate client names', { ...minimal, traffic: { ratePerSecond: 1, clients: [{ name: 'a' }, { name: 'a' }] } }, ['traffic.clients[1].name']],
];

describe('validateScenario', () => {
  it('accepts a minimal scenario', () => {
    expect(validateScenario(minimal)).toEqual({ kind: 'valid', scenario: minimal });
  });

  it.each(INVALID)('reports every problem by path: %s', (_name, input, expected) => {
    expect(paths(input)).toEqual(expected);
  });

  it.each(SEMANTIC)('checks what the schema cannot: %s', (_name, input, expected) => {
    expect(paths(input)).toEqual(expected);
    expect(validateWithSchema(input)).toBe(true);
  });

  it('reports several problems at once', () => {
    expect(paths({ name: '', durationSeconds: -1, seed: -2, traffic: { ratePerSecond: 'fast' } })).toEqual(['name', 'seed', 'durationSeconds', 'traffic.ratePerSecond']);
  });
});

describe('scenario.schema.json agrees with validateScenario', () => {
  it.each(INVALID)('both refuse: %s', (_name, input) => {
    expect(validateWithSchema(input)).toBe(false);
    expect(validateScenario(input).kind).toBe('invalid');
  });

  it('both accept every latency kind and event kind', () => {
    const every: Scenario = {
      name: 'all',
      description: 'every kind once',
      seed: 9,
      durationSeconds: 30,
      windowMs: 250,
      drainSeconds: 5,
      fleet: {
        defaults: { latency: 5, errorRate: 0.01, errorStatus: 503, maxConcurrent: 4, maxQueue: 10, zone: 'z1' },
        upstreams: {
          a: {
            latency: { kind: 'fixed', ms: 3 },
            endpoints: {
              'a-1': { latency: { kind: 'constant', ms: 3 } },
              'a-2': { latency: { kind: 'normal', meanMs: 10, stdDevMs: 2, minMs: 1 } },
              'a-3': { latency: { kind: 'lognormal', medianMs: 10, sigma: 0.5 } },
              'a-4': { latency: { kind: 'bimodal', fast: 5, slow: { kind: 'empirical', file: 'slow.txt' }, slowFraction: 0.1 } },
              'a-5': { latency: { kind: 'empirical', samplesMs: [1, 2, 3] } },
            },
          },
        },
      },
      events: [
        { kind: 'endpoint-slow', upstream: 'a', endpoint: 'a-1', factor: 3, atSeconds: 1, untilSeconds: 2 },
        { kind: 'endpoint-failing', upstream: 'a', endpoint: 'a-2', atSeconds: 1, errorRate: 0.5 },
        { kind: 'endpoint-failing', upstream: 'a', endpoint: 'a-2', atSeconds: 1, mode: 'status', status: 502 },
        { kind: 'endpoint-failing', upstream: 'a', endpoint: 'a-2', atSeconds: 1, mode: 'blackhole' },
        { kind: 'zone-outage', zone: 'z1', upstream: 'a', mode: 'reset', atSeconds: 3 },
        { kind: 'traffic-rate', factor: 0, atSeconds: 4, untilSeconds: 5 },
        { kind: 'version-regression', version: 'v2', latencyFactor: 2, atSeconds: 6 },
      ],
      traffic: {
        ratePerSecond: [{ atSeconds: 0, perSecond: 10 }, { atSeconds: 10, perSecond: 50 }],
        rateShape: 'linear',
        arrivals: 'constant',
        host: 'api.test',
        scheme: 'https',
        requests: [{ weight: 2, method: 'POST', path: '/a', query: 'q=1', host: 'b.test', headers: { 'x-a': '1' } }],
        clients: [{ name: 'c', weight: 1, addressCount: 4, headers: { 'x-plan': 'pro' }, apiKeys: ['k'], apiKeyHeader: 'authorization', attributes: { tier: 'pro' } }],
      },
    };
    expect(paths(every)).toEqual([]);
    expect(validateWithSchema(every), JSON.stringify(validateWithSchema.errors)).toBe(true);
  });
});

describe('samples files', () => {
  it('parseSamples reads numbers separated by white space, commas or lines, with comments', () => {
    expect(parseSamples('# ms\n12, 15\n13 240 # tail\n\n')).toEqual({ kind: 'valid', samplesMs: [12, 15, 13, 240] });
    expect(parseSamples('1\nfast\n-2')).toEqual({
      kind: 'invalid',
      issues: [
        { path: 'line 2', message: '"fast" is not a latency (a number >= 0)' },
        { path: 'line 3', message: '"-2" is not a latency (a number >= 0)' },
      ],
    });
    expect(parseSamples('# nothing').kind).toBe('invalid');
  });

  it('samplesFiles lists every file with its path; withSamples puts the numbers in', () => {
    const s: Scenario = {
      ...minimal,
      fleet: { defaults: { latency: { kind: 'empirical', file: 'd.txt' } }, upstreams: { 'u-1': { endpoints: { e: { latency: { kind: 'bimodal', fast: 1, slow: { kind: 'empirical', file: 's.txt' }, slowFraction: 0.5 } } } } } },
    };
    expect(samplesFiles(s)).toEqual([
      { path: 'fleet.defaults.latency', file: 'd.txt' },
      { path: 'fleet.upstreams["u-1"].endpoints.e.latency.slow', file: 's.txt' },
    ]);
    const ready = withSamples(s, (f) => (f === 'd.txt' ? [1, 2] : [300]));
    expect(samplesFiles(ready)).toEqual([]);
    expect(ready.fleet?.defaults?.latency).toEqual({ kind: 'empirical', samplesMs: [1, 2] });
    expect(ready.fleet?.upstreams?.['u-1']?.endpoints?.['e']?.latency).toEqual({ kind: 'bimodal', fast: 1, slow: { kind: 'empirical', samplesMs: [300] }, slowFraction: 0.5 });
  });
});
