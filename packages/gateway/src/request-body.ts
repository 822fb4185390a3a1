/**
 * The request body as `forward` needs it (proxy.ts): a streaming body guarded by the route
 * deadline and idle timeout, and buffered for replay on routes that retry or hedge.
 */
import { encodeUtf8, onAbort, type AbortSignalLike, type Clock, type SwitchyardErrorCode, type SyRequest } from '@switchyard/core';
import { BodyTimeoutError, guardBody, prepareBody, type GuardedBody, type PreparedBody } from './body.js';
import type { RoutePlan } from './compile.js';
import { isBodyTooLarge } from './forward.js';

/** A request without a body: nothing to read, guard or buffer. */
export const NO_BODY = Object.freeze({ kind: 'ok' as const, body: Object.freeze({ kind: 'none' as const }), watch: undefined });

/** The body ready to send (`watch`: the guard to ask about, if it streams), or why the request cannot go on. */
export type RequestBody = { kind: 'ok'; body: PreparedBody; watch: GuardedBody | undefined } | { kind: 'respond'; code: SwitchyardErrorCode; message: string };

/**
 * The request body as forward needs it. A streaming body is guarded by the route deadline
 * (counted from `startedAt`) and idle timeout; on routes that retry it is buffered here, under
 * that deadline (Envoy's route timeout counts from the end of the request, but GEP-1742 lets the
 * whole transaction count, and a trickling client must not outlive it). A body that times out
 * is answered 408 `SY_REQUEST_TIMEOUT`; one whose client went away, 499 `SY_CANCELED`.
 */
export async function requestBodyFor(clock: Clock, request: SyRequest, route: RoutePlan, capBytes: number, startedAt: number, signal: AbortSignalLike | undefined): Promise<RequestBody> {
  const source = request.body;
  if (source === undefined) return { kind: 'ok', body: { kind: 'none' }, watch: undefined };
  if (typeof source === 'string' || source instanceof Uint8Array) {
    return { kind: 'ok', body: route.needsReplay ? await prepareBody(source, capBytes) : { kind: 'once', body: toIterable(source) }, watch: undefined };
  }
  const policy = route.forward;
  const deadlineAt = policy.timeoutMs > 0 ? startedAt + policy.timeoutMs : Number.POSITIVE_INFINITY;
  const idleTimeoutMs = policy.idleTimeoutMs ?? 0;
  if (!Number.isFinite(deadlineAt) && idleTimeoutMs <= 0) return { kind: 'ok', body: route.needsReplay ? await prepareBody(source, capBytes) : { kind: 'once', body: source }, watch: undefined };
  const guarded = guardBody(source, { clock, deadlineAt, idleTimeoutMs });
  if (!route.needsReplay) return { kind: 'ok', body: { kind: 'once', body: guarded }, watch: guarded };
  let removeAbort: (() => void) | undefined;
  try {
    const buffering = prepareBody(guarded, capBytes);
    const aborted = signal === undefined ? undefined : new Promise<'aborted'>((resolve) => (removeAbort = onAbort(signal, () => resolve('aborted'))));
    const body = aborted === undefined ? await buffering : await Promise.race([buffering, aborted]);
    if (body === 'aborted') {
      buffering.catch(() => {}); // the client left: whatever the source does next is moot
      return { kind: 'respond', code: 'SY_CANCELED', message: 'client went away while sending the request body' };
    }
    // Over the buffer cap, the rest still streams (and stays guarded).
    return { kind: 'ok', body, watch: body.kind === 'once' ? guarded : undefined };
  } catch (err) {
    if (err instanceof BodyTimeoutError) return { kind: 'respond', code: 'SY_REQUEST_TIMEOUT', message: 'the request body did not arrive in time' };
    if (isBodyTooLarge(err)) return { kind: 'respond', code: 'SY_BODY_TOO_LARGE', message: 'the request body is too large' };
    return { kind: 'respond', code: 'SY_CANCELED', message: 'the request body failed before it was complete' };
  } finally {
    removeAbort?.();
  }
}

function toIterable(body: NonNullable<SyRequest['body']>): AsyncIterable<Uint8Array> {
  if (typeof body === 'string' || body instanceof Uint8Array) {
    const bytes = body;
    return {
      async *[Symbol.asyncIterator]() {
        yield typeof bytes === 'string' ? encodeUtf8(bytes) : bytes;
      },
    };
  }
  return body;
}
