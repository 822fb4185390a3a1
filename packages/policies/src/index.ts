/**
 * `@switchyard/policies`: Built-in policies for switchyard pipelines: api-key, rate-limit, any-auth, geo, geo-filter, ip-restriction, set-headers, request-size-limit, cors.
 *
 * @packageDocumentation
 */
export { BUILTIN_POLICIES } from './builtins.js';
