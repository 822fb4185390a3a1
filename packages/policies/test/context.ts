/**
 * A tiny pipeline stand-in for the policies' unit tests: validates options through the
 * definition's Standard Schema (as the pipeline does), creates the instance, and builds a
 * PolicyContext on the fake clock. The gateway's own harness runs policies in a real pipeline.
 */
import type { Identity, Policy, PolicyContext, PolicyDefinition, SyRequest } from '@switchyard/core';
import { createTestClock, seededRng, type TestClock } from '@switchyard/testing';

/** Validates `input` with the definition's schema; throws with every issue and its path. */
export function validate<O>(def: PolicyDefinition<O>, input: unknown): O {
  const schema = def.options;
  if (schema === undefined) return input as O;
  const r = schema['~standard'].validate(input);
  if (r instanceof Promise) throw new Error('async validation');
  if (r.issues !== undefined) {
    throw new Error(r.issues.map((i) => `${(i.path ?? []).map((p) => String(typeof p === 'object' ? p.key : p)).join('.')}: ${i.message}`).join('\n'));
  }
  return r.value;
}

/** Builds an instance named `name`; `others` are what `deps.policy(name)` finds. */
export function build<O>(def: PolicyDefinition<O>, input: unknown, opts: { name?: string; clock?: TestClock; others?: Record<string, Policy> } = {}): Policy {
  const clock = opts.clock ?? createTestClock();
  return def.create(validate(def, input), { name: opts.name ?? def.type, clock, rng: seededRng(1), policy: (n) => opts.others?.[n] });
}

export interface CtxInput {
  readonly clock: TestClock;
  readonly policy?: string;
  readonly identity?: Identity | undefined;
  readonly attributes?: Record<string, unknown>;
  readonly clientIp?: string | undefined;
}

export function ctx(input: CtxInput): PolicyContext {
  return {
    requestId: 'req-1',
    route: { name: 'r', metadata: {} },
    policy: input.policy ?? 'p',
    clock: input.clock,
    rng: seededRng(1),
    now: input.clock.now(),
    identity: input.identity,
    attributes: input.attributes ?? {},
    backend: undefined,
    clientIp: input.clientIp,
    trustedPeer: false,
    geo: () => undefined,
  };
}

export function request(overrides: Partial<SyRequest> = {}): SyRequest {
  return { method: 'GET', scheme: 'https', authority: 'api.example.com', path: '/orders', query: '', headers: {}, attributes: {}, clientAddress: '203.0.113.7', ...overrides };
}
