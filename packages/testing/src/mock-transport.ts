/**
 * A scripted `Transport` for tests: queued replies and errors, recorded requests, on the test
 * clock.
 */

// Deliberately alike: transport-fetch/src/fetch-transport.ts (imports) — two Transport implementations import the same contract types from core; an import list is not logic
import {
  encodeUtf8,
  onAbort,
  type Clock,
  type Endpoint,
  type OutcomeErrorKind,
  type ResponseHeaders,
  type Transport,
  type TransportResult,
  type TransportSendOptions,
  type UpstreamRequest,
} from '@switchyard/core';

/** One scripted reply of a {@link MockTransport}. Delays run on the injected clock. */
export type MockReply =
  | {
      readonly status: number;
      readonly headers?: ResponseHeaders;
      /** A whole body, or chunks delivered `chunkDelayMs` apart (a slow body). */
      readonly body?: string | Uint8Array | readonly (string | Uint8Array)[];
      /** Time to response headers (default 0). */
      readonly delayMs?: number;
      /** Delay between body chunks (default 0). */
      readonly chunkDelayMs?: number;
    }
  | { readonly error: Exclude<OutcomeErrorKind, 'canceled'>; readonly delayMs?: number; readonly message?: string }
  /** Never answers until the signal aborts. */
  | { readonly hang: true };

/** A request the mock received. */
export interface RecordedRequest {
  readonly request: UpstreamRequest;
  readonly endpoint: Endpoint;
  /** Clock time it was sent. */
  readonly at: number;
  /** Whether its signal was aborted (before or after the reply). */
  readonly aborted: () => boolean;
}

/** A scriptable {@link Transport} for unit tests. */
export interface MockTransport extends Transport {
  /** Every request sent, in order. */
  readonly requests: RecordedRequest[];
  /** Queues replies used in order, before the handler. */
  enqueue(...replies: MockReply[]): this;
  /** Queues replies for one endpoint id only. */
  enqueueFor(endpointId: string, ...replies: MockReply[]): this;
  /** The fallback when no queued reply applies (default: 200 with an empty body). */
  respondWith(handler: (request: UpstreamRequest, endpoint: Endpoint) => MockReply): this;
  /** Number of sends whose result has not resolved yet. */
  inFlight(): number;
}

/**
 * Creates a mock transport over `clock`.
 *
 * @example
 * ```ts
 * import { createMockTransport, createTestClock } from '@switchyard/testing';
 * const clock = createTestClock();
 * const transport = createMockTransport({ clock })
 *   .enqueue({ status: 503 }, { error: 'connect' })
 *   .respondWith(() => ({ status: 200, body: 'ok', delayMs: 20 }));
 * ```
 */
export function createMockTransport(options: { clock: Clock }): MockTransport {
  const { clock } = options;
  const queue: MockReply[] = [];
  const perEndpoint = new Map<string, MockReply[]>();
  let handler: (request: UpstreamRequest, endpoint: Endpoint) => MockReply = () => ({ status: 200 });
  let inFlight = 0;
  const requests: RecordedRequest[] = [];

  const transport: MockTransport = {
    requests,
    enqueue(...replies) {
      queue.push(...replies);
      return transport;
    },
    enqueueFor(endpointId, ...replies) {
      const list = perEndpoint.get(endpointId) ?? [];
      list.push(...replies);
      perEndpoint.set(endpointId, list);
      return transport;
    },
    respondWith(h) {
      handler = h;
      return transport;
    },
    inFlight: () => inFlight,
    send(request: UpstreamRequest, endpoint: Endpoint, opts: TransportSendOptions): Promise<TransportResult> {
      const { signal } = opts;
      requests.push({ request, endpoint, at: clock.now(), aborted: () => signal.aborted });
      const reply = perEndpoint.get(endpoint.id)?.shift() ?? queue.shift() ?? handler(request, endpoint);
      inFlight++;
      return new Promise<TransportResult>((resolve) => {
        let done = false;
        let cancelTimer = (): void => {};
        // Assigned below; declared first because onAbort calls back at once for an aborted signal.
        let removeAbort = (): void => {};
        const finish = (result: TransportResult): void => {
          if (done) return;
          done = true;
          inFlight--;
          cancelTimer();
          removeAbort();
          resolve(result);
        };
        removeAbort = onAbort(signal, () => finish({ kind: 'error', error: 'canceled', message: 'aborted by caller' }));
        if (done) return;
        if ('hang' in reply) return;
        const deliver = (): void => {
          if ('error' in reply) {
            finish({ kind: 'error', error: reply.error, message: reply.message ?? `mock ${reply.error}` });
            return;
          }
          finish({
            kind: 'response',
            response: { status: reply.status, headers: reply.headers ?? {}, body: makeBody(reply, clock, signal) },
          });
        };
        const delay = reply.delayMs ?? 0;
        if (delay > 0) cancelTimer = clock.setTimer(delay, deliver);
        else deliver();
      });
    },
  };
  return transport;
}

function makeBody(
  reply: Extract<MockReply, { status: number }>,
  clock: Clock,
  signal: TransportSendOptions['signal'],
): string | Uint8Array | AsyncIterable<Uint8Array> | null {
  const body = reply.body;
  if (body === undefined) return null;
  if (typeof body === 'string' || body instanceof Uint8Array) return body;
  const chunks = body as readonly (string | Uint8Array)[];
  const gap = reply.chunkDelayMs ?? 0;
  return {
    async *[Symbol.asyncIterator]() {
      for (const chunk of chunks) {
        if (gap > 0) await new Promise<void>((r) => clock.setTimer(gap, r));
        if (signal.aborted) throw new Error('body aborted');
        yield typeof chunk === 'string' ? encodeUtf8(chunk) : chunk;
      }
    },
  };
}

