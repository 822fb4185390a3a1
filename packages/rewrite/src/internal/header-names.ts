/**
 * The per-plan header-name caches (request and response): header names repeat from message to
 * message, so the token scan, lower-casing and the rule's decision about a name are made once.
 */
import type { PlanInternals } from '../plan.js';
import { tokenCase } from './encode.js';

/** Names longer than this are classified every time (bounds the cache's memory). */
const HEADER_NAME_CACHE_MAX_LENGTH = 64;
const HEADER_NAME_CACHE_SIZE = 512;

/**
 * A header name's classification, memoised in one of the plan's caches. A name that is not a
 * token, or is `__proto__`, is `null` without asking `classify`. Bounded (long names are not
 * cached, a full cache is cleared), so hostile names cost the scan, never unbounded memory.
 */
export function memoName<V>(cache: Map<string, V | null>, p: PlanInternals, name: string, classify: (p: PlanInternals, lower: string) => V | null): V | null {
  const hit = cache.get(name);
  if (hit !== undefined) return hit;
  const nameCase = tokenCase(name);
  const value = nameCase === -1 || name === '__proto__' ? null : classify(p, nameCase === 0 ? name : name.toLowerCase());
  if (name.length <= HEADER_NAME_CACHE_MAX_LENGTH) {
    if (cache.size >= HEADER_NAME_CACHE_SIZE) cache.clear();
    cache.set(name, value);
  }
  return value;
}
