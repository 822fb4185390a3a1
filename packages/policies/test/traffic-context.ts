/**
 * A tiny local context for calling the traffic policies' `inbound` / `outbound` directly, on the
 * fake clock (the gateway's pipeline harness is the integration-level tool).
 */
import type { GeoInfo, Identity, PolicyContext, PolicyDefinition, PolicyFactoryDeps, SyRequest } from '@switchyard/core';
import { createTestClock, seededRng } from '@switchyard/testing';

/** What a test may set on the context. */
export interface ContextInit {
  readonly clientIp?: string | undefined;
  readonly trustedPeer?: boolean;
  readonly identity?: Identity | undefined;
  readonly attributes?: Readonly<Record<string, unknown>>;
  readonly backend?: string | undefined;
  readonly geo?: GeoInfo | undefined;
  readonly requestId?: string;
  readonly route?: string;
}

/** A {@link PolicyContext} with test values. `geo()` returns `init.geo`, or `attributes.geo` when set. */
export function policyContext(init: ContextInit = {}): PolicyContext {
  const clock = createTestClock();
  const attributes = init.attributes ?? {};
  return {
    requestId: init.requestId ?? 'req-1',
    route: { name: init.route ?? 'r1', metadata: {} },
    policy: 'p1',
    clock,
    rng: seededRng(1),
    now: clock.now(),
    identity: init.identity,
    attributes,
    backend: init.backend,
    clientIp: init.clientIp,
    trustedPeer: init.trustedPeer ?? false,
    geo: () => (attributes['geo'] as GeoInfo | undefined) ?? init.geo,
  };
}

/** A request with defaults (`GET https://api.example.com/`). */
export function syRequest(init: Partial<SyRequest> = {}): SyRequest {
  return { method: 'GET', scheme: 'https', authority: 'api.example.com', path: '/', query: '', headers: {}, attributes: {}, ...init };
}

/** Factory deps for `definition.create`. */
export function deps(name = 'p1'): PolicyFactoryDeps {
  return { name, clock: createTestClock(), rng: seededRng(1), policy: () => undefined };
}

/** Validates options with the definition's Standard Schema (synchronously) and returns the issues or the value. */
export function validate<O>(definition: PolicyDefinition<O>, input: unknown): { ok: true; value: O } | { ok: false; issues: { message: string; path: string }[] } {
  const schema = definition.options;
  if (schema === undefined) return { ok: true, value: input as O };
  const result = schema['~standard'].validate(input);
  if (result instanceof Promise) throw new Error('async validation');
  if (result.issues !== undefined) {
    return {
      ok: false,
      issues: result.issues.map((i) => ({
        message: i.message,
        path: (i.path ?? []).map((p) => String(typeof p === 'object' && p !== null && 'key' in p ? p.key : p)).join('.'),
      })),
    };
  }
  return { ok: true, value: result.value };
}

/** Validates then creates: the way the gateway builds an instance from config. */
export function createFrom<O>(definition: PolicyDefinition<O>, input: unknown) {
  const r = validate(definition, input);
  if (!r.ok) throw new Error(`invalid options: ${r.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  return definition.create(r.value, deps());
}

/** The value of a policy call that must be synchronous (every traffic policy is). */
export function sync<T>(value: T | Promise<T>): T {
  if (value instanceof Promise) throw new Error('expected a synchronous result');
  return value;
}
