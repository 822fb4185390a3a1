/**
 * The request handler of the Node transport: one object per request, dispatched to undici's
 * pool with its (legacy, callback) `DispatchHandler` interface, the cheapest path undici has:
 * no `RequestHandler`, no `BodyReadable`, no promise per chunk. Its {@link UpstreamBody} is the
 * response body: an async iterable for any consumer, and a minimal Node-style source
 * (`pipe`, `once`, `destroy`) that the gateway's Node bridge pipes straight into the
 * `ServerResponse`, with back-pressure from the socket through undici's parser pause.
 *
 * Aborts close the request's own socket with a `SocketError` instead of asking undici to abort:
 * undici would re-queue the aborted request and open a replacement connection for it
 * (nodejs/undici#5845), one stray socket per client abort.
 */
import type { Socket } from 'node:net';
import { errors } from 'undici';
import type { ResponseHeaders } from '@switchyard/core';
import { responseHeadersFromRaw } from './headers.js';

/** The socket a client is currently writing on (one per undici `Client` at pipelining 1). */
export interface SocketRef {
  socket: Socket | null;
}

/** A writable destination of {@link UpstreamBody.pipe} (a `ServerResponse`, any Node `Writable`). */
export interface PipeDestination {
  write(chunk: Uint8Array): boolean;
  end(): unknown;
  once(event: 'drain', listener: () => void): unknown;
}

type BodyEvent = 'end' | 'error' | 'close';
type Listener = (arg?: unknown) => void;

/** Response bodies buffer at most this much before the upstream socket is paused. */
const HIGH_WATER_MARK = 64 * 1024;

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * A response body fed by undici's parser. Consumed either by async iteration or by `pipe`
 * (one consumer). Emits `end` once everything was handed to the consumer, `error` if the
 * upstream fails mid-body, `close` once after either, or after `destroy()`.
 */
export class UpstreamBody implements AsyncIterable<Uint8Array> {
  #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  #complete = false;
  #error: unknown = undefined;
  #failed = false;
  #destroyed = false;
  #closed = false;
  #paused = false;
  #dest: PipeDestination | null = null;
  #waiter: { resolve(r: IteratorResult<Uint8Array>): void; reject(e: unknown): void } | null = null;
  /** Listeners as flat (event, listener) pairs: one array per body, whatever the events. */
  #listeners: (BodyEvent | Listener)[] | null = null;
  readonly #resume: () => void;
  readonly #release: () => void;

  /** `resume` restarts undici's parser after a pause; `release` closes the upstream socket. */
  constructor(resume: () => void, release: () => void) {
    this.#resume = resume;
    this.#release = release;
  }

  /** True once `destroy()` was called. */
  get destroyed(): boolean {
    return this.#destroyed;
  }

  // ---- producer side (the handler)

  /** A chunk from the upstream. Returns false to pause the parser. */
  push(chunk: Uint8Array): boolean {
    if (this.#destroyed) return true;
    const dest = this.#dest;
    if (dest !== null) {
      if (dest.write(chunk)) return true;
      return this.#pauseUntilDrain(dest);
    }
    const waiter = this.#waiter;
    if (waiter !== null) {
      this.#waiter = null;
      waiter.resolve({ done: false, value: chunk });
      return true;
    }
    this.#queue.push(chunk);
    this.#queuedBytes += chunk.byteLength;
    if (this.#queuedBytes < HIGH_WATER_MARK) return true;
    this.#paused = true;
    return false;
  }

  /** The upstream finished the body. */
  complete(): void {
    if (this.#destroyed) return;
    this.#complete = true;
    if (this.#dest !== null) {
      this.#dest.end();
      this.#finish();
      return;
    }
    if (this.#queue.length === 0 && this.#waiter !== null) {
      const waiter = this.#waiter;
      this.#waiter = null;
      waiter.resolve(DONE);
      this.#finish();
    }
  }

  /** The upstream failed mid-body (reset, body timeout, abort). */
  fail(error: unknown): void {
    if (this.#destroyed || this.#complete || this.#failed) return;
    this.#failed = true;
    this.#error = error;
    this.#queue = [];
    this.#queuedBytes = 0;
    const waiter = this.#waiter;
    this.#waiter = null;
    waiter?.reject(error);
    this.#emit('error', error);
    this.#close();
  }

  // ---- consumer side

  /** Streams the body into `dest` (ends it when the body ends). Errors are not forwarded: listen to `error`. */
  pipe<D extends PipeDestination>(dest: D): D {
    if (this.#dest !== null || this.#waiter !== null) throw new Error('body is already being consumed');
    this.#dest = dest;
    const queued = this.#queue;
    this.#queue = [];
    this.#queuedBytes = 0;
    let ok = true;
    for (const chunk of queued) ok = dest.write(chunk);
    if (this.#failed || this.#destroyed) return dest;
    if (this.#complete) {
      dest.end();
      this.#finish();
      return dest;
    }
    if (!ok) this.#pauseUntilDrain(dest);
    else if (this.#paused) this.#unpause();
    return dest;
  }

  /** Each event fires at most once, so every listener is a once-listener without a wrapper. */
  once(event: BodyEvent, listener: Listener): this {
    if (this.#closed) return this;
    (this.#listeners ??= []).push(event, listener);
    return this;
  }

  removeListener(event: BodyEvent, listener: Listener): this {
    const list = this.#listeners;
    if (list === null) return this;
    for (let i = 0; i < list.length; i += 2) {
      if (list[i] === event && list[i + 1] === listener) {
        list.splice(i, 2);
        break;
      }
    }
    return this;
  }

  /** Stops reading: closes the upstream socket unless the body already ended. */
  destroy(error?: unknown): this {
    if (this.#destroyed) return this;
    this.#destroyed = true;
    this.#queue = [];
    this.#queuedBytes = 0;
    const ended = this.#complete || this.#failed;
    if (!ended) this.#release();
    const waiter = this.#waiter;
    this.#waiter = null;
    waiter?.resolve(DONE);
    if (error !== undefined && !this.#failed) this.#emit('error', error);
    this.#close();
    return this;
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    if (this.#dest !== null) throw new Error('body is already being piped');
    return {
      next: () => this.#next(),
      return: () => {
        this.destroy();
        return Promise.resolve(DONE);
      },
    };
  }

  #next(): Promise<IteratorResult<Uint8Array>> {
    const chunk = this.#queue.shift();
    if (chunk !== undefined) {
      this.#queuedBytes -= chunk.byteLength;
      if (this.#paused && this.#queuedBytes < HIGH_WATER_MARK) this.#unpause();
      return Promise.resolve({ done: false, value: chunk });
    }
    if (this.#failed) return Promise.reject(this.#error);
    if (this.#complete) {
      this.#finish();
      return Promise.resolve(DONE);
    }
    if (this.#destroyed) return Promise.resolve(DONE);
    if (this.#waiter !== null) return Promise.reject(new Error('concurrent next() on a body iterator'));
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  #pauseUntilDrain(dest: PipeDestination): false {
    if (!this.#paused) {
      this.#paused = true;
      dest.once('drain', () => {
        if (!this.#destroyed) this.#unpause();
      });
    }
    return false;
  }

  #unpause(): void {
    this.#paused = false;
    this.#resume();
  }

  #finish(): void {
    if (this.#closed) return;
    this.#emit('end');
    this.#close();
  }

  #close(): void {
    if (this.#closed) return;
    this.#emit('close');
    this.#closed = true;
    this.#listeners = null;
  }

  #emit(event: BodyEvent, arg?: unknown): void {
    const list = this.#listeners;
    if (list === null) return;
    // Each event fires once, so each listener is removed before it runs; at most as many run as
    // were registered when the event came (a listener may add or remove others). No allocation.
    let count = 0;
    for (let i = 0; i < list.length; i += 2) if (list[i] === event) count++;
    for (; count > 0; count--) {
      let i = 0;
      while (i < list.length && list[i] !== event) i += 2;
      if (i >= list.length) return;
      const listener = list[i + 1] as Listener;
      list.splice(i, 2);
      listener(arg);
    }
  }
}

/** What the handler reports to `send`. */
export interface SendCallbacks {
  /** Response headers arrived. */
  onResponse(status: number, headers: ResponseHeaders, body: UpstreamBody): void;
  /** The request failed before response headers. */
  onFailure(error: unknown): void;
}

/**
 * undici's legacy `DispatchHandler` for one request. `abort(reason)` cancels it wherever it is:
 * queued (undici never writes it), written (its socket is closed), or streaming its body.
 */
export class SendHandler {
  /** Set by the pool's client when it takes the request (see tracked-client.ts). */
  socketRef: SocketRef | null = null;
  #socket: Socket | null = null;
  #abortUndici: ((reason?: unknown) => void) | null = null;
  #abortReason: unknown = undefined;
  #settled = false;
  #body: UpstreamBody | null = null;
  readonly #callbacks: SendCallbacks;

  constructor(callbacks: SendCallbacks) {
    this.#callbacks = callbacks;
  }

  /** True once the request completed or failed (also when undici refused it inside `dispatch`). */
  get settled(): boolean {
    return this.#settled;
  }

  /** Cancels the request (the caller's signal fired). */
  abort(reason: unknown): void {
    if (this.#settled) return;
    this.#abortReason = reason ?? new errors.RequestAbortedError();
    if (this.#socket !== null) {
      // Written: close our own socket first, with a socket error, so undici fails the request
      // instead of re-queueing it on a new connection.
      if (!this.#socket.destroyed) this.#socket.destroy(new errors.SocketError('request aborted by switchyard'));
    } else if (this.#abortUndici !== null) {
      this.#abortUndici(this.#abortReason);
    }
    // Still queued in the pool: onConnect aborts it before anything is written.
  }

  onConnect(abort: (reason?: unknown) => void): void {
    if (this.#abortReason !== undefined) {
      abort(this.#abortReason);
      return;
    }
    this.#abortUndici = abort;
    this.#socket = this.socketRef?.socket ?? null;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (statusCode < 200) return true; // 1xx informational: the final response follows
    const headers = responseHeadersFromRaw(rawHeaders);
    const body = new UpstreamBody(resume, () => this.abort(new errors.RequestAbortedError('response body destroyed')));
    this.#body = body;
    this.#callbacks.onResponse(statusCode, headers, body);
    return true;
  }

  onData(chunk: Buffer): boolean {
    return this.#body === null ? true : this.#body.push(chunk);
  }

  onComplete(): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#body?.complete();
  }

  onError(error: unknown): void {
    if (this.#settled) return;
    this.#settled = true;
    if (this.#body !== null) this.#body.fail(error);
    else this.#callbacks.onFailure(error);
  }

  /** Not an upgrade request: undici never calls this for one of ours. */
  onUpgrade(): void {
    this.onError(new errors.InformationalError('unexpected upgrade'));
  }
}
