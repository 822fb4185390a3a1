/** The state one import run shares across documents and formats. */
import { UpstreamBuilder } from '../backends.js';
import type { DocumentRef, ImportedPolicy, ImportOptions, ImportOrigin } from '../types.js';
import { newMessages, type Messages } from './util.js';

/** Shared by every document of one run: options, messages, upstreams, policies, route names and origins. */
export interface ImportContext {
  readonly options: ImportOptions;
  readonly messages: Messages;
  readonly upstreams: UpstreamBuilder;
  readonly policies: Record<string, ImportedPolicy>;
  readonly routeNames: Set<string>;
  /** Where each route came from (route name → document and field path). */
  readonly routeOrigins: Record<string, ImportOrigin>;
}

/** A fresh context for one import run. */
export function newContext(options: ImportOptions): ImportContext {
  return { options, messages: newMessages(), upstreams: new UpstreamBuilder(options), policies: Object.create(null) as Record<string, ImportedPolicy>, routeNames: new Set(), routeOrigins: Object.create(null) as Record<string, ImportOrigin> };
}

/** A parsed document with where it came from. */
export interface SourcedDocument {
  readonly value: unknown;
  readonly file?: string;
  readonly index?: number;
}

/** A unique route name: `base`, or `base~2`, `base~3`, … */
export function uniqueRouteName(ctx: ImportContext, base: string, origin: ImportOrigin): string {
  let name = base;
  for (let i = 2; ctx.routeNames.has(name); i++) name = `${base}~${i}`;
  ctx.routeNames.add(name);
  ctx.routeOrigins[name] = origin;
  return name;
}

/** The document reference of a Kubernetes object (`metadata.name`, `metadata.namespace`). */
export function k8sRef(value: unknown, kind: string, src: SourcedDocument, defaultNamespace: string): DocumentRef {
  const md = typeof value === 'object' && value !== null ? (value as { metadata?: unknown }).metadata : undefined;
  const name = typeof md === 'object' && md !== null && typeof (md as { name?: unknown }).name === 'string' ? (md as { name: string }).name : undefined;
  const ns = typeof md === 'object' && md !== null && typeof (md as { namespace?: unknown }).namespace === 'string' ? (md as { namespace: string }).namespace : defaultNamespace;
  return {
    kind,
    namespace: ns,
    ...(name !== undefined ? { name } : {}),
    ...(src.file !== undefined ? { file: src.file } : {}),
    ...(src.index !== undefined ? { index: src.index } : {}),
  };
}
