/**
 * The `request-size-limit` policy: refuses request bodies over `maxBytes` with 413
 * `SY_BODY_TOO_LARGE` (RFC 9110 §15.5.14 "Content Too Large"; Zuplo's
 * `request-size-limit-inbound`, Envoy's buffer filter `max_request_bytes`), without reading
 * more of the body than the limit:
 *
 * - a declared `Content-Length` above the limit is refused at once, before a byte is read;
 * - a body already in memory (a string or bytes from the adapter) is measured;
 * - a streaming body (chunked, or a `Content-Length` that lies) is wrapped: the wrapper counts
 *   bytes as the transport pulls them, and the read that would pass the limit fails with a
 *   `SwitchyardError` of code `SY_BODY_TOO_LARGE` instead of yielding the chunk. The upstream
 *   never receives more than `maxBytes`, and nothing is buffered here. The transports report a
 *   failing request-body source as the client's side (`canceled`, never an endpoint failure:
 *   no outlier ejection, no breaker count, no retry), carrying the error as `cause`; the
 *   gateway answers 413 for that cause ({@link isBodyTooLargeError}).
 *
 * As the gateway's own body guard (`guardBody`), the source is left open after the failure, not
 * closed: closing a Node request destroys its socket, and the client would never see its 413.
 *
 * @module
 */
import * as v from 'valibot';
import { CONTINUE, definePolicy, isSwitchyardError, SwitchyardError, type InboundResult, type PolicyReject, type SyRequest } from '@switchyard/core';
import { nonNegativeInt } from './internal/traffic-schema.js';

/** Options of the `request-size-limit` policy. */
export interface RequestSizeLimitOptions {
  /** Largest request body accepted, in bytes (the body as sent: after any `Content-Encoding`). */
  readonly maxBytes: number;
}

/** The `request-size-limit` policy's option schema. */
export const requestSizeLimitOptionsSchema = v.strictObject({
  maxBytes: v.pipe(nonNegativeInt, v.maxValue(Number.MAX_SAFE_INTEGER, 'must be a safe integer')),
});

/** True for the error a size-limited body fails with (also across two copies of the package). */
export function isBodyTooLargeError(err: unknown): err is SwitchyardError {
  return isSwitchyardError(err) && err.code === 'SY_BODY_TOO_LARGE';
}

/** A streaming body under a byte limit. */
export interface LimitedBody extends AsyncIterable<Uint8Array> {
  /** Bytes read from the source so far (including a chunk that crossed the limit). */
  readonly bytesRead: number;
  /** True once a read failed for the limit. */
  readonly exceeded: boolean;
}

/** UTF-8 length of a string, without an encoder (runtime-neutral, no allocation). */
export function utf8ByteLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/**
 * Wraps a streaming body so reading past `maxBytes` fails with `SY_BODY_TOO_LARGE`. Single
 * consumer; pulls one chunk per read (no read-ahead).
 */
export function limitBody(source: AsyncIterable<Uint8Array>, maxBytes: number): LimitedBody {
  let it: AsyncIterator<Uint8Array> | undefined;
  let bytesRead = 0;
  let failure: SwitchyardError | undefined;
  let done = false;
  const iterator: AsyncIterator<Uint8Array> = {
    async next(): Promise<IteratorResult<Uint8Array>> {
      if (failure !== undefined) throw failure;
      if (done) return { done: true, value: undefined };
      it ??= source[Symbol.asyncIterator]();
      const r = await it.next();
      if (r.done === true) {
        done = true;
        return r;
      }
      const chunk = r.value as Uint8Array | string;
      bytesRead += typeof chunk === 'string' ? utf8ByteLength(chunk) : chunk.byteLength;
      if (bytesRead > maxBytes) {
        failure = new SwitchyardError('SY_BODY_TOO_LARGE', `the request body is larger than ${maxBytes} bytes`);
        throw failure;
      }
      return r;
    },
    // Deliberately alike: gateway/src/body.ts (the timed body's return) — each wrapped body closes its source on return unless it failed (here: the size limit tripped; there: a timeout), with its own state flags; the iterator protocol gives them one shape
    async return(value?: unknown): Promise<IteratorResult<Uint8Array>> {
      const closeSource = failure === undefined && !done;
      done = true;
      // After the limit tripped the source stays open (see the module comment).
      if (closeSource && it !== undefined) await it.return?.(value);
      return { done: true, value: undefined };
    },
  };
  return {
    get bytesRead() {
      return bytesRead;
    },
    get exceeded() {
      return failure !== undefined;
    },
    [Symbol.asyncIterator]: () => iterator,
  };
}

/**
 * `request-size-limit`: 413 `SY_BODY_TOO_LARGE` for a body over `maxBytes`, by its declared
 * length, its in-memory size, or while it streams.
 *
 * @example
 * ```ts
 * // config: policies: { small: { type: 'request-size-limit', options: { maxBytes: 1048576 } } }
 * import { requestSizeLimitPolicy } from '@switchyard/policies';
 * const policy = requestSizeLimitPolicy.create({ maxBytes: 1 << 20 }, deps);
 * ```
 */
export const requestSizeLimitPolicy = definePolicy<RequestSizeLimitOptions>({
  type: 'request-size-limit',
  summary: 'Refuses request bodies over maxBytes with 413 SY_BODY_TOO_LARGE: by Content-Length before reading, or while streaming.',
  options: requestSizeLimitOptionsSchema,
  create(options) {
    const { maxBytes } = options;
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new TypeError('request-size-limit: maxBytes must be a non-negative integer');
    const tooLarge: PolicyReject = Object.freeze({ kind: 'reject', code: 'SY_BODY_TOO_LARGE', message: 'The request body is too large.', detail: Object.freeze({ maxBytes }) });
    return {
      type: 'request-size-limit',
      inbound(request: SyRequest): InboundResult {
        const declared = request.headers['content-length'];
        // Only a well-formed length is read here; a malformed one is the sendable check's to refuse.
        if (declared !== undefined && /^\d{1,20}$/.test(declared) && Number(declared) > maxBytes) return tooLarge;
        const body = request.body;
        if (body === undefined) return CONTINUE;
        if (typeof body === 'string') return utf8ByteLength(body) > maxBytes ? tooLarge : CONTINUE;
        if (body instanceof Uint8Array) return body.byteLength > maxBytes ? tooLarge : CONTINUE;
        return { kind: 'continue', request: { ...request, body: limitBody(body, maxBytes) } };
      },
      describe() {
        return `request-size-limit: bodies over ${maxBytes} bytes answered 413 (by content-length, or while streaming)`;
      },
    };
  },
});
