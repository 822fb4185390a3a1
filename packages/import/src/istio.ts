/** Istio VirtualService + DestinationRule (in progress). */
import type { ImportContext, SourcedDocument } from './internal/context.js';
import type { ImportedRoute } from './types.js';

export function istioRoutes(_ctx: ImportContext, _sources: readonly SourcedDocument[]): ImportedRoute[] {
  return [];
}
