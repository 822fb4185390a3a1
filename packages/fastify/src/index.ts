/**
 * @packageDocumentation
 * @switchyard/fastify — under construction.
 */
export {};
