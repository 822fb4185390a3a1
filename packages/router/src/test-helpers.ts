/**
 * Shared by the router's behaviour tests (`route-table.test.ts`, `precedence.test.ts`,
 * `validate.test.ts`): a request with defaults, a table as a function from request to the
 * matched route's id, and one builder per path type.
 */
import { compileRoutes, match } from './index.js';
import type { CompileOptions, MatchConfig, MatchRequest, RouteConfig } from './index.js';

/** A request in a test: only the path is required. */
export type Req = Partial<MatchRequest> & { path: string };

/** `r` with `method: 'GET'` unless it says otherwise. */
export function req(r: Req): MatchRequest {
  return { method: 'GET', ...r };
}

/** Compiles `routes` (value = id) and returns a function from request to the matched id or a status. */
export function table(routes: RouteConfig<string>[], options: CompileOptions = {}): (r: Req | string) => string {
  const t = compileRoutes({ routes: routes.map((r, i) => ({ value: r.id ?? `r${i}`, ...r })) }, options);
  return (r) => {
    const res = match(t, req(typeof r === 'string' ? { path: r } : r));
    return res.kind === 'matched' ? (res.route.value as string) : res.kind === 'no-route' ? '404' : '400';
  };
}

/** One builder per path type: a match on `value`, with `extra` conditions. */
export const exact = (value: string, extra: Partial<MatchConfig> = {}): MatchConfig => ({ path: { type: 'Exact', value }, ...extra });
export const prefix = (value: string, extra: Partial<MatchConfig> = {}): MatchConfig => ({ path: { type: 'PathPrefix', value }, ...extra });
export const bytes = (value: string, extra: Partial<MatchConfig> = {}): MatchConfig => ({ path: { type: 'Prefix', value }, ...extra });
export const tpl = (value: string, extra: Partial<MatchConfig> = {}): MatchConfig => ({ path: { type: 'Template', value }, ...extra });
export const regex = (value: string, extra: Partial<MatchConfig> = {}): MatchConfig => ({ path: { type: 'RegularExpression', value }, ...extra });
