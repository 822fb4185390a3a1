/**
 * @packageDocumentation
 * @switchyard/redis — under construction.
 */
export {};
