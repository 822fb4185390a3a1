/**
 * @packageDocumentation
 * @switchyard/balancers — under construction.
 */
export {};
