/**
 * The query stage: compile the `query` option (`removeAll`, `remove`, `rename`, `set`, `add`)
 * and apply it to the request's raw query. Names and literal parts are encoded once, at compile
 * time; incoming pairs keep their raw spelling unless renamed or replaced.
 */
import type { IssueCollector } from '@switchyard/core';
import type { QueryRewriteConfig } from './config.js';
import { decodeQueryComponent, encodeQueryComponent, sanitizeRawQuery } from './internal/encode.js';
import type { TemplateCompiler } from './plan.js';
import { renderTemplate } from './template.js';
import type { CompiledTemplate, TemplateScope } from './template.js';

/** A query parameter to set or add: its name as given, its encoding (computed once) and the value template. */
interface QueryParam {
  readonly name: string;
  readonly encoded: string;
  readonly value: CompiledTemplate;
}

/** A compiled `query` option. */
export interface CompiledQuery {
  readonly removeAll: boolean;
  readonly remove: ReadonlySet<string>;
  readonly rename: ReadonlyMap<string, string>;
  readonly set: readonly QueryParam[];
  readonly add: readonly QueryParam[];
  /** No `set` entry can replace another (true unless names collide once encoded, e.g. lone surrogates). */
  readonly setDistinct: boolean;
}

/** Validates the `query` option (reported under `query`) and compiles it. */
export function compileQuery(q: QueryRewriteConfig, issues: IssueCollector, tpl: TemplateCompiler): CompiledQuery {
  const rename = new Map<string, string>();
  for (const [from, to] of Object.entries(q.rename ?? {})) {
    if (to === '') issues.add(`query.rename[${JSON.stringify(from)}]`, 'new name must not be empty');
    rename.set(from, encodeQueryComponent(to));
  }
  const pairs = (rec: Readonly<Record<string, string>> | undefined, at: string): QueryParam[] =>
    Object.entries(rec ?? {}).map(([name, value]) => {
      if (name === '') issues.add(at, 'query parameter name must not be empty');
      const t = tpl(value, 'query', `${at}[${JSON.stringify(name)}]`);
      // Config values are plain text: their literal parts (and the name) are encoded once, here.
      const parts = t.parts.map((part) => (typeof part === 'string' ? encodeQueryComponent(part) : part));
      return Object.freeze({ name, encoded: encodeQueryComponent(name), value: Object.freeze({ ...t, parts: Object.freeze(parts) }) });
    });
  const set = pairs(q.set, 'query.set');
  return Object.freeze({
    removeAll: q.removeAll === true,
    remove: new Set(q.remove ?? []),
    rename,
    set,
    add: pairs(q.add, 'query.add'),
    setDistinct: set.every((a, i) => set.every((b, j) => i === j || decodeQueryComponent(a.encoded) !== b.name)),
  });
}

/** Applies a compiled `query` option to a raw query string (without `?`); returns the new raw query. */
export function rewriteQuery(q: CompiledQuery, raw: string, scope: TemplateScope): string {
  // Fast path: no incoming pairs, so nothing to remove, rename or replace; set and add just
  // append (set names are distinct object keys, so no set can replace another).
  if ((q.removeAll || raw === '') && q.setDistinct) {
    let out = '';
    for (const p of q.set) out += (out === '' ? '' : '&') + p.encoded + '=' + (renderTemplate(p.value, scope) ?? '');
    for (const p of q.add) out += (out === '' ? '' : '&') + p.encoded + '=' + (renderTemplate(p.value, scope) ?? '');
    return out;
  }
  const pairs: [string, string | undefined][] = [];
  if (!q.removeAll && raw !== '') {
    for (const pair of sanitizeRawQuery(raw).split('&')) {
      if (pair === '') continue;
      const eq = pair.indexOf('=');
      const rawName = eq === -1 ? pair : pair.slice(0, eq);
      const name = decodeQueryComponent(rawName);
      if (q.remove.has(name)) continue;
      const renamed = q.rename.get(name);
      pairs.push([renamed ?? rawName, eq === -1 ? undefined : pair.slice(eq + 1)]);
    }
  }
  for (const { name, encoded: encName, value: t } of q.set) {
    const value = renderTemplate(t, scope) ?? '';
    let placed = false;
    for (let i = 0; i < pairs.length; i++) {
      const p = pairs[i] as [string, string | undefined];
      if (decodeQueryComponent(p[0]) !== name) continue;
      if (!placed) {
        pairs[i] = [encName, value];
        placed = true;
      } else {
        pairs.splice(i, 1);
        i--;
      }
    }
    if (!placed) pairs.push([encName, value]);
  }
  for (const p of q.add) pairs.push([p.encoded, renderTemplate(p.value, scope) ?? '']);
  let out = '';
  for (const [n, v] of pairs) out += (out === '' ? '' : '&') + (v === undefined ? n : `${n}=${v}`);
  return out;
}
