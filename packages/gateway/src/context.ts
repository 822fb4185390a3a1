/**
 * What the gateway's modules share (gateway.ts builds it once per gateway): the injected clock,
 * rng and transport, the metrics registry, the event listeners and the plan in force. Each
 * module's factory (`createPreparer`, `createProxy`, …) destructures what it needs into locals,
 * so its per-request functions read captured variables, not properties of this object.
 */
import type { Clock, Rng, Transport } from '@switchyard/core';
import type { GatewayPlan } from './compile.js';
import type { ErrorFormatter } from './error-format.js';
import type { GatewayEvent } from './events.js';
import type { MetricsRegistry } from './metrics.js';

/** The shared context of one gateway's modules. */
export interface GatewayContext {
  readonly clock: Clock;
  readonly rng: Rng;
  readonly transport: Transport;
  readonly metrics: MetricsRegistry;
  /** The subscribed listeners: check `listeners.size > 0` before building an event. */
  readonly listeners: ReadonlySet<(event: GatewayEvent) => void>;
  /** Sends an event to every listener (a listener's throw is swallowed). */
  readonly emit: (event: GatewayEvent) => void;
  /**
   * The plan in force. A request reads it once when it starts (it finishes on that plan); the
   * rest is for the paths that want the newest plan (error formatting, decide-mode answers).
   */
  readonly plan: () => GatewayPlan;
  /** `GatewayDeps.formatError`. */
  readonly formatError: ErrorFormatter | undefined;
  /** `GatewayDeps.exposeErrorDetails`. */
  readonly exposeErrorDetails: boolean;
}
