/** OpenAPI 3.x (in progress). */
import type { ImportContext, SourcedDocument } from './internal/context.js';
import type { ImportedRoute } from './types.js';

export function openApiRoutes(_ctx: ImportContext, _sources: readonly SourcedDocument[]): ImportedRoute[] {
  return [];
}
