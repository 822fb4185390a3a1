/**
 * `@switchyard/cli`: The switchyard command: validate, explain, import and serve gateway configs.
 *
 * @packageDocumentation
 */
export {};
