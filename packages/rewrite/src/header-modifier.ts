/**
 * The `requestHeaders` / `responseHeaders` modifiers, Gateway API `HTTPHeaderFilter` semantics
 * (`set` overwrites, `add` appends joined with `,`, `remove` deletes; one action per name):
 * compile either, and apply `set` and `add` in each direction. `remove` is applied while the
 * headers are copied (`request-headers.ts`, `response.ts`).
 */
import { isSendableHeaderValue } from '@switchyard/core';
import type { IssueCollector } from '@switchyard/core';
import type { HeaderModifierConfig } from './config.js';
import { isHopByHop } from './headers.js';
import { HEADER_UNSAFE_TEST, TOKEN, hasUnsafeHeaderChar, stripUnsafeHeaderChars } from './internal/encode.js';
import type { TemplateCompiler } from './plan.js';
import { reject, unsendable } from './result.js';
import type { RewriteResult } from './result.js';
import { renderTemplate } from './template.js';
import type { CompiledTemplate, TemplateScope } from './template.js';

/** A compiled modifier: lower-case names; values are templates (request) or literals (response). */
export interface HeaderModifier {
  readonly set: readonly (readonly [string, CompiledTemplate])[];
  readonly add: readonly (readonly [string, CompiledTemplate])[];
  readonly remove: ReadonlySet<string>;
}

const NO_MODIFIER: HeaderModifier = Object.freeze({ set: [], add: [], remove: new Set<string>() });

/**
 * Validates a modifier (reported under `at`) and compiles it. `templates`: whether values may
 * have placeholders (request headers; response values are literals).
 */
export function compileModifier(cfg: HeaderModifierConfig | undefined, at: string, issues: IssueCollector, tpl: TemplateCompiler, templates: boolean): HeaderModifier {
  if (cfg === undefined) return NO_MODIFIER;
  const seen = new Set<string>();
  const name = (n: string, where: string): string => {
    const lower = n.toLowerCase();
    if (!TOKEN.test(n)) issues.add(where, 'header name must be a token (RFC 9110 §5.6.2)');
    else if (isHopByHop(lower)) issues.add(where, 'hop-by-hop headers cannot be modified');
    else if (lower === 'host') issues.add(where, "use the 'host' option to rewrite Host");
    if (seen.has(lower)) issues.add(where, 'only one action per header name (Gateway API)');
    seen.add(lower);
    return lower;
  };
  const entries = (rec: Readonly<Record<string, string>> | undefined, kind: string) =>
    Object.entries(rec ?? {}).map(([n, v]) => {
      const where = `${at}.${kind}[${JSON.stringify(n)}]`;
      const lower = name(n, where);
      if (HEADER_UNSAFE_TEST.test(v)) issues.add(where, 'value must not contain CR, LF or NUL');
      if (!templates && v.includes('${')) issues.add(where, 'response header values cannot be templates');
      return [lower, tpl(v, 'header', where)] as const;
    });
  const set = entries(cfg.set, 'set');
  const add = entries(cfg.add, 'add');
  const remove = new Set((cfg.remove ?? []).map((n, i) => name(n, `${at}.remove[${i}]`)));
  return Object.freeze({ set, add, remove });
}

/**
 * Applies `set` and `add` to the upstream request's headers, each rendered value checked:
 * CR/LF/NUL rejected or stripped (`rejectUnsafe`), anything else undici refuses rejected.
 * Returns the `rejected` result, or `undefined` when all went in.
 */
export function applyRequestModifier(m: HeaderModifier, headers: Record<string, string>, scope: TemplateScope, rejectUnsafe: boolean): RewriteResult | undefined {
  for (const [name, t] of m.set) {
    const v = renderTemplate(t, scope) ?? '';
    const safe = checkValue(rejectUnsafe, name, v);
    if (typeof safe !== 'string') return safe;
    headers[name] = safe;
  }
  for (const [name, t] of m.add) {
    const v = renderTemplate(t, scope) ?? '';
    const safe = checkValue(rejectUnsafe, name, v);
    if (typeof safe !== 'string') return safe;
    const prev = headers[name];
    headers[name] = prev === undefined ? safe : `${prev},${safe}`;
  }
  return undefined;
}

function checkValue(rejectUnsafe: boolean, name: string, v: string): string | RewriteResult {
  if (isSendableHeaderValue(v)) return v;
  let out = v;
  if (hasUnsafeHeaderChar(v)) {
    if (rejectUnsafe) return reject('unsafe-header', `value for ${name} contains CR, LF or NUL`);
    out = stripUnsafeHeaderChars(v);
  }
  return isSendableHeaderValue(out) ? out : unsendable(name, out);
}

/** Applies `set` and `add` to response headers (literal values, validated at compile time). */
export function applyResponseModifier(m: HeaderModifier, out: Record<string, string | readonly string[]>): void {
  for (const [name, t] of m.set) out[name] = t.source;
  for (const [name, t] of m.add) {
    const prev = out[name];
    out[name] = prev === undefined ? t.source : typeof prev === 'string' ? `${prev},${t.source}` : [...prev, t.source];
  }
}
