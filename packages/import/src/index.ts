/**
 * `@switchyard/import`: Gateway API HTTPRoutes/GRPCRoutes, Istio VirtualServices/DestinationRules
 * and OpenAPI documents as switchyard gateway config. Pure functions: documents in, config out,
 * plus warnings for what has no counterpart and problems for what the format itself forbids.
 *
 * @packageDocumentation
 */
export type {
  BackendRef,
  BackendResolver,
  DocumentRef,
  ImportedConfig,
  ImportedPolicy,
  ImportedRoute,
  ImportMessage,
  ImportOptions,
  ImportOrigin,
  ImportProblem,
  ImportResult,
  ImportWarning,
  ResolvedEndpoints,
  SessionPersistenceConfig,
} from './types.js';
export type { DocumentInput, ParsedDocuments, ParseOptions, SourcedDocument } from './load.js';
export { importDocuments, importGatewayApi, importIstio, importOpenApi, messageAt, originOf, parseYamlDocuments } from './load.js';
export { envReferenceIn, formatEnvPath, substituteEnv, substituteEnvAt, type EnvMap, type EnvPath } from './env.js';
export { compareRouteDocuments } from './gateway-api.js';
export { formatMessage } from './format.js';
export { importDocumentsValidated, validateOpenApi } from './openapi-validate.js';
export { pathMatch as openApiPathMatch } from './openapi.js';
