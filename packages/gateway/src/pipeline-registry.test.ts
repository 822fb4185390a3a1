import { CONTINUE, ConfigError, definePolicy, isSwitchyardError, type ConfigIssue } from '@switchyard/core';
import { createMockTransport, createTestClock } from '@switchyard/testing';
import { describe, expect, it, vi } from 'vitest';
import type { GatewayConfig } from './config.js';
import { createGateway, type GatewayDeps } from './gateway.js';

// A stand-in built-in, so the registry rules can be checked before the built-ins land.
vi.mock('@switchyard/policies', () => ({
  BUILTIN_POLICIES: Object.freeze({ cors: { type: 'cors', create: () => ({ type: 'cors', finalizer: true, outbound: (r: unknown) => r }) } }),
}));

const base = (policies: NonNullable<GatewayConfig['policies']>, inbound: string[] = []): GatewayConfig => ({
  policies,
  routes: [{ name: 'r', backends: [{ upstream: 'u' }], policies: { inbound } }],
  upstreams: { u: { endpoints: [{ url: 'http://10.0.0.1:80' }] } },
});

function issuesOf(config: GatewayConfig, deps: Partial<GatewayDeps> = {}): readonly ConfigIssue[] {
  const clock = createTestClock();
  try {
    createGateway(config, { transport: createMockTransport({ clock }), clock, ...deps });
  } catch (err) {
    if (isSwitchyardError(err) && err.code === 'SY_CONFIG_INVALID') return (err as ConfigError).issues;
    throw err;
  }
  return [];
}

describe('pipeline - registry', () => {
  it('built-in types are found by name; a custom type may not shadow one', () => {
    expect(issuesOf(base({ c: { type: 'cors' } }, ['c']))).toEqual([]);
    const shadow = definePolicy({ type: 'cors', create: () => ({ type: 'cors', inbound: () => CONTINUE }) });
    expect(issuesOf(base({}), { policies: [shadow] })).toContainEqual({ path: 'deps.policies[0].type', message: '"cors" is a built-in policy type: a custom type may not shadow it (choose another name)' });
  });

  it('an options schema that validates asynchronously is a config error', () => {
    const asyncSchema = definePolicy<{ a?: number }>({
      type: 'slow',
      options: { '~standard': { version: 1, vendor: 'x', validate: async (value) => ({ value: value as { a?: number } }) } },
      create: () => ({ type: 'slow', inbound: () => CONTINUE }),
    });
    expect(issuesOf(base({ s: { type: 'slow' } }, ['s']), { policies: [asyncSchema] })).toContainEqual({ path: 'policies.s.options', message: 'the "slow" options schema validates asynchronously: only synchronous validation is supported' });
  });

  it('a factory that throws a ConfigError reports it under the instance options; another throw under the instance', () => {
    const picky = definePolicy({ type: 'picky', create: () => { throw new ConfigError([{ path: 'origins[0]', message: 'must be an origin' }]); } });
    const broken = definePolicy({ type: 'broken', create: () => { throw new Error('boom'); } });
    const issues = issuesOf(base({ p: { type: 'picky' }, b: { type: 'broken' } }, ['p', 'b']), { policies: [picky, broken] });
    expect(issues).toContainEqual({ path: 'policies.p.options.origins[0]', message: 'must be an origin' });
    expect(issues).toContainEqual({ path: 'policies.b', message: 'could not be created: boom' });
  });

  it('composites reach other instances through deps.policy(); a cycle is an error', () => {
    const pair = definePolicy<{ other: string }>({ type: 'pair', create: (o, deps) => ({ type: 'pair', inbound: () => (deps.policy(o.other), CONTINUE) }) });
    const ok = definePolicy<{ other: string }>({ type: 'wrap', create: (o, deps) => {
      const inner = deps.policy(o.other);
      return { type: 'wrap', inbound: (req, ctx) => inner?.inbound?.(req, ctx) ?? CONTINUE };
    } });
    expect(issuesOf(base({ w: { type: 'wrap', options: { other: 'c' } }, c: { type: 'cors' } }, ['w']), { policies: [pair, ok] })).toEqual([]);
    const loop = definePolicy<{ other: string }>({ type: 'loop', create: (o, deps) => (deps.policy(o.other), { type: 'loop', inbound: () => CONTINUE }) });
    expect(issuesOf(base({ a: { type: 'loop', options: { other: 'b' } }, b: { type: 'loop', options: { other: 'a' } } }, ['a']), { policies: [loop] })).toContainEqual({ path: 'policies.a', message: 'refers to itself through deps.policy(): a cycle of composite policies' });
  });
});
