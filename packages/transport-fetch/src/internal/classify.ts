// The base classifier lives in core (shared by every transport); this adds the message
// heuristics fetch needs because most runtimes give no error code.
import { classifyNetworkError, describeError as describe, type ClassifiedError as Classified } from '@switchyard/core';

export type { ClassifiedError as Classified } from '@switchyard/core';
export { classifyAbort, classifyNetworkError, describeError as describe, errorCode, isTimeoutReason } from '@switchyard/core';

const RESET_WORDS = /reset|hang up|other side closed|connection (?:was )?(?:lost|closed|terminated)|broken pipe|unexpected end|EOF|terminated/i;
const CONNECT_WORDS = /refused|unreachable|dns|resolve|lookup|getaddrinfo|not ?found|certificate|tls|ssl|handshake|connect/i;

/**
 * Maps a `fetch` rejection to a core error kind. Node's fetch (undici) gives
 * `TypeError('fetch failed', { cause })` with a coded cause, classified exactly; other runtimes
 * give only a message, matched against known phrasings; anything else counts as `connect`,
 * because fetch rejects only before response headers and cannot say whether a connection was made.
 */
export function classifyFetchError(err: unknown, target: string): Classified {
  const name = typeof err === 'object' && err !== null ? (err as { name?: unknown }).name : undefined;
  if (name === 'TimeoutError') return { error: 'timeout', message: `request to ${target} timed out: ${describe(err)}` };
  if (name === 'AbortError') return { error: 'canceled', message: `request to ${target} was canceled: ${describe(err)}` };
  const coded = classifyNetworkError(err, target);
  if (coded !== undefined) return coded;
  const cause = typeof err === 'object' && err !== null ? (err as { cause?: unknown }).cause : undefined;
  const detail = cause === undefined ? describe(err) : `${describe(err)} (${describe(cause)})`;
  if (RESET_WORDS.test(detail)) return { error: 'reset', message: `connection to ${target} was reset: ${detail}` };
  if (CONNECT_WORDS.test(detail)) return { error: 'connect', message: `cannot connect to ${target}: ${detail}` };
  return { error: 'connect', message: `request to ${target} failed before a response (fetch does not tell connect from reset; counted as connect): ${detail}` };
}
