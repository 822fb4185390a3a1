/**
 * Header hygiene at the transport: what is never handed to undici, and undici's header lists to
 * records.
 */

import { util } from 'undici';
import { removeConnectionOptions, type RequestHeaders, type ResponseHeaders } from '@switchyard/core';

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

/**
 * Response headers straight from undici's raw `[name, value, …]` buffers, names lower-cased,
 * repeats kept as arrays (as undici's own `parseHeaders`), connection-level ones left out, and
 * with them the fields the upstream's `Connection` names (RFC 9110 §7.6.1): dropping
 * `Connection` alone would deliver `Connection: close, x-secret`'s `x-secret` to the client.
 */
export function responseHeadersFromRaw(raw: readonly (Uint8Array | string)[]): ResponseHeaders {
  const out: Record<string, string | string[]> = {};
  let connection: string | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = util.headerNameToString(raw[i] as Buffer);
    const v = raw[i + 1] as Buffer | string;
    if (DROPPED_RESPONSE.has(name)) {
      if (name === 'connection') connection = (connection === undefined ? '' : `${connection},`) + (typeof v === 'string' ? v : v.toString('latin1'));
      continue;
    }
    const value = typeof v === 'string' ? v : v.toString('latin1');
    const prev = out[name];
    if (name === '__proto__') {
      if (!Object.hasOwn(out, name)) Object.defineProperty(out, name, { value, enumerable: true, configurable: true, writable: true });
      continue; // one value kept: a header by that name is malicious or broken anyway
    }
    if (prev === undefined) out[name] = value;
    else if (typeof prev === 'string') out[name] = [prev, value];
    else prev.push(value);
  }
  return connection === undefined ? out : removeConnectionOptions(out, connection);
}
