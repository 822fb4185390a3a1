/**
 * A `Client` that tells each of switchyard's requests ({@link SendHandler}) which socket it
 * runs on, so an abort can close exactly that socket with a socket error.
 *
 * Why: when undici aborts a running HTTP/1.1 request it destroys the socket with an
 * informational error, re-queues the aborted request as pending and opens a *new* connection
 * for it, which then idles with no keep-alive timer (nodejs/undici#5845, fix proposed in
 * #5846). One stray socket per abort is the client-abort leak users hit with http-proxy.
 * Destroying the socket ourselves first, with a `SocketError`, makes undici fail the head
 * request instead of re-queueing it: no reconnect. Only public extension points are used:
 * Pool `factory`, a custom `connect` function, and the request handler's callbacks.
 */
import { Client, type Dispatcher, type buildConnector } from 'undici';
import { SendHandler, type SocketRef } from './send-handler.js';

class TrackedClient extends Client {
  readonly #current: SocketRef;

  constructor(origin: URL, options: Client.Options, current: SocketRef) {
    super(origin, options);
    this.#current = current;
  }

  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    if (handler instanceof SendHandler) handler.socketRef = this.#current;
    return super.dispatch(options, handler);
  }
}

/** A Pool `factory` building {@link TrackedClient}s whose connector records the live socket. */
export function trackedFactory(origin: URL, opts: object): Dispatcher {
  const options = opts as Client.Options & { connect?: buildConnector.connector };
  const current: SocketRef = { socket: null };
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
