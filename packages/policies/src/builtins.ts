import type { PolicyDefinition } from '@switchyard/core';

/**
 * The built-in policy types by `type` name, as the gateway's registry reads them: config refers
 * to them by name (`{ type: 'api-key', options: … }`). Each entry is a definition (a factory with
 * its options schema, no module state): instances are built per config by the gateway.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each definition has its own options type
export const BUILTIN_POLICIES: Readonly<Record<string, PolicyDefinition<any>>> = Object.freeze({});
