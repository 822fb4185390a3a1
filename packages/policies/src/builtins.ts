/**
 * The built-in policy types by `type` name: what a gateway config's `policies.<name>.type`
 * refers to. Frozen; a gateway adds custom types next to these (`GatewayDeps.policies`), never
 * into this object.
 */
import type { PolicyDefinition } from '@switchyard/core';
import { anyAuth } from './any-auth.js';
import { apiKey } from './api-key.js';
import { corsPolicy } from './cors.js';
import { geoFilterPolicy } from './geo-filter.js';
import { geoPolicy } from './geo.js';
import { ipRestrictionPolicy } from './ip-restriction.js';
import { rateLimit } from './rate-limit.js';
import { requestSizeLimitPolicy } from './request-size-limit.js';
import { setHeadersPolicy } from './set-headers.js';

/**
 * Every built-in policy type by its `type` name.
 *
 * @example
 * ```ts
 * import { BUILTIN_POLICIES } from '@switchyard/policies';
 * Object.keys(BUILTIN_POLICIES); // ['api-key', 'any-auth', 'rate-limit', 'geo', …]
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each definition has its own options type
export const BUILTIN_POLICIES: Readonly<Record<string, PolicyDefinition<any>>> = Object.freeze({
  [apiKey.type]: apiKey,
  [anyAuth.type]: anyAuth,
  [rateLimit.type]: rateLimit,
  [geoPolicy.type]: geoPolicy,
  [geoFilterPolicy.type]: geoFilterPolicy,
  [ipRestrictionPolicy.type]: ipRestrictionPolicy,
  [setHeadersPolicy.type]: setHeadersPolicy,
  [requestSizeLimitPolicy.type]: requestSizeLimitPolicy,
  [corsPolicy.type]: corsPolicy,
});
