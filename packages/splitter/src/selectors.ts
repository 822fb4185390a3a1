/**
 * Canary selectors: the header, cookie, query and attribute conditions that send a request to the
 * canary whatever the weights.
 */

import type { SyRequest } from '@switchyard/core';
import { attributeText, queryValue } from '@switchyard/core';
import { readKey, type SplitKeySource } from './key.js';

/**
 * A canary selector: who is sent to a backend before any percentage applies.
 * - `{ header, value? }`: the header is present (or equals `value`), e.g. `x-stage: canary`;
 * - `{ query, value? }`: the query parameter is present (or equals `value`), e.g. `?stage=canary`;
 * - `{ keyIn, key? }`: an allow-list of keys (user ids), read with `key` or the split's key;
 * - `{ attribute, equals? , in? }`: an attribute predicate (tier, region, staff);
 * - `{ test }`: any predicate on the request.
 */
export type CanarySelector =
  | { readonly header: string; readonly value?: string }
  | { readonly query: string; readonly value?: string }
  | { readonly keyIn: readonly string[]; readonly key?: SplitKeySource | readonly SplitKeySource[] }
  | { readonly attribute: string; readonly equals?: string | number | boolean; readonly in?: readonly (string | number | boolean)[] }
  | { readonly test: (req: SyRequest) => boolean };

/**
 * One canary rule: when the selector matches, the request goes to `backend`, whatever its
 * weight (so a weight-0 canary can be tried by opting in). Rules are evaluated in declared
 * order; the first match wins.
 *
 * @example
 * ```ts
 * import type { CanaryRule } from '@switchyard/splitter';
 * const rules: CanaryRule[] = [
 *   { name: 'opt-in header', backend: 'v2', when: { header: 'x-stage', value: 'canary' } },
 *   { name: 'staff', backend: 'v2', when: { attribute: 'staff', equals: true } },
 * ];
 * ```
 */
export interface CanaryRule {
  readonly backend: string;
  readonly when: CanarySelector;
  /** Shown in decisions and logs; defaults to `rule[i]`. */
  readonly name?: string;
}

/** A compiled selector: a predicate over the request and the split's key. */
export type CompiledSelector = (req: SyRequest, splitKey: () => string | undefined) => boolean;

/** Compiles a selector once (allow-lists become Sets). */
export function compileSelector(sel: CanarySelector): CompiledSelector {
  if ('header' in sel) {
    const { header, value } = sel;
    const name = header.toLowerCase();
    return value === undefined ? (req) => req.headers[name] !== undefined : (req) => req.headers[name] === value;
  }
  if ('query' in sel) {
    const { query, value } = sel;
    return value === undefined ? (req) => queryValue(req.query, query) !== undefined : (req) => queryValue(req.query, query) === value;
  }
  if ('keyIn' in sel) {
    const set = new Set(sel.keyIn);
    const own = sel.key === undefined ? undefined : Array.isArray(sel.key) ? (sel.key as readonly SplitKeySource[]) : [sel.key as SplitKeySource];
    return (req, splitKey) => {
      const k = own === undefined ? splitKey() : readKey(own, req);
      return k !== undefined && set.has(k);
    };
  }
  if ('attribute' in sel) {
    const { attribute } = sel;
    if (sel.in !== undefined) {
      const set = new Set<unknown>(sel.in);
      return (req) => set.has(req.attributes[attribute]);
    }
    if (sel.equals !== undefined) {
      const eq = sel.equals;
      return (req) => req.attributes[attribute] === eq;
    }
    return (req) => attributeText(req, attribute) !== undefined;
  }
  const { test } = sel;
  return (req) => test(req);
}

/** Validates a selector, reporting problems through `add`. */
export function checkSelector(sel: CanarySelector, path: string, add: (path: string, message: string) => void): void {
  if (typeof sel !== 'object' || sel === null) return add(path, 'must be an object');
  if ('header' in sel) {
    if (typeof sel.header !== 'string' || sel.header === '') add(`${path}.header`, 'must be a non-empty string');
  } else if ('query' in sel) {
    if (typeof sel.query !== 'string' || sel.query === '') add(`${path}.query`, 'must be a non-empty string');
  } else if ('keyIn' in sel) {
    if (!Array.isArray(sel.keyIn) || !sel.keyIn.every((k) => typeof k === 'string')) add(`${path}.keyIn`, 'must be an array of strings');
  } else if ('attribute' in sel) {
    if (typeof sel.attribute !== 'string' || sel.attribute === '') add(`${path}.attribute`, 'must be a non-empty string');
    if (sel.in !== undefined && sel.equals !== undefined) add(path, 'give either equals or in, not both');
  } else if (!('test' in sel) || typeof sel.test !== 'function') {
    add(path, 'must have one of header, query, keyIn, attribute, test');
  }
}
