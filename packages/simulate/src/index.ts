/**
 * `@switchyard/simulate`: what-if simulation of a gateway config (scaffold; see issue #22).
 * @packageDocumentation
 */
export {};
