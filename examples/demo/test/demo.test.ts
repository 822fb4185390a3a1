import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dir = fileURLToPath(new URL('..', import.meta.url));

describe('pnpm demo', () => {
  it('runs a short demo end to end and exits 0 with a report', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: dir,
      env: { ...process.env, DEMO_DURATION_MS: '6000', DEMO_RATE: '250', TSX_TSCONFIG_PATH: 'tsconfig.json' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.stderr).not.toMatch(/Error/);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('switchyard demo report');
    expect(run.stdout).toMatch(/progressive rollout of catalog v2:\n\s+\S+\s+(promoted|held|succeeded)/);
    // 250 req/s over 6 free keys is ≈ 21 req/s per key against 10/s with a burst of 20: some must be limited.
    expect(run.stdout).toMatch(/free\s+\d+\s+[1-9]\d*/);
    // The report reads the Prometheus exposition by its OpenTelemetry-derived names.
    expect(run.stdout).toMatch(/http_server_request_duration_seconds_count\{http_request_method="GET"/);
    expect(run.stdout).toMatch(/upstream 503s absorbed: \d+ tries/);
    expect(run.stdout).toContain('demo finished: OK');
  }, 90_000);
});
