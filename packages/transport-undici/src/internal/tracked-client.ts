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
    const ours = handler instanceof SendHandler;
    if (ours) handler.socketRef = this.#current;
    if (super.dispatch(options, handler)) return true;
    // undici's `DispatcherBase.dispatch` answers `false` for two different things: back-pressure
    // (the request was queued; the client emits 'drain' once it has room) and a refused request
    // (`new Request` threw: an invalid path, header or Host; `handler.onError` already ran and
    // nothing was queued). The Pool reads every `false` as back-pressure and skips this client
    // until its 'drain' (pool-base.js `kDispatch` / `kOnDrain`), which a refused request never
    // brings: after `connections` refusals every client is skipped, requests queue in the pool
    // forever and `close()` never resolves (issue #17). A refusal leaves the client exactly as
    // idle as it was, so say so. Our handler settled during the call is how a refusal shows.
    return ours && handler.settled && !this.closed && !this.destroyed;
  }
}

/** A Pool `factory` building {@link TrackedClient}s whose connector records the live socket. */
export function trackedFactory(origin: URL, opts: object): Dispatcher {
  const options = opts as Client.Options & { connect?: buildConnector.connector };
  const current: SocketRef = { socket: null };
  const base = options.connect;
  // undici's Pool always hands its factory a connector function; without one there is no socket to track.
  if (typeof base !== 'function') return new TrackedClient(origin, options, current);
  const connect: buildConnector.connector = (connectOptions, callback) => {
    base(connectOptions, (...args) => {
      if (args[0] === null) current.socket = args[1];
      (callback as (...a: unknown[]) => void)(...args);
    });
  };
  return new TrackedClient(origin, { ...options, connect }, current);
}
