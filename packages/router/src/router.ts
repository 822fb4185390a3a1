/** `Router`: the stateful wrapper over a compiled route table, for callers that want one object. */

import type { Rng } from '@switchyard/core';
import { match } from './match.js';
import { compileRoutes } from './route-table.js';
import type { RouteTable } from './route-table.js';
import type { CompileOptions, MatchRequest, MatchResult, RouteTableConfig } from './types.js';

/**
 * A thin stateful wrapper: holds the current compiled table and an optional `Rng`, and swaps
 * tables atomically on {@link Router.reload}. A match that started on the old table finishes on
 * it (matching is synchronous).
 *
 * Use it when one object should own "the routes right now"; use {@link compileRoutes} and
 * {@link match} directly when you manage tables yourself (the gateway does).
 *
 * @example
 * ```ts
 * import { Router } from '@switchyard/router';
 * const router = new Router({ routes: [{ matches: [{ path: { type: 'Template', value: '/orders/:id' } }], value: 'orders' }] });
 * router.match({ method: 'GET', path: '/orders/7' }); // { kind: 'matched', params: { id: '7' }, ... }
 * router.reload({ routes: [] });                       // invalid config throws and keeps the old table
 * ```
 */
export class Router<T = unknown> {
  #table: RouteTable<T>;
  readonly #options: CompileOptions;
  readonly #rng: Rng | undefined;

  constructor(config: RouteTableConfig<T>, options: CompileOptions & { readonly rng?: Rng } = {}) {
    const { rng, ...compile } = options;
    this.#options = compile;
    this.#rng = rng;
    this.#table = compileRoutes(config, compile);
  }

  /** The current compiled table. */
  get table(): RouteTable<T> {
    return this.#table;
  }

  /** Matches with the current table (and the Rng given to the constructor). */
  match(request: MatchRequest): MatchResult<T> {
    return match(this.#table, request, this.#rng === undefined ? undefined : { rng: this.#rng });
  }

  /** Compiles `config` and swaps it in; on a `ConfigError` the current table stays. */
  reload(config: RouteTableConfig<T>): RouteTable<T> {
    const next = compileRoutes(config, this.#options);
    this.#table = next;
    return next;
  }
}
