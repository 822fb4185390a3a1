/**
 * Errors from one table: every code in core's ERROR_CODES is documented in docs/errors.md with
 * the status ERROR_STATUS gives it, and every code the gateway's sources answer with is a
 * known code whose status is taken from the table (no call site overrides a status to a value
 * the table does not give).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ERROR_CODES, ERROR_STATUS } from '@switchyard/core';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const doc = readFileSync(join(root, 'docs/errors.md'), 'utf8');

describe('the error table', () => {
  it.each(ERROR_CODES.map((c) => [c]))('%s is in docs/errors.md with its status', (code) => {
    const row = doc.split('\n').find((l) => l.startsWith(`| \`${code}\` |`));
    expect(row, `docs/errors.md has no row for ${code}`).toBeDefined();
    expect(row?.split('|')[2]?.trim()).toBe(String(ERROR_STATUS[code]));
  });

  it('every code the gateway answers with is in the table, with its status from the table', () => {
    const dir = join(root, 'packages/gateway/src');
    const sources = readdirSync(dir, { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
    const used = new Set<string>();
    const overrides: string[] = [];
    for (const f of sources) {
      const text = readFileSync(join(dir, f), 'utf8');
      for (const m of text.matchAll(/errorResponse\('(SY_[A-Z_]+)'/g)) used.add(m[1] as string);
      // errorResponse(code, message, headers, <status>, …): a literal status must be the table's.
      for (const m of text.matchAll(/errorResponse\('(SY_[A-Z_]+)',[^;]*?, (\d{3}),/g)) {
        if (ERROR_STATUS[m[1] as keyof typeof ERROR_STATUS] !== Number(m[2])) overrides.push(`${f}: ${m[1]} answered ${m[2]}`);
      }
    }
    expect(used.size).toBeGreaterThan(5);
    for (const code of used) expect(ERROR_CODES as readonly string[]).toContain(code);
    expect(overrides).toEqual([]);
  });
});
