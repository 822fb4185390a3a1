/**
 * Writes packages/gateway/gateway.schema.json, the JSON Schema of the gateway config for editors
 * (VS Code: `"$schema": "./node_modules/@switchyard/gateway/gateway.schema.json"` or a yaml-language-server
 * modeline). Generated from the valibot schema: `pnpm --filter @switchyard/gateway schema`.
 */
import { writeFileSync } from 'node:fs';
import { gatewayJsonSchema } from './json-schema.js';

writeFileSync(new URL('../gateway.schema.json', import.meta.url), JSON.stringify(gatewayJsonSchema(), null, 2) + '\n');
console.log('wrote packages/gateway/gateway.schema.json');
