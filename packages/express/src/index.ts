/**
 * @packageDocumentation
 * @switchyard/express — under construction.
 */
export {};
