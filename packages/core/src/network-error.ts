/**
 * Maps network errors to the core's error kinds (`connect`, `timeout`, `reset`, `canceled`),
 * from error codes (`ECONNREFUSED`, `UND_ERR_SOCKET`, …) and abort reasons. Shared by every
 * transport so that the same failure is the same outcome whichever transport saw it.
 */
import type { AbortSignalLike } from './abort.js';
import type { OutcomeErrorKind } from './outcome.js';

/** An error kind and a message a human can act on. */
export interface ClassifiedError {
  readonly error: OutcomeErrorKind;
  readonly message: string;
}

/** Error codes meaning "the connection was never made": refused, DNS, TLS handshake, connect timeout. */
const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'EAI_NONAME',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'EADDRNOTAVAIL',
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
]);

/** Error codes meaning "the connection broke after it was made". */
const RESET_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
  'UND_ERR_HEADERS_OVERFLOW',
  'UND_ERR_RES_EXCEEDED_MAX_SIZE',
  'UND_ERR_INFO',
]);

/** Error codes meaning "the upstream took too long before response headers". */
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** Codes for a pool that was closed or destroyed under a queued request (transport close, eviction). */
const CLOSED_CODES = new Set(['UND_ERR_DESTROYED', 'UND_ERR_CLOSED', 'UND_ERR_ABORTED']);

/** True when an abort reason says "a timer expired" (`AbortSignal.timeout()`, a `TimeoutError`). */
export function isTimeoutReason(reason: unknown): boolean {
  return typeof reason === 'object' && reason !== null && (reason as { name?: unknown }).name === 'TimeoutError';
}

/** The kind for an aborted send: `timeout` when the reason is a `TimeoutError`, else `canceled`. */
export function classifyAbort(signal: AbortSignalLike, target: string): ClassifiedError {
  if (isTimeoutReason(signal.reason)) return { error: 'timeout', message: `request to ${target} timed out (signal: ${describeError(signal.reason)})` };
  return { error: 'canceled', message: `request to ${target} was canceled${signal.reason === undefined ? '' : ` (${describeError(signal.reason)})`}` };
}

/** The `code` of an error, or of the first inner error of an `AggregateError` that has one. */
export function errorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  const inner = (err as { errors?: unknown }).errors;
  if (Array.isArray(inner)) {
    for (const e of inner) {
      const c = errorCode(e);
      if (c !== undefined) return c;
    }
  }
  const cause = (err as { cause?: unknown }).cause;
  return cause !== err ? errorCode(cause) : undefined;
}

/**
 * Maps an error from undici (or Node's net/tls below it) to a core error kind, or `undefined`
 * when the error is not a network fault (an invalid argument: a bug the caller should see).
 * `target` names the endpoint in the message (`http://127.0.0.1:8081`).
 */
export function classifyNetworkError(err: unknown, target: string): ClassifiedError | undefined {
  const code = errorCode(err);
  const detail = describeError(err);
  if (typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'HTTPParserError') {
    return { error: 'reset', message: `${target} sent a malformed response: ${detail}` };
  }
  if (code === undefined) {
    if (/socket hang up|other side closed/i.test(detail)) return { error: 'reset', message: `connection to ${target} was reset: ${detail}` };
    return undefined;
  }
  if (CONNECT_CODES.has(code) || code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_')) {
    return { error: 'connect', message: `cannot connect to ${target}: ${detail}` };
  }
  if (TIMEOUT_CODES.has(code)) return { error: 'timeout', message: `${target} did not answer in time: ${detail}` };
  if (RESET_CODES.has(code) || code.startsWith('HPE_')) return { error: 'reset', message: `connection to ${target} was reset: ${detail}` };
  if (CLOSED_CODES.has(code)) return { error: 'canceled', message: `request to ${target} was canceled: ${detail}` };
  return undefined;
}

/** `code: message` of an error; an `AggregateError` (happy eyeballs) lists every attempt. */
export function describeError(err: unknown): string {
  if (typeof err !== 'object' || err === null) return String(err);
  const e = err as { code?: unknown; message?: unknown; errors?: unknown; name?: unknown };
  let message = typeof e.message === 'string' ? e.message : '';
  if (message === '' && Array.isArray(e.errors)) message = e.errors.map((x) => describeError(x)).join('; ');
  if (message === '') message = typeof e.name === 'string' ? e.name : 'unknown error';
  if (typeof e.code === 'string' && !message.includes(e.code)) return `${e.code}: ${message}`;
  return message;
}
