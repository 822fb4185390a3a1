/**
 * Bridges between Fetch API `Request`/`Response` (Hono, Workers, Deno, Bun) and switchyard's
 * shapes, typed structurally so the gateway needs no DOM types.
 */
import type { Body, SyRequest, SyResponse } from '@switchyard/core';
import { lowerCased, NO_ATTRIBUTES, upperCased } from '../request-shape.js';

/** The part of a Fetch `Request` the bridge reads. */
export interface FetchRequestLike {
  readonly method: string;
  readonly url: string;
  readonly headers: { forEach(fn: (value: string, name: string) => void): void };
  readonly body: unknown;
  readonly signal?: unknown;
}

/** Options of {@link fromFetchRequest}. */
export interface FromFetchOptions {
  readonly clientAddress?: string | undefined;
  readonly attributes?: Readonly<Record<string, unknown>> | undefined;
}

/** Converts a Fetch `Request` into a {@link SyRequest}; the body streams (a `ReadableStream`). */
export function fromFetchRequest(request: FetchRequestLike, options: FromFetchOptions = {}): SyRequest {
  // `URL` is not in the ES2022 lib; a Fetch Request's url is always absolute.
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?/.exec(request.url);
  const protocol = (m?.[1] ?? 'http').toLowerCase();
  const host = m?.[2] ?? '';
  const pathname = m?.[3] || '/';
  const search = m?.[4] ?? '';
  const headers: Record<string, string> = {};
  request.headers.forEach((value, name) => {
    headers[name] = value;
  });
  return {
    method: upperCased(request.method),
    scheme: protocol === 'https' ? 'https' : 'http',
    authority: lowerCased(headers['host'] ?? host),
    path: pathname,
    query: search,
    headers,
    clientAddress: options.clientAddress,
    attributes: options.attributes ?? NO_ATTRIBUTES,
    body: request.body === null || request.body === undefined ? undefined : toAsyncIterable(request.body),
  };
}

/**
 * Converts a {@link SyResponse} into the runtime's Fetch `Response`, streaming the body.
 * `set-cookie` values are appended one by one.
 */
export function toFetchResponse(response: SyResponse): unknown {
  const g = globalThis as unknown as {
    Response: new (body: unknown, init: { status: number; headers: unknown }) => unknown;
    Headers: new () => { append(name: string, value: string): void };
    ReadableStream: { from?: (it: AsyncIterable<Uint8Array>) => unknown } & (new (source: unknown) => unknown);
  };
  const headers = new g.Headers();
  for (const name in response.headers) {
    const v = response.headers[name];
    if (v === undefined) continue;
    if (typeof v === 'string') headers.append(name, v);
    else for (const one of v) headers.append(name, one);
  }
  // A null body status must not carry a body in Fetch.
  const nullBody = response.status === 204 || response.status === 205 || response.status === 304;
  return new g.Response(nullBody ? null : toStreamBody(response.body, g.ReadableStream), { status: response.status, headers });
}

function toStreamBody(body: Body | null, RS: (new (source: unknown) => unknown) & { from?: (it: AsyncIterable<Uint8Array>) => unknown }): unknown {
  if (body === null || typeof body === 'string' || body instanceof Uint8Array) return body;
  const iterator = body[Symbol.asyncIterator]();
  return new RS({
    async pull(controller: { enqueue(c: Uint8Array): void; close(): void }) {
      const next = await iterator.next();
      if (next.done === true) controller.close();
      else controller.enqueue(next.value);
    },
    async cancel() {
      await iterator.return?.();
    },
  });
}

function toAsyncIterable(body: unknown): AsyncIterable<Uint8Array> {
  if (typeof (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === 'function') return body as AsyncIterable<Uint8Array>;
  const stream = body as { getReader(): { read(): Promise<{ done: boolean; value?: Uint8Array }>; releaseLock(): void; cancel(): Promise<void> } };
  return {
    async *[Symbol.asyncIterator]() {
      const reader = stream.getReader();
      let finished = false;
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) {
            finished = true;
            return;
          }
          if (value !== undefined) yield value;
        }
      } finally {
        if (!finished) await reader.cancel().catch(() => {});
        reader.releaseLock();
      }
    },
  };
}
