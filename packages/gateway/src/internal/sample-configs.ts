/**
 * Valid configs that together use every key of the schema: the seeds of the config fuzz test
 * and of the schema-agreement test. Test-only (imported by tests, not by the package).
 */
import { CONTINUE, definePolicy, type PolicyDefinition, type StandardSchemaV1 } from '@switchyard/core';
import type { GatewayConfig } from '../config.js';

/** A tiny Standard Schema for the sample policies' options: `{ header?: string }`. */
const headerOptions: StandardSchemaV1<unknown, { header?: string }> = {
  '~standard': {
    version: 1,
    vendor: 'switchyard-sample',
    validate: (value) =>
      typeof value === 'object' && value !== null && (typeof (value as { header?: unknown }).header === 'string' || (value as { header?: unknown }).header === undefined)
        ? { value: value as { header?: string } }
        : { issues: [{ message: 'must be a string', path: ['header'] }] },
  },
};

/** Policy types the sample configs name (passed as `deps.policies` where they are compiled). */
export const SAMPLE_POLICIES: readonly PolicyDefinition<{ header?: string }>[] = [
  definePolicy<{ header?: string }>({
    type: 'sample-auth',
    options: headerOptions,
    create: (options) => ({
      type: 'sample-auth',
      provides: ['identity'],
      inbound: (req) => {
        const sub = req.headers[options.header ?? 'x-user'];
        return sub === undefined ? CONTINUE : { kind: 'continue', identity: { sub, data: { tier: 'free' } } };
      },
    }),
  }),
  definePolicy<{ header?: string }>({
    type: 'sample-quota',
    options: headerOptions,
    create: () => ({ type: 'sample-quota', requires: ['identity'], inbound: () => CONTINUE }),
  }),
  definePolicy<{ header?: string }>({
    type: 'sample-stamp',
    options: headerOptions,
    create: (options) => ({
      type: 'sample-stamp',
      finalizer: true,
      outbound: (res) => ({ ...res, headers: { ...res.headers, [options.header ?? 'x-stamp']: '1' } }),
    }),
  }),
];

/** Every top-level, route and upstream feature at once. */
export const RICH_CONFIG: GatewayConfig = {
  selection: 'gateway',
  normalize: { resolveDotSegments: true, mergeSlashes: true, escapedSlashes: 'reject' },
  clientIdentity: { trustedProxies: ['10.0.0.0/8'], header: 'x-forwarded-for', ipv6Prefix: 56, ipv4Prefix: 32 },
  rateLimitHeaders: 'both',
  replayBufferBytes: 65536,
  policies: {
    auth: { type: 'sample-auth', options: { header: 'x-user' }, when: { method: ['GET', 'POST'], pathPrefix: '/orders', header: { name: 'x-user', present: true }, not: false }, errors: { responses: { SY_UNAUTHORIZED: { status: 401, headers: { link: '<https://example.com/auth>; rel="help"' } } } } },
    stamp: { type: 'sample-stamp' },
    audit: { type: 'sample-stamp', options: { header: 'x-audit' }, when: { header: { name: 'x-audit', value: 'on' } } },
  },
  pipeline: { inbound: ['stamp'], outbound: ['audit'] },
  limits: {
    perIp: { key: 'client-ip', policy: { maxTokens: 10, tokensPerFill: 10, fillIntervalMs: 1000 }, mode: 'enforce', cost: 1, onMissingKey: 'shared' },
    perUser: { key: [{ header: 'x-user' }, { attribute: 'user' }], policy: { algorithm: 'sliding-window', limit: 100, windowMs: 60000 }, mode: 'shadow' },
    byKey: { key: { apiKey: 'x-api-key' }, policy: { algorithm: 'gcra', maxTokens: 5, fillIntervalMs: 1000 } },
    perConsumer: { key: { identity: 'data.tier' }, policy: { maxTokens: 5, fillIntervalMs: 1000 } },
    tiered: {
      key: 'global',
      tiers: {
        policies: { free: { maxTokens: 1, fillIntervalMs: 1000 }, pro: { algorithm: 'sliding-window', limit: 10, windowMs: 1000 } },
        match: [{ tier: 'pro', headers: { 'x-plan': 'pro' }, attributes: { plan: 'pro', level: 2, paid: true } }],
        attribute: 'tier',
        default: 'free',
      },
    },
  },
  routes: [
    {
      name: 'orders',
      hostnames: ['api.example.com', '*.example.org'],
      matches: [
        {
          path: { type: 'Template', value: '/orders/:id', ignoreCase: false },
          method: 'GET',
          headers: [{ name: 'x-env', type: 'Exact', value: 'prod', invert: false, ignoreCase: true }],
          queryParams: [{ name: 'v', type: 'Present' }],
          attributes: [{ key: 'tier', equals: 'gold' }, { key: 'n', oneOf: [1, 2] }, { key: 'p', present: true }, { key: 'ip', cidrs: ['10.0.0.0/8'] }],
          clientCidrs: ['0.0.0.0/0'],
          runtimeFraction: { percent: 100 },
        },
      ],
      backends: [
        { name: 'v1', upstream: 'orders', subset: { version: 'v1' }, weight: 90 },
        { name: 'v2', upstream: 'orders', subset: { version: 'v2' }, weight: 10 },
      ],
      split: {
        key: [{ header: 'x-user' }, { cookie: 'uid' }, { query: 'u' }, { attribute: 'user' }],
        salt: 'orders',
        canary: [
          { name: 'opt-in', backend: 'v2', when: { header: 'x-canary', value: '1' } },
          { backend: 'v2', when: { query: 'canary' } },
          { backend: 'v2', when: { keyIn: ['u1', 'u2'], key: { header: 'x-user' } } },
          { backend: 'v2', when: { attribute: 'staff', equals: true } },
          { backend: 'v2', when: { attribute: 'team', in: ['a', 'b'] } },
        ],
      },
      rollout: {
        name: 'orders-v2',
        canary: 'v2',
        baseline: 'v1',
        steps: [10, 50, 100],
        bakeTimeMs: [1000, 1000, 1000],
        analysisIntervalMs: 1000,
        failureThreshold: 1,
        inconclusiveLimit: 1,
        progressDeadlineMs: 60_000,
        progressDeadlineAction: 'pause',
        maxEvents: 50,
        minRequests: 10,
        minLatencySamples: 20,
        latencyQuantile: 0.99,
        webhooks: [
          { name: 'load-test', type: 'pre-rollout', url: 'http://loadtester.test/start', timeoutMs: 5000, retries: 1, metadata: { cmd: 'hey -z 1m' } },
          { name: 'gate', type: 'confirm-promotion', url: 'http://gate.test/approve' },
        ],
        alpha: 0.05,
        maxErrorRateIncreasePercent: 1,
        maxP99IncreasePercent: 20,
        maxP99LatencyMs: 500,
      },
      sessionPersistence: { sessionName: 'sy-session', type: 'Cookie', absoluteTimeoutMs: 86_400_000, idleTimeoutMs: 1_800_000 },
      experiment: { name: 'checkout', salt: 's', variants: [{ name: 'a', weight: 1 }, { name: 'b' }], key: { header: 'x-user' }, coveragePercent: 50, header: 'x-experiment' },
      rewrite: {
        url: '${upstream}/v2/orders/${params.id}?src=${query.src}',
        allowedUpstreams: ['https://eu.orders.internal'],
        query: { removeAll: false, remove: ['debug'], rename: { a: 'b' }, set: { s: '1' }, add: { t: '${headers.x-t}' } },
        host: 'upstream',
        requestHeaders: { set: { 'x-id': '${params.id}' }, add: { 'x-a': 'b' }, remove: ['x-secret'] },
        responseHeaders: { set: { 'x-served-by': 'switchyard' }, remove: ['server'] },
        forwarded: { mode: 'append', headers: 'both' },
        connectionHeader: 'reject',
        unsafeHeaders: 'strip',
        originalPathHeader: 'x-envoy-original-path',
      },
      limits: ['perIp', 'perUser', 'byKey', 'tiered', 'perConsumer'],
      policies: { inbound: ['auth'], outbound: [], exclude: ['audit'] },
      metadata: { owner: 'orders-team', 'x-internal': true },
      timeoutMs: 5000,
      idleTimeoutMs: 2000,
      propagateDeadline: true,
      priority: 'critical',
      perTryTimeoutMs: 1000,
      retry: {
        numRetries: 2,
        retryOn: ['5xx', 'gateway-error', 'reset', 'connect-failure', 'retriable-4xx', 'retriable-status-codes'],
        retriableStatusCodes: [503],
        baseIntervalMs: 25,
        maxIntervalMs: 250,
        honorRetryAfter: true,
        retryNonIdempotent: false,
        budget: { ratio: 0.2, minRetriesPerSecond: 10, ttlMs: 10000 },
      },
      hedge: { onPerTryTimeout: true, delayMs: 100 },
      mirror: { upstream: 'shadow', percent: 10, timeoutMs: 1000 },
      fault: { delay: { fixedDelayMs: 10, percent: 1 }, abort: { httpStatus: 503, percent: 1 }, headers: { 'x-fault': 'on' }, headerControl: false },
    },
    {
      name: 'static',
      matches: [{ path: { type: 'PathPrefix', value: '/static' } }, { path: { type: 'RegularExpression', value: '/files/(?<file>[a-z]+)' } }],
      backends: [{ upstream: 'hashed' }],
      rewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/', prefix: '/static' }, host: { literal: 'static.internal' } },
    },
    {
      name: 'legacy',
      matches: [{ path: { type: 'Exact', value: '/old' } }],
      redirect: { scheme: 'https', hostname: 'new.example.com', port: 443, path: { type: 'ReplaceFullPath', replaceFullPath: '/new' }, statusCode: 301, stripQuery: true },
    },
    {
      name: 'ewma',
      matches: [{ path: { type: 'Prefix', value: '/e' } }],
      backends: [{ upstream: 'ewma' }],
      rewrite: { path: { type: 'PrefixRewrite', prefixRewrite: '/x' }, host: { fromHeader: 'x-host' }, allowedUpstreams: ['http://10.0.4.1:80'] },
    },
    { name: 'maglev', matches: [{ path: { value: '/m' } }], backends: [{ upstream: 'maglev' }], rewrite: { path: { type: 'RegexRewrite', pattern: '^/m/(.*)$', substitution: '/\\1' } } },
    { name: 'cswrr', matches: [{ path: { value: '/c' } }], backends: [{ upstream: 'cswrr' }], rewrite: { path: { type: 'StripPrefix', prefix: '/c' } } },
    { name: 'wrr', matches: [{ path: { type: 'Template', value: '/w/*rest' } }], backends: [{ upstream: 'wrr' }], rewrite: { path: { type: 'Template', template: '/w2/${params.rest}' } } },
  ],
  upstreams: {
    orders: {
      endpoints: [
        { id: 'o1', url: 'http://10.0.0.1:80', weight: 2, priority: 0, locality: { region: 'eu', zone: 'eu-1a', subZone: 'r1' }, metadata: { version: 'v1' } },
        { id: 'o2', url: 'http://10.0.0.2:80', locality: { region: 'eu', zone: 'eu-1b' }, metadata: { version: 'v2' } },
        { id: 'o3', url: 'http://10.0.0.3:80', priority: 1, locality: { region: 'us', zone: 'us-1a' }, metadata: { version: 'v1' } },
      ],
      balancer: { policy: 'least-request', choiceCount: 2, sampling: 'with-replacement', activeRequestBias: 1, selectionMethod: 'n-choices', slowStart: { slowStartWindowMs: 30000, aggression: 1, minWeightPercent: 10 } },
      panicThresholdPercent: 50,
      priority: { overprovisioningFactor: 1.4 },
      locality: { overprovisioningFactor: 1.4, localZone: 'eu-1a' },
      healthCheck: {
        path: '/healthz',
        method: 'GET',
        headers: { 'x-check': '1' },
        intervalMs: 10000,
        timeoutMs: 1000,
        initialJitterMs: 0,
        intervalJitterMs: 0,
        intervalJitterPercent: 0,
        unhealthyThreshold: 3,
        healthyThreshold: 2,
        unhealthyIntervalMs: 10000,
        unhealthyEdgeIntervalMs: 10000,
        healthyEdgeIntervalMs: 10000,
        noTrafficIntervalMs: 60000,
        noTrafficHealthyIntervalMs: 60000,
        expectedStatuses: [{ start: 200, end: 300 }],
        retriableStatuses: [{ start: 503, end: 504 }],
        expectedBodyContains: 'ok',
        responseBufferSizeBytes: 1024,
      },
      // Deliberately alike: health/src/outlier-detection.ts (OUTLIER_DETECTION_DEFAULTS) — the sample spells out every
      // key as a user writes it (Envoy's defaults as values); spreading the health package's object would tie the
      // fuzz seed to that object and stop it from listing the keys the schema must accept.
      outlierDetection: {
        consecutive5xx: 5,
        consecutiveGatewayFailure: 5,
        consecutiveLocalOriginFailure: 5,
        intervalMs: 10000,
        baseEjectionTimeMs: 30000,
        maxEjectionTimeMs: 300000,
        maxEjectionTimeJitterMs: 0,
        maxEjectionPercent: 10,
        maxEjectionPercentRule: 'post-ejection',
        alwaysEjectOneHost: false,
        ejectionMultiplierDecay: 'after-interval-since-unejection',
        enforcingConsecutive5xx: 100,
        enforcingConsecutiveGatewayFailure: 0,
        enforcingConsecutiveLocalOriginFailure: 100,
        enforcingSuccessRate: 100,
        enforcingLocalOriginSuccessRate: 100,
        successRateMinimumHosts: 5,
        successRateRequestVolume: 100,
        successRateStdevFactor: 1900,
        failurePercentageThreshold: 85,
        enforcingFailurePercentage: 0,
        enforcingFailurePercentageLocalOrigin: 0,
        failurePercentageMinimumHosts: 5,
        failurePercentageRequestVolume: 50,
        splitExternalLocalOriginErrors: false,
        successfulActiveHealthCheckUnejectHost: true,
      },
      circuitBreaker: { name: 'orders', policy: { kind: 'sampling', failureRatioThreshold: 0.5, windowMs: 10000, minimumThroughput: 5, buckets: 10 }, minOpenMs: 1000, maxOpenMs: 60000, jitterRatio: 0.5, halfOpenMaxProbes: 1, halfOpenSuccessThreshold: 1 },
      resourceLimits: { maxConnections: 1024, maxPendingRequests: 1024, maxRequests: 1024, maxRetries: 3, retryBudget: { budgetPercent: 20, minRetryConcurrency: 3 } },
      adaptiveThrottle: { k: 2, windowMs: 60000, bucketCount: 12, rejectStatuses: [429, 503] },
      adaptiveConcurrency: { algorithm: 'aimd', initialLimit: 20, minLimit: 1, maxLimit: 100, backoffRatio: 0.9, timeoutMs: 5000, shares: { sheddable: 0.5 }, priority: { attribute: 'priority', header: 'x-priority' }, dropStatuses: [503] },
    },
    shadow: { endpoints: [{ url: 'http://10.0.1.1:80' }], balancer: { policy: 'round-robin' }, circuitBreaker: { policy: { kind: 'consecutive', maxFailures: 5 } } },
    hashed: {
      endpoints: [{ url: 'http://10.0.2.1:80' }, { url: 'http://10.0.2.2:80' }],
      balancer: {
        policy: 'ring-hash',
        hashPolicies: [{ kind: 'header', name: 'x-user', terminal: true }, { kind: 'cookie', name: 'uid', ttlMs: 3_600_000, path: '/' }, { kind: 'query-parameter', name: 'u' }, { kind: 'source-ip' }, { kind: 'attribute', name: 'user' }],
        hashBalanceFactor: 150,
        hashCacheSize: 0,
        minimumRingSize: 1024,
        maximumRingSize: 8192,
      },
    },
    maglev: { endpoints: [{ url: 'http://10.0.3.1:80' }], balancer: { policy: 'maglev', tableSize: 65537, hashPolicies: [{ kind: 'source-ip' }], compatibility: 'envoy' } },
    ewma: { endpoints: [{ url: 'http://10.0.4.1:80' }], balancer: { policy: 'peak-ewma', decayTimeMs: 10000, defaultRttMs: 30, choiceCount: 2, sampling: 'distinct', failurePenaltyMs: 5000 } },
    cswrr: {
      endpoints: [{ url: 'http://10.0.5.1:80' }],
      balancer: { policy: 'client-side-weighted-round-robin', loadSource: 'latency', blackoutPeriodMs: 10000, weightExpirationPeriodMs: 180000, weightUpdatePeriodMs: 1000, errorUtilizationPenalty: 1 },
    },
    wrr: { endpoints: [{ url: 'http://10.0.6.1:80', weight: 3 }, { url: 'http://10.0.6.2:80' }], balancer: { policy: 'weighted-round-robin', slowStart: { slowStartWindowMs: 1000 } } },
  },
};

/** Small configs for the other shapes of the `either` nodes (trusted hops, random balancers, …). */
export const SMALL_CONFIGS: readonly GatewayConfig[] = [
  {
    errors: {
      format: 'problem+json',
      typeBaseUri: 'https://errors.example.com/',
      responses: {
        SY_RATE_LIMITED: { status: 429, headers: { link: '<https://example.com/pricing>; rel="payment"' }, body: { limit: '${detail.limit}', id: '${requestId}' } },
        '503': { body: 'down (${code})', contentType: 'text/plain' },
        default: { headers: { 'x-error': '${code}' } },
      },
    },
    routes: [{ name: 'r', backends: [{ upstream: 'u' }], errors: { format: 'switchyard', responses: { SY_NO_ENDPOINT: { body: '{"e":"${code}"}', contentType: 'application/json' } } } }],
    upstreams: { u: { endpoints: [{ url: 'http://10.0.0.1:80' }] } },
  },
  { routes: [{ name: 'r', backends: [{ upstream: 'u' }] }], upstreams: { u: { endpoints: [{ url: 'http://10.0.0.1:80' }] } } },
  {
    selection: 'first-match',
    clientIdentity: { trustedHops: 1, header: 'forwarded' },
    routes: [{ name: 'r', backends: [{ upstream: 'u' }], limits: ['l'], rewrite: { host: 'preserve', forwarded: { mode: 'trusted', trustedHops: 1 } } }],
    upstreams: { u: { endpoints: [{ url: 'http://10.0.0.1:80' }], balancer: { policy: 'random' } } },
    limits: { l: { key: [{ header: 'x-a' }, 'route'], policy: { maxTokens: 5, fillIntervalMs: 1000 } } },
  },
  {
    routes: [{ name: 'r', backends: [{ upstream: 'u' }], split: { key: { cookie: 'c' } }, rewrite: { host: { template: '${headers.x-host}' }, allowedUpstreams: ['http://10.0.0.1:80'] } }],
    upstreams: { u: { endpoints: [{ url: 'http://10.0.0.1:80' }], balancer: { policy: 'weighted-random' }, circuitBreaker: {} } },
  },
];
