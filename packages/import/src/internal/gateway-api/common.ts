/**
 * What the Gateway API readers share: the CRD schema's patterns, the route document and draft
 * types, and backend-reference resolution (used by `backendRefs` and by the `RequestMirror`
 * filter).
 */
import type { RouteConfig } from '@switchyard/gateway';
import type { ImportContext, SourcedDocument } from '../context.js';
import { at, get, has, int, str, type Obj, type Sink } from '../util.js';
import type { ImportedRoute } from '../../types.js';

export type MatchConfig = NonNullable<RouteConfig['matches']>[number];
export type Mutable<T> = { -readonly [K in keyof T]: T[K] };
/** A route being built from one rule: the readers fill it in field by field. */
export type RouteDraft = Mutable<ImportedRoute>;

// -- patterns of the CRD schema (shared_types.go / httproute_types.go)
export const HOSTNAME_RE = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
export const PRECISE_HOSTNAME_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
export const HEADER_NAME_RE = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/;
export const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'];

type Kind = 'HTTPRoute' | 'GRPCRoute';

/** One HTTPRoute or GRPCRoute manifest, with what orders it among the others. */
export interface Doc {
  readonly kind: Kind;
  readonly src: SourcedDocument;
  readonly namespace: string;
  readonly name: string;
  readonly createdAtMs: number | undefined;
}

/** A `BackendObjectReference` (Service by default) → upstream name, through the resolver. */
export function resolveRef(ctx: ImportContext, sink: Sink, ref: Obj, rp: string, d: Doc): string | undefined {
  const name = str(sink, ref, 'name', rp);
  if (name === undefined) return (sink.problem(at(rp, 'name'), 'is required'), undefined);
  const group = get(ref, 'group') ?? '';
  const kind = get(ref, 'kind') ?? 'Service';
  // object_reference_types.go BackendObjectReference: "Must have port for Service reference".
  if (group === '' && kind === 'Service' && !has(ref, 'port')) return (sink.problem(rp, 'Must have port for Service reference'), undefined);
  const port = int(sink, ref, 'port', rp, 1, 65535);
  if (group !== '' || kind !== 'Service') {
    sink.warn(rp, `${String(group) === '' ? '' : `${String(group)}/`}${String(kind)} backends have no switchyard counterpart (only core Services resolve): the requests it would get are answered 500 (Gateway API: an invalid backendRef)`);
    return undefined;
  }
  const namespace = typeof get(ref, 'namespace') === 'string' ? (get(ref, 'namespace') as string) : d.namespace;
  if (namespace !== d.namespace) sink.warn(at(rp, 'namespace'), `a reference to namespace ${JSON.stringify(namespace)} needs a ReferenceGrant in the cluster; switchyard does not check one`);
  return ctx.upstreams.service(sink, rp, { kind: 'service', name, namespace, ...(port !== undefined ? { port } : {}) });
}
