/** Every shipped scenario file is valid for both the JSON Schema and validateScenario. */
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { validateScenario } from '@switchyard/simulate';
import Ajv from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const dir = fileURLToPath(new URL('..', import.meta.url));
const schema = JSON.parse(readFileSync(`${dir}../../packages/simulate/scenario.schema.json`, 'utf8')) as object;
const validateWithSchema = new Ajv({ allErrors: true, strict: false }).compile(schema);
const files = readdirSync(dir, { withFileTypes: true })
  .filter((d) => d.isDirectory() && d.name !== 'test' && d.name !== 'node_modules')
  .flatMap((d) => readdirSync(`${dir}${d.name}`).filter((f) => /scenario.*\.ya?ml$/.test(f)).map((f) => `${d.name}/${f}`));

describe('scenario.schema.json and validateScenario agree on the shipped scenarios', () => {
  it('found them', () => {
    expect(files.length).toBeGreaterThanOrEqual(5);
  });

  it.each(files)('%s is valid for both', (file) => {
    const doc = parse(readFileSync(`${dir}${file}`, 'utf8')) as unknown;
    expect(validateScenario(doc).kind).toBe('valid');
    expect(validateWithSchema(doc), JSON.stringify(validateWithSchema.errors)).toBe(true);
  });
});
