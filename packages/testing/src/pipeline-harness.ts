/**
 * Policies without a gateway: run one policy or a list against a {@link SyRequest} on the fake
 * clock, through the same run loop the gateway uses (core's `PipelineRun`), and look at what
 * came out: the result, what the policies changed (request, attributes, identity, backend),
 * the response after the outbound side, and the order the policies ran in.
 */
import {
  ERROR_STATUS,
  PipelineRun,
  compileLayers,
  type Clock,
  type GeoSource,
  type Identity,
  type PipelineStep,
  type Policy,
  type PolicyDefinition,
  type PolicyReject,
  type PolicyRoute,
  type Rng,
  type SyRequest,
  type SyResponse,
  type Transport,
} from '@switchyard/core';
import { seededRng } from './seeded-rng.js';
import { createTestClock } from './test-clock.js';

/** One policy of a harness: an instance, or a definition with its options (validated as the gateway does). */
export type HarnessPolicy =
  | Policy
  | {
      readonly name?: string;
      readonly policy: Policy;
      readonly when?: (request: SyRequest) => boolean;
    }
  | {
      readonly name?: string;
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any definition, whatever its options type
      readonly definition: PolicyDefinition<any>;
      readonly options?: unknown;
      readonly when?: (request: SyRequest) => boolean;
    };

// Deliberately alike: gateway/src/config.ts (RetryConfig) — two option lists; only the declaration shape is shared.
/** Options of {@link createPipelineHarness}. */
export interface PipelineHarnessOptions {
  /** The inbound list, in order. */
  readonly policies?: readonly HarnessPolicy[];
  /** The response-only list, in order (run before the inbound ones unwind). */
  readonly outbound?: readonly HarnessPolicy[];
  /** Default: a fresh `createTestClock()`. */
  readonly clock?: Clock;
  /** Default: `seededRng(1)`. */
  readonly rng?: Rng;
  /**
   * Handed to `{ definition, options }` entries as `deps.transport`, as the gateway hands them its
   * own (e.g. `createTestJwks(...).transport` for a `jwt` provider with a `jwksUri`). Default: none.
   */
  readonly transport?: Transport;
  readonly geoSource?: GeoSource;
  /** What `ctx.route` shows (default `{ name: 'test', metadata: {} }`). */
  readonly route?: PolicyRoute;
  /** `ctx.clientIp` (default: the request's `clientAddress`). */
  readonly clientIp?: string;
  /** `ctx.trustedPeer` (default false). */
  readonly trustedPeer?: boolean;
  /** `ctx.requestId` (default: the request's `x-request-id`, else `test-request-id`). */
  readonly requestId?: string;
}

/** What one request through the harness gave. */
export interface HarnessResult {
  /** `continue`: every inbound policy let the request through (and `upstream` answered). */
  readonly outcome: 'continue' | 'respond';
  /** The policy that answered, for `respond`. */
  readonly stoppedBy: string | undefined;
  /** A `reject` as the policy returned it (code, message, headers, detail), before formatting. */
  readonly rejection: PolicyReject | undefined;
  /** What a policy threw, if one did (the response is then a 500). */
  readonly error: unknown;
  /** The request as the inbound policies left it. */
  readonly request: SyRequest;
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly identity: Identity | undefined;
  readonly backend: string | undefined;
  /** The response after the outbound side. */
  readonly response: SyResponse;
  /** `in:<name>` and `out:<name>`, in the order they ran. */
  readonly trace: readonly string[];
}

/** A pipeline to run requests through (see {@link createPipelineHarness}). */
export interface PipelineHarness {
  /** The policy instances by name. */
  readonly policies: ReadonlyMap<string, Policy>;
  /**
   * Runs `request` through the inbound list, then (if it got through) `upstream` (default: an
   * empty 200), then the outbound side. Reject answers are formatted as
   * `{ error, message, requestId }` JSON with the policy's status and headers.
   */
  run(request: SyRequest, options?: { readonly upstream?: SyResponse | ((request: SyRequest) => SyResponse | Promise<SyResponse>) }): Promise<HarnessResult>;
  /** Calls every instance's `close()`. */
  close(): Promise<void>;
}

const EMPTY_200: SyResponse = Object.freeze({ status: 200, headers: Object.freeze({}), body: null });

function toStep(p: HarnessPolicy, index: number, deps: { clock: Clock; rng: Rng; transport: Transport | undefined; built: Map<string, Policy> }, prefix: string): PipelineStep {
  if ('definition' in p) {
    const name = p.name ?? `${p.definition.type}-${prefix}${index}`;
    let options = p.options;
    const schema = p.definition.options;
    if (schema !== undefined) {
      const result = schema['~standard'].validate(p.options ?? {});
      if (typeof (result as { then?: unknown }).then === 'function') throw new Error(`${name}: the options schema validates asynchronously (the gateway refuses it)`);
      const r = result as Exclude<typeof result, Promise<unknown>>;
      if (r.issues !== undefined) throw new Error(`${name}: invalid options: ${r.issues.map((i) => `${(i.path ?? []).map((k) => String(typeof k === 'object' ? k.key : k)).join('.') || '(root)'}: ${i.message}`).join('; ')}`);
      options = r.value;
    }
    const policy = p.definition.create(options, { name, clock: deps.clock, rng: deps.rng, transport: deps.transport, policy: (other) => deps.built.get(other) });
    deps.built.set(name, policy);
    return { name, policy, when: p.when };
  }
  if ('policy' in p && typeof p.policy === 'object') {
    const name = p.name ?? `${p.policy.type}-${prefix}${index}`;
    deps.built.set(name, p.policy);
    return { name, policy: p.policy, when: p.when };
  }
  const policy = p as Policy;
  const name = `${policy.type}-${prefix}${index}`;
  deps.built.set(name, policy);
  return { name, policy, when: undefined };
}

/**
 * Builds a harness over a list of policies.
 *
 * @example
 * ```ts
 * import { createPipelineHarness } from '@switchyard/testing';
 * const harness = createPipelineHarness({ policies: [{ definition: pickRegion, options: { header: 'x-region' } }] });
 * const r = await harness.run({ method: 'GET', scheme: 'https', authority: 'a', path: '/', query: '',
 *   headers: { 'x-region': 'eu' }, attributes: {} });
 * r.backend; // 'eu'
 * ```
 */
export function createPipelineHarness(options: PipelineHarnessOptions = {}): PipelineHarness {
  const clock = options.clock ?? createTestClock();
  const rng = options.rng ?? seededRng(1);
  const built = new Map<string, Policy>();
  const inbound = (options.policies ?? []).map((p, i) => toStep(p, i, { clock, rng, transport: options.transport, built }, ''));
  const outbound = (options.outbound ?? []).map((p, i) => toStep(p, i, { clock, rng, transport: options.transport, built }, 'out'));
  const pipeline = compileLayers([{ inbound, outbound }]);
  const route = options.route ?? { name: 'test', metadata: {} };

  return {
    policies: built,
    async run(request, runOptions = {}) {
      const trace: string[] = [];
      let rejection: PolicyReject | undefined;
      let error: unknown;
      const run: PipelineRun = new PipelineRun(pipeline, request, {
        clock,
        rng,
        now: clock.now(),
        route,
        requestId: () => options.requestId ?? request.headers['x-request-id'] ?? 'test-request-id',
        clientIp: () => options.clientIp ?? request.clientAddress,
        trustedPeer: () => options.trustedPeer ?? false,
        geoSource: options.geoSource,
        reject: (r): SyResponse => {
          rejection = r;
          return { status: r.status ?? ERROR_STATUS[r.code], headers: { 'content-type': 'application/json', ...r.headers }, body: JSON.stringify({ error: r.code, message: r.message, requestId: run.requestId() }) };
        },
        failed: (err): SyResponse => {
          error = err;
          return { status: 500, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: 'SY_INTERNAL', message: 'The gateway failed to process the request.', requestId: run.requestId() }) };
        },
        trace: (phase, name) => trace.push(`${phase === 'inbound' ? 'in' : 'out'}:${name}`),
      });
      const result = await run.runInbound();
      let response: SyResponse;
      if (result.kind === 'respond') response = result.response;
      else {
        const upstream = runOptions.upstream;
        response = upstream === undefined ? EMPTY_200 : typeof upstream === 'function' ? await upstream(run.request) : upstream;
      }
      const after = await run.runOutbound(response);
      return {
        outcome: result.kind,
        stoppedBy: result.kind === 'respond' ? result.policy : undefined,
        rejection,
        error,
        request: run.request,
        attributes: run.request.attributes,
        identity: run.identity,
        backend: run.backend,
        response: after,
        trace,
      };
    },
    async close() {
      for (const p of built.values()) await p.close?.();
    },
  };
}

/** What {@link assertRouteOrder} reads: `gateway.explain(route)` (structurally, no gateway import). */
export interface ExplainsRoutes {
  explain(route: string): { readonly inbound: readonly { readonly kind: string; readonly name: string }[]; readonly outbound: readonly { readonly name: string }[] } | undefined;
}

/**
 * Asserts the compiled order of one route (`policies.md` §7 #5: the plan is testable):
 * `inbound` the policy names in inbound order, `steps` (optional) every step including the
 * built-in stages (`limits`, `split`, …), `outbound` (optional) the outbound order. Throws an
 * Error showing both orders when they differ.
 *
 * @example
 * ```ts
 * assertRouteOrder(gateway, 'orders', { inbound: ['api-key', 'per-consumer'], outbound: ['per-consumer', 'api-key'] });
 * ```
 */
export function assertRouteOrder(gateway: ExplainsRoutes, route: string, expected: { readonly inbound?: readonly string[]; readonly steps?: readonly string[]; readonly outbound?: readonly string[] }): void {
  const plan = gateway.explain(route);
  if (plan === undefined) throw new Error(`assertRouteOrder: no route named ${JSON.stringify(route)}`);
  const actual = {
    inbound: plan.inbound.filter((s) => s.kind === 'policy').map((s) => s.name),
    steps: plan.inbound.map((s) => s.name),
    outbound: plan.outbound.map((s) => s.name),
  };
  for (const key of ['inbound', 'steps', 'outbound'] as const) {
    const want = expected[key];
    if (want === undefined) continue;
    const got = actual[key];
    if (want.length !== got.length || want.some((n, i) => got[i] !== n)) {
      throw new Error(`route ${JSON.stringify(route)}: ${key} order is [${got.join(', ')}], expected [${want.join(', ')}]\n${String(plan)}`);
    }
  }
}
