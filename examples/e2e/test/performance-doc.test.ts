/**
 * docs/guides/performance.md is generated from benchmarks/results/*.json (`pnpm perf:doc`,
 * benchmarks/src/performance-doc.ts): the committed page must be exactly what the committed
 * results give, so a results file committed without regenerating the page (or a hand edit of
 * the page) fails here.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { PERFORMANCE_DOC, fmt, renderPerformanceDoc } from '../../../benchmarks/src/performance-doc';

const root = fileURLToPath(new URL('../../..', import.meta.url)).replace(/\/$/, '');

describe('docs/guides/performance.md', () => {
  it('is what pnpm perf:doc generates from the committed benchmarks/results/*.json', () => {
    const committed = readFileSync(join(root, PERFORMANCE_DOC), 'utf8');
    // On failure: run `pnpm perf:doc` and commit the page with the results it comes from.
    expect(committed === renderPerformanceDoc(root), `${PERFORMANCE_DOC} is stale: run pnpm perf:doc`).toBe(true);
  });
});

describe('renderPerformanceDoc', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  /** A repository root holding only the given results files (no partials). */
  function fixture(files: Record<string, unknown>): string {
    const dir = mkdtempSync(join(tmpdir(), 'perf-doc-'));
    dirs.push(dir);
    mkdirSync(join(dir, 'benchmarks/results'), { recursive: true });
    for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, 'benchmarks/results', name), JSON.stringify(body));
    return dir;
  }

  const router = {
    suite: 'router',
    node: 'v20.0.0',
    date: '2026-01-02T03:04:05.678Z',
    machine: { platform: 'linux', arch: 'x64', cpus: 2, cpuModel: 'Test CPU', memoryGb: 7.8 },
    cases: [
      { case: 'static', impl: 'peer-a', ns: 250, rme: 1.25 },
      { case: 'static', impl: 'switchyard', ns: 125, rme: 0.5 },
      { case: 'memory', impl: 'switchyard', bytesPerKey: 65.4, nested: { a: { b: 1 } } },
    ],
    notes: ['params built on <first> read | lazily'],
  };

  it('puts each implementation beside the first switchyard row of its case, with the run, machine and notes', () => {
    const lines = renderPerformanceDoc(fixture({ 'router.json': router })).split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        '| [router](#pnpm-bench-router) | 2026-01-02 03:04 | v20.0.0 | 2 × Test CPU, 7.8 GB, linux/x64 | 3 |',
        '## `pnpm bench router`',
        'Not shown here (nested, see the JSON): `nested`.',
        // Text from the JSON cannot open an HTML tag or break a table cell.
        '- params built on &lt;first> read \\| lazily',
      ]),
    );
    const head = lines.indexOf('| case | implementation | ns/op | ops/s | ± % | ÷ switchyard | other figures |');
    expect(lines.slice(head + 1, head + 5)).toEqual([
      '|---|---|---:|---:|---:|---:|---|',
      '| static | peer-a | 250 | 4 000 000 | ±1.3 | 2.00× |  |',
      '|  | switchyard | 125 | 8 000 000 | ±0.5 | 1.00× |  |',
      '| memory | switchyard |  |  |  |  | bytesPerKey 65.4 |',
    ]);
  });

  it('compares req/s rows by time per request and orders suites by file name', () => {
    const proxy = {
      suite: 'proxy',
      node: 'v20.0.0',
      date: '2026-01-01T00:00:00.000Z',
      cases: [
        { case: 'GET', impl: 'switchyard bridge', rps: 10000, p99Ms: 14 },
        { case: 'GET', impl: 'peer', rps: 5000, p99Ms: 19 },
      ],
    };
    const doc = renderPerformanceDoc(fixture({ 'router.json': router, 'proxy.json': proxy }));
    expect(doc.split('\n')).toEqual(
      expect.arrayContaining([
        '| GET | switchyard bridge | 10 000 | 1.00× | 14 |',
        '|  | peer | 5 000 | 2.00× | 19 |',
        '| [proxy](#pnpm-bench-proxy) | 2026-01-01 00:00 | v20.0.0 | machine not recorded | 2 |',
      ]),
    );
    expect(doc.indexOf('## `pnpm bench proxy`')).toBeLessThan(doc.indexOf('## `pnpm bench router`'));
  });

  it('formats numbers the same way whatever the locale: fixed precision, spaces between thousands', () => {
    expect([fmt(1234567.8), fmt(606.76), fmt(88.7), fmt(99.456), fmt(0.999912), fmt(-309)]).toEqual(['1 234 568', '606.8', '88.7', '99.46', '0.999912', '−309']);
  });
});
