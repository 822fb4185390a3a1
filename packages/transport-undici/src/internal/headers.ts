import type { RequestHeaders, ResponseHeaders } from '@switchyard/core';

/**
 * Request headers the transport never hands to undici. They describe the downstream
 * connection (RFC 9110 §7.6.1), and undici rejects most of them outright (`transfer-encoding`,
 * `keep-alive`, `upgrade`, `expect`, a `connection` other than close/keep-alive). The rewriter
 * does the full hop-by-hop hygiene (names listed in `Connection`); this is the floor.
 */
const DROPPED_REQUEST = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'expect', 'http2-settings']);

/** Response headers that describe undici's connection to the upstream, not the message. */
const DROPPED_RESPONSE = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding']);

/**
 * The headers to hand undici for a request. `content-length` is kept only for streamed bodies
 * (undici computes it for strings and bytes, and a stale value would fail the request); a
 * `host` header, when present, is sent as the Host (core's `UpstreamRequest` contract).
 */
export function requestHeaders(headers: RequestHeaders, bodyKind: 'none' | 'bytes' | 'stream'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    if (DROPPED_REQUEST.has(lower)) continue;
    if (lower === 'content-length' && bodyKind !== 'stream') continue;
    out[lower] = value;
  }
  return out;
}

/** undici's response headers without the connection-level ones. */
export function responseHeaders(headers: Record<string, string | string[] | undefined>): ResponseHeaders {
  const out: Record<string, string | readonly string[]> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || DROPPED_RESPONSE.has(name)) continue;
    out[name] = value;
  }
  return out;
}
