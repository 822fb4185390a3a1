/**
 * The body of the gateway's own error responses: `{ error, message, requestId }`, with a fixed
 * sentence per code. Internal messages (upstream addresses, a client library's words, stack
 * traces) stay out unless `GatewayDeps.exposeErrorDetails` asks for them (then as `detail`).
 * The request id is the request's `x-request-id` when it is a sane token, else a fresh one
 * from the injected `Rng`, so a user can quote it and an operator can find the request.
 */
import type { RequestHeaders, Rng, SwitchyardErrorCode } from '@switchyard/core';

/**
 * One fixed, human sentence per code: what the client may know, nothing about the inside. No
 * double quote or backslash in any of them: the gateway writes them into JSON without escaping.
 */
export const ERROR_MESSAGES: Readonly<Record<SwitchyardErrorCode, string>> = Object.freeze({
  SY_CONFIG_INVALID: 'The gateway is misconfigured.',
  SY_INVALID_ARGUMENT: 'The gateway could not process the request.',
  SY_BAD_REQUEST: 'The request is malformed or cannot be forwarded as sent.',
  SY_NO_ROUTE: 'No route matches the request.',
  SY_UNAUTHORIZED: 'Authentication is required to access this resource.',
  SY_FORBIDDEN: 'Access to this resource is not allowed.',
  SY_RATE_LIMITED: 'Too many requests: rate limit exceeded.',
  SY_NO_BACKEND: 'The route has no backend to send the request to.',
  SY_NO_ENDPOINT: 'No healthy upstream is available.',
  SY_CIRCUIT_OPEN: 'The upstream is temporarily unavailable.',
  SY_OVERLOADED: 'The upstream is overloaded.',
  SY_UPSTREAM_CONNECT: 'The upstream could not be reached.',
  SY_UPSTREAM_RESET: 'The upstream connection failed.',
  SY_UPSTREAM_TIMEOUT: 'The upstream did not answer in time.',
  SY_DEADLINE_EXCEEDED: 'The request timed out.',
  SY_REQUEST_TIMEOUT: 'The request body did not arrive in time.',
  SY_CANCELED: 'The request was canceled.',
  SY_BODY_TOO_LARGE: 'The request body is too large.',
  SY_BODY_CONSUMED: 'The request body could not be replayed.',
  SY_STORE_UNAVAILABLE: 'A shared store is unavailable.',
  SY_TIMER_LOOP: 'The gateway could not process the request.',
  SY_INTERNAL: 'The gateway failed to process the request.',
});

/** Longest client-supplied `x-request-id` echoed back. */
const MAX_REQUEST_ID_LENGTH = 128;

/** A client's request id is kept when it is 1-128 of `A-Z a-z 0-9 - _ . :` (UUIDs, ULIDs, trace ids). */
export function isSaneRequestId(id: string): boolean {
  const n = id.length;
  if (n === 0 || n > MAX_REQUEST_ID_LENGTH) return false;
  for (let i = 0; i < n; i++) {
    const c = id.charCodeAt(i);
    const ok = (c >= 0x30 && c <= 0x3a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x2d || c === 0x2e || c === 0x5f;
    if (!ok) return false;
  }
  return true;
}

/** The request's id: its sane `x-request-id`, else 32 hex digits (128 bits) from `rng`. */
export function requestIdOf(headers: RequestHeaders | undefined, rng: Rng): string {
  const given = headers?.['x-request-id'];
  if (given !== undefined && isSaneRequestId(given)) return given;
  let id = '';
  for (let i = 0; i < 4; i++) id += Math.floor(rng.next() * 0x1_0000_0000).toString(16).padStart(8, '0');
  return id;
}

/** The JSON body of an error response. `detail` only when the gateway was told to expose it; `message` a policy reject's client-safe sentence (default: the code's fixed one). */
export function errorBody(code: SwitchyardErrorCode, requestId: string, detail: string | undefined, message: string = ERROR_MESSAGES[code]): string {
  return JSON.stringify(detail === undefined ? { error: code, message, requestId } : { error: code, message, requestId, detail });
}
