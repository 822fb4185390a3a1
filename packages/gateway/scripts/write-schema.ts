/**
 * Writes docs/gateway.schema.json, the JSON Schema of the gateway config for editors
 * (VS Code: `"$schema": "./node_modules/@switchyard/gateway/gateway.schema.json"` or a yaml-language-server
 * modeline). Generated from the valibot schema: `pnpm --filter @switchyard/gateway schema`.
 */
import { writeFileSync } from 'node:fs';
import { toJsonSchema } from '@valibot/to-json-schema';
import { gatewayConfigSchema } from '../src/config.js';

const schema = toJsonSchema(gatewayConfigSchema, { errorMode: 'ignore' });
const out = { $id: 'https://switchyard.dev/schemas/gateway.schema.json', title: 'switchyard gateway config', ...schema };
writeFileSync(new URL('../gateway.schema.json', import.meta.url), JSON.stringify(out, null, 2) + '\n');
console.log('wrote packages/gateway/gateway.schema.json');
