/**
 * The `Transport` contract: send one upstream request to one endpoint and report a response or an
 * error kind.
 */

import type { AbortSignalLike } from './abort.js';
import type { Endpoint } from './endpoint.js';
import type { SyResponse, UpstreamRequest } from './http.js';
import type { OutcomeErrorKind } from './outcome.js';

/** Per-send options. */
export interface TransportSendOptions {
  /**
   * Aborting it cancels the try: before headers the result is `{ kind: 'error', error: 'canceled' }`;
   * after headers it destroys the response body stream and releases the connection.
   * The gateway aborts it on per-try timeout, deadline, hedge loss and client abort.
   */
  readonly signal: AbortSignalLike;
  /**
   * Longest gap between two chunks of the response body, in ms (the route's idle timeout, Envoy
   * `idle_timeout`); past it the body fails. Unset: the transport's own default. A transport that
   * cannot enforce it per request may ignore it: the gateway also guards async-iterable bodies.
   */
  readonly idleTimeoutMs?: number | undefined;
}

/** What a send produced: a response (whatever its status), or an error kind. Never throws for network faults. */
export type TransportResult =
  | { readonly kind: 'response'; readonly response: SyResponse }
  | {
      readonly kind: 'error';
      readonly error: OutcomeErrorKind;
      /** A human explanation, e.g. `connect ECONNREFUSED 127.0.0.1:8081`. */
      readonly message: string;
      readonly cause?: unknown;
    };

/**
 * Connection-pool options for one endpoint, derived by the gateway from its upstream's
 * `resourceLimits` and given to the transport through {@link Transport.configureEndpoint}.
 */
export interface EndpointPoolOptions {
  /**
   * Connections the transport may open to this endpoint (Envoy's per-host
   * `max_connections`, `per_host_thresholds`); requests beyond them wait for a free one.
   * Unset: the transport's own default.
   */
  readonly maxConnections?: number;
}

/**
 * What a transport does for one endpoint's connections: `pooled` with the connection cap in
 * force, or `unpooled` when the runtime owns connections and nothing bounds them (fetch).
 */
export type EndpointPoolResult =
  | { readonly kind: 'pooled'; readonly maxConnections: number }
  | { readonly kind: 'unpooled'; readonly reason: string };

/**
 * Sends one request to one endpoint. `@switchyard/transport-undici` (Node) and
 * `@switchyard/transport-fetch` (edge) implement it; `createMockTransport()` in
 * `@switchyard/testing` fakes it.
 *
 * Contract: resolve with a value for every network outcome (reject only on bugs); honour
 * `signal` both before and after headers; stream bodies both ways.
 */
export interface Transport {
  send(request: UpstreamRequest, endpoint: Endpoint, options: TransportSendOptions): Promise<TransportResult>;
  /**
   * Optional: applies per-endpoint pool options before the endpoint is used (the gateway calls it
   * for every endpoint each time a config is compiled; the last call for an endpoint wins) and
   * says what the transport will enforce. Must not open connections; must be cheap and
   * idempotent. A transport without it is treated as `unpooled` with an unknown cap: the
   * gateway then bounds tries per endpoint itself.
   */
  configureEndpoint?(endpoint: Endpoint, options: EndpointPoolOptions): EndpointPoolResult;
  /** Closes pooled connections. */
  close?(): Promise<void>;
}
