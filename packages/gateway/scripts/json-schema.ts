/**
 * The JSON Schema of the gateway config, from the valibot schema: every object node with its
 * `properties` and `additionalProperties: false`, the shape-chosen nodes (`{ header } |
 * { cookie } | …`, `'preserve' | { literal } | …`) as `anyOf` their options. Shared by
 * `write-schema.ts` and the tests that prove the published file current and in agreement
 * with the validator.
 */
import { toJsonSchema, type ConversionConfig } from '@valibot/to-json-schema';
import type { GenericSchema } from 'valibot';
import { gatewayConfigSchema, RESERVED_KEYS, type AnyOfSchema } from '../src/config.js';

type JsonSchema = Record<string, unknown>;

const config: ConversionConfig = {
  // `finite` and the array guards have no JSON Schema form (JSON has no NaN, and `type:
  // object` already excludes arrays); the last schema of a pipe is the node's shape.
  errorMode: 'ignore',
  typeMode: 'output',
  overrideSchema: ({ valibotSchema, jsonSchema }) => {
    const options = (valibotSchema as Partial<AnyOfSchema>).switchyardAnyOf;
    if (options !== undefined) return { anyOf: options.map(convert) };
    // The validator's maps refuse the names JavaScript objects reserve.
    // A map keyed by a schema of its own (`errors.responses`: codes, statuses, `default`) keeps it.
    if (valibotSchema.type === 'record' && (valibotSchema as unknown as { key: { type: string } }).key.type !== 'string') return undefined;
    if (valibotSchema.type === 'record') return { ...jsonSchema, propertyNames: { type: 'string', not: { enum: [...RESERVED_KEYS] } } };
    return undefined;
  },
};

function convert(schema: GenericSchema): JsonSchema {
  const { $schema: _s, $defs: _d, ...rest } = toJsonSchema(schema, config) as JsonSchema;
  return rest;
}

/** The published JSON Schema (draft-07) of {@link gatewayConfigSchema}. */
export function gatewayJsonSchema(): JsonSchema {
  const { $defs: _unused, ...schema } = toJsonSchema(gatewayConfigSchema, config) as JsonSchema;
  if (JSON.stringify(schema).includes('"$ref"')) throw new Error('the gateway JSON Schema must not use $ref (every node is inlined)');
  return { $id: 'https://switchyard.dev/schemas/gateway.schema.json', title: 'switchyard gateway config', ...schema };
}
