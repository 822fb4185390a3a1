import { toJsonSchema } from '@valibot/to-json-schema';
import { describe, expect, it } from 'vitest';
import published from '../gateway.schema.json' with { type: 'json' };
import { gatewayConfigSchema } from './config.js';

describe('published JSON Schema', () => {
  it('is generated from the current valibot schema (run `pnpm --filter @switchyard/gateway schema`)', () => {
    const { $id: _id, title: _title, ...rest } = published as Record<string, unknown>;
    expect(rest).toEqual(JSON.parse(JSON.stringify(toJsonSchema(gatewayConfigSchema, { errorMode: 'ignore' }))));
  });
});
