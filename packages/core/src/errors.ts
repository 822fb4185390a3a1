/**
 * The error table: every `SwitchyardErrorCode`, its HTTP status (`ERROR_STATUS`) and
 * `SwitchyardError`.
 */

/**
 * Every error code switchyard produces. Stable strings: match on `code`, never on messages.
 * docs/errors.md describes each one.
 */
export const ERROR_CODES = [
  'SY_CONFIG_INVALID',
  'SY_INVALID_ARGUMENT',
  'SY_BAD_REQUEST',
  'SY_NO_ROUTE',
  'SY_UNAUTHORIZED',
  'SY_FORBIDDEN',
  'SY_RATE_LIMITED',
  'SY_NO_BACKEND',
  'SY_NO_ENDPOINT',
  'SY_CIRCUIT_OPEN',
  'SY_OVERLOADED',
  'SY_UPSTREAM_CONNECT',
  'SY_UPSTREAM_RESET',
  'SY_UPSTREAM_TIMEOUT',
  'SY_DEADLINE_EXCEEDED',
  'SY_REQUEST_TIMEOUT',
  'SY_CANCELED',
  'SY_BODY_TOO_LARGE',
  'SY_BODY_CONSUMED',
  'SY_STORE_UNAVAILABLE',
  'SY_TIMER_LOOP',
  'SY_INTERNAL',
] as const;

/** One of {@link ERROR_CODES}. */
export type SwitchyardErrorCode = (typeof ERROR_CODES)[number];

/** The HTTP status a gateway answers with for each code (config and argument errors are 500s). */
export const ERROR_STATUS: Readonly<Record<SwitchyardErrorCode, number>> = Object.freeze({
  SY_CONFIG_INVALID: 500,
  SY_INVALID_ARGUMENT: 500,
  SY_BAD_REQUEST: 400,
  SY_NO_ROUTE: 404,
  SY_UNAUTHORIZED: 401,
  SY_FORBIDDEN: 403,
  SY_RATE_LIMITED: 429,
  // Gateway API: a rule with no usable backendRef (none, or all weight 0) answers 500.
  SY_NO_BACKEND: 500,
  SY_NO_ENDPOINT: 503,
  SY_CIRCUIT_OPEN: 503,
  SY_OVERLOADED: 503,
  SY_UPSTREAM_CONNECT: 502,
  SY_UPSTREAM_RESET: 502,
  SY_UPSTREAM_TIMEOUT: 504,
  SY_DEADLINE_EXCEEDED: 504,
  SY_REQUEST_TIMEOUT: 408,
  SY_CANCELED: 499,
  SY_BODY_TOO_LARGE: 413,
  SY_BODY_CONSUMED: 500,
  SY_STORE_UNAVAILABLE: 503,
  SY_TIMER_LOOP: 500,
  SY_INTERNAL: 500,
});

const BRAND = Symbol.for('switchyard.error');

/**
 * The one error class switchyard throws (bugs and invalid config) or carries in results.
 *
 * Use {@link isSwitchyardError} rather than `instanceof`: it works across two copies of the
 * package (a `Symbol.for` brand), as undici's error codes do.
 *
 * @example
 * ```ts
 * import { SwitchyardError, isSwitchyardError } from '@switchyard/core';
 * try { throw new SwitchyardError('SY_NO_ROUTE', 'no route for GET /x'); }
 * catch (e) { if (isSwitchyardError(e)) console.log(e.code, e.status); } // SY_NO_ROUTE 404
 * ```
 */
export class SwitchyardError extends Error {
  readonly code: SwitchyardErrorCode;
  /** The HTTP status this error maps to. */
  readonly status: number;
  readonly [BRAND] = true;

  constructor(code: SwitchyardErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SwitchyardError';
    this.code = code;
    this.status = ERROR_STATUS[code];
  }
}

/** True for any {@link SwitchyardError}, from this copy of the package or another. */
export function isSwitchyardError(value: unknown): value is SwitchyardError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}
