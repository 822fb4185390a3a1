/**
 * `@switchyard/transport-fetch`: switchyard's {@link Transport} over the Fetch API, for edge
 * runtimes (Workers, Deno, Bun) and anywhere `fetch` is the only network client.
 *
 * @packageDocumentation
 */
export type { Transport } from '@switchyard/core';
export { createFetchTransport } from './fetch-transport.js';
export type { FetchTransport, FetchTransportOptions, FetchLike, FetchInit } from './fetch-transport.js';
