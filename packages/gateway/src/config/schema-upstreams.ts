/**
 * The schema of an upstream group (`upstreams.<name>`, an Envoy cluster): its endpoints (core's
 * `EndpointInput`), the balancer and its options (@switchyard/balancers), active health checks,
 * outlier detection, the circuit breaker and resource limits (@switchyard/health), adaptive
 * throttling and concurrency (overload.ts).
 */
import * as v from 'valibot';
import { bool, finite, int, list, ms, nonEmpty, nonNegative, opt, percent, pick, positiveInt, share, statusCode, str, strict, strictEntries, stringMap, tagged } from './schema-kit.js';

// -- @switchyard/core EndpointInput; @switchyard/balancers options
const endpointSchema = strict({
  id: opt(nonEmpty),
  url: v.string('must be a URL string'),
  weight: opt(int(1)),
  priority: opt(int(0)),
  locality: opt(strict({ region: opt(str), zone: opt(str), subZone: opt(str) })),
  metadata: opt(stringMap),
});
const slowStartSchema = strict({ slowStartWindowMs: ms(), aggression: opt(finite), minWeightPercent: opt(percent) });
const sampling = opt(pick(['with-replacement', 'distinct']));
const hashPolicySchema = tagged(
  'kind',
  [
    strictEntries({ kind: v.literal('header'), name: nonEmpty, terminal: opt(bool) }),
    strictEntries({ kind: v.literal('cookie'), name: nonEmpty, terminal: opt(bool), ttlMs: opt(ms()), path: opt(nonEmpty) }),
    strictEntries({ kind: v.literal('query-parameter'), name: nonEmpty, terminal: opt(bool) }),
    strictEntries({ kind: v.literal('source-ip'), terminal: opt(bool) }),
    strictEntries({ kind: v.literal('attribute'), name: nonEmpty, terminal: opt(bool) }),
  ],
  "must be one of 'header', 'cookie', 'query-parameter', 'source-ip', 'attribute'",
);
const hashing = { hashPolicies: opt(list(hashPolicySchema)), hashBalanceFactor: opt(int(100)), hashCacheSize: opt(int(0, 1_000_000)), compatibility: opt(pick(['switchyard', 'envoy'])) };
const BALANCERS = ['round-robin', 'weighted-round-robin', 'random', 'weighted-random', 'least-request', 'peak-ewma', 'client-side-weighted-round-robin', 'ring-hash', 'maglev'] as const;
const balancerSchema = tagged(
  'policy',
  [
    strictEntries({ policy: pick(['round-robin', 'random', 'weighted-random']) }),
    strictEntries({ policy: v.literal('weighted-round-robin'), slowStart: opt(slowStartSchema) }),
    strictEntries({ policy: v.literal('least-request'), choiceCount: opt(int(2, 1000)), sampling, activeRequestBias: opt(nonNegative), selectionMethod: opt(pick(['n-choices', 'full-scan'])), slowStart: opt(slowStartSchema) }),
    strictEntries({ policy: v.literal('peak-ewma'), decayTimeMs: opt(ms()), defaultRttMs: opt(ms()), choiceCount: opt(int(2, 1000)), sampling, failurePenaltyMs: opt(ms()) }),
    strictEntries({
      policy: v.literal('client-side-weighted-round-robin'),
      // 'reports' needs observeLoadReport() on the balancer state, which the gateway does not expose.
      loadSource: opt(v.picklist(['latency'], "must be 'latency': the gateway has no way to feed load reports to the balancer")),
      blackoutPeriodMs: opt(ms()),
      weightExpirationPeriodMs: opt(ms()),
      weightUpdatePeriodMs: opt(ms()),
      errorUtilizationPenalty: opt(nonNegative),
    }),
    strictEntries({ policy: v.literal('ring-hash'), ...hashing, minimumRingSize: opt(int(1, 8_388_608)), maximumRingSize: opt(int(1, 8_388_608)) }),
    strictEntries({ policy: v.literal('maglev'), ...hashing, tableSize: opt(int(2, 5_000_011)) }),
  ],
  `must be one of ${BALANCERS.join(', ')}`,
);

// -- @switchyard/health: HealthCheckConfig, OutlierDetectionConfig, CircuitBreakerConfig, ResourceLimitsConfig
const statusRange = strict({ start: int(0, 1000), end: int(0, 1000) });
const healthCheckSchema = strict({
  path: opt(str),
  method: opt(nonEmpty),
  headers: opt(stringMap),
  intervalMs: opt(ms()),
  timeoutMs: opt(ms()),
  initialJitterMs: opt(ms()),
  intervalJitterMs: opt(ms()),
  intervalJitterPercent: opt(percent),
  unhealthyThreshold: opt(int(1)),
  healthyThreshold: opt(int(1)),
  unhealthyIntervalMs: opt(ms()),
  unhealthyEdgeIntervalMs: opt(ms()),
  healthyEdgeIntervalMs: opt(ms()),
  noTrafficIntervalMs: opt(ms()),
  noTrafficHealthyIntervalMs: opt(ms()),
  expectedStatuses: opt(list(statusRange)),
  retriableStatuses: opt(list(statusRange)),
  expectedBodyContains: opt(str),
  responseBufferSizeBytes: opt(int(0, 16 * 1024 * 1024)),
});
// Deliberately alike: schema-routes.ts (rolloutSchema) — a field list, one line per Envoy (here) or Flagger (there)
// option with its own check; the lines share their shape, not their meaning.
const outlierDetectionSchema = strict({
  consecutive5xx: opt(int(0)),
  consecutiveGatewayFailure: opt(int(0)),
  consecutiveLocalOriginFailure: opt(int(0)),
  intervalMs: opt(ms()),
  baseEjectionTimeMs: opt(ms()),
  maxEjectionTimeMs: opt(ms()),
  maxEjectionTimeJitterMs: opt(ms()),
  maxEjectionPercent: opt(percent),
  maxEjectionPercentRule: opt(pick(['post-ejection', 'current'])),
  alwaysEjectOneHost: opt(bool),
  ejectionMultiplierDecay: opt(pick(['after-interval-since-unejection', 'every-interval'])),
  enforcingConsecutive5xx: opt(percent),
  enforcingConsecutiveGatewayFailure: opt(percent),
  enforcingConsecutiveLocalOriginFailure: opt(percent),
  enforcingSuccessRate: opt(percent),
  enforcingLocalOriginSuccessRate: opt(percent),
  successRateMinimumHosts: opt(int(0)),
  successRateRequestVolume: opt(int(0)),
  successRateStdevFactor: opt(nonNegative),
  failurePercentageThreshold: opt(percent),
  enforcingFailurePercentage: opt(percent),
  enforcingFailurePercentageLocalOrigin: opt(percent),
  failurePercentageMinimumHosts: opt(int(0)),
  failurePercentageRequestVolume: opt(int(0)),
  splitExternalLocalOriginErrors: opt(bool),
  successfulActiveHealthCheckUnejectHost: opt(bool),
});
const circuitBreakerSchema = strict({
  name: opt(str),
  policy: opt(
    tagged(
      'kind',
      [
        strictEntries({ kind: v.literal('consecutive'), maxFailures: opt(int(1)) }),
        strictEntries({ kind: v.literal('sampling'), failureRatioThreshold: opt(finite), windowMs: opt(ms()), minimumThroughput: opt(int(0)), buckets: opt(int(1, 10_000)) }),
      ],
      "must be one of 'consecutive', 'sampling'",
    ),
  ),
  minOpenMs: opt(ms()),
  maxOpenMs: opt(ms()),
  jitterRatio: opt(nonNegative),
  halfOpenMaxProbes: opt(int(1)),
  halfOpenSuccessThreshold: opt(int(1)),
});
const resourceLimitsSchema = strict({
  maxConnections: opt(int(0)),
  maxPendingRequests: opt(int(0)),
  maxRequests: opt(int(0)),
  maxRetries: opt(int(0)),
  retryBudget: opt(strict({ budgetPercent: opt(percent), minRetryConcurrency: opt(int(0)) })),
});

/** One upstream group (`upstreams.<name>`). */
export const upstreamSchema = strict({
  endpoints: list(endpointSchema, 'an array of endpoints'),
  balancer: opt(balancerSchema),
  panicThresholdPercent: opt(percent),
  priority: opt(strict({ overprovisioningFactor: opt(finite) })),
  locality: opt(strict({ overprovisioningFactor: opt(finite), localZone: opt(str) })),
  healthCheck: opt(healthCheckSchema),
  outlierDetection: opt(outlierDetectionSchema),
  circuitBreaker: opt(circuitBreakerSchema),
  resourceLimits: opt(resourceLimitsSchema),
  adaptiveThrottle: opt(
    strict({
      k: opt(v.pipe(v.number('must be a number'), v.finite('must be finite'), v.minValue(1, 'must be >= 1'))),
      windowMs: opt(v.pipe(ms(), v.minValue(1, 'must be >= 1'))),
      bucketCount: opt(v.pipe(v.number('must be a number'), v.integer('must be an integer'), v.minValue(1, 'must be >= 1'), v.maxValue(1000, 'must be <= 1000'))),
      rejectStatuses: opt(v.array(statusCode)),
    }),
  ),
  adaptiveConcurrency: opt(
    strict({
      algorithm: opt(v.picklist(['aimd', 'gradient', 'vegas'], "must be 'aimd', 'gradient' or 'vegas'")),
      initialLimit: opt(positiveInt),
      minLimit: opt(positiveInt),
      maxLimit: opt(positiveInt),
      backoffRatio: opt(v.pipe(v.number('must be a number'), v.minValue(0.5, 'must be >= 0.5'), v.maxValue(0.99, 'must be < 1'))),
      timeoutMs: opt(v.pipe(ms(), v.minValue(1, 'must be >= 1'))),
      queueSize: opt(v.pipe(v.number('must be a number'), v.integer('must be an integer'), v.minValue(0, 'must be >= 0'))),
      rttTolerance: opt(v.pipe(v.number('must be a number'), v.finite('must be finite'), v.minValue(1, 'must be >= 1'))),
      smoothing: opt(v.pipe(v.number('must be a number'), v.gtValue(0, 'must be > 0'), v.maxValue(1, 'must be <= 1'))),
      longWindow: opt(positiveInt),
      shares: opt(strict({ critical: opt(share), default: opt(share), sheddable: opt(share) })),
      priority: opt(strict({ attribute: opt(nonEmpty), header: opt(nonEmpty) })),
      dropStatuses: opt(v.array(statusCode)),
    }),
  ),
});
