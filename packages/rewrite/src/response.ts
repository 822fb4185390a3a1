/**
 * Upstream response headers: strip hop-by-hop headers and those the response's `Connection`
 * names, drop CR/LF/NUL, then apply the rule's `responseHeaders` modifier. Each name's fate is
 * decided once per plan (`internal/header-names.ts`).
 */
import type { ResponseHeaders } from '@switchyard/core';
import { applyResponseModifier } from './header-modifier.js';
import { isHopByHop } from './headers.js';
import { HEADER_UNSAFE_TEST, TOKEN, stripUnsafeHeaderChars } from './internal/encode.js';
import { memoName } from './internal/header-names.js';
import { planInternals } from './plan.js';
import type { PlanInternals, RewritePlan } from './plan.js';

const NO_NAMES: readonly string[] = Object.freeze([]);

/** A response header's lower-case form, or null when the response drops it (hop-by-hop, or in the rule's `remove`). */
function classifyResponseName(p: PlanInternals, lower: string): string | null {
  return isHopByHop(lower) || p.responseHeaders.remove.has(lower) ? null : lower;
}

/** A response header name's lower-case form, or null when the response drops it (memoised on the plan). */
function responseName(p: PlanInternals, name: string): string | null {
  return memoName(p.responseNames, p, name, classifyResponseName);
}

/**
 * Rewrites upstream response headers: strips hop-by-hop headers and those the response's
 * `Connection` names (invalid options ignored), drops CR/LF/NUL, then applies the rule's
 * `responseHeaders` modifier. Returns a new object.
 *
 * @example
 * ```ts
 * import { compileRewrite, rewriteResponseHeaders } from '@switchyard/rewrite';
 * const plan = compileRewrite({ responseHeaders: { set: { 'x-served-by': 'switchyard' }, remove: ['server'] } });
 * rewriteResponseHeaders(plan, { server: 'nginx', connection: 'close', 'content-type': 'text/plain' });
 * // { 'content-type': 'text/plain', 'x-served-by': 'switchyard' }
 * ```
 */
export function rewriteResponseHeaders(plan: RewritePlan, input: ResponseHeaders): ResponseHeaders {
  return responseHeadersOf(planInternals(plan), input);
}

/** {@link rewriteResponseHeaders} on a plan's internals (a redirect builds its headers with it). */
export function responseHeadersOf(p: PlanInternals, input: ResponseHeaders): ResponseHeaders {
  const out: Record<string, string | readonly string[]> = {};
  const conn = input['connection'];
  const nominated = conn === undefined ? NO_NAMES : (typeof conn === 'string' ? conn : conn.join(',')).split(',').map((s) => s.trim().toLowerCase()).filter((s) => TOKEN.test(s));
  for (const name in input) {
    const value = input[name];
    if (value === undefined || (typeof value !== 'string' && !Array.isArray(value))) continue;
    const lower = responseName(p, name);
    if (lower === null || nominated.includes(lower)) continue;
    if (typeof value === 'string') out[lower] = HEADER_UNSAFE_TEST.test(value) ? stripUnsafeHeaderChars(value) : value;
    else out[lower] = value.map((v) => (HEADER_UNSAFE_TEST.test(v) ? stripUnsafeHeaderChars(v) : v));
  }
  applyResponseModifier(p.responseHeaders, out);
  return out;
}
