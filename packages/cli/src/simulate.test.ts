/**
 * `switchyard simulate` in process: flags, exit codes, the text summary, the JSON report, a
 * comparison, problems located in the scenario file, samples files.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ComparisonReport, SimulationReport } from '@switchyard/simulate';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { EXIT_OK, EXIT_PROBLEM, EXIT_USAGE, run } from './cli.js';
import type { CommandIo } from './output.js';
import { loadScenario } from './simulate.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'switchyard-simulate-'));
  await writeFile(join(dir, 'rr.yaml'), CONFIG('round-robin'));
  await writeFile(join(dir, 'ewma.yaml'), CONFIG('peak-ewma'));
  await writeFile(join(dir, 'scenario.yaml'), SCENARIO);
  await writeFile(join(dir, 'slow.txt'), '# measured\n80, 90\n100\n');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function capture(): CommandIo & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) }, env: {}, out: () => out, err: () => err };
}

const CONFIG = (policy: string): string => `routes:
  - name: api
    backends: [{ upstream: api }]
upstreams:
  api:
    balancer: { policy: ${policy} }
    endpoints:
      - { id: a, url: http://a.test }
      - { id: b, url: http://b.test }
      - { id: slow, url: http://slow.test }
`;

const SCENARIO = `name: cli
seed: 3
durationSeconds: 3
fleet:
  upstreams:
    api:
      latency: { kind: lognormal, medianMs: 10, sigma: 0.2 }
      endpoints:
        slow: { latency: { kind: empirical, file: slow.txt } }
events:
  - { kind: endpoint-failing, upstream: api, endpoint: b, atSeconds: 1, untilSeconds: 2, errorRate: 0.2 }
traffic:
  ratePerSecond: 100
`;

describe('switchyard simulate', () => {
  test('--help describes the flags; missing flags and bad values are usage errors (exit 2)', async () => {
    const help = capture();
    expect(await run(['simulate', '--help'], help)).toBe(EXIT_OK);
    for (const flag of ['--config', '--scenario', '--compare', '--json', '--html', '--seed']) expect(help.out()).toContain(flag);
    const main = capture();
    expect(await run(['--help'], main)).toBe(EXIT_OK);
    expect(main.out()).toContain('simulate --config');
    for (const argv of [['simulate'], ['simulate', '--config', 'x.yaml'], ['simulate', '--scenario', 's.yaml'], ['simulate', '--config', 'a', '--scenario', 'b', '--seed', 'abc'], ['simulate', 'file.yaml']]) {
      const io = capture();
      expect(await run(argv, io)).toBe(EXIT_USAGE);
      expect(io.err()).toMatch(/usage error/);
    }
  });

  test('--html says it is not available yet (exit 2)', async () => {
    const io = capture();
    expect(await run(['simulate', '--config', join(dir, 'rr.yaml'), '--scenario', join(dir, 'scenario.yaml'), '--html', join(dir, 'r.html')], io)).toBe(EXIT_USAGE);
    expect(io.err()).toMatch(/--html is not available/);
  });

  test('prints the tables and writes the JSON report; samples files are read next to the scenario', async () => {
    const io = capture();
    const json = join(dir, 'report.json');
    expect(await run(['simulate', '--config', join(dir, 'rr.yaml'), '--scenario', join(dir, 'scenario.yaml'), '--json', json], io)).toBe(EXIT_OK);
    const out = io.out();
    expect(out).toMatch(/^scenario cli \(config rr\.yaml, seed 3, 3 s of traffic, \d+ requests\)/);
    for (const heading of ['routes', 'versions', 'endpoints', 'scheduled events']) expect(out).toContain(`\n${heading}\n`);
    expect(out).toMatch(/1\.0–2\.0 s\s+endpoint-failing\s+upstream api endpoint b: error rate 20 %/);
    const report = JSON.parse(await readFile(json, 'utf8')) as SimulationReport;
    expect(report.format).toBe('switchyard.simulation/v1');
    expect(report.label).toBe('rr.yaml');
    const slow = report.endpoints.find((e) => e.endpoint === 'slow');
    expect(slow?.summary.latency.minMs).toBeGreaterThanOrEqual(80);
    expect(slow?.summary.latency.maxMs).toBeLessThanOrEqual(100);
    expect(report.endpoints.find((e) => e.endpoint === 'b')?.serverErrors).toBeGreaterThan(0);
  });

  test('--json - prints only the JSON; the same seed gives the same bytes, --seed another report', async () => {
    const args = ['simulate', '--config', join(dir, 'rr.yaml'), '--scenario', join(dir, 'scenario.yaml'), '--json', '-'];
    const one = capture();
    const two = capture();
    const other = capture();
    expect(await run(args, one)).toBe(EXIT_OK);
    expect(await run(args, two)).toBe(EXIT_OK);
    expect(await run([...args, '--seed', '4'], other)).toBe(EXIT_OK);
    expect(one.out()).toBe(two.out());
    expect(JSON.parse(other.out()).scenario.seed).toBe(4);
    expect(other.out()).not.toBe(one.out());
  });

  test('--compare runs the second config on the same scenario and prints the differences', async () => {
    const io = capture();
    expect(await run(['simulate', '--config', join(dir, 'rr.yaml'), '--compare', join(dir, 'ewma.yaml'), '--scenario', join(dir, 'scenario.yaml')], io)).toBe(EXIT_OK);
    expect(io.out()).toMatch(/differences: ewma\.yaml against rr\.yaml \(\d+ of \d+ figures differ\)/);
    expect(io.out()).toMatch(/endpoint api\/slow\s+sharePercent/);
    const json = capture();
    expect(await run(['simulate', '--config', join(dir, 'rr.yaml'), '--compare', join(dir, 'ewma.yaml'), '--scenario', join(dir, 'scenario.yaml'), '--json', '-'], json)).toBe(EXIT_OK);
    const cmp = JSON.parse(json.out()) as ComparisonReport;
    expect(cmp.format).toBe('switchyard.simulation-comparison/v1');
    expect([cmp.a.label, cmp.b.label]).toEqual(['rr.yaml', 'ewma.yaml']);
    expect(cmp.a.scenario.sent).toBe(cmp.b.scenario.sent);
  });

  test('problems in the scenario are reported by file, line and path (exit 1)', async () => {
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'name: bad\ndurationSeconds: 5\ntraffic:\n  ratePerSecond: -3\nevents:\n  - { kind: zone-outage, atSeconds: 1 }\n');
    const io = capture();
    expect(await run(['simulate', '--config', join(dir, 'rr.yaml'), '--scenario', bad], io)).toBe(EXIT_PROBLEM);
    expect(io.err()).toContain(`error: ${bad}:6:5: events[0].zone: must be a non-empty string`);
    expect(io.err()).toContain(`error: ${bad}:4:18: traffic.ratePerSecond: must be > 0`);
  });

  test('a scenario naming what the config lacks, and an invalid config, are problems (exit 1)', async () => {
    const other = join(dir, 'other.yaml');
    await writeFile(other, 'name: o\ndurationSeconds: 1\nfleet: { upstreams: { nope: {} } }\ntraffic: { ratePerSecond: 1 }\n');
    const io = capture();
    expect(await run(['simulate', '--config', join(dir, 'rr.yaml'), '--scenario', other], io)).toBe(EXIT_PROBLEM);
    expect(io.err()).toContain(`${other}:3:29: fleet.upstreams.nope: the config has no upstream "nope" (it has api) (config rr.yaml)`);
    const broken = join(dir, 'broken.yaml');
    await writeFile(broken, 'routes:\n  - name: x\n    timeoutMs: -1\nupstreams: {}\n');
    const io2 = capture();
    expect(await run(['simulate', '--config', broken, '--scenario', join(dir, 'scenario.yaml')], io2)).toBe(EXIT_PROBLEM);
    expect(io2.err()).toMatch(/routes\[0\]\.timeoutMs/);
  });

  test('loadScenario - a missing samples file and a bad sample are problems', async () => {
    const s = join(dir, 'missing.yaml');
    await writeFile(s, 'name: m\ndurationSeconds: 1\nfleet: { defaults: { latency: { kind: empirical, file: nope.txt } } }\ntraffic: { ratePerSecond: 1 }\n');
    const missing = await loadScenario(s);
    expect(missing.kind === 'invalid' && missing.problems[0]?.path).toBe('fleet.defaults.latency.file');
    await writeFile(join(dir, 'bad.txt'), '1\nx\n');
    await writeFile(s, 'name: m\ndurationSeconds: 1\nfleet: { defaults: { latency: { kind: empirical, file: bad.txt } } }\ntraffic: { ratePerSecond: 1 }\n');
    const bad = await loadScenario(s);
    expect(bad.kind === 'invalid' && bad.problems[0]).toMatchObject({ file: join(dir, 'bad.txt'), path: 'line 2' });
  });
});
