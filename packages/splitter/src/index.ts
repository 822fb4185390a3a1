/**
 * @packageDocumentation
 * @switchyard/splitter — under construction.
 */
export {};
