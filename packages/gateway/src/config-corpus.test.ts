import { isSwitchyardError, type ConfigIssue } from '@switchyard/core';
import { createMockTransport, createTestClock } from '@switchyard/testing';
import { describe, expect, it } from 'vitest';
import type { GatewayConfig } from './config.js';
import { createGateway } from './gateway.js';
import { SAMPLE_POLICIES } from './internal/sample-configs.js';

const U = { endpoints: [{ id: 'a', url: 'http://10.0.0.1:80' }] };
const R = { name: 'r', matches: [{ path: { type: 'PathPrefix', value: '/' } }], backends: [{ upstream: 'u' }] };
const ok = (over: Record<string, unknown> = {}, route: Record<string, unknown> = {}, upstream: Record<string, unknown> = {}): unknown => ({
  routes: [{ ...R, ...route }],
  upstreams: { u: { ...U, ...upstream } },
  ...over,
});
const P = { maxTokens: 1, fillIntervalMs: 1000 };
const TWO = { backends: [{ name: 'a', upstream: 'u' }, { name: 'b', upstream: 'u' }] };
const ROLL = { name: 'x', canary: 'b', baseline: 'a', bakeTimeMs: 1000, analysisIntervalMs: 1000 };

/** [description, config, exact path, exact message] */
const CORPUS: ReadonlyArray<readonly [string, unknown, string, string]> = [
  // top level
  ['the document is not an object', [], '(root)', 'must be an object'],
  ['routes missing', { upstreams: {} }, 'routes', 'is required'],
  ['upstreams missing', { routes: [] }, 'upstreams', 'is required'],
  ['typo: upstream for upstreams', { routes: [], upstreams: {}, upstream: {} }, 'upstream', 'unknown key "upstream" (did you mean "upstreams"?)'],
  ['selection model unknown', ok({ selection: 'best' }), 'selection', 'must be \'gateway\' or \'first-match\''],
  ['typo: normalize.mergeSlash', ok({ normalize: { mergeSlash: true } }), 'normalize.mergeSlash', 'unknown key "mergeSlash" (did you mean "mergeSlashes"?)'],
  ['normalize.escapedSlashes unknown', ok({ normalize: { escapedSlashes: 'drop' } }), 'normalize.escapedSlashes', 'must be one of \'reject\', \'keep\', \'decode\''],
  ['typo: clientIdentity.trustedProxy', ok({ clientIdentity: { trustedProxy: ['10.0.0.0/8'] } }), 'clientIdentity.trustedProxy', 'unknown key "trustedProxy" (did you mean "trustedProxies"?)'],
  ['clientIdentity with both trusted proxies and hops', ok({ clientIdentity: { trustedProxies: [], trustedHops: 1 } }), 'clientIdentity', 'give exactly one of trustedProxies and trustedHops'],
  ['clientIdentity.ipv6Prefix over 128', ok({ clientIdentity: { trustedHops: 1, ipv6Prefix: 200 } }), 'clientIdentity.ipv6Prefix', 'must be <= 128'],
  ['rateLimitHeaders unknown', ok({ rateLimitHeaders: 'draft' }), 'rateLimitHeaders', 'must be \'both\', \'ietf\', \'legacy\' or \'none\''],
  ['replayBufferBytes negative', ok({ replayBufferBytes: -1 }), 'replayBufferBytes', 'must be >= 0'],
  // routes
  ['route without a name', ok({}, { name: '' }), 'routes[0].name', 'must be a non-empty string'],
  ['duplicate route names', { routes: [R, R], upstreams: { u: U } }, 'routes[1].name', 'duplicate route name "r"'],
  ['typo: timeoutMS', ok({}, { timeoutMS: 500 }), 'routes[0].timeoutMS', 'unknown key "timeoutMS" (did you mean "timeoutMs"?)'],
  ['typo: limit for limits', ok({}, { limit: ['l'] }), 'routes[0].limit', 'unknown key "limit" (did you mean "limits"?)'],
  ['typo: retries for retry', ok({}, { retries: { numRetries: 2 } }), 'routes[0].retries', 'unknown key "retries" (did you mean "retry"?)'],
  ['hostnames not an array', ok({}, { hostnames: 'api.example.com' }), 'routes[0].hostnames', 'must be an array'],
  ['typo: matches[].paths', ok({}, { matches: [{ paths: { value: '/' } }] }), 'routes[0].matches[0].paths', 'unknown key "paths" (did you mean "path"?)'],
  ['path match type unknown', ok({}, { matches: [{ path: { type: 'Glob', value: '/' } }] }), 'routes[0].matches[0].path.type', 'must be one of \'Exact\', \'PathPrefix\', \'Prefix\', \'Template\', \'RegularExpression\''],
  ['typo: header match ignorecase', ok({}, { matches: [{ headers: [{ name: 'x', value: 'y', ignorecase: true }] }] }), 'routes[0].matches[0].headers[0].ignorecase', 'unknown key "ignorecase" (did you mean "ignoreCase"?)'],
  ['query match type unknown', ok({}, { matches: [{ queryParams: [{ name: 'q', type: 'Prefix', value: 'x' }] }] }), 'routes[0].matches[0].queryParams[0].type', 'must be one of \'Exact\', \'RegularExpression\', \'Present\''],
  ['typo: attribute match equal', ok({}, { matches: [{ attributes: [{ key: 'tier', equal: 'gold' }] }] }), 'routes[0].matches[0].attributes[0].equal', 'unknown key "equal" (did you mean "equals"?)'],
  ['runtimeFraction over 100', ok({}, { matches: [{ runtimeFraction: { percent: 150 } }] }), 'routes[0].matches[0].runtimeFraction.percent', 'must be <= 100'],
  ['route path not absolute', ok({}, { matches: [{ path: { type: 'PathPrefix', value: 'api' } }] }), 'routes[0].matches[0].path.value', 'must start with "/"'],
  ['unsafe route regex', ok({}, { matches: [{ path: { type: 'RegularExpression', value: '/(a+)+$' } }] }), 'routes[0].matches[0].path.value', 'rejected regular expression: nested quantifier: a repeated group whose body can vary in length'],
  ['unknown upstream', ok({}, { backends: [{ upstream: 'nope' }] }), 'routes[0].backends[0].upstream', 'unknown upstream "nope"'],
  ['typo: backend weigth', ok({}, { backends: [{ upstream: 'u', weigth: 2 }] }), 'routes[0].backends[0].weigth', 'unknown key "weigth" (did you mean "weight"?)'],
  ['negative weight', ok({}, { backends: [{ upstream: 'u', weight: -1 }] }), 'routes[0].backends[0].weight', 'must be >= 0'],
  ['fractional weight', ok({}, { backends: [{ upstream: 'u', weight: 1.5 }] }), 'routes[0].backends[0].weight', 'must be an integer'],
  ['subset selecting nothing', ok({}, { backends: [{ upstream: 'u', subset: { version: 'v9' } }] }), 'routes[0].backends[0].subset', 'selects no endpoint of upstream "u"'],
  ['redirect and backends', ok({}, { redirect: { statusCode: 301 } }), 'routes[0].redirect', 'a route either redirects or forwards, not both'],
  ['typo: split key heder', ok({}, { split: { key: { heder: 'x-user' } } }), 'routes[0].split.key.heder', 'unknown key "heder" (did you mean "header"?)'],
  ['split canary selector with two kinds', ok({}, { ...TWO, split: { canary: [{ backend: 'b', when: { header: 'x', query: 'y' } }] } }), 'routes[0].split.canary[0].when', 'give exactly one of header, query, keyIn and attribute'],
  ['typo: split canary backnd', ok({}, { ...TWO, split: { canary: [{ backnd: 'b', when: { header: 'x' } }] } }), 'routes[0].split.canary[0].backnd', 'unknown key "backnd" (did you mean "backend"?)'],
  ['rollout canary not a backend', ok({}, { rollout: { ...ROLL, canary: 'v2', baseline: 'u' } }), 'routes[0].rollout.canary', 'unknown backend "v2"'],
  ['rollout steps not increasing', ok({}, { ...TWO, rollout: { ...ROLL, steps: [50, 10] } }), 'routes[0].rollout.steps[1]', 'steps must increase strictly'],
  ['rollout stepWeight with steps', ok({}, { ...TWO, rollout: { ...ROLL, bakeTimeMs: undefined, stepWeight: 20, steps: [10, 20] } }), 'routes[0].rollout.stepWeight', 'give stepWeight (linear) or steps/stepWeights (a list), not both'],
  ['rollout maxWeight without stepWeight', ok({}, { ...TWO, rollout: { ...ROLL, maxWeight: 50 } }), 'routes[0].rollout.maxWeight', 'needs stepWeight (with a list of steps, the last one is the maximum)'],
  ['rollout iterations with steps', ok({}, { ...TWO, rollout: { ...ROLL, bakeTimeMs: undefined, iterations: 5, steps: [10] } }), 'routes[0].rollout.steps', 'not with iterations (A/B: the weight stays 0 and each passing check is one iteration)'],
  ['rollout progress deadline shorter than a bake', ok({}, { ...TWO, rollout: { ...ROLL, progressDeadlineMs: 500 } }), 'routes[0].rollout.progressDeadlineMs', 'must exceed every bake time (a step could never finish)'],
  ['rollout progressDeadlineAction unknown', ok({}, { ...TWO, rollout: { ...ROLL, progressDeadlineMs: 5000, progressDeadlineAction: 'ignore' } }), 'routes[0].rollout.progressDeadlineAction', "must be one of 'rollback', 'pause'"],
  ['rollout latencyQuantile of 1', ok({}, { ...TWO, rollout: { ...ROLL, latencyQuantile: 1 } }), 'routes[0].rollout.latencyQuantile', 'must be in (0, 1)'],
  ['rollout maxLatencySamples (removed: histograms)', ok({}, { ...TWO, rollout: { ...ROLL, maxLatencySamples: 100 } }), 'routes[0].rollout.maxLatencySamples', 'unknown key "maxLatencySamples" (did you mean "minLatencySamples"?)'],
  ['rollout webhook type unknown', ok({}, { ...TWO, rollout: { ...ROLL, webhooks: [{ name: 'w', type: 'pre-promotion', url: 'http://h/x' }] } }), 'routes[0].rollout.webhooks[0].type', "must be one of 'confirm-rollout', 'pre-rollout', 'rollout', 'confirm-traffic-increase', 'confirm-promotion', 'post-rollout', 'rollback'"],
  ['rollout webhook url not http', ok({}, { ...TWO, rollout: { ...ROLL, webhooks: [{ name: 'w', url: 'ftp://h/x' }] } }), 'routes[0].rollout.webhooks[0].url', 'must be an http(s) URL'],
  ['sessionPersistence type unknown', ok({}, { ...TWO, sessionPersistence: { sessionName: 's', type: 'Url' } }), 'routes[0].sessionPersistence.type', "must be one of 'Cookie', 'Header'"],
  ['typo: sessionPersistence sessionname', ok({}, { ...TWO, sessionPersistence: { sessionname: 's' } }), 'routes[0].sessionPersistence.sessionname', 'unknown key "sessionname" (did you mean "sessionName"?)'],
  ['typo: rollout bakeTime', ok({}, { ...TWO, rollout: { name: 'x', canary: 'b', baseline: 'a', bakeTime: 1000, analysisIntervalMs: 1000 } }), 'routes[0].rollout.bakeTime', 'unknown key "bakeTime" (did you mean "bakeTimeMs"?)'],
  ['experiment without variants', ok({}, { experiment: { name: 'e', key: { header: 'x-user' } } }), 'routes[0].experiment.variants', 'is required'],
  ['typo: experiment key cookei', ok({}, { experiment: { name: 'e', variants: [{ name: 'a' }], key: { cookei: 'uid' } } }), 'routes[0].experiment.key.cookei', 'unknown key "cookei" (did you mean "cookie"?)'],
  ['typo: rewrite requestHeader', ok({}, { rewrite: { requestHeader: { set: { a: 'b' } } } }), 'routes[0].rewrite.requestHeader', 'unknown key "requestHeader" (did you mean "requestHeaders"?)'],
  ['rewrite path type unknown', ok({}, { rewrite: { path: { type: 'Replace', value: '/' } } }), 'routes[0].rewrite.path.type', 'must be one of \'ReplaceFullPath\', \'ReplacePrefixMatch\', \'PrefixRewrite\', \'RegexRewrite\', \'StripPrefix\', \'Template\''],
  ['typo: rewrite path templat', ok({}, { rewrite: { path: { type: 'Template', templat: '/x' } } }), 'routes[0].rewrite.path.templat', 'unknown key "templat" (did you mean "template"?)'],
  ['rewrite with a malformed template', ok({}, { rewrite: { path: { type: 'Template', template: '/x/${nope.id}' } } }), 'routes[0].rewrite.path.template', 'unknown placeholder source "nope" (expected params, query, headers, attributes, upstream)'],
  ['rewrite template names a parameter no match captures', ok({}, { rewrite: { path: { type: 'Template', template: '/orders/${params.id}' } } }), 'routes[0].rewrite.path.template', 'names ${params.id}, but no match of this route captures "id" (it captures none)'],
  ['rewrite header template names a parameter of another route', ok({}, { matches: [{ path: { type: 'Template', value: '/users/:user' } }], rewrite: { requestHeaders: { set: { 'x-id': '${params.id}' } } } }), 'routes[0].rewrite.requestHeaders.set["x-id"]', 'names ${params.id}, but no match of this route captures "id" (it captures :user)'],
  ['rewrite.url origin not an allowed upstream', ok({}, { rewrite: { url: 'https://evil.example/steal' } }), 'routes[0].rewrite.url', 'origin "https://evil.example" is not an allowed upstream (an endpoint of the route\'s backends or an entry of allowedUpstreams); use ${upstream}/… to keep the endpoint the balancer picked'],
  ['typo: rewrite host literl', ok({}, { rewrite: { host: { literl: 'a.internal' } } }), 'routes[0].rewrite.host.literl', 'unknown key "literl" (did you mean "literal"?)'],
  ['rewrite forwarded mode unknown', ok({}, { rewrite: { forwarded: { mode: 'replace' } } }), 'routes[0].rewrite.forwarded.mode', "must be one of 'trusted', 'append', 'overwrite', 'off'"],
  ['redirect status 300', ok({}, { backends: undefined, redirect: { statusCode: 300 } }), 'routes[0].redirect.statusCode', 'must be one of 301, 302, 303, 307, 308'],
  ['typo: redirect stripquery', ok({}, { backends: undefined, redirect: { stripquery: true } }), 'routes[0].redirect.stripquery', 'unknown key "stripquery" (did you mean "stripQuery"?)'],
  ['unknown limit', ok({}, { limits: ['nope'] }), 'routes[0].limits[0]', 'unknown limit "nope"'],
  ['negative timeout', ok({}, { timeoutMs: -5 }), 'routes[0].timeoutMs', 'must be >= 0'],
  ['per-try longer than the route timeout', ok({}, { timeoutMs: 100, perTryTimeoutMs: 500 }), 'routes[0].perTryTimeoutMs', 'must be <= timeoutMs (100)'],
  ['typo: retry numRetry', ok({}, { retry: { numRetry: 3 } }), 'routes[0].retry.numRetry', 'unknown key "numRetry" (did you mean "numRetries"?)'],
  ['unknown retry_on', ok({}, { retry: { retryOn: ['sometimes'] } }), 'routes[0].retry.retryOn[0]', 'must be a known retry_on condition'],
  ['retriable-status-codes without codes', ok({}, { retry: { retryOn: ['retriable-status-codes'] } }), 'routes[0].retry.retriableStatusCodes', 'must list codes when retryOn has \'retriable-status-codes\''],
  ['retry budget ttl too short', ok({}, { retry: { budget: { ttlMs: 10 } } }), 'routes[0].retry.budget.ttlMs', 'must be >= 1000'],
  ['typo: retry budget ratios', ok({}, { retry: { budget: { ratios: 0.2 } } }), 'routes[0].retry.budget.ratios', 'unknown key "ratios" (did you mean "ratio"?)'],
  ['retriable status codes without their retryOn condition', ok({}, { retry: { retriableStatusCodes: [503] } }), 'routes[0].retry.retriableStatusCodes', "has no effect unless retryOn includes 'retriable-status-codes'"],
  ['hedge on per-try timeout without a per-try timeout', ok({}, { retry: {}, hedge: { onPerTryTimeout: true } }), 'routes[0].hedge.onPerTryTimeout', 'has no effect without perTryTimeoutMs (Envoy hedge_on_per_try_timeout)'],
  ['hedge without retry', ok({}, { hedge: { onPerTryTimeout: true } }), 'routes[0].hedge', 'hedging needs a retry policy (hedges count as retries, as in Envoy)'],
  ['typo: hedge delay', ok({}, { retry: {}, hedge: { delay: 50 } }), 'routes[0].hedge.delay', 'unknown key "delay" (did you mean "delayMs"?)'],
  ['mirror to an unknown upstream', ok({}, { mirror: { upstream: 'ghost' } }), 'routes[0].mirror.upstream', 'unknown upstream "ghost"'],
  ['mirror percent over 100', ok({}, { mirror: { upstream: 'u', percent: 150 } }), 'routes[0].mirror.percent', 'must be <= 100'],
  ['typo: mirror upstrem', ok({}, { mirror: { upstrem: 'u' } }), 'routes[0].mirror.upstrem', 'unknown key "upstrem" (did you mean "upstream"?)'],
  ['fault delay without a percentage', ok({}, { fault: { delay: { fixedDelayMs: 100 } } }), 'routes[0].fault.delay.percent', 'is required: without it no request is delayed (0 %, as in Envoy and Istio)'],
  ['fault status out of range', ok({}, { fault: { abort: { httpStatus: 99 } } }), 'routes[0].fault.abort.httpStatus', 'must be in [200, 600)'],
  ['typo: fault delay fixedDelay', ok({}, { fault: { delay: { fixedDelay: 10 } } }), 'routes[0].fault.delay.fixedDelay', 'unknown key "fixedDelay" (did you mean "fixedDelayMs"?)'],
  // upstreams
  ['typo: upstream healthcheck', ok({}, {}, { healthcheck: { path: '/healthz' } }), 'upstreams.u.healthcheck', 'unknown key "healthcheck" (did you mean "healthCheck"?)'],
  ['upstream named __proto__', { routes: [], upstreams: JSON.parse('{"__proto__": {"endpoints": []}}') as unknown }, 'upstreams.__proto__', '"__proto__" is a reserved name'],
  ['endpoint URL with a path', ok({}, {}, { endpoints: [{ id: 'a', url: 'http://10.0.0.1:80/api' }] }), 'upstreams.u.endpoints[0].url', 'must be an http(s) origin like http://host:port, got "http://10.0.0.1:80/api"'],
  ['endpoint weight 0', ok({}, {}, { endpoints: [{ id: 'a', url: 'http://10.0.0.1:80', weight: 0 }] }), 'upstreams.u.endpoints[0].weight', 'must be >= 1'],
  ['typo: endpoint metdata', ok({}, {}, { endpoints: [{ url: 'http://10.0.0.1:80', metdata: { version: 'v1' } }] }), 'upstreams.u.endpoints[0].metdata', 'unknown key "metdata" (did you mean "metadata"?)'],
  ['endpoint weight with a balancer that ignores weights', ok({}, {}, { endpoints: [{ url: 'http://10.0.0.1:80', weight: 3 }] }), 'upstreams.u.endpoints[0].weight', "has no effect with balancer 'round-robin' (weights count with weighted-round-robin, weighted-random, least-request, ring-hash and maglev)"],
  ['duplicate endpoint ids', ok({}, {}, { endpoints: [{ id: 'a', url: 'http://10.0.0.1:80' }, { id: 'a', url: 'http://10.0.0.2:80' }] }), 'upstreams.u.endpoints[1].id', 'duplicate endpoint id "a"'],
  ['empty upstream', ok({}, {}, { endpoints: [] }), 'upstreams.u.endpoints', 'must list at least one endpoint'],
  ['endpoint locality without locality balancing', ok({}, {}, { endpoints: [{ url: 'http://10.0.0.1:80', locality: { zone: 'eu-1a' } }] }), 'upstreams.u.endpoints[0].locality', 'has no effect without upstreams.u.locality (locality-weighted balancing; {} for the defaults)'],
  ['unknown balancer', ok({}, {}, { balancer: { policy: 'fastest' } }), 'upstreams.u.balancer.policy', 'must be one of round-robin, weighted-round-robin, random, weighted-random, least-request, peak-ewma, client-side-weighted-round-robin, ring-hash, maglev'],
  ['hashing compatibility unknown', ok({}, {}, { balancer: { policy: 'maglev', compatibility: 'nginx' } }), 'upstreams.u.balancer.compatibility', "must be one of 'switchyard', 'envoy'"],
  ['hashing compatibility on a non-hashing balancer', ok({}, {}, { balancer: { policy: 'round-robin', compatibility: 'envoy' } }), 'upstreams.u.balancer.compatibility', 'unknown key "compatibility" (known keys: policy)'],
  ['envoy compatibility with a murmur3 hash cache', ok({}, {}, { balancer: { policy: 'ring-hash', compatibility: 'envoy', hashCacheSize: 64 } }), 'upstreams.u.balancer.hashCacheSize', "remembers murmur3 hashes: not available with compatibility: 'envoy'"],
  ['typo: onMissingKey', ok({ limits: { l: { key: 'global', policy: P, onMissingkey: 'deny' } } }), 'limits.l.onMissingkey', 'unknown key "onMissingkey" (did you mean "onMissingKey"?)'],
  ['onMissingKey unknown', ok({ limits: { l: { key: 'global', policy: P, onMissingKey: 'drop' } } }), 'limits.l.onMissingKey', "must be one of 'deny', 'allow', 'shared'"],
  ['typo: idleTimeoutMS', ok({}, { idleTimeoutMS: 5 }), 'routes[0].idleTimeoutMS', 'unknown key "idleTimeoutMS" (did you mean "idleTimeoutMs"?)'],
  ['propagateDeadline not a boolean', ok({}, { propagateDeadline: 'yes' }), 'routes[0].propagateDeadline', 'must be true or false'],
  ['typo: adaptiveThrottle.windowMS', ok({}, {}, { adaptiveThrottle: { windowMS: 1000 } }), 'upstreams.u.adaptiveThrottle.windowMS', 'unknown key "windowMS" (did you mean "windowMs"?)'],
  ['adaptiveConcurrency algorithm unknown', ok({}, {}, { adaptiveConcurrency: { algorithm: 'bbr' } }), 'upstreams.u.adaptiveConcurrency.algorithm', "must be 'aimd', 'gradient' or 'vegas'"],
  ['route priority unknown', ok({}, { priority: 'urgent' }), 'routes[0].priority', "must be 'critical', 'default' or 'sheddable'"],
  ['typo: maglev tablesize', ok({}, {}, { balancer: { policy: 'maglev', tablesize: 65537 } }), 'upstreams.u.balancer.tablesize', 'unknown key "tablesize" (did you mean "tableSize"?)'],
  ['an option of another balancer', ok({}, {}, { balancer: { policy: 'least-request', tableSize: 65537 } }), 'upstreams.u.balancer.tableSize', 'unknown key "tableSize" (known keys: policy, choiceCount, sampling, activeRequestBias, selectionMethod, slowStart)'],
  ['maglev table size not prime', ok({}, {}, { balancer: { policy: 'maglev', tableSize: 65536 } }), 'upstreams.u.balancer.tableSize', 'must be a prime <= 5000011'],
  ['ttlMs on a header hash policy', ok({}, {}, { balancer: { policy: 'ring-hash', hashPolicies: [{ kind: 'header', name: 'x', ttlMs: 1000 }] } }), 'upstreams.u.balancer.hashPolicies[0].ttlMs', 'unknown key "ttlMs" (known keys: kind, name, terminal)'],
  ['hash policy kind unknown', ok({}, {}, { balancer: { policy: 'ring-hash', hashPolicies: [{ kind: 'body' }] } }), 'upstreams.u.balancer.hashPolicies[0].kind', 'must be one of \'header\', \'cookie\', \'query-parameter\', \'source-ip\', \'attribute\''],
  ['client-side weighted round robin with load reports', ok({}, {}, { balancer: { policy: 'client-side-weighted-round-robin', loadSource: 'reports' } }), 'upstreams.u.balancer.loadSource', 'must be \'latency\': the gateway has no way to feed load reports to the balancer'],
  ['typo: slowStart window', ok({}, {}, { balancer: { policy: 'weighted-round-robin', slowStart: { slowStartWindow: 1000 } } }), 'upstreams.u.balancer.slowStart.slowStartWindow', 'unknown key "slowStartWindow" (did you mean "slowStartWindowMs"?)'],
  ['panic threshold over 100', ok({}, {}, { panicThresholdPercent: 120 }), 'upstreams.u.panicThresholdPercent', 'must be <= 100'],
  ['typo: priority overprovisioning', ok({}, {}, { priority: { overprovisioning: 1.4 } }), 'upstreams.u.priority.overprovisioning', 'unknown key "overprovisioning" (did you mean "overprovisioningFactor"?)'],
  ['locality weight function (config is data)', ok({}, {}, { locality: { localityWeight: 'zone' } }), 'upstreams.u.locality.localityWeight', 'unknown key "localityWeight" (known keys: overprovisioningFactor, localZone)'],
  ['typo: healthCheck intervalMS', ok({}, {}, { healthCheck: { intervalMS: 1000 } }), 'upstreams.u.healthCheck.intervalMS', 'unknown key "intervalMS" (did you mean "intervalMs"?)'],
  ['health check status range backwards', ok({}, {}, { healthCheck: { expectedStatuses: [{ start: 300, end: 200 }] } }), 'upstreams.u.healthCheck.expectedStatuses[0]', 'must be a half-open range within [100, 600) with start < end, got {"start":300,"end":200}'],
  ['typo: outlier consecutive5XX', ok({}, {}, { outlierDetection: { consecutive5XX: 3 } }), 'upstreams.u.outlierDetection.consecutive5XX', 'unknown key "consecutive5XX" (did you mean "consecutive5xx"?)'],
  ['outlier max ejection time below base', ok({}, {}, { outlierDetection: { baseEjectionTimeMs: 60_000, maxEjectionTimeMs: 1_000 } }), 'upstreams.u.outlierDetection.maxEjectionTimeMs', 'must be >= baseEjectionTimeMs (60000), got 1000'],
  ['circuit breaker isFailure (config is data)', ok({}, {}, { circuitBreaker: { isFailure: 'status >= 500' } }), 'upstreams.u.circuitBreaker.isFailure', 'unknown key "isFailure" (known keys: name, policy, minOpenMs, maxOpenMs, jitterRatio, halfOpenMaxProbes, halfOpenSuccessThreshold)'],
  ['circuit breaker policy kind unknown', ok({}, {}, { circuitBreaker: { policy: { kind: 'adaptive' } } }), 'upstreams.u.circuitBreaker.policy.kind', 'must be one of \'consecutive\', \'sampling\''],
  ['typo: resourceLimits maxRequest', ok({}, {}, { resourceLimits: { maxRequest: 10 } }), 'upstreams.u.resourceLimits.maxRequest', 'unknown key "maxRequest" (did you mean "maxRequests"?)'],
  // limits
  ['limit with neither policy nor tiers', ok({ limits: { l: { key: 'global' } } }), 'limits.l', 'give exactly one of policy and tiers'],
  ['typo: limit polcy', ok({ limits: { l: { key: 'global', polcy: P } } }), 'limits.l.polcy', 'unknown key "polcy" (did you mean "policy"?)'],
  ['limit key unknown', ok({ limits: { l: { key: 'everyone', policy: P } } }), 'limits.l.key', 'must be \'client-ip\', \'route\', \'global\', { header }, { apiKey }, { attribute } or { identity }'],
  ['limit identity key not sub or data.x', ok({ limits: { l: { key: { identity: 'tier' }, policy: P } } }), 'limits.l.key.identity', "must be 'sub' or 'data.<field>' (the identity a policy set: { sub, data })"],
  ['identity-keyed limit with no auth policy before it', ok({ limits: { l: { key: { identity: 'sub' }, policy: P } } }, { limits: ['l'] }), 'routes[0].limits[0]', 'limit "l" is keyed on the caller\'s identity, but no policy that provides identity runs before it on this route (list an auth policy in policies.inbound or pipeline.inbound)'],
  // policies and pipelines
  ['policy type unknown, near a known one', ok({ policies: { a: { type: 'sample-auht' } } }), 'policies.a.type', 'unknown policy type "sample-auht" (did you mean "sample-auth"?)'],
  ['policy type jwt not registered', ok({ policies: { a: { type: 'jwt' } } }), 'policies.a.type', "unknown policy type \"jwt\": register it: import { jwtPolicy } from '@switchyard/jwt' and pass it in deps.policies"],
  ['typo: policy option', ok({ policies: { a: { type: 'sample-auth', option: {} } } }), 'policies.a.option', 'unknown key "option" (did you mean "options"?)'],
  ['policy without a type', ok({ policies: { a: { options: {} } } }), 'policies.a.type', 'is required'],
  ['policy option of the wrong type', ok({ policies: { a: { type: 'sample-auth', options: { header: 3 } } } }), 'policies.a.options.header', 'must be a string'],
  ['typo: policy when methd', ok({ policies: { a: { type: 'sample-auth', when: { methd: 'GET' } } } }), 'policies.a.when.methd', 'unknown key "methd" (did you mean "method"?)'],
  ['policy errors not an object', ok({ policies: { a: { type: 'sample-auth', errors: 'x' } } }), 'policies.a.errors', 'must be an object'],
  ['typo: pipeline inbund', ok({ pipeline: { inbund: [] } }), 'pipeline.inbund', 'unknown key "inbund" (did you mean "inbound"?)'],
  ['gateway-wide policy unknown', ok({ pipeline: { inbound: ['nope'] } }), 'pipeline.inbound[0]', 'unknown policy "nope": name an entry of the top-level policies'],
  ['route policy unknown, near a known one', ok({ policies: { auth: { type: 'sample-auth' } } }, { policies: { inbound: ['atuh'] } }), 'routes[0].policies.inbound[0]', 'unknown policy "atuh" (did you mean "auth"?): name an entry of the top-level policies'],
  ['route policy listed twice', ok({ policies: { a: { type: 'sample-auth' } } }, { policies: { inbound: ['a', 'a'] } }), 'routes[0].policies.inbound[1]', 'policy "a" is listed twice in this route\'s pipeline (gateway-wide lists included): a policy instance runs once per request'],
  ['route repeats a gateway-wide policy', ok({ policies: { a: { type: 'sample-auth' } }, pipeline: { inbound: ['a'] } }, { policies: { inbound: ['a'] } }), 'routes[0].policies.inbound[0]', 'policy "a" is listed twice in this route\'s pipeline (gateway-wide lists included): a policy instance runs once per request'],
  ['route exclude of a policy that is not gateway-wide', ok({ policies: { a: { type: 'sample-auth' } } }, { policies: { inbound: ['a'], exclude: ['a'] } }), 'routes[0].policies.exclude[0]', '"a" is not in the gateway-wide pipeline lists: exclude removes gateway-wide entries only'],
  ['typo: route policies inbund', ok({}, { policies: { inbund: [] } }), 'routes[0].policies.inbund', 'unknown key "inbund" (did you mean "inbound"?)'],
  ['inbound-only policy listed under outbound', ok({ policies: { a: { type: 'sample-auth' } } }, { policies: { outbound: ['a'] } }), 'routes[0].policies.outbound[0]', 'policy "a" (type "sample-auth") has no outbound side: list it under inbound'],
  ['per-consumer policy before auth', ok({ policies: { q: { type: 'sample-quota' }, auth: { type: 'sample-auth' } } }, { policies: { inbound: ['q', 'auth'] } }), 'routes[0].policies.inbound[0]', 'policy "q" requires identity, but no policy that provides it runs before it (put an auth policy first)'],
  ['gateway-wide per-consumer policy before auth', ok({ policies: { q: { type: 'sample-quota' } }, pipeline: { inbound: ['q'] } }), 'pipeline.inbound[0]', 'policy "q" requires identity, but no policy that provides it runs before it (put an auth policy first)'],
  ['route excludes the auth a gateway-wide policy needs', ok({ policies: { q: { type: 'sample-quota' }, auth: { type: 'sample-auth' } }, pipeline: { inbound: ['auth', 'q'] } }, { policies: { exclude: ['auth'] } }), 'routes[0].policies.exclude', 'policy "q" requires identity, but no policy that provides it runs before it (put an auth policy first): this route excludes its provider'],
  ['route metadata not an object', ok({}, { metadata: [1] }), 'routes[0].metadata', 'must be an object'],
  ['typo: limit key headr', ok({ limits: { l: { key: { headr: 'x-user' }, policy: P } } }), 'limits.l.key.headr', 'unknown key "headr" (did you mean "header"?)'],
  ['client-ip without trusted proxies', ok({ limits: { l: { key: 'client-ip', policy: P } } }), 'limits.l.key', '\'client-ip\' needs a top-level clientIdentity setting (trusted proxies or hops): never key on a spoofable header by accident'],
  ['fill interval under 50 ms', ok({ limits: { l: { key: 'global', policy: { maxTokens: 1, fillIntervalMs: 10 } } } }), 'limits.l.policy.fillIntervalMs', 'must be a number >= 50 (Envoy enforces 50 ms)'],
  ['sliding window with token-bucket fields', ok({ limits: { l: { key: 'global', policy: { algorithm: 'sliding-window', limit: 1, windowMs: 1000, maxTokens: 1 } } } }), 'limits.l.policy.maxTokens', 'unknown key "maxTokens" (known keys: algorithm, limit, windowMs)'],
  ['limit mode unknown', ok({ limits: { l: { key: 'global', policy: P, mode: 'log' } } }), 'limits.l.mode', 'must be one of \'enforce\', \'shadow\''],
  ['typo: tiers polices', ok({ limits: { l: { key: 'global', tiers: { polices: { free: P } } } } }), 'limits.l.tiers.polices', 'unknown key "polices" (did you mean "policies"?)'],
  ['tier default unknown', ok({ limits: { l: { key: 'global', tiers: { policies: { free: P }, default: 'gold' } } } }), 'limits.l.tiers.default', 'unknown tier "gold"'],
  ['typo: tier match header', ok({ limits: { l: { key: 'global', tiers: { policies: { free: P }, match: [{ tier: 'free', header: { a: 'b' } }] } } } }), 'limits.l.tiers.match[0].header', 'unknown key "header" (did you mean "headers"?)'],
];

function issuesOf(config: unknown): readonly ConfigIssue[] {
  const clock = createTestClock();
  try {
    createGateway(config as GatewayConfig, { transport: createMockTransport({ clock }), clock, policies: SAMPLE_POLICIES });
  } catch (err) {
    if (isSwitchyardError(err) && err.code === 'SY_CONFIG_INVALID') return (err as unknown as { issues: ConfigIssue[] }).issues;
    throw err;
  }
  return [];
}

describe('config validation corpus', () => {
  it('has at least 60 broken configs, one per key family', () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(60);
  });

  it('accepts the valid base config', () => {
    expect(issuesOf(ok())).toEqual([]);
  });

  it.each(CORPUS)('rejects %s', (_name, config, path, message) => {
    expect(issuesOf(config)).toContainEqual({ path, message });
  });

  it('reports every problem at once, not just the first', () => {
    const issues = issuesOf(ok({ selection: 'best' }, { timeoutMs: -1, backends: [{ upstream: 'u', weight: -2 }] }));
    expect(issues.map((i) => i.path)).toEqual(expect.arrayContaining(['selection', 'routes[0].timeoutMs', 'routes[0].backends[0].weight']));
  });

  it('reports every unknown key of one object, not only the first', () => {
    expect(issuesOf(ok({}, { timeoutMS: 1, retries: {}, limit: [] }))).toEqual([
      { path: 'routes[0].timeoutMS', message: 'unknown key "timeoutMS" (did you mean "timeoutMs"?)' },
      { path: 'routes[0].retries', message: 'unknown key "retries" (did you mean "retry"?)' },
      { path: 'routes[0].limit', message: 'unknown key "limit" (did you mean "limits"?)' },
    ]);
  });
});
