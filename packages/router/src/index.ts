/**
 * `@switchyard/router`: compile a route table once, match method / host / path / headers /
 * query / attributes with Gateway API precedence or Envoy first-match semantics.
 *
 * @packageDocumentation
 */
export type {
  PathMatchType,
  PathMatchConfig,
  HeaderMatchType,
  HeaderMatchConfig,
  QueryMatchType,
  QueryMatchConfig,
  AttributeScalar,
  AttributeMatchConfig,
  MatchConfig,
  RouteConfig,
  RouteTableConfig,
  SelectionModel,
  CompileOptions,
  CompiledRoute,
  CompileWarning,
  MatchRequest,
  MatchResult,
} from './types.js';
export type { RouteTable } from './route-table.js';
export { compileRoutes } from './route-table.js';
export type { MatchOptions } from './match.js';
export { match } from './match.js';
export type { NormalizeOptions, NormalizeResult, EscapedSlashesAction } from './normalize.js';
export { normalizePath } from './normalize.js';
// The screen lives in core (the rewriter screens its regexes with it too); re-exported here unchanged.
export type { RegexSafety } from '@switchyard/core';
export { checkRegexSafety } from '@switchyard/core';
export { Router } from './router.js';
