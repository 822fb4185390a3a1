/**
 * `@switchyard/policies`: Built-in policies for switchyard pipelines: api-key, rate-limit, any-auth, geo, geo-filter, ip-restriction, set-headers, request-size-limit, cors.
 *
 * @packageDocumentation
 */
export { BUILTIN_POLICIES } from './builtins.js';
export type { Consumer, ConsumerInput, KeyStore, MemoryKeyStore } from './key-store.js';
export { createMemoryKeyStore, digestApiKey } from './key-store.js';
export type { GenerateApiKeyOptions } from './api-key-format.js';
export { generateApiKey } from './api-key-format.js';
export type { ApiKeyAllow, ApiKeyOptions, ApiKeyPolicyDefaults } from './api-key.js';
export { apiKey, apiKeyPolicy } from './api-key.js';
export type { AnyAuthOptions } from './any-auth.js';
export { anyAuth } from './any-auth.js';
export type { RateLimitBy, RateLimitKey, RateLimitKeyFunction, RateLimitOptions, RateLimitPolicyDefaults, RateLimitTier } from './rate-limit.js';
export { rateLimit, rateLimitPolicy } from './rate-limit.js';

// Traffic policies: geo sources, geo, geo-filter, ip-restriction, set-headers, request-size-limit, cors.
export type { BuiltinGeoSourceName, GeoHeaderNames, GeoSourceSpec, HeaderGeoSourceOptions } from './geo-sources.js';
export { cloudflareGeoSource, cloudfrontGeoSource, firstGeoSource, geoSourceFor, headerGeoSource, isGeoSource, normalizeCountryCode, normalizeRegionCode, utf8FromByteString, vercelGeoSource } from './geo-sources.js';
export type { GeoBackendRule, GeoOptions } from './geo.js';
export { EU_COUNTRIES, fullRegionCode, geoPolicy } from './geo.js';
export type { GeoFilterList, GeoFilterOptions } from './geo-filter.js';
export { geoFilterAllows, geoFilterPolicy } from './geo-filter.js';
export type { IpRestrictionOptions } from './ip-restriction.js';
export { compileIpRestriction, ipRestrictionPolicy } from './ip-restriction.js';
export type { SetHeaderEntry, SetHeadersOptions, Part as HeaderTemplatePart, Root as HeaderTemplateRoot } from './set-headers.js';
export { compileHeaderTemplate, setHeadersPolicy } from './set-headers.js';
export type { LimitedBody, RequestSizeLimitOptions } from './request-size-limit.js';
export { isBodyTooLargeError, limitBody, requestSizeLimitPolicy, utf8ByteLength } from './request-size-limit.js';
export type { CorsOptions } from './cors.js';
export { corsPolicy, isCorsPreflight } from './cors.js';
