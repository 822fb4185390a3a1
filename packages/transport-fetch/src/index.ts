/**
 * @packageDocumentation
 * @switchyard/transport-fetch — under construction.
 */
export {};
