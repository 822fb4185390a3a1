/**
 * The eligible set the gateway hands to the balancer: endpoints neither ejected by outlier
 * detection nor failing active health checks, with Envoy's panic threshold
 * (`common_lb_config.healthy_panic_threshold`, default 50 %): when fewer than that share of
 * endpoints is healthy, balance across all of them, as Envoy does. That is what lets traffic
 * reach (and so re-admit) endpoints after a full outage (undici #4839).
 */
import type { Endpoint } from '@switchyard/core';

/** Result of {@link computeEligible}. */
export interface EligibleSet {
  readonly endpoints: readonly Endpoint[];
  /** True when the healthy share fell below the panic threshold and every endpoint is returned. */
  readonly panic: boolean;
  readonly healthyCount: number;
}

/**
 * Filters `endpoints` by outlier ejection and active health, then applies the panic threshold.
 * Endpoints without an active-check status (`undefined`) count as healthy; `pending` ones do not.
 *
 * @example
 * ```ts
 * import { computeEligible } from '@switchyard/health';
 * const { endpoints: eligible, panic } = computeEligible(all, { isEjected: (id) => od.isEjected(id), activeStatus: (id) => runner.status(id) });
 * ```
 */
export function computeEligible(
  endpoints: readonly Endpoint[],
  options: {
    readonly isEjected?: (endpointId: string) => boolean;
    readonly activeStatus?: (endpointId: string) => 'pending' | 'healthy' | 'unhealthy' | undefined;
    /** Envoy default 50; 0 disables panic (an empty set means 503). */
    readonly panicThresholdPercent?: number;
  } = {},
): EligibleSet {
  const { isEjected, activeStatus } = options;
  const threshold = options.panicThresholdPercent ?? 50;
  if (isEjected === undefined && activeStatus === undefined) return { endpoints, panic: false, healthyCount: endpoints.length };
  // Usually every endpoint is eligible: find the first one that is not before allocating anything.
  let first = 0;
  while (first < endpoints.length && isEligible(endpoints[first] as Endpoint, isEjected, activeStatus)) first++;
  if (first === endpoints.length) return { endpoints, panic: false, healthyCount: endpoints.length };
  const healthy: Endpoint[] = endpoints.slice(0, first);
  for (let i = first + 1; i < endpoints.length; i++) {
    const e = endpoints[i] as Endpoint;
    if (isEligible(e, isEjected, activeStatus)) healthy.push(e);
  }
  if (endpoints.length > 0 && threshold > 0 && (100 * healthy.length) / endpoints.length < threshold) {
    return { endpoints, panic: true, healthyCount: healthy.length };
  }
  return { endpoints: healthy, panic: false, healthyCount: healthy.length };
}

function isEligible(e: Endpoint, isEjected: ((id: string) => boolean) | undefined, activeStatus: ((id: string) => string | undefined) | undefined): boolean {
  if (isEjected?.(e.id) === true) return false;
  const s = activeStatus?.(e.id);
  return s === undefined || s === 'healthy';
}
