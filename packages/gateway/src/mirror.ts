/**
 * Request mirroring (shadowing), as Envoy's `request_mirror_policies` and Gateway API's
 * `RequestMirror`: a share of requests (unset = 100 %) is copied to a shadow upstream group,
 * fire-and-forget. The primary never waits for it, and nothing the shadow does (errors,
 * latency, body) can reach the client: results are observed and discarded. The shadow's Host
 * gets Envoy's `-shadow` suffix so upstreams can tell mirrored traffic apart.
 */
import {
  chance,
  createLightAbortController,
  type Body,
  type Clock,
  type Endpoint,
  type Outcome,
  type PickResult,
  type Rng,
  type Transport,
  type UpstreamRequest,
} from '@switchyard/core';
import { discardBody, type PreparedBody } from './body.js';
import type { TryTracer } from './tracing.js';

export interface MirrorPolicy {
  /** Share of requests mirrored, 0–100 (default 100, as Envoy, Gateway API and Istio). */
  readonly percent?: number;
  /** Give up on a mirrored request after this long (default 5 000 ms). */
  readonly timeoutMs?: number;
}

/** Whether this request is mirrored. */
export function shouldMirror(policy: MirrorPolicy, rng: Rng): boolean {
  return chance(rng, policy.percent ?? 100);
}

/** `host` → `host-shadow`, keeping a port: `api:8080` → `api-shadow:8080`. */
export function shadowHost(host: string): string {
  const m = /^(\[[^\]]+\]|[^:]+)(:\d+)?$/.exec(host);
  if (m === null) return `${host}-shadow`;
  return `${m[1]}-shadow${m[2] ?? ''}`;
}

/**
 * What a mirror sends: a prepared body (whole, or `once` if it could not be buffered: skipped),
 * or `stream`, a copy teed from the primary's streaming body (`teeBody`), sent as it arrives.
 */
export type MirrorBody = PreparedBody | { readonly kind: 'stream'; readonly body: AsyncIterable<Uint8Array> };

/** What a mirror send needs. */
export interface MirrorContext {
  readonly clock: Clock;
  readonly transport: Transport;
  readonly policy: MirrorPolicy;
  readonly body: MirrorBody;
  pick(): PickResult;
  request(endpoint: Endpoint, body: Body | undefined): UpstreamRequest;
  begin?(endpoint: Endpoint, now: number): void;
  observe?(outcome: Outcome): void;
  /** Called with why a mirror was skipped (no endpoint, body not replayable). */
  onSkip?(reason: 'no-endpoint' | 'body-not-replayable'): void;
  /**
   * The client span of the copy (`switchyard.try.role` `mirror`), a child of the request's span as
   * Envoy's shadow request is (`router.cc`: `setParentSpan(activeSpan()).setChildSpanName("mirror")`).
   */
  readonly tracer?: TryTracer | undefined;
}

/**
 * Sends a copy, fire-and-forget. Returns at once; never throws; the copy's response body is
 * discarded and its try is cancelled after `timeoutMs`.
 */
export function sendMirror(ctx: MirrorContext): void {
  if (ctx.body.kind === 'once') return ctx.onSkip?.('body-not-replayable');
  const picked = ctx.pick();
  if (picked.kind === 'empty') {
    // A teed copy nobody will read: close it, so the primary stops queuing chunks for it.
    if (ctx.body.kind === 'stream') void Promise.resolve(ctx.body.body[Symbol.asyncIterator]().return?.()).catch(() => {});
    return ctx.onSkip?.('no-endpoint');
  }
  const endpoint = picked.endpoint;
  const body = ctx.body.kind === 'none' ? undefined : ctx.body.body;
  const original = ctx.request(endpoint, body);
  const host = original.headers['host'];
  const shadow: UpstreamRequest = host === undefined ? original : { ...original, headers: { ...original.headers, host: shadowHost(host) } };
  const span = ctx.tracer?.start(shadow, endpoint, 1, 'mirror');
  const request = span === undefined ? shadow : span.request;
  const controller = createLightAbortController();
  const started = ctx.clock.now();
  let done = false;
  const cancel = ctx.clock.setTimer(ctx.policy.timeoutMs ?? 5_000, () => controller.abort());
  const finish = (outcome: Outcome): void => {
    if (done) return;
    done = true;
    cancel();
    span?.end(outcome);
    ctx.observe?.(outcome);
  };
  ctx.begin?.(endpoint, started);
  let sent: Promise<unknown>;
  try {
    const send = (): ReturnType<Transport['send']> => ctx.transport.send(request, endpoint, { signal: controller.signal });
    sent = (span === undefined ? send() : span.run(send)).then((result) => {
      const now = ctx.clock.now();
      if (result.kind === 'response') {
        discardBody(result.response.body);
        finish({ kind: 'response', endpoint, status: result.response.status, latencyMs: now - started, at: now });
      } else {
        finish({ kind: 'error', endpoint, error: result.error, latencyMs: now - started, at: now });
      }
    });
  } catch {
    sent = Promise.resolve();
    const now = ctx.clock.now();
    finish({ kind: 'error', endpoint, error: 'reset', latencyMs: now - started, at: now });
  }
  sent.catch(() => {
    const now = ctx.clock.now();
    finish({ kind: 'error', endpoint, error: 'reset', latencyMs: now - started, at: now });
  });
}
