/**
 * Compiling a route table: validation (`internal/validate.ts`), precedence and unreachable-route
 * warnings (`internal/precedence.ts`), entries (`internal/compile.ts`) and the matcher structure
 * (`internal/matcher.ts`), frozen into a {@link RouteTable}. Matching is in `match.ts`.
 *
 * Selection models: Gateway API HTTPRoute precedence (`HTTPRouteRule.Matches`,
 * kubernetes-sigs/gateway-api `apis/v1/httproute_types.go`) and Envoy's first match in route
 * order (`route_components.proto`, `RouteMatch`), which Istio's VirtualService `http[]` shares.
 */
import { ConfigError } from '@switchyard/core';
import { compileEntries } from './internal/compile.js';
import { compileEngine } from './internal/matcher.js';
import type { Engine } from './internal/matcher.js';
import { findShadowed, rankMatches } from './internal/precedence.js';
import { validateConfig } from './internal/validate.js';
import type { CompileOptions, CompileWarning, CompiledRoute, RouteTableConfig, SelectionModel } from './types.js';

/** @internal The key of a table's matching structure (read by `match.ts`). */
export const ENGINE = Symbol('switchyard.router.engine');

/**
 * A compiled, frozen route table. Build it once with {@link compileRoutes}, match with
 * {@link match}; swap in a new one to reconfigure.
 */
export interface RouteTable<T = unknown> {
  readonly selection: SelectionModel;
  readonly routes: readonly CompiledRoute<T>[];
  /** Unreachable routes and ignored duplicate conditions found at compile time. */
  readonly warnings: readonly CompileWarning[];
  /** @internal */
  readonly [ENGINE]: Engine;
}

/**
 * Validates and compiles a route table. Every problem is reported at once, with its path
 * (`routes[2].matches[0].path.value: must start with "/"`), as a `ConfigError`
 * (`SY_CONFIG_INVALID`). Routes that can never be selected (shadowed by an earlier or more
 * specific unconditional route) are listed in `warnings` (thrown with `strict: true`).
 *
 * Use it once per config; the result is frozen and safe to share. Hot reload = compile a new
 * table and swap the reference.
 *
 * @example
 * ```ts
 * import { compileRoutes, match } from '@switchyard/router';
 * const table = compileRoutes({
 *   routes: [
 *     { id: 'users', matches: [{ path: { type: 'Template', value: '/users/:id' }, method: 'GET' }], value: 'users-svc' },
 *     { id: 'rest', value: 'web' }, // PathPrefix "/"
 *   ],
 * });
 * const r = match(table, { method: 'GET', path: '/users/42' });
 * if (r.kind === 'matched') console.log(r.route.value, r.params.id); // users-svc 42
 * ```
 */
export function compileRoutes<T = unknown>(config: RouteTableConfig<T>, options: CompileOptions = {}): RouteTable<T> {
  const { selection, routes, matches, warnings } = validateConfig(config, options);
  const gateway = selection === 'gateway';
  const ordered = rankMatches(matches, gateway);
  findShadowed(ordered, gateway, warnings);
  if (options.strict && warnings.length > 0) throw new ConfigError(warnings);
  const engine = compileEngine(compileEntries(ordered, gateway), gateway, options.normalize ?? {});
  return Object.freeze({
    selection,
    routes: Object.freeze(routes),
    warnings: Object.freeze(warnings),
    [ENGINE]: engine,
  });
}
