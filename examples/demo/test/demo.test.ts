import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dir = fileURLToPath(new URL('..', import.meta.url));

/** Runs the demo as `pnpm demo` does (tsx on the sources), with extra environment. */
function demo(env: Record<string, string>) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: dir,
    env: { ...process.env, TSX_TSCONFIG_PATH: 'tsconfig.json', ...env },
    encoding: 'utf8',
    // Generous: on a machine at a load average of 30 the full run took up to 63 s.
    timeout: 150_000,
  });
}

// The full 24 s story, as `pnpm demo` tells it: its claims are proportions with tolerances
// derived from the sample sizes and orders of events, never timings, so a loaded machine
// changes the numbers, not the conclusions.
describe('pnpm demo', () => {
  it('checks every headline claim before printing it as a conclusion, and exits 0', () => {
    const run = demo({});
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('switchyard demo report');
    expect(run.stdout).toMatch(/progressive rollout of catalog v2, step by step/);
    expect(run.stdout).toMatch(/http_server_request_duration_seconds_count\{http_request_method="GET"/);
    const conclusions = run.stdout.split('\n').filter((l) => l.startsWith('  ✓ '));
    expect(conclusions).toEqual([
      '  ✓ the canary analysis passed at every step: v2 went 10 → 25 → 50 → 100 % and the rollout succeeded',
      "  ✓ each step sent its weight's share of the catalog route's requests to v2 (within 4 standard errors of its sample size)",
      '  ✓ outlier detection ejected catalog-v1-b while it answered 503 with a passing health check, routed no new request to it while ejected, and let it back once it recovered',
      '  ✓ the active health check took orders-2 out while its /healthz failed (its requests still succeeding), routed no new request to it meanwhile, and put it back when the check passed again',
      "  ✓ Peak EWMA sent catalog-v1-c less than half its earlier share of v1's tries while it was 100× slower",
      "  ✓ retries hid catalog-v1-b's 503s: no client received one",
      '  ✓ every free key was held to its token bucket (burst 10, 2/s) and no pro key was ever limited',
    ]);
    expect(run.stdout).toContain('demo finished: OK (7 of 7 claims hold)');
  }, 180_000);

  it('refuses the rollout claim and exits 1 when the canary is sabotaged (DEMO_SABOTAGE=canary)', () => {
    // A short run is enough: the canary answers 503 to half its requests and the first judged
    // check rolls it back. Other claims may fail too in 8 s; the rollout's must.
    const run = demo({ DEMO_SABOTAGE: 'canary', DEMO_DURATION_MS: '8000' });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/demo claim failed \[rollout\]: the canary analysis passed at every step[^\n]*\n\s+measured: the rollout rolled-back at 10%/);
    expect(run.stdout).not.toContain('✓ the canary analysis passed');
    expect(run.stdout).toMatch(/demo finished: FAILED \(\d+ of 7 claims do not hold: [^)]*rollout/);
  }, 180_000);

  it('exits 2 on an unknown sabotage', () => {
    const run = demo({ DEMO_SABOTAGE: 'everything' });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('DEMO_SABOTAGE: unknown "everything"');
  }, 180_000);
});
