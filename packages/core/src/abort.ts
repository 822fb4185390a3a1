/**
 * Cancellation without DOM or Node types: the `AbortSignal` subset switchyard relies on, a light
 * controller and `onAbort`.
 */

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
  return new LightAbortController();
}

/** The light signal: state and listeners on the instance, methods on the prototype (no closure per controller). */
class LightAbortSignal implements AbortSignalLike {
  aborted = false;
  reason: unknown = undefined;
  listeners: (() => void)[] | undefined = undefined;

  addEventListener(_type: 'abort', listener: () => void): void {
    if (this.aborted) return;
    (this.listeners ??= []).push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const list = this.listeners;
    if (list === undefined) return;
    const i = list.indexOf(listener);
    if (i >= 0) list.splice(i, 1);
  }
}

class LightAbortController implements AbortControllerLike {
  readonly signal = new LightAbortSignal();

  abort(reason?: unknown): void {
    const signal = this.signal;
    if (signal.aborted) return;
    signal.aborted = true;
    if (reason === undefined) {
      const error = new Error('This operation was aborted');
      error.name = 'AbortError';
      signal.reason = error;
    } else {
      signal.reason = reason;
    }
    const list = signal.listeners;
    signal.listeners = undefined;
    if (list !== undefined) for (const fn of list) fn();
  }
}

const ONCE: { readonly once: true } = Object.freeze({ once: true });

/**
 * Calls `fn` when `signal` aborts (at once if it already has). Returns a function that
 * removes the listener, so a finished request does not keep a closure alive on a long-lived signal.
 */
export function onAbort(signal: AbortSignalLike, fn: () => void): () => void {
  if (signal.aborted) {
    fn();
    return () => {};
  }
  signal.addEventListener('abort', fn, ONCE);
  return () => signal.removeEventListener('abort', fn);
}
