/**
 * The importers' shared shapes: the documents they name in their messages, the messages
 * themselves, the backend resolver and the options every importer takes.
 */
import type { EndpointInput } from '@switchyard/core';
import type { GatewayConfig, RouteConfig, UpstreamConfig } from '@switchyard/gateway';

/** Which document a message is about: `HTTPRoute default/reviews (routes.yaml)`. */
export interface DocumentRef {
  readonly kind: string;
  readonly namespace?: string;
  readonly name?: string;
  /** The file it came from, when the caller said (`parseYamlDocuments(text, file)`). */
  readonly file?: string;
  /** Its position in the file (0-based), for documents without a name. */
  readonly index?: number;
}

/**
 * One message of an import: a field with no switchyard counterpart (a warning), or a manifest
 * the reference system itself would refuse (a problem). `path` is the field path inside the
 * document (`spec.rules[0].filters[1].urlRewrite.path`), or a JSON pointer for OpenAPI
 * (`#/paths/~1users~1{id}/get/x-switchyard/timeoutMs`).
 */
export interface ImportMessage {
  readonly document: DocumentRef;
  readonly path: string;
  readonly message: string;
}

/** A field that has no counterpart in switchyard's config (or a lossy mapping): the import goes on. */
export type ImportWarning = ImportMessage;
/** A manifest that breaks its format's rules (CRD schema, CEL, Istio validation, OpenAPI schema). */
export type ImportProblem = ImportMessage;

/**
 * A route as the importers emit it: a gateway {@link RouteConfig} plus the keys other parts
 * of switchyard add (`policies` for the policy pipeline, `sessionPersistence` for Gateway API
 * session persistence). When the gateway in use does not know them yet, its strict schema
 * names them as unknown keys.
 */
export type ImportedRoute = RouteConfig & {
  /** Names of entries of the {@link ImportedConfig}'s `policies` run on the way in. */
  readonly policies?: { readonly inbound?: readonly string[] };
  /** Gateway API `sessionPersistence` (GEP-1619). */
  readonly sessionPersistence?: SessionPersistenceConfig;
};

/** Gateway API `HTTPRouteRule.sessionPersistence`, in switchyard's units. */
export interface SessionPersistenceConfig {
  /** The cookie or header name; `sy-session` when the document gives none (GEP-1619 leaves it to the implementation). */
  readonly sessionName: string;
  readonly type: 'Cookie' | 'Header';
  readonly absoluteTimeoutMs?: number;
  readonly idleTimeoutMs?: number;
}

/** A named policy instance (the pipeline's `policies` map): a built-in `type` with its options. */
export interface ImportedPolicy {
  readonly type: string;
  readonly options: Readonly<Record<string, unknown>>;
}

/** The config an import produces: a {@link GatewayConfig} whose routes may carry policies. */
export type ImportedConfig = Omit<GatewayConfig, 'routes'> & {
  readonly routes: readonly ImportedRoute[];
  readonly policies?: Readonly<Record<string, ImportedPolicy>>;
};

/** Where a route or upstream of the result came from. */
export interface ImportOrigin {
  // Deliberately alike: splitter/src/analysis.ts (CheckResult, WindowAnalysis) — a data type's list of readonly fields: alike in shape only, different fields and meanings
  readonly document: DocumentRef;
  /** Field path (or JSON pointer) in that document: the rule, http route, operation or backend reference. */
  readonly path: string;
}

/** What every importer returns. `config` is built from whatever was valid, also when there are problems. */
export interface ImportResult {
  readonly config: ImportedConfig;
  readonly warnings: readonly ImportWarning[];
  readonly problems: readonly ImportProblem[];
  /**
   * Where each route (by name) and upstream (by name) came from: map a problem the gateway finds
   * later (`routes[3].matches[0].path.value: rejected regular expression…`) back to the manifest
   * with {@link originOf}.
   */
  readonly origins: { readonly routes: Readonly<Record<string, ImportOrigin>>; readonly upstreams: Readonly<Record<string, ImportOrigin>> };
}

/**
 * A service a manifest names, as the resolver sees it.
 * - `service`: Gateway API `backendRef {name, namespace, port}`, Istio `destination {host, subset, port}`
 *   (`host` reduced to `name` + `namespace` when it is a cluster name); `subset` with its labels.
 * - `url`: OpenAPI `servers[].url` (variables substituted), an origin.
 */
export type BackendRef =
  | {
      readonly kind: 'service';
      readonly name: string;
      readonly namespace: string;
      readonly port?: number;
      /** The host as written when it is not a cluster name (Istio ServiceEntry hosts: `api.example.com`). */
      readonly host?: string;
    }
  | { readonly kind: 'url'; readonly url: string };

/** What a resolver answers: endpoint URLs or endpoint objects (with metadata for Istio subsets). */
export type ResolvedEndpoints = readonly (string | EndpointInput)[];

/**
 * How manifest names become upstreams.
 * - a map: keys `name.namespace:port`, `name.namespace`, `name` (tried in that order) or, for
 *   OpenAPI, the server URL; values the endpoints;
 * - a function: `undefined` for a name it does not know.
 */
export type BackendResolver = Readonly<Record<string, ResolvedEndpoints>> | ((ref: BackendRef) => ResolvedEndpoints | undefined);

/** Options every importer takes. */
export interface ImportOptions {
  /** Service names → endpoints. Without it every service name is unresolved (OpenAPI absolute server URLs excepted). */
  readonly backends?: BackendResolver;
  /**
   * An unresolved service: `'problem'` (default, reported by path) or `'placeholder'` (an
   * upstream with the cluster DNS name as its one endpoint, `http://name.namespace.svc.cluster.local:port`,
   * and a warning).
   */
  readonly unresolved?: 'problem' | 'placeholder';
  /** Namespace of documents without `metadata.namespace` (default `default`, as kubectl). */
  readonly defaultNamespace?: string;
  /** The cluster domain Istio hosts are written under (default `cluster.local`). */
  readonly clusterDomain?: string;
  /** Base upstream settings merged under every upstream the import creates (e.g. a health check). */
  readonly upstreamDefaults?: Omit<UpstreamConfig, 'endpoints'>;
}
