/**
 * `@switchyard/transport-undici`: the Node {@link Transport} for switchyard, over undici pools.
 *
 * @packageDocumentation
 */
export type { Transport } from '@switchyard/core';
export { createUndiciTransport } from './undici-transport.js';
export type { UndiciTransport, UndiciTransportOptions, OriginStats } from './undici-transport.js';
export { attachUpgrade, type AcquireLike, type AttachUpgradeOptions, type UpgradeDispatcher, type UpgradeServerLike } from './upgrade.js';
