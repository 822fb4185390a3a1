/**
 * No input ever throws anything but a ConfigError: valid configs mutated at random places
 * (wrong types, missing and extra keys, NaN, ±Infinity, huge numbers, deep nesting, prototype
 * keys, strings where arrays go) either compile or are refused with issues that have paths.
 */
import { isSwitchyardError, type ConfigIssue } from '@switchyard/core';
import { createMockTransport, createTestClock } from '@switchyard/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { GatewayConfig } from './config.js';
import { createGateway } from './gateway.js';
import { RICH_CONFIG, SAMPLE_POLICIES, SMALL_CONFIGS } from './internal/sample-configs.js';
import { parseGatewayConfig } from './load-config.js';

type Json = unknown;
const SEEDS: readonly GatewayConfig[] = [RICH_CONFIG, ...SMALL_CONFIGS];
const seed = (i: number): GatewayConfig => SEEDS[i] as GatewayConfig;
const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'];

/** Every path to a value inside `value` (objects and arrays), the root included. */
function pathsOf(value: Json, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  if (Array.isArray(value)) value.forEach((v, i) => pathsOf(v, [...prefix, i], out));
  else if (typeof value === 'object' && value !== null) for (const [k, v] of Object.entries(value)) pathsOf(v, [...prefix, k], out);
  return out;
}

/** A deep copy that keeps NaN, undefined and own `__proto__` keys (so shared constants are never mutated). */
function clone(value: Json): Json {
  if (Array.isArray(value)) return Array.from({ length: value.length }, (_, i) => clone(value[i]));
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) setOwn(out, k, clone(v));
  return out;
}

/** Sets an own property, even `__proto__` (as JSON.parse does), never the prototype. */
function setOwn(target: Record<string | number, unknown>, key: string | number, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

const nasty: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(NaN, Infinity, -Infinity, -0, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, 2 ** 53, 4294967297, 0.5, -1, 0, 1, 65536, 5_000_011, 1e15 + 37),
  fc.constantFrom('', ' ', '__proto__', 'constructor', '${params.id}', '${upstream}', '/(a+)+$', 'http://', 'http://10.0.0.1:80', '*', '[', '\u0000', 'x'.repeat(300)),
  fc.constantFrom(null, undefined, true, false, [], {}, [[]], [{}], { __proto__: null }),
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.array(fc.oneof(fc.string(), fc.integer()), { maxLength: 3 }),
  fc.letrec<{ deep: unknown }>((tie) => ({ deep: fc.oneof({ depthSize: 'small' }, fc.constant({}), fc.array(tie('deep'), { maxLength: 2 }), fc.dictionary(fc.string({ maxLength: 4 }), tie('deep'), { maxKeys: 2 })) })).deep,
  fc.constant(JSON.parse('{"__proto__": {"polluted": true}}') as unknown),
  // 200 levels of nesting
  fc.constant(Array.from({ length: 200 }).reduce<unknown>((acc) => ({ a: [acc] }), 1)),
);

type Mutation =
  | { kind: 'replace'; at: number; value: unknown }
  | { kind: 'delete'; at: number }
  | { kind: 'add'; at: number; key: string; value: unknown }
  | { kind: 'wrap'; at: number }
  | { kind: 'stringify'; at: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), value: nasty }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('add' as const), at: fc.nat(), key: fc.oneof(fc.constantFrom(...PROTO_KEYS), fc.string({ maxLength: 12 })), value: nasty }),
  fc.record({ kind: fc.constant('wrap' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('stringify' as const), at: fc.nat() }),
);

function mutate(seed: Json, mutations: readonly Mutation[]): Json {
  let root = clone(seed);
  for (const m of mutations) {
    const paths = pathsOf(root);
    const path = paths[m.at % paths.length] as (string | number)[];
    const get = (p: (string | number)[]): unknown => p.reduce<unknown>((o, k) => (o as Record<string | number, unknown>)[k], root);
    const current = get(path);
    const replace = (value: unknown): void => {
      if (path.length === 0) root = value;
      else setOwn(get(path.slice(0, -1)) as Record<string | number, unknown>, path[path.length - 1] as string | number, value);
    };
    switch (m.kind) {
      case 'replace':
        replace(clone(m.value));
        break;
      case 'delete':
        if (path.length === 0) break;
        {
          const parent = get(path.slice(0, -1));
          const key = path[path.length - 1] as string | number;
          if (Array.isArray(parent)) {
            // Not splice: a mutated array may carry an own `constructor` key, and splice would
            // build its result through it (Symbol.species).
            for (let i = key as number; i < parent.length - 1; i++) parent[i] = parent[i + 1];
            parent.length--;
          }
          else delete (parent as Record<string, unknown>)[key as string];
        }
        break;
      case 'add':
        if (typeof current === 'object' && current !== null) setOwn(current as Record<string, unknown>, m.key, clone(m.value));
        break;
      case 'wrap':
        replace([current]);
        break;
      case 'stringify':
        replace(typeof current === 'string' ? [current] : JSON.stringify(current) ?? 'undefined');
        break;
    }
  }
  return root;
}

/** `undefined` when `fn` succeeded, the issues of the ConfigError it threw; anything else fails the test. */
function configErrorOf(fn: () => unknown): readonly ConfigIssue[] | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    if (!(isSwitchyardError(err) && err.code === 'SY_CONFIG_INVALID')) throw err;
    return (err as unknown as { issues: readonly ConfigIssue[] }).issues;
  }
}

function assertConfigOutcome(config: unknown): void {
  const clock = createTestClock();
  const issues = configErrorOf(() => createGateway(config as GatewayConfig, { transport: createMockTransport({ clock }), clock, policies: SAMPLE_POLICIES }));
  if (issues === undefined) return;
  expect(issues.length).toBeGreaterThan(0);
  for (const i of issues) {
    expect(typeof i.path).toBe('string');
    expect(i.path.length).toBeGreaterThan(0);
    expect(typeof i.message).toBe('string');
  }
}

describe('config fuzz', () => {
  it('createGateway either compiles a mutated config or throws a ConfigError with paths (10 000 runs)', () => {
    fc.assert(
      fc.property(fc.nat({ max: SEEDS.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 4 }), (index, mutations) => {
        assertConfigOutcome(mutate(seed(index), mutations));
      }),
      { numRuns: 10_000, seed: 18, endOnFailure: true },
    );
  }, 300_000);

  it('reload either swaps in a mutated config or throws a ConfigError and keeps the plan in force', () => {
    fc.assert(
      fc.property(fc.nat({ max: SEEDS.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 4 }), (index, mutations) => {
        const clock = createTestClock();
        const gateway = createGateway(seed(index), { transport: createMockTransport({ clock }), clock, policies: SAMPLE_POLICIES });
        const before = gateway.plan();
        const issues = configErrorOf(() => gateway.reload(mutate(seed(index), mutations) as GatewayConfig));
        if (issues === undefined) return;
        expect(issues.length).toBeGreaterThan(0);
        expect(gateway.plan()).toBe(before);
      }),
      { numRuns: 2_000, seed: 1819, endOnFailure: true },
    );
  }, 300_000);

  it('parseGatewayConfig + createGateway never throw anything but a ConfigError, for JSON and YAML text', () => {
    fc.assert(
      fc.property(fc.nat({ max: SEEDS.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 3 }), fc.boolean(), (index, mutations, yaml) => {
        const mutated = mutate(seed(index), mutations);
        const text = yaml ? toYaml(mutated) : (JSON.stringify(mutated) ?? 'null');
        const parsed = configErrorOf(() => parseGatewayConfig(text));
        if (parsed !== undefined) {
          expect(parsed.length).toBeGreaterThan(0);
          return;
        }
        assertConfigOutcome(parseGatewayConfig(text));
      }),
      { numRuns: 1_000, seed: 1818, endOnFailure: true },
    );
  }, 300_000);

  it('parseGatewayConfig refuses arbitrary text with a ConfigError, never another exception', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.constantFrom('{', '[1,', '&a [*a]', 'a: &x [*x, *x]', '!!js/function x', 'routes: !!binary x', '{"a": NaN}', '- ? : -')), (text) => {
        const issues = configErrorOf(() => createGateway(parseGatewayConfig(text), { transport: createMockTransport({ clock: createTestClock() }), policies: SAMPLE_POLICIES }));
        if (issues !== undefined) expect(issues.length).toBeGreaterThan(0);
      }),
      { numRuns: 2_000, seed: 181818 },
    );
  });
});

/** A naive YAML writer (flow style: JSON is YAML 1.2), with a block-style top level. */
function toYaml(value: unknown): string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return JSON.stringify(value) ?? 'null';
  return Object.entries(value)
    .map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v) ?? 'null'}`)
    .join('\n');
}
