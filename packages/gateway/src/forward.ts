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
 * - deadlines win over retries (Gateway API GEP-1742 / GEP-1731, Envoy's router): once the route
 *   timeout has passed, or the next back-off would end after it, the answer is 504
 *   `SY_DEADLINE_EXCEEDED`, never the last try's 5xx (exhausted retries, an empty pick, an
 *   exhausted budget or retry overflow before the deadline still surface the last result);
 * - the route timeout and the winning try's per-try timeout also cover the response body, with
 *   an idle timeout between chunks; a request body still streaming from the client when the
 *   deadline passes, or stalled for the idle timeout, is answered 408 `SY_REQUEST_TIMEOUT`;
 * - retry slots (Envoy's `max_retries` circuit breaker, `retry_state_impl.cc`): a retry or hedge
 *   takes one slot when it is decided and gives it back when its outcome is known (or the next
 *   retry is decided, or the request ends), so a request holds at most one at a time;
 * - optionally (`propagateDeadline`) each try tells the upstream how long it has
 *   (`x-envoy-expected-rq-timeout-ms`, and `grpc-timeout` for gRPC), as Envoy's
 *   `FilterUtility::setTimeoutHeaders` does.
 * Every try that was begun is observed exactly once (losers as `canceled`), so balancer
 * in-flight counts and detectors stay exact.
 *
 * Why one file of about 500 lines: it is one state machine (tries, hedges, back-off, the
 * deadline and the retry slots share the request's state and its single result); split, the
 * invariants above would be spread over files that each see half of it.
 */
import {
  createLightAbortController,
  isIdempotentMethod,
  isSwitchyardError,
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
import { discardBody, guardBody, isEventedStream, tieBody, type GuardedBody, type PreparedBody } from './body.js';
import { withDeadlineHeaders } from './deadline-headers.js';
import { withdrawRetry, type RetryBudgetState } from './retry-budget.js';
import { backoffMs, isRetriable, tryResultOf, type RetryPolicy, type TryResult } from './retry-policy.js';
import type { TrySpan, TryTracer } from './tracing.js';

export { formatGrpcTimeout } from './deadline-headers.js';

/** Hedging: a second try while the first is still running. */
export interface HedgePolicy {
  /** Start a hedge when a try's per-try timeout fires instead of cancelling it (Envoy `hedge_on_per_try_timeout`). */
  readonly onPerTryTimeout: boolean;
  /** Also start a hedge when no response has come `delayMs` after a try began (gRPC `hedgingDelay`). */
  readonly delayMs?: number | undefined;
}

// Deliberately alike: bridge/node.ts NodeResponseLike — only the shape of documented readonly fields is shared, no logic.
/** Timeouts, retries and hedging for one route. */
export interface ForwardPolicy {
  /** Whole-request deadline in ms, all tries and back-off included (Envoy route `timeout`, default 15 s); 0 disables. */
  readonly timeoutMs: number;
  /** Per-try timeout in ms (Envoy `per_try_timeout`); 0 means "the route timeout". */
  readonly perTryTimeoutMs: number;
  readonly retry?: RetryPolicy | undefined;
  readonly hedge?: HedgePolicy | undefined;
  /**
   * Longest gap between two chunks of the request or response body, in ms (Envoy route
   * `idle_timeout` / `stream_idle_timeout`, default 300 000); 0 or unset disables.
   */
  readonly idleTimeoutMs?: number | undefined;
  /**
   * Tell each try how long it has: `x-envoy-expected-rq-timeout-ms` (min of the per-try timeout
   * and what remains of the route timeout, at least 1), and `grpc-timeout` for gRPC requests
   * (never raising a smaller one the client sent). Envoy `FilterUtility::setTimeoutHeaders`.
   */
  readonly propagateDeadline?: boolean | undefined;
}

/** What {@link forward} reports as it goes (the gateway turns these into events and metrics). */
export type ForwardEvent =
  | { readonly kind: 'try'; readonly endpoint: Endpoint; readonly attempt: number; readonly hedge: boolean }
  | { readonly kind: 'retry'; readonly attempt: number; readonly backoffMs: number; readonly reason: string }
  | { readonly kind: 'retry-budget-exhausted'; readonly attempt: number }
  /** The upstream's retry slots (`resourceLimits.maxRetries`) were all taken: no retry (Envoy `upstream_rq_retry_overflow`). */
  | { readonly kind: 'retry-overflow'; readonly attempt: number }
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
  /**
   * Envoy's `max_retries` circuit breaker: `acquire` takes a slot for one outstanding retry
   * (false: overflow, no retry), `release` gives it back. Unset: no limit beyond `numRetries`.
   */
  readonly retrySlots?: { acquire(): boolean; release(): void } | undefined;
  /**
   * The downstream request body when it streams to the tries (not buffered): if it times out, or
   * has not ended when the deadline passes, the answer is 408 `SY_REQUEST_TIMEOUT`.
   */
  readonly requestBody?: GuardedBody | undefined;
  /** A client span per try (tracing.ts); unset when nothing traces. */
  readonly tracer?: TryTracer | undefined;
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
  /** The try's client span, when traced: ended with its outcome. */
  span: TrySpan | undefined;
}

/** A failed try kept as the answer in case nothing better comes. */
interface Failure {
  readonly endpoint: Endpoint;
  readonly result: TransportResult;
  readonly timedOut: boolean;
  readonly t?: Try | undefined;
}

const ERROR_CODE: Readonly<Record<OutcomeErrorKind, SwitchyardErrorCode>> = {
  connect: 'SY_UPSTREAM_CONNECT',
  reset: 'SY_UPSTREAM_RESET',
  timeout: 'SY_UPSTREAM_TIMEOUT',
  canceled: 'SY_CANCELED',
  'invalid-request': 'SY_BAD_REQUEST',
  local: 'SY_INTERNAL',
};

/** True for the error a size-limited request body fails with (a `SwitchyardError` `SY_BODY_TOO_LARGE`). */
export function isBodyTooLarge(err: unknown): boolean {
  return isSwitchyardError(err) && err.code === 'SY_BODY_TOO_LARGE';
}

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
  const idleTimeoutMs = policy.idleTimeoutMs ?? 0;

  return new Promise<ForwardResult>((resolve) => {
    let settled = false;
    let tries = 0;
    let retriesUsed = 0;
    const inFlight = new Set<Try>();
    const tried: Endpoint[] = [];
    /** The last failed try that was not discarded: surfaced if nothing better comes. */
    let lastFailure: Failure | undefined;
    let cancelBackoff: Cancel | undefined;
    /** A retry slot is held (Envoy: from `shouldRetry` until the next one, or the end). */
    let slotHeld = false;
    /** The try launched with the slot: its outcome gives the slot back. */
    let slotTry: Try | undefined;
    const cancelDeadline = Number.isFinite(deadlineAt) ? clock.setTimer(deadlineAt - clock.now(), () => onDeadline()) : undefined;
    const removeClientAbort = ctx.signal ? onAbort(ctx.signal, () => finish({ kind: 'error', code: 'SY_CANCELED', message: 'client went away', tries })) : undefined;
    const removeBodyTimeout = ctx.requestBody ? onAbort(ctx.requestBody.timedOut, () => requestTimeout()) : undefined;

    /** The try whose Node-stream body the still-running deadline timer guards (see `guardResponse`). */
    let bodyTry: Try | undefined;

    function finish(result: ForwardResult, winner?: Try): void {
      if (settled) return;
      settled = true;
      // Guard the body first: a Node-stream body may keep the deadline timer for itself.
      const body = result.kind === 'response' && winner !== undefined ? guardResponse(result.response.body, winner) : undefined;
      if (bodyTry === undefined) cancelDeadline?.();
      cancelBackoff?.();
      removeClientAbort?.();
      removeBodyTimeout?.();
      releaseSlot();
      // A failed response kept for surfacing and not surfaced: free its connection.
      if (lastFailure?.result.kind === 'response' && (result.kind !== 'response' || result.response !== lastFailure.result.response)) discardBody(lastFailure.result.response.body);
      // Cancel every try still running: hedge losers, or all of them on deadline / client abort.
      for (const t of [...inFlight]) abortTry(t, 'canceled');
      if (result.kind === 'response' && body !== undefined && body !== result.response.body) {
        const r = result.response;
        return resolve({ kind: 'response', response: { status: r.status, headers: r.headers, body }, endpoint: result.endpoint, tries: result.tries });
      }
      resolve(result);
    }

    /**
     * The response body stays under the route deadline and the winning try's per-try timeout
     * (Envoy's route timeout runs "until the upstream response has been completely processed";
     * Gateway API `backendRequest` runs to the full response), with the idle timeout between
     * chunks. The client may still leave while the body streams, even while the upstream is
     * silent: its signal stays wired to the winning try until the body ends, so the transport
     * releases the upstream socket at once.
     */
    function guardResponse(body: Body | null, t: Try): Body | null {
      if (body === null || typeof body === 'string' || body instanceof Uint8Array) return body;
      // A try whose per-try timeout already fired (kept running as a hedge) is only bound by the deadline.
      const perTryEnd = policy.perTryTimeoutMs > 0 && !t.timedOut ? t.startedAt + policy.perTryTimeoutMs : Number.POSITIVE_INFINITY;
      const bodyDeadline = Math.min(deadlineAt, perTryEnd);
      if (isEventedStream(body)) {
        // A Node stream (undici's body) is passed through untouched, so a Node server can `pipe`
        // it (no promise per chunk). Its deadline: the request's own deadline timer keeps running
        // when it is the body's (no second timer), else one timer at the per-try end; its idle
        // timeout is the transport's (`idleTimeoutMs` per send). Its end / error / close disarm all.
        let cancel: Cancel | undefined;
        if (bodyDeadline === deadlineAt && cancelDeadline !== undefined) {
          bodyTry = t;
          cancel = cancelDeadline;
        } else if (Number.isFinite(bodyDeadline)) {
          cancel = clock.setTimer(bodyDeadline - clock.now(), () => t.controller.abort());
        }
        // The client may still leave while the body streams, even while the upstream is silent:
        // its signal stays wired to the winning try until the body ends, so the transport
        // releases the upstream socket at once instead of at the next chunk or the body timeout.
        const signal = ctx.signal;
        const remove = signal !== undefined ? onAbort(signal, () => t.controller.abort()) : undefined;
        if (cancel !== undefined || remove !== undefined) {
          const disarm = (): void => {
            cancel?.();
            remove?.();
          };
          body.once('end', disarm);
          body.once('error', disarm);
          body.once('close', disarm);
        }
        return body;
      }
      const guarded = Number.isFinite(bodyDeadline) || idleTimeoutMs > 0 ? guardBody(body, { clock, deadlineAt: bodyDeadline, idleTimeoutMs, armNow: true, onTimeout: () => t.controller.abort() }) : body;
      return ctx.signal !== undefined ? tieBody(guarded, ctx.signal, t.controller) : guarded;
    }

    function observe(t: Try, outcome: Outcome): void {
      if (t.observed) return;
      t.observed = true;
      for (const c of t.cancelTimers) c();
      inFlight.delete(t);
      if (slotTry === t) releaseSlot();
      t.span?.end(outcome);
      ctx.observe?.(outcome);
    }

    function releaseSlot(): void {
      slotTry = undefined;
      if (!slotHeld) return;
      slotHeld = false;
      ctx.retrySlots?.release();
    }

    /**
     * Takes the retry slot for the retry or hedge being decided. As Envoy's `shouldRetry`, the
     * slot of the previous retry is given back first: a request holds at most one.
     */
    function takeSlot(): boolean {
      releaseSlot();
      if (ctx.retrySlots === undefined) return true;
      if (!ctx.retrySlots.acquire()) {
        ctx.onEvent?.({ kind: 'retry-overflow', attempt: tries + 1 });
        return false;
      }
      slotHeld = true;
      return true;
    }

    function abortTry(t: Try, as: 'canceled' | 'timeout'): void {
      const now = clock.now();
      observe(t, { kind: 'error', endpoint: t.endpoint, error: as, latencyMs: now - t.startedAt, at: now });
      t.controller.abort();
    }

    function onDeadline(): void {
      if (settled) {
        // The request was answered; the deadline now guards the winner's streaming body.
        bodyTry?.controller.abort();
        return;
      }
      // A request body the client is still sending is the client's delay, not the upstream's.
      if (ctx.requestBody !== undefined && !ctx.requestBody.ended) return requestTimeout();
      finish({ kind: 'error', code: 'SY_DEADLINE_EXCEEDED', message: `request timeout of ${policy.timeoutMs} ms exceeded`, tries, endpoint: lastFailure?.endpoint });
    }

    function requestTimeout(): void {
      finish({ kind: 'error', code: 'SY_REQUEST_TIMEOUT', message: 'the request body did not arrive in time', tries });
    }

    /** Retries left for this request by its policy, method and body (no deadline, budget or slot check). */
    function retryPossible(): boolean {
      return retry !== undefined && retriesAllowedByMethod && replayable && retriesUsed < retry.numRetries;
    }

    /** Budget, then retry slot (Envoy: remaining retries, then the overflow check). */
    function withdraw(): boolean {
      if (ctx.budget !== undefined && !withdrawRetry(ctx.budget, clock.now())) {
        ctx.onEvent?.({ kind: 'retry-budget-exhausted', attempt: tries + 1 });
        return false;
      }
      return takeSlot();
    }

    /** May a hedge start now? Consumes budget and takes the retry slot when it says yes. */
    function mayHedge(): boolean {
      if (!retryPossible() || clock.now() >= deadlineAt) return false;
      return withdraw();
    }

    function launch(hedge: boolean): void {
      if (settled) return;
      const picked = ctx.pick(tried);
      if (picked.kind === 'empty') {
        releaseSlot();
        if (inFlight.size > 0) return; // a try is still running: let it answer
        if (lastFailure !== undefined) return surface(lastFailure);
        if (clock.now() >= deadlineAt) return onDeadline();
        return finish({ kind: 'error', code: 'SY_NO_ENDPOINT', message: `no healthy upstream (${picked.reason})`, tries });
      }
      const endpoint = picked.endpoint;
      tried.push(endpoint);
      tries++;
      const now = clock.now();
      const t: Try = { endpoint, controller: createLightAbortController(), startedAt: now, hedge, observed: false, timedOut: false, cancelTimers: [], span: undefined };
      inFlight.add(t);
      if (slotHeld && slotTry === undefined && tries > 1) slotTry = t;
      ctx.onEvent?.({ kind: 'try', endpoint, attempt: tries, hedge });
      const remaining = deadlineAt - now;
      const perTry = policy.perTryTimeoutMs > 0 ? Math.min(policy.perTryTimeoutMs, remaining) : Number.POSITIVE_INFINITY;
      // The deadline timer answers for the whole request; a per-try timer only if it is shorter.
      if (Number.isFinite(perTry) && perTry < remaining) t.cancelTimers.push(clock.setTimer(perTry, () => onPerTryTimeout(t)));
      const hedgeDelay = policy.hedge?.delayMs;
      if (hedgeDelay !== undefined && hedgeDelay > 0 && hedgeDelay < Math.min(perTry, remaining)) {
        t.cancelTimers.push(
          clock.setTimer(hedgeDelay, () => {
            if (settled || t.observed || !mayHedge()) return;
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
        let request = ctx.request(endpoint, body);
        if (policy.propagateDeadline === true) request = withDeadlineHeaders(request, expectedTimeoutMs(now));
        const options = idleTimeoutMs > 0 ? { signal: t.controller.signal, idleTimeoutMs } : { signal: t.controller.signal };
        if (ctx.tracer === undefined) sent = ctx.transport.send(request, endpoint, options);
        else {
          // The try's client span: `traceparent` names it as the upstream's parent.
          const span = (t.span = ctx.tracer.start(request, endpoint, tries, hedge ? 'hedge' : tries > 1 ? 'retry' : 'original'));
          sent = span.run(() => ctx.transport.send(span.request, endpoint, options));
        }
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
      if (policy.hedge?.onPerTryTimeout === true && mayHedge()) {
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
        return finish({ kind: 'response', response: result.response, endpoint: t.endpoint, tries }, t);
      }
      failed(t.endpoint, result, false, t);
    }

    function failed(endpoint: Endpoint, result: TransportResult, timedOut: boolean, t?: Try): void {
      if (settled) return;
      if (inFlight.size > 0) {
        // Another try (a hedge) is still running: this failure is discarded, as in Envoy.
        if (result.kind === 'response') discardBody(result.response.body);
        return;
      }
      if (lastFailure?.result.kind === 'response') discardBody(lastFailure.result.response.body);
      lastFailure = { endpoint, result, timedOut, t };
      const tr: TryResult = timedOut ? { kind: 'error', error: 'timeout' } : tryResultOf(result);
      if (retry === undefined || !isRetriable(retry, tr)) return surface(lastFailure);
      const now = clock.now();
      // GEP-1731: retries must fit inside the request timeout; past it the answer is a timeout.
      if (now >= deadlineAt) return onDeadline();
      if (!retryPossible()) return surface(lastFailure);
      const wait = backoffMs(retry, retriesUsed + 1, ctx.rng, tr, clock.wallNow());
      // The retry could not start before the deadline: Envoy's global timer would fire during the
      // back-off and answer 504. Answer it now rather than hold the client until then.
      if (now + wait >= deadlineAt) return onDeadline();
      if (!withdraw()) return surface(lastFailure);
      retriesUsed++;
      ctx.onEvent?.({ kind: 'retry', attempt: tries + 1, backoffMs: wait, reason: describe(tr) });
      if (wait <= 0) return launch(false);
      cancelBackoff = clock.setTimer(wait, () => {
        cancelBackoff = undefined;
        launch(false);
      });
    }

    function surface(f: Failure): void {
      // Whatever ends the request at or after the deadline, the answer is the deadline's.
      if (clock.now() >= deadlineAt) return onDeadline();
      if (f.result.kind === 'response') return finish({ kind: 'response', response: f.result.response, endpoint: f.endpoint, tries }, f.t);
      const kind: OutcomeErrorKind = f.timedOut ? 'timeout' : f.result.error;
      // A request body that failed for its size (`@switchyard/policies`' request-size-limit: the
      // transports report a failing body source as `canceled` with it as `cause`) is the client's
      // 413, not a 499: the endpoint is not blamed either way.
      const code = !f.timedOut && isBodyTooLarge(f.result.cause) ? 'SY_BODY_TOO_LARGE' : ERROR_CODE[kind];
      finish({ kind: 'error', code, message: f.result.message, tries, endpoint: f.endpoint });
    }

    /** Envoy `setTimeoutHeaders`: the per-try timeout (the route's when unset or hedging), capped by what remains. */
    function expectedTimeoutMs(now: number): number {
      let expected = policy.perTryTimeoutMs > 0 && policy.hedge?.onPerTryTimeout !== true ? policy.perTryTimeoutMs : policy.timeoutMs;
      if (policy.timeoutMs > 0) expected = expected > 0 ? Math.min(expected, deadlineAt - now) : deadlineAt - now;
      return expected;
    }

    launch(false);
  });
}

function describe(r: TryResult): string {
  return r.kind === 'response' ? `status ${r.status}` : r.error;
}
