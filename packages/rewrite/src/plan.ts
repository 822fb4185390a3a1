/**
 * The compiled rule: {@link RewritePlan} as users see it (opaque, one public field) and its
 * internals behind a module-private symbol, as `@switchyard/router`'s `RouteTable` keeps its
 * engine. The published declarations show `idempotent` and an `unknown` under a symbol nobody
 * outside this package can name; the files of this package read the internals with
 * `planInternals`, once per call (one property load, no copy).
 */
import type { Cidr } from '@switchyard/core';
import type { HeaderModifier } from './header-modifier.js';
import type { Origin, UpstreamBase } from './internal/origin.js';
import type { PathOp } from './path-stage.js';
import type { CompiledQuery } from './query.js';
import type { CompiledRedirect } from './redirect.js';
import type { HeaderName } from './request-headers.js';
import type { CompiledTemplate } from './template.js';
import type { CompiledUrl } from './url.js';
import type { HostOp } from './upstream.js';

/** The key of a plan's internals. Not exported from the package: only this package reads them. */
export const PLAN = Symbol('switchyard.rewrite.plan');

/**
 * A compiled, frozen rewrite rule. Opaque: pass it to {@link applyRewrite} and
 * {@link rewriteResponseHeaders}. `idempotent` is true when applying the rule to its own
 * output changes nothing (the property tests hold it to that claim).
 */
export interface RewritePlan {
  readonly idempotent: boolean;
  /** @internal The compiled rule (`PlanInternals`), read with `planInternals`. */
  readonly [PLAN]: unknown;
}

/** What {@link compileRewrite} compiled, field by field; each concern's file reads its own. */
export interface PlanInternals {
  /** The rule's own `upstream` (parsed), if it has one. */
  readonly upstream: UpstreamBase | undefined;
  /** `allowedUpstreams`, keyed by origin and by authority. */
  readonly allowed: ReadonlyMap<string, Origin>;
  readonly url: CompiledUrl | undefined;
  readonly path: PathOp;
  /** Envoy's prefix and regex rewrites may assemble `//`: merged after the path stage. */
  readonly mergeSlashes: boolean;
  readonly query: CompiledQuery | undefined;
  readonly host: HostOp;
  readonly requestHeaders: HeaderModifier;
  readonly responseHeaders: HeaderModifier;
  readonly forwardedMode: 'trusted' | 'append' | 'overwrite' | 'off';
  /** `'trusted'` mode: who is a trusted proxy, and a bounded cache of peer address → trusted (not state). */
  readonly forwardedTrust: { readonly cidrs: readonly Cidr[]; readonly hops: number; readonly peers: Map<string, boolean> };
  readonly xForwarded: boolean;
  readonly forwardedHeader: boolean;
  readonly strictConnection: boolean;
  readonly rejectUnsafe: boolean;
  readonly originalPathHeader: string | undefined;
  readonly redirect: CompiledRedirect | undefined;
  readonly usesTemplates: boolean;
  /** Whether `requestHeaders` sets or adds anything (`remove` is applied while copying). */
  readonly modifiesRequestHeaders: boolean;
  /** Parsed `RewriteInput.upstream` values (a cache, not state: same answer either way). */
  readonly upstreamCache: Map<string, UpstreamBase>;
  /** Request header name → what this rule does with it (a cache, as above; see `request-headers.ts`). */
  readonly headerNames: Map<string, HeaderName | null>;
  /** Response header names: their lower-case form, or null when dropped (invalid, hop-by-hop, `remove`). Bounded like `headerNames`. */
  readonly responseNames: Map<string, string | null>;
}

/** The internals of a plan {@link compileRewrite} made (for this package's files and its tests). */
export function planInternals(plan: RewritePlan): PlanInternals {
  return plan[PLAN] as PlanInternals;
}

/**
 * The template compiler a concern's compile function is handed: `compileTemplate` bound to the
 * rule's issue list, noting whether the rule has placeholders at all.
 */
export type TemplateCompiler = (text: string, ctx: 'path' | 'query' | 'header' | 'host', at: string) => CompiledTemplate;
