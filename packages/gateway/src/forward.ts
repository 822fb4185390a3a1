/**
 * The upstream half of the request lifecycle: send one request to the upstream group with an
 * overall deadline, per-try timeouts, retries with back-off inside a budget, and hedging,
 * producing exactly one result whatever fails.
 *
 * Semantics follow Envoy's router filter (router_filter.rst, retry_state_impl.cc):
 * - the route timeout spans every try and back-off; a request that hits it is answered 504
 *   and never retried; per-try timeouts are bounded by what remains of it;
 * - `numRetries` counts retries, not tries; a retry prefers an endpoint not tried yet
 *   (`previous_hosts` predicate) and falls back to any eligible one;
 * - exhausted retries surface the last upstream response (Gateway API conformance);
 * - hedging (`hedge_on_per_try_timeout`): when a try's per-try timeout fires, another try
 *   starts without cancelling the first; the first response that does not meet a retry
 *   condition wins and the others are cancelled through their AbortSignal; an error from a
 *   try while another is in flight is discarded. A fixed `delayMs` hedge (gRPC
 *   `hedgingDelay`) is also available. Hedges are retries: they count against `numRetries`
 *   and the budget.
 * Every try that was begun is observed exactly once (losers as `canceled`), so balancer
 * in-flight counts and detectors stay exact.
 */
import {
  createLightAbortController,
  isIdempotentMethod,
  onAbort,
  type AbortControllerLike,
  type AbortSignalLike,
  type Body,
  type Cancel,
  type Clock,
  type Endpoint,
  type Outcome,
  type OutcomeErrorKind,
  type PickResult,
  type Rng,
  type SwitchyardErrorCode,
  type SyResponse,
  type Transport,
  type TransportResult,
  type UpstreamRequest,
} from '@switchyard/core';
import { discardBody, type PreparedBody } from './body.js';
import { withdrawRetry, type RetryBudgetState } from './retry-budget.js';
import { backoffMs, isRetriable, tryResultOf, type RetryPolicy, type TryResult } from './retry-policy.js';

/** Hedging: a second try while the first is still running. */
export interface HedgePolicy {
  /** Start a hedge when a try's per-try timeout fires instead of cancelling it (Envoy `hedge_on_per_try_timeout`). */
  readonly onPerTryTimeout: boolean;
  /** Also start a hedge when no response has come `delayMs` after a try began (gRPC `hedgingDelay`). */
  readonly delayMs?: number | undefined;
}

/** Timeouts, retries and hedging for one route. */
export interface ForwardPolicy {
  /** Whole-request deadline in ms, all tries and back-off included (Envoy route `timeout`, default 15 s); 0 disables. */
  readonly timeoutMs: number;
  /** Per-try timeout in ms (Envoy `per_try_timeout`); 0 means "the route timeout". */
  readonly perTryTimeoutMs: number;
  readonly retry?: RetryPolicy | undefined;
  readonly hedge?: HedgePolicy | undefined;
}

/** What {@link forward} reports as it goes (the gateway turns these into events and metrics). */
export type ForwardEvent =
  | { readonly kind: 'try'; readonly endpoint: Endpoint; readonly attempt: number; readonly hedge: boolean }
  | { readonly kind: 'retry'; readonly attempt: number; readonly backoffMs: number; readonly reason: string }
  | { readonly kind: 'retry-budget-exhausted'; readonly attempt: number }
  | { readonly kind: 'hedge'; readonly attempt: number; readonly reason: 'per-try-timeout' | 'delay' }
  | { readonly kind: 'per-try-timeout'; readonly endpoint: Endpoint };

/** Everything {@link forward} needs, injected. */
export interface ForwardContext {
  readonly clock: Clock;
  readonly rng: Rng;
  readonly transport: Transport;
  readonly policy: ForwardPolicy;
  readonly method: string;
  readonly body: PreparedBody;
  /** Monotonic time the request started; the deadline counts from it. */
  readonly startedAt: number;
  /** Picks the endpoint for the next try; `tried` lists endpoints already used, to avoid when possible. */
  pick(tried: readonly Endpoint[]): PickResult;
  /** The request to send to `endpoint` (the rewrite may depend on it). */
  request(endpoint: Endpoint, body: Body | undefined): UpstreamRequest;
  /** A try to `endpoint` is about to be sent. */
  begin?(endpoint: Endpoint, now: number): void;
  /** A try ended. Called exactly once per `begin`. */
  observe?(outcome: Outcome): void;
  readonly onEvent?: ((event: ForwardEvent) => void) | undefined;
  /** The downstream client's signal: aborting it cancels everything. */
  readonly signal?: AbortSignalLike | undefined;
  readonly budget?: RetryBudgetState | undefined;
}

/** The one result of {@link forward}. */
export type ForwardResult =
  | { readonly kind: 'response'; readonly response: SyResponse; readonly endpoint: Endpoint; readonly tries: number }
  | {
      readonly kind: 'error';
      readonly code: SwitchyardErrorCode;
      readonly message: string;
      readonly tries: number;
      readonly endpoint?: Endpoint | undefined;
    };

interface Try {
  readonly endpoint: Endpoint;
  readonly controller: AbortControllerLike;
  readonly startedAt: number;
  readonly hedge: boolean;
  /** Set once the try's outcome has been observed. */
  observed: boolean;
  /** The per-try timeout fired. */
  timedOut: boolean;
  cancelTimers: Cancel[];
}

const ERROR_CODE: Readonly<Record<OutcomeErrorKind, SwitchyardErrorCode>> = {
  connect: 'SY_UPSTREAM_CONNECT',
  reset: 'SY_UPSTREAM_RESET',
  timeout: 'SY_UPSTREAM_TIMEOUT',
  canceled: 'SY_CANCELED',
  'invalid-request': 'SY_BAD_REQUEST',
  local: 'SY_INTERNAL',
};

/**
 * Sends the request upstream under `ctx.policy`. Never rejects: every failure is a
 * `{ kind: 'error' }` value with a `SwitchyardError` code (and so an HTTP status).
 */
export function forward(ctx: ForwardContext): Promise<ForwardResult> {
  const { clock, policy } = ctx;
  const retry = policy.retry;
  const deadlineAt = policy.timeoutMs > 0 ? ctx.startedAt + policy.timeoutMs : Number.POSITIVE_INFINITY;
  const replayable = ctx.body.kind !== 'once';
  const retriesAllowedByMethod = retry !== undefined && (retry.retryNonIdempotent || isIdempotentMethod(ctx.method));

  return new Promise<ForwardResult>((resolve) => {
    let settled = false;
    let tries = 0;
    let retriesUsed = 0;
    const inFlight = new Set<Try>();
    const tried: Endpoint[] = [];
    /** The last failed try that was not discarded: surfaced if nothing better comes. */
    let lastFailure: { endpoint: Endpoint; result: TransportResult; timedOut: boolean; controller?: AbortControllerLike | undefined } | undefined;
    let cancelBackoff: Cancel | undefined;
    const cancelDeadline = Number.isFinite(deadlineAt) ? clock.setTimer(deadlineAt - clock.now(), () => onDeadline()) : undefined;
    const removeClientAbort = ctx.signal ? onAbort(ctx.signal, () => finish({ kind: 'error', code: 'SY_CANCELED', message: 'client went away', tries })) : undefined;

    function finish(result: ForwardResult, winner?: AbortControllerLike): void {
      if (settled) return;
      settled = true;
      cancelDeadline?.();
      cancelBackoff?.();
      removeClientAbort?.();
      // Cancel every try still running: hedge losers, or all of them on deadline / client abort.
      for (const t of [...inFlight]) abortTry(t, 'canceled');
      if (result.kind === 'response' && winner !== undefined && ctx.signal !== undefined) {
        // The client may still leave while the body streams, even while the upstream is silent:
        // keep its signal wired to the winning try until the body ends, so the transport releases
        // the upstream socket at once instead of at the next chunk or the body timeout.
        const r = result.response;
        return resolve({ kind: 'response', response: { status: r.status, headers: r.headers, body: tieBody(r.body, ctx.signal, winner) }, endpoint: result.endpoint, tries: result.tries });
      }
      resolve(result);
    }

    function observe(t: Try, outcome: Outcome): void {
      if (t.observed) return;
      t.observed = true;
      for (const c of t.cancelTimers) c();
      inFlight.delete(t);
      ctx.observe?.(outcome);
    }

    function abortTry(t: Try, as: 'canceled' | 'timeout'): void {
      const now = clock.now();
      observe(t, { kind: 'error', endpoint: t.endpoint, error: as, latencyMs: now - t.startedAt, at: now });
      t.controller.abort();
    }

    function onDeadline(): void {
      finish({ kind: 'error', code: 'SY_DEADLINE_EXCEEDED', message: `request timeout of ${policy.timeoutMs} ms exceeded`, tries, endpoint: lastFailure?.endpoint });
    }

    /** May another try (retry or hedge) start now? Consumes budget when it says yes. */
    function mayRetry(): boolean {
      if (retry === undefined || !retriesAllowedByMethod || !replayable) return false;
      if (retriesUsed >= retry.numRetries) return false;
      if (clock.now() >= deadlineAt) return false;
      if (ctx.budget !== undefined && !withdrawRetry(ctx.budget, clock.now())) {
        ctx.onEvent?.({ kind: 'retry-budget-exhausted', attempt: tries + 1 });
        return false;
      }
      return true;
    }

    function launch(hedge: boolean): void {
      if (settled) return;
      const picked = ctx.pick(tried);
      if (picked.kind === 'empty') {
        if (inFlight.size > 0) return; // a try is still running: let it answer
        if (lastFailure !== undefined) return surface(lastFailure);
        return finish({ kind: 'error', code: 'SY_NO_ENDPOINT', message: `no healthy upstream (${picked.reason})`, tries });
      }
      const endpoint = picked.endpoint;
      tried.push(endpoint);
      tries++;
      const now = clock.now();
      const t: Try = { endpoint, controller: createLightAbortController(), startedAt: now, hedge, observed: false, timedOut: false, cancelTimers: [] };
      inFlight.add(t);
      ctx.onEvent?.({ kind: 'try', endpoint, attempt: tries, hedge });
      const remaining = deadlineAt - now;
      const perTry = policy.perTryTimeoutMs > 0 ? Math.min(policy.perTryTimeoutMs, remaining) : Number.POSITIVE_INFINITY;
      // The deadline timer answers for the whole request; a per-try timer only if it is shorter.
      if (Number.isFinite(perTry) && perTry < remaining) t.cancelTimers.push(clock.setTimer(perTry, () => onPerTryTimeout(t)));
      const hedgeDelay = policy.hedge?.delayMs;
      if (hedgeDelay !== undefined && hedgeDelay > 0 && hedgeDelay < Math.min(perTry, remaining)) {
        t.cancelTimers.push(
          clock.setTimer(hedgeDelay, () => {
            if (settled || t.observed || !mayRetry()) return;
            retriesUsed++;
            ctx.onEvent?.({ kind: 'hedge', attempt: tries + 1, reason: 'delay' });
            launch(true);
          }),
        );
      }
      ctx.begin?.(endpoint, now);
      const body = ctx.body.kind === 'none' ? undefined : ctx.body.body;
      let sent: Promise<TransportResult>;
      try {
        sent = ctx.transport.send(ctx.request(endpoint, body), endpoint, { signal: t.controller.signal });
      } catch (err) {
        // A transport that throws has a bug or refused the request locally: never the endpoint's fault.
        sent = Promise.resolve({ kind: 'error', error: 'local', message: 'the transport failed before sending', cause: err });
      }
      sent.then(
        (result) => onResult(t, result),
        (err: unknown) => onResult(t, { kind: 'error', error: 'local', message: 'the transport failed before sending', cause: err }),
      );
    }

    function onPerTryTimeout(t: Try): void {
      if (settled || t.observed) return;
      t.timedOut = true;
      ctx.onEvent?.({ kind: 'per-try-timeout', endpoint: t.endpoint });
      if (policy.hedge?.onPerTryTimeout === true && mayRetry()) {
        // Envoy: keep the original running and race a hedge against it.
        retriesUsed++;
        ctx.onEvent?.({ kind: 'hedge', attempt: tries + 1, reason: 'per-try-timeout' });
        launch(true);
        return;
      }
      // No hedge possible: the try is reset and counts as a timeout, as Envoy does.
      abortTry(t, 'timeout');
      failed(t.endpoint, { kind: 'error', error: 'timeout', message: `per-try timeout of ${policy.perTryTimeoutMs} ms exceeded` }, true);
    }

    function onResult(t: Try, result: TransportResult): void {
      if (t.observed) {
        // Already accounted for (timed out, lost a hedge race, deadline): drop what came back.
        if (result.kind === 'response') discardBody(result.response.body);
        return;
      }
      const now = clock.now();
      const latencyMs = now - t.startedAt;
      observe(
        t,
        result.kind === 'response'
          ? { kind: 'response', endpoint: t.endpoint, status: result.response.status, latencyMs, at: now }
          : { kind: 'error', endpoint: t.endpoint, error: result.error, latencyMs, at: now },
      );
      if (settled) {
        if (result.kind === 'response') discardBody(result.response.body);
        return;
      }
      const tr = tryResultOf(result);
      if (result.kind === 'response' && (retry === undefined || !isRetriable(retry, tr))) {
        return finish({ kind: 'response', response: result.response, endpoint: t.endpoint, tries }, t.controller);
      }
      failed(t.endpoint, result, false, t.controller);
    }

    function failed(endpoint: Endpoint, result: TransportResult, timedOut: boolean, controller?: AbortControllerLike): void {
      if (settled) return;
      if (inFlight.size > 0) {
        // Another try (a hedge) is still running: this failure is discarded, as in Envoy.
        if (result.kind === 'response') discardBody(result.response.body);
        return;
      }
      if (lastFailure?.result.kind === 'response') discardBody(lastFailure.result.response.body);
      lastFailure = { endpoint, result, timedOut, controller };
      const tr: TryResult = timedOut ? { kind: 'error', error: 'timeout' } : tryResultOf(result);
      if (retry === undefined || !isRetriable(retry, tr) || !mayRetry()) return surface(lastFailure);
      retriesUsed++;
      const wait = backoffMs(retry, retriesUsed, ctx.rng, tr, clock.wallNow());
      if (clock.now() + wait >= deadlineAt) return surface(lastFailure);
      ctx.onEvent?.({ kind: 'retry', attempt: tries + 1, backoffMs: wait, reason: describe(tr) });
      if (wait <= 0) return launch(false);
      cancelBackoff = clock.setTimer(wait, () => {
        cancelBackoff = undefined;
        launch(false);
      });
    }

    function surface(f: { endpoint: Endpoint; result: TransportResult; timedOut: boolean; controller?: AbortControllerLike | undefined }): void {
      if (f.result.kind === 'response') return finish({ kind: 'response', response: f.result.response, endpoint: f.endpoint, tries }, f.controller);
      const kind: OutcomeErrorKind = f.timedOut ? 'timeout' : f.result.error;
      finish({ kind: 'error', code: ERROR_CODE[kind], message: f.result.message, tries, endpoint: f.endpoint });
    }

    launch(false);
  });
}

/**
 * Wraps a streaming body so that aborting `signal` aborts `controller` (the try's), until the
 * body is fully read, closed or fails. Whole bodies need no wrapping.
 */
function tieBody(body: Body | null, signal: AbortSignalLike, controller: AbortControllerLike): Body | null {
  if (body === null || typeof body === 'string' || body instanceof Uint8Array) return body;
  const source = body;
  // Armed now, not when reading starts: the client can leave before the first read.
  const remove = onAbort(signal, () => controller.abort());
  if (isEventedStream(source)) {
    // A Node stream (undici's body) is passed through untouched, so a Node server can `pipe` it
    // (no promise per chunk): its own end / error / close events disarm the tie.
    source.once('end', remove);
    source.once('error', remove);
    source.once('close', remove);
    return source;
  }
  return {
    [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
      const it = source[Symbol.asyncIterator]();
      return {
        async next() {
          try {
            const r = await it.next();
            if (r.done === true) remove();
            return r;
          } catch (err) {
            remove();
            throw err;
          }
        },
        async return(value?: unknown) {
          remove();
          return (await it.return?.(value)) ?? { done: true, value: undefined };
        },
      };
    },
  };
}

/** A body that is also a Node-style stream (structural: the gateway imports no Node types). */
interface EventedStream {
  once(event: 'end' | 'error' | 'close', listener: () => void): unknown;
  pipe(destination: unknown): unknown;
}

function isEventedStream(body: object): body is EventedStream & Body {
  return typeof (body as Partial<EventedStream>).pipe === 'function' && typeof (body as Partial<EventedStream>).once === 'function';
}

function describe(r: TryResult): string {
  return r.kind === 'response' ? `status ${r.status}` : r.error;
}
