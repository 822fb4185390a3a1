/** Small validators the health configs share, each reporting problems by path. */

import type { IssueCollector } from '@switchyard/core';

/** Reads an optional number field, reporting an issue unless it is finite and within [min, max]. */
export function num(
  issues: IssueCollector,
  path: string,
  value: unknown,
  fallback: number,
  opts: { min?: number; max?: number; integer?: boolean; exclusiveMin?: boolean } = {},
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    issues.add(path, `must be a finite number, got ${JSON.stringify(value)}`);
    return fallback;
  }
  if (opts.integer === true && !Number.isInteger(value)) issues.add(path, `must be an integer, got ${value}`);
  if (opts.min !== undefined && (opts.exclusiveMin === true ? value <= opts.min : value < opts.min)) {
    issues.add(path, `must be ${opts.exclusiveMin === true ? '>' : '>='} ${opts.min}, got ${value}`);
  }
  if (opts.max !== undefined && value > opts.max) issues.add(path, `must be <= ${opts.max}, got ${value}`);
  return value;
}

/** Reads an optional boolean field. */
export function bool(issues: IssueCollector, path: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') {
    issues.add(path, `must be a boolean, got ${JSON.stringify(value)}`);
    return fallback;
  }
  return value;
}

/** Reads an optional string-literal field. */
export function oneOf<T extends string>(issues: IssueCollector, path: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    issues.add(path, `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${JSON.stringify(value)}`);
    return fallback;
  }
  return value as T;
}
