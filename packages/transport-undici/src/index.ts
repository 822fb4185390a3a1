/**
 * @packageDocumentation
 * @switchyard/transport-undici — under construction.
 */
export {};
