/** The router's config and result types: routes, matches, conditions and the match outcome. */

import type { Attributes, RequestHeaders } from '@switchyard/core';
import type { NormalizeOptions } from './normalize.js';

/**
 * How a path is matched.
 *
 * - `Exact`: the whole normalized path, byte for byte (Gateway API `Exact`, Envoy `path`).
 * - `PathPrefix`: segment-aware prefix; a trailing `/` in the value is ignored: `/v2` matches
 *   `/v2`, `/v2/`, `/v2/x`, never `/v2example` (Gateway API `PathPrefix`, Envoy
 *   `path_separated_prefix`).
 * - `Prefix`: raw string prefix: `/v2` matches `/v2example` (Envoy `prefix`, Istio `uri.prefix`).
 * - `Template`: whole segments, `:name` captures one non-empty segment and a final `*name`
 *   (or bare `*`) captures the rest, possibly empty: `/users/:id`, `/files/*path`.
 * - `RegularExpression`: must match the entire path (Envoy `safe_regex`); screened for
 *   catastrophic backtracking at compile time.
 */
export type PathMatchType = 'Exact' | 'PathPrefix' | 'Prefix' | 'Template' | 'RegularExpression';

/**
 * A path condition. `type` defaults to `PathPrefix`, `value` to `/` (Gateway API defaults). A
 * non-regex `value` must not contain `?` (the query string is never part of the path).
 */
export interface PathMatchConfig {
  readonly type?: PathMatchType;
  readonly value?: string;
  /** Case-insensitive (ASCII) path match: Envoy `case_sensitive: false`, Istio `ignoreUriCase`. */
  readonly ignoreCase?: boolean;
}

/** How a header value is compared. `Present` / `Absent` take no `value`. */
export type HeaderMatchType = 'Exact' | 'Prefix' | 'Suffix' | 'Contains' | 'RegularExpression' | 'Present' | 'Absent';

/**
 * A header condition (Envoy `HeaderMatcher`, Gateway API `HTTPHeaderMatch`). The name is
 * case-insensitive. Repeated request headers are seen joined with `", "` (core's
 * `RequestHeaders`). A missing header fails every value matcher, inverted or not (Envoy's
 * `treat_missing_header_as_empty: false`).
 */
export interface HeaderMatchConfig {
  readonly name: string;
  /** Default `Exact`. */
  readonly type?: HeaderMatchType;
  readonly value?: string;
  /** Negate the result (Envoy `invert_match`). */
  readonly invert?: boolean;
  /** Compare the value case-insensitively (Envoy `ignore_case`). */
  readonly ignoreCase?: boolean;
}

/** How a query parameter is compared. */
export type QueryMatchType = 'Exact' | 'RegularExpression' | 'Present';

/**
 * A query-parameter condition. Names are case-sensitive; only the first value of a repeated
 * key counts; values are compared as received (still percent-encoded), as Envoy does; a bare
 * `?key` has the value `""`.
 */
export interface QueryMatchConfig {
  readonly name: string;
  /** Default `Exact`. */
  readonly type?: QueryMatchType;
  readonly value?: string;
}

/** A scalar an attribute can be compared with. */
export type AttributeScalar = string | number | boolean;

/**
 * A condition on `request.attributes` (identity claims, API-key metadata, geo, a resolved
 * client IP). `key` is a dotted path into nested objects (`claims.tier`, `apiKey.environment`).
 * Exactly one of `equals`, `oneOf`, `present` or `cidrs` is given.
 */
export interface AttributeMatchConfig {
  readonly key: string;
  readonly equals?: AttributeScalar;
  readonly oneOf?: readonly AttributeScalar[];
  readonly present?: boolean;
  /** The attribute is an IP address inside one of these CIDR ranges. */
  readonly cidrs?: readonly string[];
}

/**
 * One match: every condition given must hold (AND). A route matches when any of its matches
 * does (OR), as in Gateway API `HTTPRouteMatch` and Istio `HTTPMatchRequest`.
 */
export interface MatchConfig {
  readonly path?: PathMatchConfig;
  /** Upper-case method; `HEAD` does not match `GET` (Gateway API conformance). */
  readonly method?: string;
  readonly headers?: readonly HeaderMatchConfig[];
  readonly queryParams?: readonly QueryMatchConfig[];
  readonly attributes?: readonly AttributeMatchConfig[];
  /** `request.clientAddress` lies in one of these CIDR ranges. */
  readonly clientCidrs?: readonly string[];
  /**
   * Take only `percent`% of otherwise-matching requests, decided by the injected `Rng`
   * (`rng.next() * 100 < percent`, Envoy `runtime_fraction`). Others fall through to the
   * next candidate.
   */
  readonly runtimeFraction?: { readonly percent: number };
}

/** A route: hostnames, matches, and the opaque payload the caller attaches (backends, policies). */
export interface RouteConfig<T = unknown> {
  // Deliberately alike: health/src/active-health-check.ts HealthCheckConfig — only the shape of documented optional fields is shared, no logic.
  /** Unique id; default `route-<index>`. */
  readonly id?: string;
  /** What {@link match} hands back with the route: backends, filters, anything. */
  readonly value?: T;
  /** Exact (`api.example.com`) or wildcard (`*.example.com`, one or more labels) hostnames. Absent: any host. */
  readonly hostnames?: readonly string[];
  /** Default: one match on `PathPrefix /`. */
  readonly matches?: readonly MatchConfig[];
  /** Gateway API tie-break: the oldest route (creation timestamp) wins. */
  readonly createdAtMs?: number;
  /** Gateway API tie-break after age: alphabetical `namespace/name`. Several rules of one HTTPRoute share it. */
  readonly name?: string;
}

/** The table's config. */
export interface RouteTableConfig<T = unknown> {
  readonly routes: readonly RouteConfig<T>[];
}

/**
 * `gateway`: Gateway API HTTPRoute precedence across every route and match of the table.
 * `first-match`: the first matching route in declaration order (Envoy, Istio, gRPC).
 */
export type SelectionModel = 'gateway' | 'first-match';

/** Options of {@link compileRoutes}. */
export interface CompileOptions {
  /** Default `gateway`. */
  readonly selection?: SelectionModel;
  /** Path normalization applied to every request before matching. */
  readonly normalize?: NormalizeOptions;
  /** Throw a `ConfigError` for warnings (unreachable routes) too. Default `false`. */
  readonly strict?: boolean;
}

/** A compiled route as {@link match} returns it. Frozen. */
export interface CompiledRoute<T = unknown> {
  readonly id: string;
  /** Index in `config.routes`. */
  readonly index: number;
  readonly value: T | undefined;
  readonly hostnames: readonly string[];
}

/** A non-fatal finding at compile time (an unreachable route, an ignored duplicate condition). */
export interface CompileWarning {
  readonly path: string;
  readonly message: string;
}

/**
 * What {@link match} needs of a request: a subset of core's `SyRequest`, so a `SyRequest`
 * can be passed as is. `path` may carry `?query` when `query` is not given.
 */
export interface MatchRequest {
  readonly method: string;
  readonly path: string;
  /** `host[:port]`; the port is ignored. */
  readonly authority?: string;
  readonly query?: string;
  readonly headers?: RequestHeaders;
  readonly attributes?: Attributes;
  readonly clientAddress?: string | undefined;
}

/** The result of {@link match}. */
export type MatchResult<T = unknown> =
  | {
      readonly kind: 'matched';
      readonly route: CompiledRoute<T>;
      /** Which of the route's matches matched. */
      readonly matchIndex: number;
      /**
       * Template captures and named regex groups, percent-decoded. Built on first read and
       * cached (a request that never reads it never pays for it): it is an accessor on the
       * result's prototype, so `{ ...result }` and `Object.keys(result)` leave it out; read
       * `result.params` (`JSON.stringify(result)` includes it).
       */
      readonly params: Readonly<Record<string, string>>;
      /** The normalized path: what later stages (rewriter, gateway) must use. */
      readonly path: string;
    }
  | { readonly kind: 'no-route'; readonly path: string }
  | { readonly kind: 'bad-request'; readonly reason: string };
