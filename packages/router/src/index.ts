/**
 * @packageDocumentation
 * @switchyard/router — under construction.
 */
export {};
