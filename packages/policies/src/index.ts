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
