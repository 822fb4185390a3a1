/**
 * `GatewayEvent`: what the gateway reports to `onEvent` listeners (health, forwarding, rollouts,
 * reloads).
 */

import type { HealthEvent } from '@switchyard/health';
import type { RolloutEvent } from '@switchyard/splitter';
import type { ForwardEvent } from './forward.js';

/**
 * Everything the gateway reports, as plain values: turn them into logs, traces or your own
 * metrics with `gateway.subscribe(fn)`. `at` is the gateway clock's monotonic time.
 */
export type GatewayEvent =
  | { readonly kind: 'request'; readonly at: number; readonly route: string | undefined; readonly method: string; readonly path: string; readonly status: number; readonly latencyMs: number; readonly backend?: string | undefined; readonly endpoint?: string | undefined; readonly tries: number; readonly code?: string | undefined }
  | { readonly kind: 'limited'; readonly at: number; readonly route: string; readonly rule: string; readonly retryAfterMs: number }
  | { readonly kind: 'split'; readonly at: number; readonly route: string; readonly backend: string; readonly by: string }
  | { readonly kind: 'experiment'; readonly at: number; readonly route: string; readonly experiment: string; readonly variant: string }
  | { readonly kind: 'upstream'; readonly at: number; readonly route: string; readonly event: ForwardEvent }
  | { readonly kind: 'health'; readonly at: number; readonly upstream: string; readonly event: HealthEvent }
  | { readonly kind: 'rollout'; readonly at: number; readonly route: string; readonly event: RolloutEvent }
  /** Fleet mode: the rollout store became unreachable (`available: false`: this replica's weights are frozen) or reachable again. */
  | { readonly kind: 'rollout-store'; readonly at: number; readonly route: string; readonly available: boolean; readonly reason: string }
  | { readonly kind: 'fault'; readonly at: number; readonly route: string; readonly delayMs: number; readonly abortStatus?: number | undefined }
  | { readonly kind: 'mirror-skipped'; readonly at: number; readonly route: string; readonly reason: string }
  /**
   * Overload protection refused a request before it was sent (503 `SY_OVERLOADED`): a resource
   * limit (`max-requests`, `max-pending-requests`), the adaptive throttle (with its current
   * rejection `probability`) or the adaptive concurrency limit (with the request's `priority`,
   * the requests in flight and the learnt `limit`).
   */
  | {
      readonly kind: 'overloaded';
      readonly at: number;
      readonly route: string;
      readonly upstream: string;
      readonly reason: 'max-requests' | 'max-pending-requests' | 'adaptive-throttle' | 'adaptive-concurrency';
      readonly probability?: number | undefined;
      readonly priority?: string | undefined;
      readonly inflight?: number | undefined;
      readonly limit?: number | undefined;
    }
  /**
   * A policy answered instead of continuing: `reject` (through the error formatter), `respond`
   * (its own response) or `error` (it threw or returned nonsense: 500 `SY_INTERNAL`). `route`
   * is undefined for a request no route matched.
   */
  | { readonly kind: 'policy'; readonly at: number; readonly route: string | undefined; readonly policy: string; readonly result: 'reject' | 'respond' | 'error'; readonly status: number }
  | { readonly kind: 'reload'; readonly at: number; readonly routes: number; readonly upstreams: number }
  /**
   * A config problem that does not refuse the config (a route with no backend, or whose backends
   * all weigh 0, answers 500; an unreachable route), once per warning when a config is created or
   * reloaded. The same list stays in `gateway.plan().warnings`.
   */
  | { readonly kind: 'config-warning'; readonly at: number; readonly path: string; readonly message: string };

/**
 * Sends each event to every listener of `listeners` (the set stays live: `subscribe` adds to it).
 * A listener's throw is swallowed: a listener's bug must not break traffic. Callers check
 * `listeners.size > 0` before building an event, so an unobserved gateway builds none.
 */
export function createEmitter(listeners: ReadonlySet<(event: GatewayEvent) => void>): (event: GatewayEvent) => void {
  return (event) => {
    for (const l of listeners) {
      try {
        l(event);
      } catch {
        // A listener's bug must not break traffic.
      }
    }
  };
}
