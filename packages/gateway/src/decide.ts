/**
 * Decide-only mode (`gateway.decide`, `gateway.decideNow`): the steps of prepare.ts without
 * forwarding, as a {@link Decision} for middleware that calls `next()`. Synchronous when every
 * step is (`decideNow` returns the decision itself), else a promise of it.
 */
import type { PipelineRun, SyRequest, SyResponse } from '@switchyard/core';
import type { GatewayPlan } from './compile.js';
import type { Decision } from './gateway.js';
import type { Plans } from './plans.js';
import type { Prepared } from './prepare.js';
import type { Finalize } from './responses.js';

/** The response decide mode runs finalizers over: they add headers to `Decision.headers`. */
const DECIDE_PLACEHOLDER: SyResponse = Object.freeze({ status: 200, headers: Object.freeze({}), body: null });

/** A `continue` decision: what prepare.ts chose, with the headers for the app's response. */
function continued(prepared: Extract<Prepared, { kind: 'continue' }>, headers: Readonly<Record<string, string>>): Decision {
  return {
    kind: 'continue',
    route: prepared.route.name,
    params: prepared.params,
    path: prepared.request.path,
    backend: prepared.backend?.name,
    variant: prepared.variant,
    headers,
    request: prepared.request,
  };
}

/** The gateway's `decide` and `decideNow`. */
export function createDecider(parts: {
  readonly plans: Plans;
  readonly prepare: (req: SyRequest, p: GatewayPlan) => Prepared | Promise<Prepared>;
  readonly finalize: Finalize;
}): { decide(req: SyRequest): Promise<Decision>; decideNow(req: SyRequest): Decision | Promise<Decision> } {
  const { prepare, finalize } = parts;
  const { current, enter, leave } = parts.plans;

  /**
   * An answer of the gateway's (a policy's 401, a 429, …) goes through the outbound side as in
   * `handle`. A `continue` cannot show the outbound policies the response (the app makes it
   * after `next()`): only the finalizers run, over an empty 200, and the headers they set are
   * added to `Decision.headers` for the adapter to put on the app's response.
   */
  function toDecision(prepared: Prepared, req: SyRequest): Decision | Promise<Decision> {
    const run = prepared.run;
    return run !== undefined ? policyDecision(prepared, run, req) : plainDecision(prepared, req);
  }

  /**
   * The decision of a request no policy ran on. Called directly when the plan has no policies:
   * it never reads `prepared.run`, a property those `Prepared` objects do not have (a missing-
   * property load on several object shapes, measurable in `_gateway-hotpath decideNow` under callgrind).
   */
  function plainDecision(prepared: Prepared, req: SyRequest): Decision {
    if (prepared.kind === 'respond') return { kind: 'respond', response: finalize(prepared.response, req.headers) };
    return continued(prepared, prepared.headers);
  }

  function policyDecision(prepared: Prepared, run: PipelineRun, req: SyRequest): Decision | Promise<Decision> {
    if (prepared.kind === 'respond') {
      const out = run.runOutbound(prepared.response);
      return out instanceof Promise ? out.then((r) => ({ kind: 'respond', response: finalize(r, req.headers, current(), run.requestIdIfKnown) })) : { kind: 'respond', response: finalize(out, req.headers, current(), run.requestIdIfKnown) };
    }
    const out = run.runOutbound(DECIDE_PLACEHOLDER, true);
    return out instanceof Promise ? out.then((r) => continueDecision(prepared, r)) : continueDecision(prepared, out);
  }

  function continueDecision(prepared: Extract<Prepared, { kind: 'continue' }>, finalized: SyResponse | undefined): Decision {
    let headers = prepared.headers;
    if (finalized !== undefined && finalized.headers !== DECIDE_PLACEHOLDER.headers) {
      const added: Record<string, string> = { ...headers };
      for (const [name, value] of Object.entries(finalized.headers)) if (typeof value === 'string') added[name] = value;
      else if (Array.isArray(value)) added[name] = (value as readonly string[]).join(', ');
      headers = added;
    }
    return continued(prepared, headers);
  }

  function decide(req: SyRequest): Promise<Decision> {
    const d = decideNow(req);
    return d instanceof Promise ? d : Promise.resolve(d);
  }

  function decideNow(req: SyRequest): Decision | Promise<Decision> {
    const p = current();
    // Without policies nothing is counted in flight (no instances to close on reload): the
    // path before the pipeline existed, with no finally and no closures.
    if (!p.hasPolicies) {
      try {
        const pending = prepare(req, p);
        return pending instanceof Promise ? pending.then((x) => plainDecision(x, req)) : plainDecision(pending, req);
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
    }
    enter(p);
    let settled = true;
    try {
      const pending = prepare(req, p);
      const d = pending instanceof Promise ? pending.then((x) => toDecision(x, req)) : toDecision(pending, req);
      if (d instanceof Promise) {
        settled = false;
        d.then(
          () => leave(p),
          () => leave(p),
        );
      }
      return d;
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    } finally {
      if (settled) leave(p);
    }
  }

  return { decide, decideNow };
}
