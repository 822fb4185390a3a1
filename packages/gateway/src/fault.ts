/**
 * Fault injection, as Envoy's HTTP fault filter (`envoy.filters.http.fault`): a delay and/or
 * an abort applied to a percentage of matching requests before they reach the upstream.
 * An unset percentage means 0 % (Envoy and Istio): a fault does nothing until you say how often.
 * Percentages are evaluated with Envoy's strict `<`. Delay is applied first, then abort.
 */
import { chance, type RequestHeaders, type Rng } from '@switchyard/core';

export interface FaultPolicy {
  readonly delay?: {
    /** Fixed delay in ms (> 0). */
    readonly fixedDelayMs: number;
    /** Share of requests delayed, 0–100 (default 0). */
    readonly percent?: number;
  };
  readonly abort?: {
    /** Status to answer with, 200–599. */
    readonly httpStatus: number;
    /** Share of requests aborted, 0–100 (default 0). */
    readonly percent?: number;
  };
  /** Only requests carrying all these headers with these exact values are faulted. */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * Let clients choose the fault with `x-fault-delay-request: <ms>` and
   * `x-fault-abort-request: <status>` (Envoy's header control), still bounded by `percent`.
   * Off by default: never enable it on a public listener.
   */
  readonly headerControl?: boolean;
}

/** What to do to one request. */
export interface FaultDecision {
  readonly delayMs: number;
  readonly abortStatus: number | undefined;
}

export const NO_FAULT: FaultDecision = Object.freeze({ delayMs: 0, abortStatus: undefined });

/** Decides the fault for one request. Pure given `rng`. */
export function decideFault(policy: FaultPolicy, headers: RequestHeaders, rng: Rng): FaultDecision {
  if (policy.headers !== undefined) {
    for (const [name, value] of Object.entries(policy.headers)) if (headers[name.toLowerCase()] !== value) return NO_FAULT;
  }
  let delayMs = 0;
  let abortStatus: number | undefined;
  if (policy.delay !== undefined && chance(rng, policy.delay.percent ?? 0)) {
    delayMs = policy.delay.fixedDelayMs;
    if (policy.headerControl === true) {
      const h = Number(headers['x-fault-delay-request']);
      if (Number.isInteger(h) && h >= 0) delayMs = h;
    }
  }
  if (policy.abort !== undefined && chance(rng, policy.abort.percent ?? 0)) {
    abortStatus = policy.abort.httpStatus;
    if (policy.headerControl === true) {
      const h = Number(headers['x-fault-abort-request']);
      if (Number.isInteger(h) && h >= 200 && h <= 599) abortStatus = h;
    }
  }
  return delayMs === 0 && abortStatus === undefined ? NO_FAULT : { delayMs, abortStatus };
}
