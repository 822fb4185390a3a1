/**
 * Request and response shapes shared by every package. They are runtime-neutral: an adapter
 * turns a Node `IncomingMessage`, a Fetch `Request` or a framework's request into a
 * {@link SyRequest} without copying more than it must.
 */

/**
 * Request headers: lower-cased names, one string per name. Repeated headers are joined with
 * `", "` (`cookie` with `"; "`), exactly as Node's `IncomingMessage.headers` does, so the Node
 * adapters pass their headers through untouched.
 */
export type RequestHeaders = Readonly<Record<string, string | undefined>>;

/** Response headers: lower-cased names; `set-cookie` (and only it, in practice) may repeat. */
export type ResponseHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * A message body. Streams are `AsyncIterable<Uint8Array>`: Node `Readable`s and Web
 * `ReadableStream`s (on runtimes that make them async-iterable) both qualify, and nothing is
 * buffered unless a policy (mirroring, retry replay) asks for it with a byte cap.
 */
export type Body = Uint8Array | string | AsyncIterable<Uint8Array>;

/** Free-form facts about a request put there by the adapter or a policy. */
export type Attributes = Readonly<Record<string, unknown>>;

/**
 * The request as every policy sees it.
 *
 * `path` is the path as received (percent-encoded, not yet normalized); the router
 * normalizes it and later stages see the normalized form. `query` is the raw query string
 * without the `?` (`''` when there is none).
 *
 * @example
 * ```ts
 * import type { SyRequest } from '@switchyard/core';
 * const req: SyRequest = {
 *   method: 'GET', scheme: 'https', authority: 'api.example.com', path: '/users/42', query: 'v=2',
 *   headers: { 'x-tenant': 'acme' }, clientAddress: '203.0.113.7', attributes: { tier: 'pro' },
 * };
 * ```
 */
export interface SyRequest {
  /** Upper-case method: `GET`, `POST`, … */
  readonly method: string;
  readonly scheme: 'http' | 'https';
  /** `host[:port]` from `:authority` or `Host`, lower-cased. */
  readonly authority: string;
  /** Path as received, starting with `/` (or `*` for `OPTIONS *`). */
  readonly path: string;
  /** Raw query string without `?`; `''` if none. */
  readonly query: string;
  readonly headers: RequestHeaders;
  /** Address of the TCP peer (not `X-Forwarded-For`): trust decisions happen in the limiter. */
  readonly clientAddress?: string | undefined;
  /** Identity claims, API-key metadata, geo, … put there by the adapter or a policy. */
  readonly attributes: Attributes;
  readonly body?: Body | undefined;
}

/** A response produced by an upstream or by switchyard itself. */
export interface SyResponse {
  readonly status: number;
  readonly headers: ResponseHeaders;
  readonly body: Body | null;
}

/**
 * The request a {@link Transport} sends: already routed and rewritten. `path` includes the
 * query string (`/orders/7?expand=items`), as HTTP/2's `:path` does. A `host` header, when
 * present, is the Host to send; otherwise the transport uses the endpoint's.
 */
export interface UpstreamRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: RequestHeaders;
  readonly body?: Body | undefined;
}

/**
 * Methods RFC 9110 §9.2.2 defines as idempotent: the only ones retried or hedged unless
 * a route says otherwise.
 */
export function isIdempotentMethod(method: string): boolean {
  switch (method) {
    case 'GET':
    case 'HEAD':
    case 'OPTIONS':
    case 'TRACE':
    case 'PUT':
    case 'DELETE':
      return true;
    default:
      return false;
  }
}

/**
 * Removes from `headers` the fields a `Connection` value nominates (RFC 9110 §7.6.1: a proxy
 * "MUST parse a received Connection header field before a message is forwarded and, for each
 * connection-option in this field, remove any header or trailer field(s) from the message with
 * the same name"), in place, and returns `headers`. Options are compared case-insensitively
 * against the (lower-case) names in `headers`; `Connection` itself is the caller's to drop.
 *
 * When to use: wherever an upstream response's `Connection` is dropped (the transports, the
 * Node bridge), so `Connection: close, x-secret` cannot deliver `x-secret` to the client.
 *
 * @example
 * ```ts
 * import { removeConnectionOptions } from '@switchyard/core';
 * removeConnectionOptions({ 'x-secret': '1', 'content-type': 'text/plain' }, 'close, X-Secret');
 * // { 'content-type': 'text/plain' }
 * ```
 */
export function removeConnectionOptions<H extends Record<string, unknown>>(headers: H, connection: string | readonly string[]): H {
  const value = typeof connection === 'string' ? connection : connection.join(',');
  // The common values name no other field: nothing to scan.
  if (value === 'keep-alive' || value === 'close' || value === 'Keep-Alive' || value === 'Close') return headers;
  for (const option of value.split(',')) {
    const name = option.trim().toLowerCase();
    if (name !== '' && name !== '__proto__' && Object.hasOwn(headers, name)) delete headers[name];
  }
  return headers;
}
