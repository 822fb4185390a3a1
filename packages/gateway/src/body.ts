import type { Body } from '@switchyard/core';

/**
 * A request body prepared for several sends (retries, hedges, a mirror): buffered up to a byte
 * cap. A body over the cap streams once and cannot be replayed (Envoy's buffer-limit rule:
 * no retry once the buffer overflows; Linkerd: bodies over 64 KiB are never retried).
 */
export type PreparedBody =
  | { readonly kind: 'none' }
  | { readonly kind: 'replayable'; readonly body: Uint8Array | string; readonly bytes: number }
  | { readonly kind: 'once'; readonly body: AsyncIterable<Uint8Array> };

/** Reads a streaming body into memory if it fits in `capBytes`; otherwise keeps it streaming. */
export async function prepareBody(body: Body | undefined, capBytes: number): Promise<PreparedBody> {
  if (body === undefined) return { kind: 'none' };
  if (typeof body === 'string') return { kind: 'replayable', body, bytes: body.length };
  if (body instanceof Uint8Array) return { kind: 'replayable', body, bytes: body.byteLength };
  const iterator = body[Symbol.asyncIterator]();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const next = await iterator.next();
    if (next.done === true) break;
    chunks.push(next.value);
    total += next.value.byteLength;
    if (total > capBytes) return { kind: 'once', body: resume(chunks, iterator) };
  }
  return { kind: 'replayable', body: concat(chunks, total), bytes: total };
}

/** The buffered prefix, then whatever the source still has. */
async function* resume(prefix: Uint8Array[], rest: AsyncIterator<Uint8Array>): AsyncIterable<Uint8Array> {
  yield* prefix;
  for (;;) {
    const next = await rest.next();
    if (next.done === true) return;
    yield next.value;
  }
}

function concat(chunks: readonly Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** Drains and discards a response body we will not forward (a retried or losing try). */
export function discardBody(body: Body | null): void {
  if (body === null || typeof body === 'string' || body instanceof Uint8Array) return;
  const it = body[Symbol.asyncIterator]();
  // Closing the iterator destroys the underlying stream and frees its connection.
  void Promise.resolve(it.return?.()).catch(() => {});
}
