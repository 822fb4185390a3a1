/**
 * Loading: multi-document YAML, opt-in `${ENV}` substitution, and `kind`-based dispatch of
 * documents to the importers, with one stable route order across files.
 */
import { cyclePath } from '@switchyard/gateway/yaml';
import { LineCounter, parseAllDocuments } from 'yaml';
import { gatewayApiRoutes } from './gateway-api.js';
import { istioRoutes } from './istio.js';
import { newContext, type ImportContext, type SourcedDocument } from './internal/context.js';
import { get, isObj, sinkFor } from './internal/util.js';
import { substituteEnv } from './env.js';
import { openApiRoutes } from './openapi.js';
import type { DocumentRef, ImportedConfig, ImportedRoute, ImportMessage, ImportOptions, ImportOrigin, ImportProblem, ImportResult } from './types.js';

export type { SourcedDocument } from './internal/context.js';

/** Options of {@link parseYamlDocuments}. */
export interface ParseOptions {
  /**
   * Substitute `${NAME}` / `${NAME:-default}` (upper-case names only) in string values from this
   * map (never from the process environment implicitly: pass `process.env` yourself if you mean
   * it). The rule is {@link substituteEnv}'s (env.ts), the same as the `switchyard --env` flag's:
   * `$${` is a literal `${`, an unset name without a default is a problem, and substitution
   * happens after parsing, inside string values only, so a value can never inject YAML structure.
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** What {@link parseYamlDocuments} returns. */
export interface ParsedDocuments {
  readonly documents: readonly SourcedDocument[];
  readonly problems: readonly ImportProblem[];
}

/**
 * Splits a YAML (or JSON) text into its documents (`---`), each tagged with `file` and its index.
 * Syntax errors are problems with their line and column; empty documents are skipped.
 *
 * @example
 * ```ts
 * const { documents, problems } = parseYamlDocuments(text, 'routes.yaml');
 * const { config, warnings } = importDocuments(documents, { backends: { 'reviews.default': ['http://10.0.0.1:9080'] } });
 * ```
 */
export function parseYamlDocuments(text: string, file?: string, options: ParseOptions = {}): ParsedDocuments {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, uniqueKeys: true, prettyErrors: true });
  const list = Array.isArray(docs) ? docs : [];
  const documents: SourcedDocument[] = [];
  const problems: ImportProblem[] = [];
  list.forEach((doc, index) => {
    const ref: DocumentRef = { kind: '(yaml)', index, ...(file !== undefined ? { file } : {}) };
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        const pos = e.linePos?.[0];
        problems.push({ document: ref, path: pos === undefined ? '(document)' : `(line ${pos.line}, column ${pos.col})`, message: `invalid YAML: ${e.message.split('\n')[0] ?? e.code}` });
      }
      return;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      problems.push({ document: ref, path: '(document)', message: `invalid YAML: ${err instanceof Error ? err.message : String(err)}` });
      return;
    }
    if (value === null || value === undefined) return;
    const cycle = cyclePath(value);
    if (cycle !== undefined) {
      problems.push({ document: ref, path: cycle, message: 'invalid YAML: an alias refers to a node that contains it (a cycle)' });
      return;
    }
    if (options.env !== undefined) value = substituteEnv(value, options.env, (path, message) => problems.push({ document: ref, path, message }));
    documents.push({ value, index, ...(file !== undefined ? { file } : {}) });
  });
  return { documents, problems };
}

/** Kinds read for context elsewhere and not imported: a warning would be noise. */
const QUIET_KINDS = new Set(['Gateway', 'GatewayClass', 'ReferenceGrant', 'Namespace', 'Service', 'Deployment', 'ServiceAccount', 'ConfigMap', 'Secret']);

type Family = 'gateway-api' | 'istio' | 'openapi';

function familyOf(value: unknown): Family | 'list' | undefined {
  if (isObj(value) && (typeof get(value, 'openapi') === 'string' || typeof get(value, 'swagger') === 'string')) return 'openapi';
  const kind = get(value, 'kind');
  const api = get(value, 'apiVersion');
  if (kind === 'List' && Array.isArray(get(value, 'items'))) return 'list';
  if ((kind === 'HTTPRoute' || kind === 'GRPCRoute') && (typeof api !== 'string' || api.startsWith('gateway.networking.k8s.io/'))) return 'gateway-api';
  if ((kind === 'VirtualService' || kind === 'DestinationRule') && (typeof api !== 'string' || api.startsWith('networking.istio.io/'))) return 'istio';
  return undefined;
}

/** Documents as given: bare values, or {@link SourcedDocument}s from {@link parseYamlDocuments}. */
export type DocumentInput = unknown;

function sourced(docs: readonly DocumentInput[]): SourcedDocument[] {
  const out: SourcedDocument[] = [];
  docs.forEach((d, i) => {
    if (isObj(d) && Object.prototype.hasOwnProperty.call(d, 'value') && (typeof get(d, 'file') === 'string' || typeof get(d, 'index') === 'number') && Object.keys(d).every((k) => ['value', 'file', 'index'].includes(k))) {
      out.push(d as unknown as SourcedDocument);
    } else {
      out.push({ value: d, index: i });
    }
  });
  return out;
}

/**
 * Imports documents of any supported format: Gateway API `HTTPRoute`/`GRPCRoute`, Istio
 * `VirtualService`/`DestinationRule`, OpenAPI 3.x (`openapi: 3.x`). Other kinds are skipped
 * with a warning (`Gateway`, `Service`, `ReferenceGrant`, … silently). Never throws: invalid
 * input is reported in `problems`, by path.
 *
 * Route order (what the gateway falls back on when precedence ties):
 * - Gateway API: oldest `creationTimestamp` first (absent: after all that have one), then
 *   `{namespace}/{name}`, then rule order: the spec's tie-breaks, whatever the files' order;
 * - Istio: VirtualServices in the order given (files as passed, documents in file order), the
 *   `http` routes of each in order (first match wins);
 * - OpenAPI: documents in the order given; in each, concrete paths before templated ones, then
 *   document order.
 * Gateway API (precedence) and Istio/OpenAPI (first match) need different `selection` modes and
 * cannot share one config: mixing them is a problem.
 *
 * @example
 * ```ts
 * const { documents } = parseYamlDocuments(yamlText, 'routes.yaml');
 * const { config, warnings, problems } = importDocuments(documents, { backends: { 'reviews.default': ['http://10.0.0.1:9080'] } });
 * ```
 */
export function importDocuments(docs: readonly DocumentInput[], options: ImportOptions = {}): ImportResult {
  const ctx = newContext(options);
  const byFamily: Record<Family, SourcedDocument[]> = { 'gateway-api': [], istio: [], openapi: [] };
  const queue = sourced(docs);
  const defaultNs = options.defaultNamespace ?? 'default';
  for (let i = 0; i < queue.length; i++) {
    const src = queue[i] as SourcedDocument;
    const fam = familyOf(src.value);
    if (fam === 'list') {
      const items = get(src.value, 'items') as unknown[];
      queue.splice(i + 1, 0, ...items.map((value) => ({ value, ...(src.file !== undefined ? { file: src.file } : {}), ...(src.index !== undefined ? { index: src.index } : {}) })));
      continue;
    }
    if (fam === undefined) {
      const kind = get(src.value, 'kind');
      const ref: DocumentRef = { kind: typeof kind === 'string' ? kind : '(unknown)', ...(src.file !== undefined ? { file: src.file } : {}), ...(src.index !== undefined ? { index: src.index } : {}) };
      const name = get(get(src.value, 'metadata'), 'name');
      const withName: DocumentRef = typeof name === 'string' ? { ...ref, name, namespace: typeof get(get(src.value, 'metadata'), 'namespace') === 'string' ? (get(get(src.value, 'metadata'), 'namespace') as string) : defaultNs } : ref;
      if (!isObj(src.value)) sinkFor(ctx.messages, withName).problem('(document)', 'is not an object: not a Kubernetes manifest or an OpenAPI document');
      else if (typeof kind === 'string' && QUIET_KINDS.has(kind)) continue;
      else sinkFor(ctx.messages, withName).warn(typeof kind === 'string' ? 'kind' : '(document)', typeof kind === 'string' ? `kind ${kind} (${String(get(src.value, 'apiVersion'))}) is not imported: skipped` : 'has neither a kind nor an openapi version: skipped');
      continue;
    }
    byFamily[fam].push(src);
  }
  return build(ctx, byFamily);
}

function build(ctx: ImportContext, byFamily: Record<Family, SourcedDocument[]>): ImportResult {
  const routes: ImportedRoute[] = [];
  const gw = byFamily['gateway-api'];
  const firstMatch = [...byFamily.istio, ...byFamily.openapi];
  if (gw.length > 0 && firstMatch.length > 0) {
    const first = firstMatch[0] as SourcedDocument;
    const kind = get(first.value, 'kind');
    sinkFor(ctx.messages, { kind: typeof kind === 'string' ? kind : 'OpenAPI', ...(first.file !== undefined ? { file: first.file } : {}), ...(first.index !== undefined ? { index: first.index } : {}) }).problem(
      '(document)',
      'Gateway API routes (precedence) and Istio / OpenAPI routes (first match) need different route selection modes: import them into separate configs',
    );
  }
  if (gw.length > 0) routes.push(...gatewayApiRoutes(ctx, gw));
  if (byFamily.istio.length > 0) routes.push(...istioRoutes(ctx, byFamily.istio));
  const extra: Record<string, unknown> = {};
  if (byFamily.openapi.length > 0) routes.push(...openApiRoutes(ctx, byFamily.openapi, extra));
  const selection = gw.length > 0 ? 'gateway' : 'first-match';
  delete extra['routes'];
  delete extra['selection'];
  const config: ImportedConfig = {
    ...extra,
    selection,
    routes,
    upstreams: { ...ctx.upstreams.upstreams },
    ...(Object.keys(ctx.policies).length > 0 ? { policies: { ...ctx.policies } } : {}),
  };
  return { config, warnings: ctx.messages.warnings, problems: ctx.messages.problems, origins: { routes: { ...ctx.routeOrigins }, upstreams: { ...ctx.upstreams.origins } } };
}

function only(docs: readonly DocumentInput[], families: readonly Family[], options: ImportOptions, what: string): ImportResult {
  const ctx = newContext(options);
  const byFamily: Record<Family, SourcedDocument[]> = { 'gateway-api': [], istio: [], openapi: [] };
  for (const src of sourced(docs)) {
    const fam = familyOf(src.value);
    if (fam !== undefined && fam !== 'list' && families.includes(fam)) byFamily[fam].push(src);
    else if (fam === 'list') for (const value of get(src.value, 'items') as unknown[]) {
      const f2 = familyOf(value);
      if (f2 !== undefined && f2 !== 'list' && families.includes(f2)) byFamily[f2].push({ value, ...(src.file !== undefined ? { file: src.file } : {}) });
    }
    else {
      const kind = get(src.value, 'kind');
      if (typeof kind === 'string' && QUIET_KINDS.has(kind)) continue;
      sinkFor(ctx.messages, { kind: typeof kind === 'string' ? kind : '(unknown)', ...(src.file !== undefined ? { file: src.file } : {}), ...(src.index !== undefined ? { index: src.index } : {}) }).warn('(document)', `not ${what}: skipped`);
    }
  }
  return build(ctx, byFamily);
}

/** Imports Gateway API `HTTPRoute` / `GRPCRoute` documents (others are skipped with a warning). See {@link importDocuments}. */
export function importGatewayApi(docs: readonly DocumentInput[], options: ImportOptions = {}): ImportResult {
  return only(docs, ['gateway-api'], options, 'a Gateway API HTTPRoute or GRPCRoute');
}

/** Imports Istio `VirtualService` / `DestinationRule` documents. See {@link importDocuments}. */
export function importIstio(docs: readonly DocumentInput[], options: ImportOptions = {}): ImportResult {
  return only(docs, ['istio'], options, 'an Istio VirtualService or DestinationRule');
}

/** Imports OpenAPI 3.x documents (already parsed: JSON or YAML). See {@link importDocuments}. */
export function importOpenApi(docs: readonly DocumentInput[], options: ImportOptions = {}): ImportResult {
  return only(docs, ['openapi'], options, 'an OpenAPI 3.x document');
}

/**
 * The manifest a config path of an import's result comes from: `routes[3]…` → the rule, http
 * route or operation that made route 3; `upstreams.x…` / `upstreams["x"]…` → where upstream `x`
 * was first named. Undefined for other paths.
 *
 * @example
 * ```ts
 * try { createGateway(result.config, deps) } catch (e) {
 *   for (const i of e.issues) { const o = originOf(result, i.path); console.error(o ? `${formatMessage({ ...o, message: i.message })} (${i.path})` : `${i.path}: ${i.message}`) }
 * }
 * ```
 */
export function originOf(result: ImportResult, configPath: string): ImportOrigin | undefined {
  const r = /^routes\[(\d+)\]/.exec(configPath);
  if (r !== null) {
    const route = result.config.routes[Number(r[1])];
    return route === undefined ? undefined : result.origins.routes[route.name];
  }
  const u = /^upstreams(?:\.([A-Za-z_$][\w$]*)|\[("(?:[^"\\]|\\.)*")\])/.exec(configPath);
  if (u !== null) {
    const name = u[1] ?? (JSON.parse(u[2] as string) as string);
    return result.origins.upstreams[name];
  }
  return undefined;
}

/** {@link originOf} as a message: the manifest's document and path, with the config path and message. */
export function messageAt(result: ImportResult, issue: { readonly path: string; readonly message: string }): ImportMessage | undefined {
  const o = originOf(result, issue.path);
  return o === undefined ? undefined : { document: o.document, path: o.path, message: `${issue.path}: ${issue.message}` };
}
