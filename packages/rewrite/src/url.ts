/**
 * The `url` option (Zuplo-style `https://orders.internal/orders/${params.id}` or
 * `${upstream}/…`): split it into an origin (literal, or a request-derived template checked
 * against `allowedUpstreams` when applied) and path and query templates. `rewrite.ts` applies
 * the parts in its upstream, path and query steps.
 */
import type { IssueCollector } from '@switchyard/core';
import { parseUpstream } from './internal/origin.js';
import type { Origin, UpstreamBase } from './internal/origin.js';
import { checkPathTemplate } from './path-stage.js';
import type { TemplateCompiler } from './plan.js';
import type { CompiledTemplate } from './template.js';

/** A compiled `url` option. */
export interface CompiledUrl {
  /** Starts with `${upstream}`: the configured upstream stays the origin. */
  readonly upstreamPrefix: boolean;
  /** A literal origin, a request-derived one (a template), or none (`${upstream}`, or an invalid origin). */
  readonly origin: UpstreamBase | CompiledTemplate | undefined;
  readonly path: CompiledTemplate;
  readonly query: CompiledTemplate | undefined;
}

/** RFC 3986 `query` characters (with `%`): what the query part of a `url` may hold unencoded. */
const QUERY_LITERAL = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]*$/;

/** Validates the `url` option (reported under `url`) and compiles it; `allowed` is the parsed `allowedUpstreams`. */
export function compileUrl(text: string, allowed: ReadonlyMap<string, Origin>, issues: IssueCollector, tpl: TemplateCompiler): CompiledUrl {
  let rest: string;
  let origin: UpstreamBase | CompiledTemplate | undefined;
  let upstreamPrefix = false;
  if (text.startsWith('${upstream}')) {
    upstreamPrefix = true;
    rest = text.slice('${upstream}'.length);
    if (rest === '') rest = '/';
  } else {
    const m = /^([a-z]+:\/\/[^/?#]*)(.*)$/i.exec(text);
    if (m === null) {
      issues.add('url', 'must start with http(s)://host or ${upstream}');
      rest = '/';
    } else {
      const originText = m[1] as string;
      rest = m[2] === '' ? '/' : (m[2] as string);
      if (originText.includes('${')) {
        origin = tpl(originText, 'host', 'url');
        if (allowed.size === 0) issues.add('url', 'a request-derived origin needs allowedUpstreams');
      } else {
        origin = parseUpstream(originText) ?? undefined;
        if (origin === undefined) issues.add('url', `invalid origin ${JSON.stringify(originText)}`);
      }
    }
  }
  const q = rest.indexOf('?');
  const pathText = q === -1 ? rest : rest.slice(0, q);
  const queryText = q === -1 ? undefined : rest.slice(q + 1);
  checkPathTemplate(pathText, 'url', issues);
  if (queryText !== undefined && !QUERY_LITERAL.test(queryText.replace(/\$\{[^}]*\}/g, ''))) issues.add('url', 'query part has characters that must be percent-encoded');
  return Object.freeze({
    upstreamPrefix,
    origin,
    path: tpl(pathText, 'path', 'url'),
    query: queryText === undefined ? undefined : tpl(queryText, 'query', 'url'),
  });
}
