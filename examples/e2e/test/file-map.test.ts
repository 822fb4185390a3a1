/**
 * One house (#24): the "Package files" map in docs/architecture.md is generated from each source
 * file's header comment (scripts/file-map.mjs), so every source file says its one job, the
 * committed map is the one the sources give today, and a file over 500 lines says at the top
 * why it stays whole.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without type declarations
import { BEGIN, END, fileJob, fileMap, render } from '../../../scripts/file-map.mjs';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const map = fileMap() as { text: string; missing: string[]; files: { path: string; text: string }[] };

describe('docs/architecture.md: package files', () => {
  it('every source file has a header comment saying its job', () => {
    expect(map.missing).toEqual([]);
  });

  it('the committed map is current (regenerate with `node scripts/file-map.mjs`)', () => {
    const doc = readFileSync(join(root, 'docs/architecture.md'), 'utf8');
    expect(doc).toContain(BEGIN);
    expect(doc).toContain(END);
    expect((render as (d: string, t: string) => string)(doc, map.text)).toBe(doc);
  });

  it('a source file over 500 lines says near its top why it stays whole', () => {
    const long = map.files
      .filter((f) => !f.path.endsWith('.generated.ts'))
      .map((f) => ({ path: f.path, lines: f.text.trimEnd().split('\n') }))
      .filter((f) => f.lines.length > 500 && !f.lines.slice(0, 60).some((l) => l.includes('Why one file')))
      .map((f) => `${f.path} (${f.lines.length} lines)`);
    expect(long).toEqual([]);
  });

  it("reads a header as the leading comment's first sentence, never an export's TSDoc", () => {
    const job = fileJob as (text: string) => string | undefined;
    expect(job('/**\n * Round robin. Details here.\n */\nimport x from "y";\n')).toBe('Round robin');
    expect(job('// One job: a thing.\n\nexport const a = 1;\n')).toBe('One job: a thing');
    expect(job('/** The export. */\nexport const a = 1;\n')).toBeUndefined();
    expect(job('export const a = 1;\n')).toBeUndefined();
    expect(job('/**\n * Maglev (see "Maglev: A Fast LB", e.g. §3.4). More.\n */\n\nexport {};\n')).toBe('Maglev (see "Maglev: A Fast LB", e.g. §3.4)');
    expect(job('/** `{@link createGateway}` builds it. */\n\nexport {};\n')).toBe('``createGateway`` builds it');
  });
});
