/**
 * `@switchyard/gateway`: one declarative config composing routing, limits, splits, balancing,
 * health and rewrites into a handler that owns the request lifecycle (deadline, retries and
 * budgets, hedging, mirroring, fault injection).
 *
 * @packageDocumentation
 */
export type { ForwardContext, ForwardEvent, ForwardPolicy, ForwardResult, HedgePolicy } from './forward.js';
export { forward } from './forward.js';
export type { RetryOn, RetryPolicy, TryResult } from './retry-policy.js';
export { DEFAULT_RETRY_POLICY, RETRY_ON, backoffMs, isRetriable, tryResultOf } from './retry-policy.js';
export type { RetryBudgetConfig, RetryBudgetState } from './retry-budget.js';
export { availableRetries, createRetryBudget, depositRequest, withdrawRetry } from './retry-budget.js';
export type { GuardedBody, PreparedBody } from './body.js';
export { discardBody, prepareBody } from './body.js';
export type { FaultDecision, FaultPolicy } from './fault.js';
export { NO_FAULT, decideFault } from './fault.js';
export type { MirrorBody, MirrorContext, MirrorPolicy } from './mirror.js';
export { sendMirror, shadowHost, shouldMirror } from './mirror.js';
export type { FromNodeOptions, NodeRequestLike, NodeResponseLike } from './bridge/node.js';
export { clientAbortSignal, fromNodeRequest, nodeHeaders, nodePeerAddress, writeNodeResponse } from './bridge/node.js';
export type { NodeUpgradeBinding, NodeUpgradeOptions, UpgradeGateway } from './bridge/upgrade.js';
export { nodeUpgradeBinding } from './bridge/upgrade.js';
export type { FetchRequestLike, FromFetchOptions } from './bridge/fetch.js';
export { fromFetchRequest, toFetchResponse } from './bridge/fetch.js';
export type { Acquired, Decision, Gateway, GatewayDeps, HandleOptions } from './gateway.js';
export { createGateway, isNoRoute, responseCode } from './gateway.js';
export type { AnyOfSchema, BackendConfig, BalancerConfig, CanaryRuleConfig, GatewayConfig, LimitConfig, LimitKey, PolicyInstanceConfig, PolicyWhen, RatePolicyConfig, RetryConfig, RouteConfig, RoutePoliciesConfig, SplitKey, UpstreamConfig } from './config.js';
export type { ExplainedStep, RouteExplanation } from './explain.js';
export { compileWhen } from './pipeline.js';
export type { ErrorContext, ErrorFormat, ErrorFormatCode, ErrorFormatInput, ErrorFormatter, ErrorLevel, ErrorResponseConfig, ErrorsConfig, ErrorFormatArgs, ErrorFormatPlan } from './error-format.js';
export { ERROR_TEMPLATE_VARIABLES, PROTECTED_ERROR_HEADERS, compileErrors, formatErrorResponse, reasonPhrase } from './error-format.js';
export { errorsConfigSchema, gatewayConfigSchema, structuralIssues } from './config.js';
export type { GatewayPlan } from './compile.js';
export type { GatewayEvent } from './events.js';
export type { AdaptiveConcurrencyConfig, AdaptiveThrottleConfig } from './overload.js';
export type { MeterLike } from './metrics.js';
export { LATENCY_BUCKETS_MS, MetricsRegistry, prometheusName } from './metrics.js';
// Types public signatures reference (GatewayDeps.rollouts, Gateway.rollouts, RouteConfig.sessionPersistence,
// BalancerConfig.hashPolicies, MetricsRegistry.counter/histogram): exported so the API reference documents them.
export type { CounterHandle, HistogramHandle, HistogramView, Labels } from './metrics.js';
export type { AdminHandler, AdminOptions, BackendStats, DashboardSnapshot, RolloutSnapshot, RouteStats, TrafficStats, WindowCount } from './admin.js';
export type { TracingOptions, TryRole, TrySpan, TryTracer } from './tracing.js';
export { TRACER_NAME } from './tracing.js';
export type { SessionPersistenceConfig } from './affinity.js';
export type { FleetRolloutOptions, GatewayRollouts } from './rollout-fleet.js';
export type { GatewayHashPolicy } from './config.js';
