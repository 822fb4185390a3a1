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
  const healthy: Endpoint[] = [];
  for (const e of endpoints) {
    if (isEjected?.(e.id) === true) continue;
    const s = activeStatus?.(e.id);
    if (s !== undefined && s !== 'healthy') continue;
    healthy.push(e);
  }
  if (endpoints.length > 0 && threshold > 0 && (100 * healthy.length) / endpoints.length < threshold) {
    return { endpoints, panic: true, healthyCount: healthy.length };
  }
  return { endpoints: healthy, panic: false, healthyCount: healthy.length };
}
