/**
 * @packageDocumentation
 * @switchyard/limiter — under construction.
 */
export {};
