/**
 * Gateway API `backendRefs` → the route's weighted backends (with their own filters), through
 * the import's backend resolver.
 */
import type { BackendConfig } from '@switchyard/gateway';
import type { ImportContext } from '../context.js';
import { arr, at, has, int, isObj, unmapped, type Sink } from '../util.js';
import { resolveRef, type Doc, type RouteDraft } from './common.js';
import { applyFilters, checkFilterList } from './filters.js';

export function applyBackends(ctx: ImportContext, sink: Sink, route: RouteDraft, refs: readonly unknown[], bp: string, d: Doc, allowed: readonly string[]): void {
  const backends: BackendConfig[] = [];
  const single = refs.length === 1;
  let total = 0;
  let invalidWeight = 0;
  refs.forEach((b, k) => {
    const p = `${bp}[${k}]`;
    if (!isObj(b)) return sink.problem(p, 'must be an object');
    unmapped(sink, b, ['group', 'kind', 'name', 'namespace', 'port', 'weight', 'filters'], p);
    const weight = has(b, 'weight') ? int(sink, b, 'weight', p, 0, 1_000_000) : 1;
    const filters = arr(sink, b, 'filters', p);
    checkFilterList(sink, filters, at(p, 'filters'), allowed);
    const upstream = resolveRef(ctx, sink, b, p, d);
    if (filters.length > 0) {
      if (single) {
        // The only backend: its filters apply to every request of the rule.
        applyFilters(ctx, sink, route, filters, at(p, 'filters'), d, 'backend');
      } else {
        sink.warn(at(p, 'filters'), 'per-backend filters with several backends have no switchyard counterpart (a route\'s rewrite applies to every backend): ignored');
      }
    }
    if (weight === undefined) return;
    total += weight;
    if (upstream === undefined) {
      // A reference of another kind (a warning, not a problem): the spec's invalid backendRef.
      if (!ctx.messages.problems.some((m) => m.document === sink.doc && m.path.startsWith(p))) invalidWeight += weight;
      return;
    }
    backends.push({ upstream, ...(weight !== 1 ? { weight } : {}), ...(backends.some((x) => x.upstream === upstream) ? { name: `${upstream}#${k}` } : {}) });
  });
  if (route.redirect !== undefined) return; // a redirect answers: its backends (only per-backend redirects get here) are unused
  if (backends.length > 0) route.backends = backends;
  // "Requests that would have been routed to an invalid backendRef MUST receive a 500, in proportion
  // to its weight" (HTTPBackendRef, httproute_types.go): the fault abort takes exactly that share
  // before the split, and the valid backends keep their relative weights. With no valid backend the
  // route has none and answers 500 anyway.
  if (invalidWeight > 0 && backends.length > 0 && route.fault === undefined && backends.some((b) => (b.weight ?? 1) > 0)) {
    route.fault = { abort: { httpStatus: 500, percent: (100 * invalidWeight) / total } };
  }
}
