/**
 * @packageDocumentation
 * @switchyard/hono — under construction.
 */
export {};
