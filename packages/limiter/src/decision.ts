/** Decisions: expected outcomes are values, never exceptions (a 429 is not an error). */

/** Why a store could not decide, and what was done instead. */
export interface StoreFailure {
  readonly reason: 'timeout' | 'error' | 'unavailable';
  readonly message: string;
  /** What answered instead: the configured `onStoreError`. */
  readonly fallback: 'allow' | 'deny' | 'local';
}

/** The request may proceed. */
export interface Allowed {
  readonly kind: 'allowed';
  /** The policy's limit (`maxTokens`). */
  readonly limit: number;
  /** Whole tokens (requests of cost 1) left after this one. */
  readonly remaining: number;
  /** Milliseconds until the bucket is full again (the window has emptied). */
  readonly resetAfterMs: number;
  /** Set when the store failed and `onStoreError` decided instead. */
  readonly storeError?: StoreFailure;
}

/** The request must wait `retryAfterMs` (`Infinity` if its cost exceeds the capacity). */
export interface Limited {
  readonly kind: 'limited';
  readonly limit: number;
  readonly remaining: number;
  readonly resetAfterMs: number;
  readonly retryAfterMs: number;
  readonly storeError?: StoreFailure;
}

/**
 * One rate decision: `{ kind: 'allowed', remaining, resetAfterMs }` or
 * `{ kind: 'limited', retryAfterMs, … }`.
 */
export type LimitDecision = Allowed | Limited;

/**
 * @deprecated Use {@link LimitDecision}: `Decision` is also `@switchyard/gateway`'s name for a
 * decide-mode answer, and two public types of one name were easy to mix up.
 */
export type Decision = LimitDecision;
