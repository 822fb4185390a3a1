/**
 * The built-in policy types by name: what a config's `type` refers to when the code registers
 * nothing else. Frozen; extend it by spreading into your own registry
 * (`{ ...BUILTIN_POLICIES, 'my-policy': myPolicy }`).
 */
import type { PolicyDefinition } from '@switchyard/core';
import { anyAuth } from './any-auth.js';
import { apiKey } from './api-key.js';
import { rateLimit } from './rate-limit.js';

/**
 * Every built-in policy type by its `type` name.
 *
 * @example
 * ```ts
 * import { BUILTIN_POLICIES } from '@switchyard/policies';
 * Object.keys(BUILTIN_POLICIES); // ['api-key', 'any-auth', 'rate-limit', …]
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a registry of definitions with different option types
export const BUILTIN_POLICIES: Readonly<Record<string, PolicyDefinition<any>>> = Object.freeze({
  [apiKey.type]: apiKey,
  [anyAuth.type]: anyAuth,
  [rateLimit.type]: rateLimit,
});
