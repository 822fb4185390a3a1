/**
 * A `Client` that knows which socket each of switchyard's requests runs on, so an abort can
 * close exactly that socket with a socket error.
 *
 * Why: when undici aborts a running HTTP/1.1 request it destroys the socket with an
 * informational error, re-queues the aborted request as pending and opens a *new* connection
 * for it, which then idles with no keep-alive timer (nodejs/undici#5845, fix proposed in
 * #5846). One stray socket per abort is the client-abort leak users hit with http-proxy.
 * Destroying the socket ourselves first, with a `SocketError`, makes undici fail the head
 * request instead of re-queueing it: no reconnect. Only public extension points are used:
 * Pool `factory`, a custom `connect` function, and the request handler's callbacks.
 */
import type { Socket } from 'node:net';
import { Client, errors, type Dispatcher, type buildConnector } from 'undici';

const TAG: unique symbol = Symbol.for('switchyard.transport-undici.request') as never;

/** Per-request bookkeeping, passed to undici as the request's `opaque`. */
export interface RequestTag {
  readonly [TAG]: true;
  /** The socket the request was written to (set when undici writes it). */
  socket: Socket | null;
  /** The response finished or failed: the socket may now serve another request. */
  completed: boolean;
  /** Called once when the request completes or fails. */
  onSettled: (() => void) | null;
}

export function createTag(): RequestTag {
  return { [TAG]: true, socket: null, completed: false, onSettled: null };
}

function tagOf(opaque: unknown): RequestTag | undefined {
  return typeof opaque === 'object' && opaque !== null && TAG in opaque ? (opaque as RequestTag) : undefined;
}

/**
 * Closes the socket of a request still in progress (before or after headers) with a socket
 * error; a no-op once the response completed (the socket may already serve someone else).
 */
export function releaseSocket(tag: RequestTag): void {
  if (tag.completed || tag.socket === null || tag.socket.destroyed) return;
  tag.socket.destroy(new errors.SocketError('request aborted by switchyard'));
}

function settle(tag: RequestTag): void {
  if (tag.completed) return;
  tag.completed = true;
  const fn = tag.onSettled;
  tag.onSettled = null;
  fn?.();
}

type LegacyHandler = Dispatcher.DispatchHandler & Record<string, unknown>;

class TrackedClient extends Client {
  readonly #current: { socket: Socket | null };

  constructor(origin: URL, options: Client.Options, current: { socket: Socket | null }) {
    super(origin, options);
    this.#current = current;
  }

  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const tag = tagOf((options as { opaque?: unknown }).opaque);
    if (tag !== undefined) instrument(handler as LegacyHandler, tag, this.#current);
    return super.dispatch(options, handler);
  }
}

/** Wraps the handler's callbacks (the handler is undici's own `RequestHandler`, one per request). */
function instrument(handler: LegacyHandler, tag: RequestTag, current: { socket: Socket | null }): void {
  wrap(handler, 'onConnect', () => {
    tag.socket = current.socket;
  });
  wrap(handler, 'onComplete', () => settle(tag));
  wrap(handler, 'onError', () => settle(tag));
}

function wrap(handler: LegacyHandler, name: string, before: () => void): void {
  const original = handler[name];
  if (typeof original !== 'function') return;
  handler[name] = function (this: unknown, ...args: unknown[]) {
    before();
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  };
}

/** A Pool `factory` building {@link TrackedClient}s whose connector records the live socket. */
export function trackedFactory(origin: URL, opts: object): Dispatcher {
  const options = opts as Client.Options & { connect?: buildConnector.connector };
  const current: { socket: Socket | null } = { socket: null };
  const base = options.connect;
  if (typeof base !== 'function') return new Client(origin, options);
  const connect: buildConnector.connector = (connectOptions, callback) => {
    base(connectOptions, (...args) => {
      if (args[0] === null) current.socket = args[1];
      (callback as (...a: unknown[]) => void)(...args);
    });
  };
  return new TrackedClient(origin, { ...options, connect }, current);
}
