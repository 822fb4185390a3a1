/**
 * @packageDocumentation
 * @switchyard/gateway — under construction.
 */
export {};
