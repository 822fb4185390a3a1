/**
 * Envoy circuit-breaker thresholds (`envoy/config/cluster/v3/circuit_breaker.proto`): counters
 * of outstanding connections, pending requests, requests and retries per upstream group (and
 * routing priority), each with a hard limit. A try that would exceed a limit is refused at
 * once: the gateway answers 503 `SY_OVERLOADED` (Envoy sets `x-envoy-overloaded`).
 *
 * Defaults are Envoy's: 1024 connections, 1024 pending, 1024 requests, 3 retries. With a
 * `retryBudget`, the retry limit becomes `max(minRetryConcurrency, budgetPercent % ×
 * (active + pending requests))` (Envoy defaults 20 % and 3), replacing `maxRetries`.
 */
import { IssueCollector } from '@switchyard/core';
import { num } from './internal/validate.js';

/** The four resources Envoy tracks per cluster and priority. */
export type ResourceKind = 'connections' | 'pendingRequests' | 'requests' | 'retries';

/** Thresholds; every field optional (Envoy defaults). */
export interface ResourceLimitsConfig {
  /** Envoy `max_connections`, default 1024. */
  readonly maxConnections?: number;
  /** Envoy `max_pending_requests`, default 1024. */
  readonly maxPendingRequests?: number;
  /** Envoy `max_requests`, default 1024. */
  readonly maxRequests?: number;
  /** Envoy `max_retries`, default 3. Ignored when `retryBudget` is set. */
  readonly maxRetries?: number;
  /** Envoy `retry_budget`: a retry limit proportional to the load. */
  readonly retryBudget?: { readonly budgetPercent?: number; readonly minRetryConcurrency?: number };
}

/** Compiled thresholds. */
export interface ResourceLimitsPlan {
  readonly maxConnections: number;
  readonly maxPendingRequests: number;
  readonly maxRequests: number;
  readonly maxRetries: number;
  readonly retryBudget: { readonly budgetPercent: number; readonly minRetryConcurrency: number } | null;
}

/** Outstanding counts (plain data). */
export interface ResourceCounters {
  connections: number;
  pendingRequests: number;
  requests: number;
  retries: number;
}

/**
 * Validates thresholds and fills Envoy's defaults.
 *
 * @example
 * ```ts
 * import { compileResourceLimits } from '@switchyard/health';
 * const plan = compileResourceLimits({ maxRequests: 100, retryBudget: {} }); // budget 20 %, min 3
 * ```
 */
export function compileResourceLimits(config: ResourceLimitsConfig = {}, path = 'circuitBreakers'): ResourceLimitsPlan {
  const issues = new IssueCollector();
  const limit = (k: string, v: unknown, fb: number): number => num(issues, `${path}.${k}`, v, fb, { min: 0, integer: true });
  const b = config.retryBudget;
  const plan: ResourceLimitsPlan = {
    maxConnections: limit('maxConnections', config.maxConnections, 1024),
    maxPendingRequests: limit('maxPendingRequests', config.maxPendingRequests, 1024),
    maxRequests: limit('maxRequests', config.maxRequests, 1024),
    maxRetries: limit('maxRetries', config.maxRetries, 3),
    retryBudget:
      b === undefined
        ? null
        : Object.freeze({
            budgetPercent: num(issues, `${path}.retryBudget.budgetPercent`, b.budgetPercent, 20, { min: 0, max: 100 }),
            minRetryConcurrency: limit('retryBudget.minRetryConcurrency', b.minRetryConcurrency, 3),
          }),
  };
  issues.throwIfAny();
  return Object.freeze(plan);
}

/** All-zero counters. */
export function createResourceCounters(): ResourceCounters {
  return { connections: 0, pendingRequests: 0, requests: 0, retries: 0 };
}

// Deliberately alike: gateway/src/error-format/templates.ts (valueOf) — a switch of one field per case; only the shape is shared.
/** The current limit for `kind` (the retry limit depends on the load when a budget is set). */
export function resourceLimit(plan: ResourceLimitsPlan, counters: ResourceCounters, kind: ResourceKind): number {
  switch (kind) {
    case 'connections':
      return plan.maxConnections;
    case 'pendingRequests':
      return plan.maxPendingRequests;
    case 'requests':
      return plan.maxRequests;
    case 'retries': {
      const b = plan.retryBudget;
      if (b === null) return plan.maxRetries;
      return Math.max(b.minRetryConcurrency, Math.floor((b.budgetPercent / 100) * (counters.requests + counters.pendingRequests)));
    }
  }
}

/**
 * Takes one unit of `kind` if the count is below its limit (Envoy `canCreate`: `current < max`)
 * and returns true; returns false and changes nothing otherwise. Pair each success with
 * {@link releaseResource}.
 */
export function tryAcquireResource(plan: ResourceLimitsPlan, counters: ResourceCounters, kind: ResourceKind): boolean {
  if (counters[kind] >= resourceLimit(plan, counters, kind)) return false;
  counters[kind]++;
  return true;
}

/** Gives back one unit of `kind` (never below zero). */
export function releaseResource(counters: ResourceCounters, kind: ResourceKind): void {
  if (counters[kind] > 0) counters[kind]--;
}
