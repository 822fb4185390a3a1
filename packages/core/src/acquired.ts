/**
 * `Acquired`: what `gateway.acquire` hands a WebSocket or tunnel dispatcher (an endpoint and the
 * rewritten request, or a response), shared by the gateway and the transports.
 */

import type { Endpoint } from './endpoint.js';
import type { SyResponse, UpstreamRequest } from './http.js';
import type { Outcome } from './outcome.js';

/**
 * One endpoint acquired for a connection the gateway does not carry itself (a WebSocket
 * upgrade, CONNECT), or the gateway's answer instead: what `@switchyard/gateway`'s
 * `gateway.acquire` returns and what `@switchyard/transport-undici`'s `attachUpgrade` takes,
 * one shape in one place so the two packages plug together without depending on each other.
 */
export type Acquired =
  | {
      readonly kind: 'endpoint';
      readonly route: string;
      readonly endpoint: Endpoint;
      /** The rewritten request to send to `endpoint` (its path includes the query). */
      readonly request: UpstreamRequest;
      /**
       * Reports how the connection went (`undefined`: it ended normally; an error outcome if the
       * upstream failed) and frees its slot. Call it exactly once when the connection ends.
       */
      release(outcome?: Outcome): void;
    }
  | { readonly kind: 'respond'; readonly response: SyResponse };
