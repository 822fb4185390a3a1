/**
 * URL templates compiled once: `${params.id}`, `${query.ref}`, `${headers.x-tenant}`,
 * `${attributes.country}` and `${upstream}` (Zuplo's URL Rewrite / URL Forward handlers use
 * the same `${…}` placeholders). A template is parsed at config time into literal and
 * placeholder parts; rendering is a loop of string concatenations, and each value is encoded
 * for the place it lands in (path segment, query component, header value, host).
 */
import { attributeText, decodeQueryComponent, queryValue, type IssueCollector, type SyRequest } from '@switchyard/core';
import { encodePathComponent, encodeQueryComponent } from './internal/encode.js';

/** Where a placeholder's value comes from. */
export type TemplateSource = 'params' | 'query' | 'headers' | 'attributes' | 'upstream';

/** Where a rendered template lands: decides how values are encoded. */
export type TemplateContext = 'path' | 'query' | 'header' | 'host';

/** One placeholder of a compiled template. */
export interface TemplatePlaceholder {
  readonly source: TemplateSource;
  /** Parameter, query, header (lower-cased) or attribute name; `''` for `upstream`. */
  readonly name: string;
}

/** A template parsed once: literal strings and placeholders, alternating. */
export interface CompiledTemplate {
  readonly source: string;
  readonly context: TemplateContext;
  readonly parts: readonly (string | TemplatePlaceholder)[];
  /** True when the template has no placeholder at all. */
  readonly literal: boolean;
  readonly usesQuery: boolean;
}

/** What a template reads at request time. */
export interface TemplateScope {
  readonly request: SyRequest;
  readonly params: Readonly<Record<string, string | undefined>> | undefined;
  /** @deprecated Unused: `${query.x}` reads the raw query through core's `queryValue`. */
  query: ReadonlyMap<string, string> | undefined;
  /** The upstream base (origin + base path), for `${upstream}`. */
  readonly upstream: string | undefined;
}

/** Stands in for the scope of a rule without placeholders: nothing reads it. */
export const NO_SCOPE: TemplateScope = Object.freeze({}) as TemplateScope;

const SOURCES: readonly TemplateSource[] = ['params', 'query', 'headers', 'attributes', 'upstream'];
const NAME = /^[A-Za-z0-9_\-.~:]+$/;

/**
 * Parses `text` into a {@link CompiledTemplate}, reporting every problem to `issues` under
 * `at`. `${` always opens a placeholder; `upstream` is accepted only when `allowUpstream`.
 *
 * @example
 * ```ts
 * import { IssueCollector } from '@switchyard/core';
 * import { compileTemplate } from '@switchyard/rewrite';
 * const issues = new IssueCollector();
 * const t = compileTemplate('/orders/${params.id}', 'path', issues, 'path.template');
 * issues.throwIfAny();
 * t.parts; // ['/orders/', { source: 'params', name: 'id' }]
 * ```
 */
export function compileTemplate(
  text: string,
  context: TemplateContext,
  issues: IssueCollector,
  at: string,
  allowUpstream = false,
): CompiledTemplate {
  const parts: (string | TemplatePlaceholder)[] = [];
  let i = 0;
  let literal = '';
  let usesQuery = false;
  while (i < text.length) {
    const open = text.indexOf('${', i);
    if (open === -1) {
      literal += text.slice(i);
      break;
    }
    literal += text.slice(i, open);
    const close = text.indexOf('}', open + 2);
    if (close === -1) {
      issues.add(at, `unterminated placeholder at offset ${open} in ${JSON.stringify(text)}`);
      break;
    }
    const body = text.slice(open + 2, close).trim();
    const dot = body.indexOf('.');
    const source = (dot === -1 ? body : body.slice(0, dot)) as TemplateSource;
    const name = dot === -1 ? '' : body.slice(dot + 1);
    if (!SOURCES.includes(source)) {
      issues.add(at, `unknown placeholder source ${JSON.stringify(source)} (expected ${SOURCES.join(', ')})`);
    } else if (source === 'upstream') {
      if (!allowUpstream) issues.add(at, '${upstream} is only allowed at the start of a url template');
      else if (name !== '') issues.add(at, '${upstream} takes no name');
      else if (open !== 0) issues.add(at, '${upstream} must start the template');
    } else if (!NAME.test(name)) {
      issues.add(at, `placeholder \${${body}} needs a name: \${${source}.<name>}`);
    }
    if (literal !== '') parts.push(literal);
    literal = '';
    parts.push({ source, name: source === 'headers' ? name.toLowerCase() : name });
    if (source === 'query') usesQuery = true;
    i = close + 1;
  }
  if (literal !== '') parts.push(literal);
  return Object.freeze({
    source: text,
    context,
    parts: Object.freeze(parts),
    literal: parts.every((p) => typeof p === 'string'),
    usesQuery,
  });
}

/**
 * Parses a raw query string into decoded name → first decoded value.
 *
 * @deprecated Placeholders no longer use it: `${query.name}` reads the raw first value of
 * `name` as every request key is read (core's `queryValue`: names compared as they arrived) and
 * decodes that value once. Kept for callers of the export.
 */
export function parseQuery(raw: string): Map<string, string> {
  const map = new Map<string, string>();
  if (raw === '') return map;
  for (const pair of raw.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = decodeQueryComponent(eq === -1 ? pair : pair.slice(0, eq));
    if (!map.has(name)) map.set(name, eq === -1 ? '' : decodeQueryComponent(pair.slice(eq + 1)));
  }
  return map;
}

/** The raw (unencoded) value of one placeholder, or `undefined` when absent. */
export function lookup(p: TemplatePlaceholder, scope: TemplateScope): string | undefined {
  switch (p.source) {
    case 'params': {
      // typeof checks: a name like `constructor` must not reach Object.prototype.
      const v = scope.params?.[p.name];
      return typeof v === 'string' ? v : undefined;
    }
    case 'headers': {
      const v = scope.request.headers[p.name];
      return typeof v === 'string' ? v : undefined;
    }
    case 'query': {
      // Found as every request key is found (core's one rule: the raw name, the first
      // occurrence), then decoded once, because the value is substituted into a new URL or
      // header and encoded there for its context.
      const v = queryValue(scope.request.query, p.name);
      return v === undefined ? undefined : decodeQueryComponent(v);
    }
    case 'attributes':
      return attributeText(scope.request, p.name);
    case 'upstream':
      return scope.upstream;
  }
}

/**
 * Renders a compiled template. Values are encoded for the template's context: as one path
 * segment part (`/` → `%2F`), as a query component, or raw for headers and hosts (which the
 * rewriter checks afterwards). In a path, a missing or empty value returns `undefined`: it
 * would otherwise empty a segment and silently point at another resource (`/orders/` is
 * the list, not order `''`).
 */
export function renderTemplate(t: CompiledTemplate, scope: TemplateScope): string | undefined {
  let out = '';
  for (const part of t.parts) {
    if (typeof part === 'string') {
      out += part;
      continue;
    }
    const v = lookup(part, scope);
    if (part.source === 'upstream') {
      out += v ?? '';
      continue;
    }
    switch (t.context) {
      case 'path':
        if (v === undefined || v === '') return undefined;
        out += encodePathComponent(v);
        break;
      case 'query':
        out += v === undefined ? '' : encodeQueryComponent(v);
        break;
      default:
        out += v ?? '';
    }
  }
  return out;
}
