import Ajv from 'ajv';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import published from '../gateway.schema.json' with { type: 'json' };
import { gatewayJsonSchema } from '../scripts/json-schema.js';
import { structuralIssues } from './config.js';
import { RICH_CONFIG, SMALL_CONFIGS } from './internal/sample-configs.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every node of a JSON Schema that describes an object (`type: 'object'`), with its pointer. */
function objectNodes(node: unknown, at = '#', out: { at: string; node: Record<string, unknown> }[] = []): typeof out {
  if (Array.isArray(node)) node.forEach((n, i) => objectNodes(n, `${at}/${i}`, out));
  else if (typeof node === 'object' && node !== null) {
    const n = node as Record<string, unknown>;
    if (n['type'] === 'object') out.push({ at, node: n });
    for (const [k, v] of Object.entries(n)) objectNodes(v, `${at}/${k}`, out);
  }
  return out;
}

const SEEDS = [RICH_CONFIG, ...SMALL_CONFIGS] as unknown as Json[];

function pathsOf(value: Json, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  if (Array.isArray(value)) value.forEach((v, i) => pathsOf(v, [...prefix, i], out));
  else if (typeof value === 'object' && value !== null) for (const [k, v] of Object.entries(value)) pathsOf(v, [...prefix, k], out);
  return out;
}

const jsonValue: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(null, true, false, 0, -1, 1, 1.5, 100, 301, 65537, 1e300, '', 'x', 'round-robin', 'Template', 'sliding-window', 'client-ip', 'preserve', [], {}, ['x'], [{}]),
  fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
);

type Edit = { kind: 'set'; at: number; value: Json } | { kind: 'delete'; at: number } | { kind: 'add'; at: number; key: string; value: Json };
const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: jsonValue }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('add' as const), at: fc.nat(), key: fc.oneof(fc.constantFrom('__proto__', 'constructor', 'timeoutMS', 'name', 'header', 'kind', 'policy', 'value'), fc.string({ maxLength: 6 })), value: jsonValue }),
);

/** A seed with JSON edits applied, as the text of a document would parse (`__proto__` an own key). */
function edited(seed: Json, edits: readonly Edit[]): Json {
  let root = JSON.parse(JSON.stringify(seed)) as Json;
  for (const original of edits) {
    // fast-check may hand the same value to several runs: never insert it, insert a copy.
    const e = 'value' in original ? { ...original, value: JSON.parse(JSON.stringify(original.value)) as Json } : original;
    const paths = pathsOf(root);
    const path = paths[e.at % paths.length] as (string | number)[];
    const get = (p: (string | number)[]): Json => p.reduce<Json>((o, k) => (o as Record<string | number, Json>)[k] as Json, root);
    const parent = path.length === 0 ? undefined : (get(path.slice(0, -1)) as Record<string | number, Json>);
    const key = path[path.length - 1] as string | number;
    if (e.kind === 'set') {
      if (parent === undefined) root = e.value;
      else Object.defineProperty(parent, key, { value: e.value, enumerable: true, writable: true, configurable: true });
    } else if (e.kind === 'delete') {
      if (parent === undefined) continue;
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key];
    } else {
      const target = get(path);
      if (typeof target === 'object' && target !== null && !Array.isArray(target)) Object.defineProperty(target, e.key, { value: e.value, enumerable: true, writable: true, configurable: true });
    }
  }
  // Through JSON text and back, as a document would arrive.
  return JSON.parse(JSON.stringify(root) ?? 'null') as Json;
}

describe('published JSON Schema', () => {
  const schema = gatewayJsonSchema();

  it('is generated from the current valibot schema (run `pnpm --filter @switchyard/gateway schema`)', () => {
    expect(published).toEqual(JSON.parse(JSON.stringify(schema)));
  });

  it('describes every object node with its properties and additionalProperties: false (maps: their value schema)', () => {
    const nodes = objectNodes(schema);
    expect(nodes.length).toBeGreaterThan(100);
    for (const { at, node } of nodes) {
      if ('propertyNames' in node) {
        // A map (upstreams, limits, headers…): names are free, values are described.
        expect(typeof node['additionalProperties'], at).toBe('object');
      } else {
        expect(node['additionalProperties'], at).toBe(false);
        expect(typeof node['properties'], at).toBe('object');
      }
    }
  });

  it('accepts every sample config, which the validator accepts too', () => {
    const ajv = new Ajv({ allErrors: true, strict: false });
    const validate = ajv.compile(schema);
    for (const config of SEEDS) {
      expect(structuralIssues(config)).toEqual([]);
      expect(validate(config), JSON.stringify(validate.errors)).toBe(true);
    }
  });

  it('agrees with the validator on generated valid and invalid configs', () => {
    const ajv = new Ajv({ allErrors: false, strict: false });
    const validate = ajv.compile(schema);
    let valid = 0;
    let invalid = 0;
    fc.assert(
      fc.property(fc.nat({ max: SEEDS.length - 1 }), fc.array(edit, { minLength: 0, maxLength: 3 }), (i, edits) => {
        const config = edited(SEEDS[i] as Json, edits);
        const byValidator = structuralIssues(config).length === 0;
        const bySchema = validate(config);
        if (byValidator) valid++;
        else invalid++;
        expect(bySchema, `${JSON.stringify(config)}\nschema: ${JSON.stringify(validate.errors)}\nvalidator: ${JSON.stringify(structuralIssues(config))}`).toBe(byValidator);
      }),
      { numRuns: 2_000, seed: 5 },
    );
    // Both sides of the agreement were exercised.
    expect(valid).toBeGreaterThan(200);
    expect(invalid).toBeGreaterThan(200);
  });
});
