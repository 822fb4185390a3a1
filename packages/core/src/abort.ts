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
 * A minimal, allocation-light `AbortControllerLike`: an `aborted` flag, a `reason`, and a
 * listener list. It is what the gateway creates per request and per try, because the runtime's
 * `AbortController` is an `EventTarget` and costs several times more to create and listen to.
 *
 * Transports receive it as an {@link AbortSignalLike}: they must only use `aborted`, `reason`
 * and add/removeEventListener (undici accepts such signals as they are; `@switchyard/transport-fetch`
 * links them to a runtime controller of its own, as `fetch` insists on one).
 *
 * @example
 * ```ts
 * import { createLightAbortController } from '@switchyard/core';
 * const c = createLightAbortController();
 * c.signal.addEventListener('abort', () => console.log('aborted:', c.signal.reason));
 * c.abort('done'); // aborted: done
 * ```
 */
export function createLightAbortController(): AbortControllerLike {
  let listeners: (() => void)[] | undefined;
  const signal = {
    aborted: false,
    reason: undefined as unknown,
    addEventListener(_type: 'abort', listener: () => void): void {
      if (signal.aborted) return;
      (listeners ??= []).push(listener);
    },
    removeEventListener(_type: 'abort', listener: () => void): void {
      if (listeners === undefined) return;
      const i = listeners.indexOf(listener);
      if (i >= 0) listeners.splice(i, 1);
    },
  };
  return {
    signal,
    abort(reason?: unknown): void {
      if (signal.aborted) return;
      signal.aborted = true;
      signal.reason = reason === undefined ? new Error('This operation was aborted') : reason;
      if (signal.reason instanceof Error && reason === undefined) signal.reason.name = 'AbortError';
      const list = listeners;
      listeners = undefined;
      if (list !== undefined) for (const fn of list) fn();
    },
  };
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
