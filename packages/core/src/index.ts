/**
 * `@switchyard/core`: the contracts every switchyard package shares, and the few primitives
 * they all need. Zero dependencies; runs on Node, Bun, Deno and edge workers.
 *
 * @packageDocumentation
 */
export type { Cancel, Clock } from './clock.js';
export { systemClock } from './system-clock.js';
export type { Rng } from './rng.js';
export { randomInt, chance } from './rng.js';
export { systemRng } from './system-rng.js';
export type { AbortSignalLike, AbortControllerLike } from './abort.js';
export { createAbortController, createLightAbortController, onAbort } from './abort.js';
export type { RequestHeaders, ResponseHeaders, Body, Attributes, SyRequest, SyResponse, UpstreamRequest } from './http.js';
export { isIdempotentMethod, removeConnectionOptions } from './http.js';
export type { SendableProfile, Unsendable, UnsendableField } from './sendable.js';
export { CheckedRequest, checkSendable, describeUnsendable, isSendableHeaderName, isSendableHeaderValue, isSendableHost, isSendableMethod, isSendableTarget } from './sendable.js';
export type { Endpoint, EndpointInput, Locality } from './endpoint.js';
export { createEndpoint } from './endpoint.js';
export type { Outcome, OutcomeErrorKind } from './outcome.js';
export { isFailure, isLocalOrigin } from './outcome.js';
export type { EndpointPoolOptions, EndpointPoolResult, Transport, TransportResult, TransportSendOptions } from './transport.js';
export type { Acquired } from './acquired.js';
export type { Handler, Layer } from './layer.js';
export { compose } from './layer.js';
export type { SwitchyardErrorCode } from './errors.js';
export { ERROR_CODES, ERROR_STATUS, SwitchyardError, isSwitchyardError } from './errors.js';
export type { RequestKey } from './request-key.js';
export { attributeText, cookieValue, decodeQueryComponent, queryValue, readRequestKey } from './request-key.js';
export type { RegexSafety, RegexSafetyOptions } from './regex-safety.js';
export { checkRegexSafety } from './regex-safety.js';
export type { ConfigIssue } from './config.js';
export { ConfigError, IssueCollector, formatPath } from './config.js';
export { murmur3, murmur3Bytes, fmix32, hashToUnit, HASH_VERSION } from './hash.js';
export { encodeUtf8 } from './utf8.js';
export { concatBytes } from './bytes.js';
export type { EwmaState } from './ewma.js';
export { createEwma, observeEwma, decayedEwma } from './ewma.js';
export { parseRetryAfter, formatRetryAfter, formatHttpDate, parseHttpDate } from './retry-after.js';
export type { IpAddress, Cidr } from './ip.js';
export { parseIp, formatIp, parseCidr, cidrContains, maskIp } from './ip.js';
export type { EmptyReason, PickResult, PickInput, LoadBalancer } from './balancer.js';
export type { ClassifiedError } from './network-error.js';
export { classifyAbort, classifyNetworkError, describeError, errorCode, isTimeoutReason } from './network-error.js';
export type {
  Identity,
  GeoInfo,
  GeoSource,
  PolicyRoute,
  PolicyContext,
  PolicyReject,
  PolicyContinue,
  PolicyRespond,
  InboundResult,
  PolicyCapability,
  Policy,
  PolicyFactoryDeps,
  PolicyDefinition,
  StandardSchemaV1,
  StandardSchemaV1Result,
} from './policy.js';
export { definePolicy, CONTINUE } from './policy.js';
export type { CompiledPipeline, OutboundEntry, PipelineEnv, PipelineInbound, PipelineLayer, PipelineStep } from './pipeline.js';
export { GEO_ATTRIBUTE, IDENTITY_ATTRIBUTE, PipelineRun, compileLayers } from './pipeline.js';
