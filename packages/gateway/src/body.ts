/**
 * Request bodies for several sends (retries, hedges, mirrors): buffered up to a byte cap, else
 * streamed once.
 */

import { concatBytes, createLightAbortController, onAbort, type AbortControllerLike, type AbortSignalLike, type Body, type Cancel, type Clock } from '@switchyard/core';

/**
 * A request body prepared for several sends (retries, hedges, a mirror): buffered up to a byte
 * cap. A body over the cap streams once and cannot be replayed (Envoy's buffer-limit rule:
 * no retry once the buffer overflows; Linkerd: bodies over 64 KiB are never retried).
 */
export type PreparedBody =
  | { readonly kind: 'none' }
  | { readonly kind: 'replayable'; readonly body: Uint8Array | string; readonly bytes: number }
  | { readonly kind: 'once'; readonly body: AsyncIterable<Uint8Array> };

/** Reads a streaming body into memory if it fits in `capBytes`; otherwise keeps it streaming. */
export async function prepareBody(body: Body | undefined, capBytes: number): Promise<PreparedBody> {
  if (body === undefined) return { kind: 'none' };
  if (typeof body === 'string') return { kind: 'replayable', body, bytes: body.length };
  if (body instanceof Uint8Array) return { kind: 'replayable', body, bytes: body.byteLength };
  const iterator = body[Symbol.asyncIterator]();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const next = await iterator.next();
    if (next.done === true) break;
    chunks.push(next.value);
    total += next.value.byteLength;
    if (total > capBytes) return { kind: 'once', body: resume(chunks, iterator) };
  }
  return { kind: 'replayable', body: concatBytes(chunks, total), bytes: total };
}

/** The buffered prefix, then whatever the source still has. */
async function* resume(prefix: Uint8Array[], rest: AsyncIterator<Uint8Array>): AsyncIterable<Uint8Array> {
  yield* prefix;
  for (;;) {
    const next = await rest.next();
    if (next.done === true) return;
    yield next.value;
  }
}

/** Drains and discards a response body we will not forward (a retried or losing try). */
export function discardBody(body: Body | null): void {
  if (body === null || typeof body === 'string' || body instanceof Uint8Array) return;
  const it = body[Symbol.asyncIterator]();
  // Closing the iterator destroys the underlying stream and frees its connection.
  void Promise.resolve(it.return?.()).catch(() => {});
}

/** Why a guarded body failed: no chunk for the idle timeout, or the deadline passed. */
export type BodyTimeoutReason = 'idle' | 'deadline';

/** The error a guarded body's iterator throws when it times out. */
export class BodyTimeoutError extends Error {
  readonly reason: BodyTimeoutReason;
  constructor(reason: BodyTimeoutReason, message: string) {
    super(message);
    this.name = 'BodyTimeoutError';
    this.reason = reason;
  }
}

/** Options of {@link guardBody}. */
export interface BodyGuardOptions {
  readonly clock: Clock;
  /** Monotonic time after which the body fails (`Infinity`: never). */
  readonly deadlineAt: number;
  /** Longest wait for the next chunk, in ms (Envoy's stream idle timeout); 0 disables. */
  readonly idleTimeoutMs: number;
  /** Arm the timers now rather than at the first read (a response body: its reader may be slow to start). */
  readonly armNow?: boolean;
  /** Called once, when the body times out. */
  readonly onTimeout?: ((reason: BodyTimeoutReason) => void) | undefined;
}

/** A body under a deadline and an idle timeout. */
export interface GuardedBody extends AsyncIterable<Uint8Array> {
  /** True once the source has ended (every byte read). */
  readonly ended: boolean;
  /** Aborted when the body times out; its `reason` is a `BodyTimeoutError` (`name: 'BodyTimeoutError'`). */
  readonly timedOut: AbortSignalLike;
}

/**
 * Wraps a streaming body so that reading it fails with a {@link BodyTimeoutError} once
 * `deadlineAt` passes or no chunk came for `idleTimeoutMs` (Envoy's route timeout and
 * `stream_idle_timeout` / route `idle_timeout`; Gateway API `timeouts.request` covers the whole
 * transaction). A body trickling one byte at a time cannot outlive the deadline, and one that
 * stalls cannot hold anything for longer than the idle timeout.
 *
 * One timer per deadline and one per idle period (re-armed from the time of the last chunk,
 * not per chunk). On timeout the source is left as it is, not closed: closing a Node request
 * destroys its socket, and the client would never see the 408 it is owed. Single consumer.
 */
export function guardBody(source: AsyncIterable<Uint8Array>, options: BodyGuardOptions): GuardedBody {
  const { clock, deadlineAt, idleTimeoutMs } = options;
  const timedOut = createLightAbortController();
  let it: AsyncIterator<Uint8Array> | undefined;
  let armed = false;
  let ended = false;
  /** The consumer closed the body early (`return()`): no more reads, no more timers. */
  let closed = false;
  let lastProgress = 0;
  let cancelDeadline: Cancel | undefined;
  let cancelIdle: Cancel | undefined;
  let failure: BodyTimeoutError | undefined;
  let pending: { resolve: (r: IteratorResult<Uint8Array>) => void; reject: (e: unknown) => void } | undefined;

  const disarm = (): void => {
    cancelDeadline?.();
    cancelIdle?.();
    cancelDeadline = cancelIdle = undefined;
  };
  const expire = (reason: BodyTimeoutReason): void => {
    if (ended || closed || failure !== undefined) return;
    failure = new BodyTimeoutError(reason, reason === 'idle' ? `no body data for ${idleTimeoutMs} ms` : 'the body did not complete before the deadline');
    disarm();
    timedOut.abort(failure);
    options.onTimeout?.(reason);
    const p = pending;
    pending = undefined;
    p?.reject(failure);
  };
  const armIdle = (ms: number): void => {
    cancelIdle = clock.setTimer(ms, () => {
      const idle = clock.now() - lastProgress;
      if (idle >= idleTimeoutMs) expire('idle');
      else armIdle(idleTimeoutMs - idle);
    });
  };
  const arm = (): void => {
    if (armed) return;
    armed = true;
    lastProgress = clock.now();
    if (Number.isFinite(deadlineAt)) cancelDeadline = clock.setTimer(deadlineAt - lastProgress, () => expire('deadline'));
    if (idleTimeoutMs > 0) armIdle(idleTimeoutMs);
  };
  if (options.armNow === true) arm();

  const iterator: AsyncIterator<Uint8Array> = {
    next(): Promise<IteratorResult<Uint8Array>> {
      if (failure !== undefined) return Promise.reject(failure);
      if (ended || closed) return Promise.resolve({ done: true, value: undefined });
      arm();
      if (clock.now() >= deadlineAt) {
        expire('deadline');
        return Promise.reject(failure);
      }
      it ??= source[Symbol.asyncIterator]();
      return new Promise<IteratorResult<Uint8Array>>((resolve, reject) => {
        const mine = { resolve, reject };
        pending = mine;
        (it as AsyncIterator<Uint8Array>).next().then(
          (r) => {
            if (pending !== mine) return; // timed out meanwhile: the chunk is dropped with the body
            pending = undefined;
            lastProgress = clock.now();
            if (r.done === true) {
              ended = true;
              disarm();
            }
            resolve(r);
          },
          (err: unknown) => {
            if (pending !== mine) return;
            pending = undefined;
            disarm();
            reject(err);
          },
        );
      });
    },
    // Deliberately alike: policies/src/request-size-limit.ts (the limited body's return) — each wrapped body closes its source on return unless it failed (here: a timeout; there: the size limit tripped), with its own state flags; the iterator protocol gives them one shape
    async return(value?: unknown): Promise<IteratorResult<Uint8Array>> {
      disarm();
      const closeSource = failure === undefined && !ended && !closed;
      closed = true;
      // After a timeout the source stays open (see above); otherwise closing is the consumer's call.
      if (closeSource && it !== undefined) await it.return?.(value);
      return { done: true, value: undefined };
    },
  };
  return {
    get ended() {
      return ended;
    },
    timedOut: timedOut.signal,
    [Symbol.asyncIterator]: () => iterator,
  };
}

/**
 * Splits one streaming body into two readers, for a mirror: `primary` pulls from the source at
 * its own pace and every chunk it reads is also queued for `shadow`. The primary never waits
 * for the shadow (Envoy: the mirror is fire-and-forget and never delays the primary); a shadow
 * that falls more than `capBytes` behind is failed and its queue dropped, so memory stays
 * bounded. A source error fails both; the primary closing early fails the shadow.
 */
export function teeBody(source: AsyncIterable<Uint8Array>, capBytes: number): { primary: AsyncIterable<Uint8Array>; shadow: AsyncIterable<Uint8Array> } {
  let it: AsyncIterator<Uint8Array> | undefined;
  const queue: Uint8Array[] = [];
  let queued = 0;
  let shadowState: 'open' | 'done' | 'failed' | 'closed' = 'open';
  let shadowError: unknown;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const failShadow = (err: unknown): void => {
    if (shadowState !== 'open') return;
    shadowState = 'failed';
    shadowError = err;
    queue.length = 0;
    queued = 0;
    notify();
  };
  const primary: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]() {
      it ??= source[Symbol.asyncIterator]();
      const src = it;
      return {
        async next() {
          let r: IteratorResult<Uint8Array>;
          try {
            r = await src.next();
          } catch (err) {
            failShadow(err);
            throw err;
          }
          if (r.done === true) {
            if (shadowState === 'open') shadowState = 'done';
            notify();
            return r;
          }
          if (shadowState === 'open') {
            queue.push(r.value);
            queued += r.value.byteLength;
            if (queued > capBytes) failShadow(new Error(`the mirror fell more than ${capBytes} bytes behind the primary`));
            else notify();
          }
          return r;
        },
        async return(value?: unknown) {
          failShadow(new Error('the primary stopped reading the body'));
          return (await src.return?.(value)) ?? { done: true, value: undefined };
        },
      };
    },
  };
  const shadow: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]() {
      return {
        async next(): Promise<IteratorResult<Uint8Array>> {
          for (;;) {
            const chunk = queue.shift();
            if (chunk !== undefined) {
              queued -= chunk.byteLength;
              return { done: false, value: chunk };
            }
            if (shadowState === 'done' || shadowState === 'closed') return { done: true, value: undefined };
            if (shadowState === 'failed') throw shadowError;
            await new Promise<void>((resolve) => (wake = resolve));
          }
        },
        async return() {
          if (shadowState === 'open') shadowState = 'closed';
          queue.length = 0;
          queued = 0;
          return { done: true, value: undefined };
        },
      };
    },
  };
  return { primary, shadow };
}

/**
 * Wraps a streaming body so that aborting `signal` aborts `controller` (the try's), until the
 * body is fully read, closed or fails. Whole bodies need no wrapping.
 */
export function tieBody(source: AsyncIterable<Uint8Array>, signal: AbortSignalLike, controller: AbortControllerLike): Body {
  // Armed now, not when reading starts: the client can leave before the first read.
  const remove = onAbort(signal, () => controller.abort());
  return {
    [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
      const it = source[Symbol.asyncIterator]();
      return {
        async next() {
          try {
            const r = await it.next();
            if (r.done === true) remove();
            return r;
          } catch (err) {
            remove();
            throw err;
          }
        },
        async return(value?: unknown) {
          remove();
          return (await it.return?.(value)) ?? { done: true, value: undefined };
        },
      };
    },
  };
}

/** A body that is also a Node-style stream (structural: the gateway imports no Node types). */
export interface EventedStream {
  once(event: 'end' | 'error' | 'close', listener: () => void): unknown;
  pipe(destination: unknown): unknown;
}

/** True for a body that is also a Node-style stream (it has `pipe` and `once`). */
export function isEventedStream(body: object): body is EventedStream & Body {
  return typeof (body as Partial<EventedStream>).pipe === 'function' && typeof (body as Partial<EventedStream>).once === 'function';
}
