/**
 * The built-in policy types by `type` name: what a gateway config's `policies.<name>.type`
 * refers to. Frozen; a gateway adds custom types next to these, never into this object.
 */
import type { PolicyDefinition } from '@switchyard/core';
import { corsPolicy } from './cors.js';
import { geoFilterPolicy } from './geo-filter.js';
import { geoPolicy } from './geo.js';
import { ipRestrictionPolicy } from './ip-restriction.js';
import { requestSizeLimitPolicy } from './request-size-limit.js';
import { setHeadersPolicy } from './set-headers.js';

/** Every built-in policy of this package, by type. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each definition has its own options type
export const BUILTIN_POLICIES: Readonly<Record<string, PolicyDefinition<any>>> = Object.freeze({
  [geoPolicy.type]: geoPolicy,
  [geoFilterPolicy.type]: geoFilterPolicy,
  [ipRestrictionPolicy.type]: ipRestrictionPolicy,
  [setHeadersPolicy.type]: setHeadersPolicy,
  [requestSizeLimitPolicy.type]: requestSizeLimitPolicy,
  [corsPolicy.type]: corsPolicy,
});
