/**
 * The schema of a route (`routes[i]`): its matches and normalization (@switchyard/router), the
 * rewrite and redirect (@switchyard/rewrite), backends, split, rollout and experiment
 * (@switchyard/splitter), retries, hedging, timeouts, mirror, fault injection and its policies.
 */
import * as v from 'valibot';
import { errorsConfigSchema } from './schema-errors.js';
import { bool, either, finite, int, isObject, keyed, list, ms, nonEmpty, nonNegative, opt, percent, pick, priority, scalar, str, strict, strictEntries, stringMap, tagged } from './schema-kit.js';

// -- shared by the splitter's key sources and the limiter's keys
const keySource = keyed({ header: { header: nonEmpty }, cookie: { cookie: nonEmpty }, query: { query: nonEmpty }, attribute: { attribute: nonEmpty } });
const keySourceList = list(keySource);
const keySources = either([keySource, keySourceList], (x) => (Array.isArray(x) ? keySourceList : isObject(x) ? keySource : undefined), 'must be { header }, { cookie }, { query }, { attribute } or an array of them');

// -- @switchyard/router: NormalizeOptions, MatchConfig
/** Path normalization before routing (`normalize`). */
export const normalizeSchema = strict({ resolveDotSegments: opt(bool), mergeSlashes: opt(bool), escapedSlashes: opt(pick(['reject', 'keep', 'decode'])) });
const matchSchema = strict({
  path: opt(strict({ type: opt(pick(['Exact', 'PathPrefix', 'Prefix', 'Template', 'RegularExpression'])), value: opt(str), ignoreCase: opt(bool) })),
  method: opt(nonEmpty),
  headers: opt(list(strict({ name: nonEmpty, type: opt(pick(['Exact', 'Prefix', 'Suffix', 'Contains', 'RegularExpression', 'Present', 'Absent'])), value: opt(str), invert: opt(bool), ignoreCase: opt(bool) }))),
  queryParams: opt(list(strict({ name: nonEmpty, type: opt(pick(['Exact', 'RegularExpression', 'Present'])), value: opt(str) }))),
  attributes: opt(list(strict({ key: nonEmpty, equals: opt(scalar), oneOf: opt(list(scalar)), present: opt(bool), cidrs: opt(list(str)) }))),
  clientCidrs: opt(list(str)),
  runtimeFraction: opt(strict({ percent })),
});

// -- @switchyard/rewrite: RewriteConfig (without `upstream`: the picked endpoint is the upstream), RedirectConfig
const replaceFullPath = strictEntries({ type: v.literal('ReplaceFullPath'), replaceFullPath: str });
const replacePrefixMatch = strictEntries({ type: v.literal('ReplacePrefixMatch'), replacePrefixMatch: str, prefix: opt(str) });
const pathRewriteSchema = tagged(
  'type',
  [
    replaceFullPath,
    replacePrefixMatch,
    strictEntries({ type: v.literal('PrefixRewrite'), prefixRewrite: str, prefix: opt(str) }),
    strictEntries({ type: v.literal('RegexRewrite'), pattern: str, substitution: str }),
    strictEntries({ type: v.literal('StripPrefix'), prefix: str }),
    strictEntries({ type: v.literal('Template'), template: str }),
  ],
  "must be one of 'ReplaceFullPath', 'ReplacePrefixMatch', 'PrefixRewrite', 'RegexRewrite', 'StripPrefix', 'Template'",
);
const HOST_MESSAGE = "must be 'preserve', 'upstream', { literal }, { fromHeader } or { template }";
const hostKeyword = v.picklist(['preserve', 'upstream'], HOST_MESSAGE);
const hostObject = keyed({ literal: { literal: nonEmpty }, fromHeader: { fromHeader: nonEmpty }, template: { template: nonEmpty } });
const hostRewriteSchema = either(
  [hostKeyword, hostObject],
  (x) => (typeof x === 'string' ? hostKeyword : isObject(x) ? hostObject : undefined),
  HOST_MESSAGE,
);
const headerModifierSchema = strict({ set: opt(stringMap), add: opt(stringMap), remove: opt(list(str)) });
const rewriteSchema = strict({
  url: opt(str),
  allowedUpstreams: opt(list(str)),
  path: opt(pathRewriteSchema),
  query: opt(strict({ removeAll: opt(bool), remove: opt(list(str)), rename: opt(stringMap), set: opt(stringMap), add: opt(stringMap) })),
  host: opt(hostRewriteSchema),
  requestHeaders: opt(headerModifierSchema),
  responseHeaders: opt(headerModifierSchema),
  forwarded: opt(strict({ mode: opt(pick(['trusted', 'append', 'overwrite', 'off'])), headers: opt(pick(['x-forwarded', 'forwarded', 'both'])), trustedProxies: opt(list(str)), trustedHops: opt(int(0, 1000)) })),
  connectionHeader: opt(pick(['reject', 'ignore'])),
  unsafeHeaders: opt(pick(['reject', 'strip'])),
  originalPathHeader: opt(nonEmpty),
});
const redirectSchema = strict({
  scheme: opt(pick(['http', 'https'])),
  hostname: opt(str),
  port: opt(int(1, 65535)),
  path: opt(tagged('type', [replaceFullPath, replacePrefixMatch], "must be one of 'ReplaceFullPath', 'ReplacePrefixMatch'")),
  statusCode: opt(pick([301, 302, 303, 307, 308])),
  stripQuery: opt(bool),
});

// -- @switchyard/splitter: split (CanaryRule), RolloutConfig, ExperimentConfig
const canarySelectorSchema = keyed({
  header: { header: nonEmpty, value: opt(str) },
  query: { query: nonEmpty, value: opt(str) },
  keyIn: { keyIn: list(str), key: opt(keySources) },
  attribute: { attribute: nonEmpty, equals: opt(scalar), in: opt(list(scalar)) },
});
const splitSchema = strict({ key: opt(keySources), salt: opt(str), canary: opt(list(strict({ backend: nonEmpty, when: canarySelectorSchema, name: opt(str) }))) });
// Deliberately alike: schema-upstreams.ts (outlierDetectionSchema) — one line per option with its own check; only the shape repeats.
const rolloutSchema = strict({
  name: nonEmpty,
  canary: nonEmpty,
  baseline: nonEmpty,
  steps: opt(list(finite)),
  stepWeights: opt(list(finite)),
  stepWeight: opt(finite),
  maxWeight: opt(finite),
  iterations: opt(int(1)),
  bakeTimeMs: opt(v.union([ms(), list(ms())], 'must be a number of milliseconds or an array of them')),
  analysisIntervalMs: ms(),
  failureThreshold: opt(int(1)),
  inconclusiveLimit: opt(int(0)),
  progressDeadlineMs: opt(ms()),
  progressDeadlineAction: opt(pick(['rollback', 'pause'])),
  maxEvents: opt(int(1, 1_000_000)),
  minRequests: opt(int(0)),
  minLatencySamples: opt(int(1)),
  latencyQuantile: opt(finite),
  alpha: opt(finite),
  maxErrorRateIncreasePercent: opt(finite),
  maxP99IncreasePercent: opt(finite),
  maxP99LatencyMs: opt(ms()),
  webhooks: opt(
    list(
      strict({
        name: nonEmpty,
        type: opt(pick(['confirm-rollout', 'pre-rollout', 'rollout', 'confirm-traffic-increase', 'confirm-promotion', 'post-rollout', 'rollback'])),
        url: nonEmpty,
        timeoutMs: opt(ms()),
        retries: opt(int(0, 100)),
        metadata: opt(stringMap),
      }),
    ),
  ),
});
const experimentSchema = strict({
  name: nonEmpty,
  salt: opt(str),
  variants: list(strict({ name: nonEmpty, weight: opt(int(0)) }), 'an array of variants'),
  key: keySources,
  coveragePercent: opt(percent),
  header: opt(nonEmpty),
});

const backendSchema = strict({
  name: opt(nonEmpty),
  upstream: nonEmpty,
  subset: opt(stringMap),
  weight: opt(v.pipe(v.number('must be a number'), v.integer('must be an integer'), v.minValue(0, 'must be >= 0'), v.maxValue(1_000_000, 'must be <= 1000000'))),
});

const retryOnSchema = v.picklist(['5xx', 'gateway-error', 'reset', 'connect-failure', 'retriable-4xx', 'retriable-status-codes'], 'must be a known retry_on condition');

/** One route (`routes[i]`). */
export const routeSchema = strict({
  name: nonEmpty,
  hostnames: opt(list(str)),
  matches: opt(list(matchSchema, 'an array of matches')),
  backends: opt(list(backendSchema, 'an array of backends')),
  split: opt(splitSchema),
  rollout: opt(rolloutSchema),
  sessionPersistence: opt(strict({ sessionName: nonEmpty, type: opt(pick(['Cookie', 'Header'])), absoluteTimeoutMs: opt(ms()), idleTimeoutMs: opt(ms()) })),
  experiment: opt(experimentSchema),
  rewrite: opt(rewriteSchema),
  redirect: opt(redirectSchema),
  limits: opt(list(nonEmpty)),
  timeoutMs: opt(ms()),
  perTryTimeoutMs: opt(ms()),
  idleTimeoutMs: opt(ms()),
  propagateDeadline: opt(bool),
  retry: opt(
    strict({
      numRetries: opt(int(0, 100)),
      retryOn: opt(list(retryOnSchema)),
      retriableStatusCodes: opt(list(v.pipe(v.number('must be a number'), v.integer('must be an integer'), v.minValue(100, 'must be a status code'), v.maxValue(599, 'must be a status code')))),
      baseIntervalMs: opt(v.pipe(ms(), v.minValue(1, 'must be >= 1'))),
      maxIntervalMs: opt(ms()),
      honorRetryAfter: opt(bool),
      retryNonIdempotent: opt(bool),
      budget: opt(
        strict({
          ratio: opt(v.pipe(finite, v.minValue(0, 'must be >= 0'), v.maxValue(1000, 'must be <= 1000'))),
          minRetriesPerSecond: opt(nonNegative),
          ttlMs: opt(v.pipe(finite, v.minValue(1000, 'must be >= 1000'), v.maxValue(60000, 'must be <= 60000'))),
        }),
      ),
    }),
  ),
  hedge: opt(strict({ onPerTryTimeout: opt(bool), delayMs: opt(ms()) })),
  mirror: opt(strict({ upstream: nonEmpty, percent: opt(percent), timeoutMs: opt(ms()) })),
  fault: opt(
    strict({
      delay: opt(strict({ fixedDelayMs: v.pipe(ms(), v.minValue(1, 'must be > 0')), percent: opt(percent) })),
      abort: opt(strict({ httpStatus: v.pipe(v.number('must be a number'), v.integer('must be an integer'), v.minValue(200, 'must be in [200, 600)'), v.maxValue(599, 'must be in [200, 600)')), percent: opt(percent) })),
      headers: opt(stringMap),
      headerControl: opt(bool),
    }),
  ),
  priority: opt(priority),
  policies: opt(strict({ inbound: opt(list(nonEmpty)), outbound: opt(list(nonEmpty)), exclude: opt(list(nonEmpty)) })),
  metadata: opt(v.custom<Record<string, unknown>>(isObject, 'must be an object')),
  errors: opt(errorsConfigSchema),
});
