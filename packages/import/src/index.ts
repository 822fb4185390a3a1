/**
 * `@switchyard/import`: Import Gateway API HTTPRoutes, Istio VirtualServices/DestinationRules and OpenAPI documents as switchyard gateway config.
 *
 * @packageDocumentation
 */
export {};
