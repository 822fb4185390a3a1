/**
 * @packageDocumentation
 * @switchyard/rewrite — under construction.
 */
export {};
