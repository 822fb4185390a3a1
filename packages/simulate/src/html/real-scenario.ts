/**
 * A small scenario that exercises every chart of the HTML report through the real runner: a
 * progressive canary, a tiered per-key limit, outlier detection against a failing endpoint and a
 * slow one. Used by the report's tests (not exported by the package).
 * @module
 */
import type { GatewayConfig } from '@switchyard/gateway';
import type { Scenario } from '../scenario.js';

/** Gateway config: one route split stable/canary with a rollout, a tiered limit, outlier detection. */
export const REAL_CONFIG: GatewayConfig = {
  // Deliberately alike: testing/src/adapter-fixture/adapter-fixture.ts (decideModeConfig) — two gateway config literals for different purposes (the real-scenario page vs the adapters' decide-mode fixture); alike because configs share their keys
  limits: {
    perKey: {
      key: { apiKey: 'x-api-key' },
      tiers: {
        policies: {
          free: { maxTokens: 20, tokensPerFill: 15, fillIntervalMs: 1000 },
          pro: { maxTokens: 20, tokensPerFill: 18, fillIntervalMs: 1000 },
        },
        match: [{ tier: 'pro', headers: { 'x-plan': 'pro' } }],
        default: 'free',
      },
    },
  },
  routes: [
    {
      name: 'shop',
      matches: [{ path: { type: 'PathPrefix', value: '/shop' } }],
      backends: [
        { name: 'stable', upstream: 'shop', subset: { version: 'v1' }, weight: 100 },
        { name: 'canary', upstream: 'shop', subset: { version: 'v2' }, weight: 0 },
      ],
      rollout: {
        name: 'shop-v2',
        canary: 'canary',
        baseline: 'stable',
        steps: [10, 30, 60],
        analysisIntervalMs: 5000,
        minRequests: 20,
        minLatencySamples: 20,
        maxErrorRateIncreasePercent: 5,
        maxP99IncreasePercent: 50,
      },
      limits: ['perKey'],
      timeoutMs: 1000,
    },
  ],
  upstreams: {
    shop: {
      balancer: { policy: 'least-request' },
      outlierDetection: { consecutive5xx: 3, intervalMs: 1000, baseEjectionTimeMs: 5000, maxEjectionPercent: 50 },
      endpoints: [
        { id: 'shop-v1-a', url: 'http://shop-v1-a.test', metadata: { version: 'v1' } },
        { id: 'shop-v1-b', url: 'http://shop-v1-b.test', metadata: { version: 'v1' } },
        { id: 'shop-v1-c', url: 'http://shop-v1-c.test', metadata: { version: 'v1' } },
        { id: 'shop-v2-a', url: 'http://shop-v2-a.test', metadata: { version: 'v2' } },
      ],
    },
  },
} as unknown as GatewayConfig;

/** 30 s at 60 requests per second: shop-v1-b fails from 8 s to 14 s, shop-v2-a (the canary) is slow from 16 s to 24 s. */
export const REAL_SCENARIO: Scenario = {
  name: 'report-every-chart',
  description: 'A failing and a slow endpoint under a canary rollout and tiered limits.',
  seed: 5,
  durationSeconds: 30,
  windowMs: 1000,
  fleet: { defaults: { latency: { kind: 'lognormal', medianMs: 20, sigma: 0.3 } } },
  events: [
    { kind: 'endpoint-failing', upstream: 'shop', endpoint: 'shop-v1-b', errorRate: 1, atSeconds: 8, untilSeconds: 14 },
    { kind: 'endpoint-slow', upstream: 'shop', endpoint: 'shop-v2-a', factor: 5, atSeconds: 16, untilSeconds: 24 },
  ],
  traffic: {
    ratePerSecond: 60,
    requests: [{ weight: 1, method: 'GET', path: '/shop/items' }],
    clients: [
      { name: 'free-users', weight: 2, apiKeys: ['free-1', 'free-2'], headers: { 'x-plan': 'free' } },
      { name: 'pro-users', weight: 1, apiKeys: ['pro-1'], headers: { 'x-plan': 'pro' } },
    ],
  },
} as unknown as Scenario;
