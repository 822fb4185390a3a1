/**
 * @packageDocumentation
 * @switchyard/health — under construction.
 */
export {};
