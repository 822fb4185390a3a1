/**
 * The part of the Web `AbortSignal` that switchyard relies on. Every runtime's real
 * `AbortSignal` satisfies it; declaring it here keeps core free of DOM and Node types.
 */
export interface AbortSignalLike {
  readonly aborted: boolean;
  readonly reason?: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** The part of `AbortController` switchyard relies on. */
export interface AbortControllerLike {
  readonly signal: AbortSignalLike;
  abort(reason?: unknown): void;
}

/**
 * A real `AbortController` from the host runtime (Node 16+, Bun, Deno, workers all have one).
 * Transports such as `fetch` insist on the runtime's own signal class, so core never fakes one.
 */
export function createAbortController(): AbortControllerLike {
  const Ctor = (globalThis as unknown as { AbortController?: new () => AbortControllerLike }).AbortController;
  if (Ctor === undefined) throw new TypeError('switchyard needs a runtime with AbortController');
  return new Ctor();
}

/**
 * Calls `fn` when `signal` aborts (at once if it already has). Returns a function that
 * removes the listener, so a finished request does not keep a closure alive on a long-lived signal.
 */
export function onAbort(signal: AbortSignalLike, fn: () => void): () => void {
  if (signal.aborted) {
    fn();
    return () => {};
  }
  signal.addEventListener('abort', fn, { once: true });
  return () => signal.removeEventListener('abort', fn);
}
