import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SyRequest, SyResponse } from './http.js';
import { PipelineRun, compileLayers, type PipelineEnv, type PipelineStep } from './pipeline.js';
import type { Policy } from './policy.js';

const REQUEST: SyRequest = { method: 'GET', scheme: 'http', authority: 'a', path: '/', query: '', headers: {}, attributes: {} };
const OK: SyResponse = { status: 200, headers: {}, body: null };

function env(trace: string[]): PipelineEnv {
  let t = 0;
  return {
    clock: { now: () => t++, setTimer: () => () => {} } as unknown as PipelineEnv['clock'],
    rng: { next: () => 0.5 },
    now: 0,
    route: { name: 'r', metadata: {} },
    requestId: () => 'id',
    clientIp: () => undefined,
    trustedPeer: () => false,
    reject: (r) => ({ status: r.status ?? 401, headers: {}, body: null }),
    failed: () => ({ status: 500, headers: {}, body: null }),
    trace: (phase, name) => trace.push(`${phase === 'inbound' ? 'in' : 'out'}:${name}`),
  };
}

interface Spec {
  readonly finalizer: boolean;
  readonly async: boolean;
  readonly skip: boolean;
}
const spec = fc.record({ finalizer: fc.boolean(), async: fc.boolean(), skip: fc.boolean() });

function step(name: string, s: Spec, stop: boolean, responseOnly: boolean): PipelineStep {
  const wrap = <T,>(x: T): T | Promise<T> => (s.async ? Promise.resolve(x) : x);
  const policy: Policy = {
    type: 't',
    finalizer: s.finalizer,
    ...(responseOnly ? {} : { inbound: () => wrap(stop ? { kind: 'reject' as const, code: 'SY_UNAUTHORIZED' as const, message: 'no' } : { kind: 'continue' as const }) }),
    outbound: (res) => wrap(res),
  };
  return { name, policy, when: s.skip ? () => false : undefined };
}

describe('PipelineRun - two layers (gateway-wide, route)', () => {
  it('property: inbound in order; outbound = route list, route unwound, gateway list, gateway unwound; short-circuit and finalizer rules', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(spec, { maxLength: 4 }),
        fc.array(spec, { maxLength: 3 }),
        fc.array(spec, { maxLength: 4 }),
        fc.array(spec, { maxLength: 3 }),
        fc.option(fc.nat(), { nil: undefined }),
        async (gIn, gOut, rIn, rOut, stopSeed) => {
          const inbound = [...gIn.map((s, i) => ({ s, name: `gi${i}` })), ...rIn.map((s, i) => ({ s, name: `ri${i}` }))];
          // The step that rejects: one that is not skipped, if any.
          const candidates = inbound.map((x, i) => (x.s.skip ? -1 : i)).filter((i) => i >= 0);
          const stopAt = stopSeed === undefined || candidates.length === 0 ? -1 : (candidates[stopSeed % candidates.length] as number);
          const mk = (list: readonly Spec[], prefix: string, offset: number, responseOnly: boolean): PipelineStep[] => list.map((s, i) => step(`${prefix}${i}`, s, !responseOnly && offset + i === stopAt, responseOnly));
          const pipeline = compileLayers([
            { inbound: mk(gIn, 'gi', 0, false), outbound: mk(gOut, 'go', 0, true) },
            { inbound: mk(rIn, 'ri', gIn.length, false), outbound: mk(rOut, 'ro', 0, true) },
          ]);
          const trace: string[] = [];
          const run = new PipelineRun(pipeline, REQUEST, env(trace));
          const result = await run.runInbound();
          const response = result.kind === 'respond' ? result.response : OK;
          await run.runOutbound(response);

          // The model.
          const passed = stopAt === -1 ? inbound.length : stopAt; // inbound steps passed
          const expected: string[] = [];
          inbound.forEach((x, i) => {
            if (i <= (stopAt === -1 ? inbound.length - 1 : stopAt) && !x.s.skip) expected.push(`in:${x.name}`);
          });
          const unwind = (from: number, to: number): void => {
            for (let k = to - 1; k >= from; k--) {
              const x = inbound[k] as (typeof inbound)[number];
              if (x.s.skip) continue;
              if (k < passed || x.s.finalizer) expected.push(`out:${x.name}`);
            }
          };
          const responseOnly = (list: readonly Spec[], prefix: string, gate: number): void =>
            list.forEach((s, i) => {
              if (!s.skip && (passed >= gate || s.finalizer)) expected.push(`out:${prefix}${i}`);
            });
          responseOnly(rOut, 'ro', inbound.length);
          unwind(gIn.length, inbound.length);
          responseOnly(gOut, 'go', gIn.length);
          unwind(0, gIn.length);
          expect(trace).toEqual(expected);
          expect(result.kind).toBe(stopAt === -1 ? 'continue' : 'respond');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('copies attributes on write and removes keys set to undefined; the route attribute stays', () => {
    const setter = (attributes: Record<string, unknown>): PipelineStep => ({ name: 'x', policy: { type: 't', inbound: () => ({ kind: 'continue', attributes }) }, when: undefined });
    const pipeline = compileLayers([{ inbound: [setter({ a: 1, route: 'evil' }), { ...setter({ a: undefined, b: 2 }), name: 'y' }], outbound: [] }]);
    const original = { route: 'r', keep: true };
    const run = new PipelineRun(pipeline, { ...REQUEST, attributes: original }, env([]));
    expect(run.runInbound()).toEqual({ kind: 'continue' });
    expect(run.request.attributes).toEqual({ route: 'r', keep: true, b: 2 });
    expect(original).toEqual({ route: 'r', keep: true });
  });
});
