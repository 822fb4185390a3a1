/**
 * `gateway.handle`, full-proxy mode: one request from start to the response the client gets.
 * Its span (tracing.ts), the plan it starts on (counted in flight: plans.ts), the steps before
 * the upstream (prepare.ts), the upstream (proxy.ts), the outbound policies on every status
 * (routes with policies), then the request's metric, its `request` event, the span's end and
 * `finalize` (responses.ts). Exactly one response per request whatever fails.
 */
import type { PipelineRun, SyRequest, SyResponse } from '@switchyard/core';
import type { GatewayPlan } from './compile.js';
import type { GatewayContext } from './context.js';
import type { HandleOptions } from './gateway.js';
import { ServerRequestSeries } from './metrics.js';
import type { Plans } from './plans.js';
import type { Prepared } from './prepare.js';
import type { ProxyResult } from './proxy.js';
import { errorContextOf, errorResponse, responseCode, type Finalize } from './responses.js';
import type { GatewayTracing, ServerSpan } from './tracing.js';

/** The gateway's `handle(request, options)`. */
export function createHandler(
  ctx: GatewayContext,
  parts: {
    readonly plans: Plans;
    readonly prepare: (req: SyRequest, p: GatewayPlan) => Prepared | Promise<Prepared>;
    readonly proxy: (prepared: Extract<Prepared, { kind: 'continue' }>, p: GatewayPlan, options: HandleOptions, span: ServerSpan | undefined) => Promise<ProxyResult>;
    readonly finalize: Finalize;
    readonly tracing: GatewayTracing | undefined;
  },
): (req: SyRequest, options?: HandleOptions) => Promise<SyResponse> {
  const { clock, metrics, listeners, emit } = ctx;
  const { prepare, proxy, finalize, tracing } = parts;
  const { current, enter, leave } = parts.plans;

  // The `http.server.request.duration` series per route, so the hot path allocates no labels
  // (OpenTelemetry HTTP semantic conventions; see metrics.ts for the names).
  const routeSeries = new Map<string | undefined, ServerRequestSeries>();
  function routeMetrics(route: string | undefined): ServerRequestSeries {
    let m = routeSeries.get(route);
    if (m === undefined) {
      m = new ServerRequestSeries(metrics, route);
      routeSeries.set(route, m);
    }
    return m;
  }

  function handle(req: SyRequest, options: HandleOptions = {}): Promise<SyResponse> {
    // The request's span, when an OpenTelemetry SDK is there (tracing.ts): active while it runs.
    const span = tracing?.startServer(req);
    return span === undefined ? handleOn(req, options, undefined) : span.run(() => handleOn(req, options, span));
  }

  async function handleOn(req: SyRequest, options: HandleOptions, span: ServerSpan | undefined): Promise<SyResponse> {
    const p = current(); // in-flight requests finish on the plan they started with
    const started = clock.now();
    let routeName: string | undefined;
    let result: ProxyResult;
    enter(p);
    try {
      const pending = prepare(req, p);
      const prepared = pending instanceof Promise ? await pending : pending;
      routeName = prepared.route?.name;
      // `p.hasPolicies` first: a config without policies never reads `run` (a missing property).
      result = p.hasPolicies && prepared.run !== undefined ? await withOutbound(prepared, prepared.run, p, options, req, span) : prepared.kind === 'respond' ? { response: prepared.response, tries: 0 } : await proxy(prepared, p, options, span);
    } catch (err) {
      // A bug, not an expected outcome: still exactly one response.
      result = { response: errorResponse('SY_INTERNAL', `internal error: ${err instanceof Error ? err.message : String(err)}`, undefined, undefined, routeName === undefined ? undefined : { route: routeName }), tries: 0, code: 'internal' };
    } finally {
      leave(p);
    }
    const latencyMs = clock.now() - started;
    const status = result.response.status;
    // `error.type` is only wanted for 5xx: read the gateway's code (a symbol lookup) only then.
    routeMetrics(routeName)
      .handle(req.scheme, req.method, status, status >= 500 ? responseCode(result.response) : undefined)
      .record(latencyMs);
    if (listeners.size > 0) emit({ kind: 'request', at: clock.now(), route: routeName, method: req.method, path: req.path, status, latencyMs, backend: result.backend, endpoint: result.endpoint, tries: result.tries, code: result.code });
    if (span !== undefined) {
      const context = status >= 400 ? errorContextOf(result.response) : undefined;
      const rule = status === 429 ? context?.detail?.['rule'] : undefined;
      span.end({ status, route: routeName, backend: result.backend, endpoint: result.endpoint, version: result.version, tries: result.tries, code: responseCode(result.response) ?? result.code, rule: typeof rule === 'string' ? rule : undefined, policy: context?.policy });
    }
    return finalize(result.response, req.headers, p);
  }

  /**
   * `handle` on a request with policies: the answer (or the upstream's), then the outbound side
   * on every status (policies.md §7 #8; never throws), finalized with the request id the
   * policies saw (an already finalized response goes through `finalize` unchanged).
   */
  async function withOutbound(prepared: Prepared, run: PipelineRun, p: GatewayPlan, options: HandleOptions, req: SyRequest, span: ServerSpan | undefined): Promise<ProxyResult> {
    let result: ProxyResult;
    try {
      result = prepared.kind === 'respond' ? { response: prepared.response, tries: 0 } : await proxy(prepared, p, options, span);
    } catch (err) {
      result = { response: errorResponse('SY_INTERNAL', `internal error: ${err instanceof Error ? err.message : String(err)}`), tries: 0, code: 'internal' };
    }
    const out = run.runOutbound(result.response);
    result.response = finalize(out instanceof Promise ? await out : out, req.headers, p, run.requestIdIfKnown);
    return result;
  }

  return handle;
}
