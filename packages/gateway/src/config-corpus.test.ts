import { isSwitchyardError, type ConfigIssue } from '@switchyard/core';
import { createMockTransport, createTestClock } from '@switchyard/testing';
import { describe, expect, it } from 'vitest';
import type { GatewayConfig } from './config.js';
import { createGateway } from './gateway.js';

const U = { endpoints: [{ id: 'a', url: 'http://10.0.0.1:80' }] };
const R = { name: 'r', matches: [{ path: { type: 'PathPrefix', value: '/' } }], backends: [{ upstream: 'u' }] };
const ok = (over: Record<string, unknown> = {}, route: Record<string, unknown> = {}, upstream: Record<string, unknown> = {}): unknown => ({
  routes: [{ ...R, ...route }],
  upstreams: { u: { ...U, ...upstream } },
  ...over,
});

/** [description, config, expected path, expected message fragment] */
const CORPUS: ReadonlyArray<readonly [string, unknown, string, RegExp]> = [
  ['routes missing', { upstreams: {} }, 'routes', /required|array/],
  ['upstreams missing', { routes: [] }, 'upstreams', /required|object/],
  ['route without a name', ok({}, { name: '' }), 'routes[0].name', /non-empty/],
  ['duplicate route names', { routes: [R, R], upstreams: { u: U } }, 'routes[1].name', /duplicate route name/],
  ['unknown upstream', ok({}, { backends: [{ upstream: 'nope' }] }), 'routes[0].backends[0].upstream', /unknown upstream "nope"/],
  ['negative weight', ok({}, { backends: [{ upstream: 'u', weight: -1 }] }), 'routes[0].backends[0].weight', /must be >= 0/],
  ['fractional weight', ok({}, { backends: [{ upstream: 'u', weight: 1.5 }] }), 'routes[0].backends[0].weight', /integer/],
  ['all weights zero', ok({}, { backends: [{ upstream: 'u', weight: 0 }] }), 'routes[0].split.backends', /all weights are 0/],
  ['no backends and no redirect', ok({}, { backends: [] }), 'routes[0].backends', /at least one backend/],
  ['redirect and backends', ok({}, { redirect: { statusCode: 301 } }), 'routes[0].redirect', /redirects or forwards/],
  ['subset selecting nothing', ok({}, { backends: [{ upstream: 'u', subset: { version: 'v9' } }] }), 'routes[0].backends[0].subset', /selects no endpoint/],
  ['negative timeout', ok({}, { timeoutMs: -5 }), 'routes[0].timeoutMs', /must be >= 0/],
  ['per-try longer than the route timeout', ok({}, { timeoutMs: 100, perTryTimeoutMs: 500 }), 'routes[0].perTryTimeoutMs', /<= timeoutMs/],
  ['unknown retry_on', ok({}, { retry: { retryOn: ['sometimes'] } }), 'routes[0].retry.retryOn[0]', /retry_on/],
  ['retriable-status-codes without codes', ok({}, { retry: { retryOn: ['retriable-status-codes'] } }), 'routes[0].retry.retriableStatusCodes', /must list codes/],
  ['retry budget ttl too short', ok({}, { retry: { budget: { ttlMs: 10 } } }), 'routes[0].retry.budget.ttlMs', />= 1000/],
  ['hedge without retry', ok({}, { hedge: { onPerTryTimeout: true } }), 'routes[0].hedge', /needs a retry policy/],
  ['mirror to an unknown upstream', ok({}, { mirror: { upstream: 'ghost' } }), 'routes[0].mirror.upstream', /unknown upstream/],
  ['mirror percent over 100', ok({}, { mirror: { upstream: 'u', percent: 150 } }), 'routes[0].mirror.percent', /<= 100/],
  ['fault status out of range', ok({}, { fault: { abort: { httpStatus: 99 } } }), 'routes[0].fault.abort.httpStatus', /\[200, 600\)/],
  ['unknown limit', ok({}, { limits: ['nope'] }), 'routes[0].limits[0]', /unknown limit/],
  ['limit with neither policy nor tiers', ok({ limits: { l: { key: 'global' } } }), 'limits.l', /exactly one of policy and tiers/],
  ['limit key unknown', ok({ limits: { l: { key: 'everyone', policy: { maxTokens: 1, fillIntervalMs: 1000 } } } }), 'limits.l.key', /client-ip/],
  ['client-ip without trusted proxies', ok({ limits: { l: { key: 'client-ip', policy: { maxTokens: 1, fillIntervalMs: 1000 } } } }), 'limits.l.key', /clientIdentity/],
  ['fill interval under 50 ms', ok({ limits: { l: { key: 'global', policy: { maxTokens: 1, fillIntervalMs: 10 } } } }), 'limits.l.policy.fillIntervalMs', /50/],
  ['tier default unknown', ok({ limits: { l: { key: 'global', tiers: { policies: { free: { maxTokens: 1, fillIntervalMs: 1000 } }, default: 'gold' } } } }), 'limits.l.tiers.default', /unknown tier/],
  ['endpoint URL with a path', ok({}, {}, { endpoints: [{ id: 'a', url: 'http://10.0.0.1:80/api' }] }), 'upstreams.u.endpoints[0].url', /origin/],
  ['endpoint weight 0', ok({}, {}, { endpoints: [{ id: 'a', url: 'http://10.0.0.1:80', weight: 0 }] }), 'upstreams.u.endpoints[0].weight', />= 1/],
  ['duplicate endpoint ids', ok({}, {}, { endpoints: [{ id: 'a', url: 'http://10.0.0.1:80' }, { id: 'a', url: 'http://10.0.0.2:80' }] }), 'upstreams.u.endpoints[1].id', /duplicate endpoint id/],
  ['empty upstream', ok({}, {}, { endpoints: [] }), 'upstreams.u.endpoints', /at least one endpoint/],
  ['unknown balancer', ok({}, {}, { balancer: { policy: 'fastest' } }), 'upstreams.u.balancer.policy', /must be one of/],
  ['maglev table size not prime', ok({}, {}, { balancer: { policy: 'maglev', tableSize: 65536 } }), 'upstreams.u.balancer.tableSize', /prime/],
  ['hashing compatibility unknown', ok({}, {}, { balancer: { policy: 'maglev', compatibility: 'nginx' } }), 'upstreams.u.balancer.compatibility', /'switchyard' or 'envoy'/],
  ['hashing compatibility on a non-hashing balancer', ok({}, {}, { balancer: { policy: 'round-robin', compatibility: 'envoy' } }), 'upstreams.u.balancer.compatibility', /ring-hash and maglev only/],
  ['envoy compatibility with a murmur3 hash cache', ok({}, {}, { balancer: { policy: 'ring-hash', compatibility: 'envoy', hashCacheSize: 64 } }), 'upstreams.u.balancer.hashCacheSize', /envoy/],
  ['panic threshold over 100', ok({}, {}, { panicThresholdPercent: 120 }), 'upstreams.u.panicThresholdPercent', /<= 100/],
  ['outlier max ejection time below base', ok({}, {}, { outlierDetection: { baseEjectionTimeMs: 60_000, maxEjectionTimeMs: 1_000 } }), 'upstreams.u.outlierDetection.maxEjectionTimeMs', /./],
  ['rollout canary not a backend', ok({}, { rollout: { name: 'x', canary: 'v2', baseline: 'u', bakeTimeMs: 1000, analysisIntervalMs: 1000 } }), 'routes[0].rollout.canary', /unknown backend/],
  ['rollout steps not increasing', ok({}, { backends: [{ name: 'a', upstream: 'u' }, { name: 'b', upstream: 'u' }], rollout: { name: 'x', canary: 'b', baseline: 'a', steps: [50, 10], bakeTimeMs: 1000, analysisIntervalMs: 1000 } }), 'routes[0].rollout.steps[1]', /increase/],
  ['unsafe route regex', ok({}, { matches: [{ path: { type: 'RegularExpression', value: '/(a+)+$' } }] }), 'routes[0].matches[0].path.value', /./],
  ['route path not absolute', ok({}, { matches: [{ path: { type: 'PathPrefix', value: 'api' } }] }), 'routes[0].matches[0].path.value', /must start with "\/"/],
  ['selection model unknown', ok({ selection: 'best' }), 'selection', /gateway' or 'first-match/],
  ['rewrite with a malformed template', ok({}, { rewrite: { path: { type: 'Template', template: '/x/${nope.id}' } } }), 'routes[0].rewrite.path', /./],
];

function issuesOf(config: unknown): readonly ConfigIssue[] {
  const clock = createTestClock();
  try {
    createGateway(config as GatewayConfig, { transport: createMockTransport({ clock }), clock });
  } catch (err) {
    if (isSwitchyardError(err) && err.code === 'SY_CONFIG_INVALID') return (err as unknown as { issues: ConfigIssue[] }).issues;
    throw err;
  }
  return [];
}

describe('config validation corpus', () => {
  it('has at least 30 broken configs', () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(30);
  });

  it('accepts the valid base config', () => {
    expect(issuesOf(ok())).toEqual([]);
  });

  it.each(CORPUS)('rejects %s', (_name, config, path, message) => {
    const issues = issuesOf(config);
    const hit = issues.find((i) => i.path === path || i.path.startsWith(`${path}.`) || i.path.startsWith(`${path}[`));
    expect(hit, `expected an issue at ${path}, got ${JSON.stringify(issues)}`).toBeDefined();
    expect(hit?.message).toMatch(message);
  });

  it('reports every problem at once, not just the first', () => {
    const issues = issuesOf(ok({ selection: 'best' }, { timeoutMs: -1, backends: [{ upstream: 'u', weight: -2 }] }));
    expect(issues.map((i) => i.path)).toEqual(expect.arrayContaining(['selection', 'routes[0].timeoutMs', 'routes[0].backends[0].weight']));
  });
});
