/** The demo's closing report: what happened, in numbers, then the conclusions that hold. */
import { SHARE_Z, type Claim, type Recorded, type Scenario, type StepShare } from './claims.js';
import { percentile } from './traffic.js';
import type { RunningUpstream, UpstreamSpec } from './upstreams.js';

export interface ReportInput {
  readonly recorded: Recorded;
  readonly scenario: Scenario;
  readonly steps: readonly StepShare[];
  readonly upstreams: readonly RunningUpstream[];
  readonly specs: readonly UpstreamSpec[];
  readonly prometheus: string;
  readonly retries: { readonly sent: number; readonly budgetExhausted: number; readonly overflow: number };
}

const pct = (n: number, d: number): string => (d === 0 ? '-' : `${((100 * n) / d).toFixed(1)}%`);
const ms = (v: number): string => `${v.toFixed(1)} ms`;
const sec = (t: number): string => (Number.isFinite(t) ? `${(t / 1000).toFixed(1)}s` : 'end');

function table(rows: string[][]): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) console.log('  ' + r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '));
}

function trouble(spec: UpstreamSpec): string {
  const what = { fail: '503s, /healthz ok', drain: '/healthz 503', slow: 'slow', flaky: '503 × ½ (sabotage)' } as const;
  return (
    (spec.phases ?? [])
      .map((p) => `${what[p.kind]}${p.kind === 'slow' ? ` ×${p.factor ?? 10}` : ''}${Number.isFinite(p.toMs) ? ` ${sec(p.fromMs)}–${sec(p.toMs)}` : ''}`)
      .join(', ') || '-'
  );
}

/** Prints the measurements (no conclusion: those come from {@link printConclusions}). */
export function printReport(input: ReportInput): void {
  const { samples, log } = input.recorded;
  const sc = input.scenario;
  const byStatus = new Map<number, number>();
  for (const s of samples) byStatus.set(s.status, (byStatus.get(s.status) ?? 0) + 1);

  console.log('\n══════════════════════════ switchyard demo report ══════════════════════════\n');
  console.log(`requests: ${samples.length} sent in ${(sc.durationMs / 1000).toFixed(0)} s; statuses: ${[...byStatus.entries()].sort(([a], [b]) => a - b).map(([s, n]) => `${s === 0 ? 'client error' : s} × ${n}`).join(', ')}`);
  const lat = samples.filter((s) => s.status === 200).map((s) => s.latencyMs).sort((a, b) => a - b);
  console.log(
    `latency of the ${lat.length} proxied 200 responses, as the client measured it (the ${(sc.warmupMs / 1000).toFixed(0)} s warm-up before is not included): p50 ${ms(percentile(lat, 50))}, p99 ${ms(percentile(lat, 99))}, p99.9 ${ms(percentile(lat, 99.9))}\n`,
  );

  console.log(`progressive rollout of catalog ${sc.rollout.canary}, step by step (the gateway's split decisions on route ${sc.rollout.route} only, each step over its own window):`);
  const rows: string[][] = [['step', 'window', 'decisions', `${sc.rollout.canary} share`, `expected (±${SHARE_Z} s.e.)`]];
  for (const s of input.steps) rows.push([`${s.weightPercent}%`, `${sec(s.fromMs)}–${sec(s.toMs)}`, String(s.decisions), pct(s.canary, s.decisions), s.decisions === 0 ? '-' : `${s.weightPercent}% ± ${(100 * s.tolerance).toFixed(1)}%`]);
  table(rows);
  for (const e of log) if (e.kind === 'rollout') console.log(`  ${sec(e.t).padStart(6)}  ${e.event.type.padEnd(12)} ${e.event.reason}`);

  console.log('\nper endpoint (responses by x-served-by; tries as the gateway started them):');
  const tries = new Map<string, number>();
  for (const e of log) if (e.kind === 'try') tries.set(e.endpoint, (tries.get(e.endpoint) ?? 0) + 1);
  const epRows: string[][] = [['endpoint', 'version', 'tries', '200s', '503s', 'p50', 'p99', 'scheduled trouble']];
  for (const spec of input.specs) {
    const mine = samples.filter((s) => s.servedBy === spec.id && s.status === 200);
    const l = mine.map((s) => s.latencyMs).sort((a, b) => a - b);
    const up = input.upstreams.find((u) => u.id === spec.id);
    epRows.push([spec.id, spec.version, String(tries.get(spec.id) ?? 0), String(mine.length), String(up?.failed ?? 0), ms(percentile(l, 50)), ms(percentile(l, 99)), trouble(spec)]);
  }
  table(epRows);

  console.log('\nhealth timeline (outlier detection and active checks):');
  let any = false;
  for (const e of log) {
    if (e.kind !== 'health' || !('endpointId' in e.event)) continue;
    const h = e.event;
    // First checks are the start, not a transition; "flagged but not enforced" is Envoy's
    // log-only mode of a detector (consecutive gateway failures: enforcing 0 % by default).
    if (((h.kind === 'healthy' || h.kind === 'unhealthy') && h.firstCheck) || h.kind === 'ejection-not-enforced') continue;
    const detail =
      h.kind === 'ejected'
        ? `ejected by ${h.detector} for ${(h.ejectionTimeMs / 1000).toFixed(1)} s`
        : h.kind === 'unejected'
          ? `back after ${(h.ejectedForMs / 1000).toFixed(1)} s (${h.cause})`
          : h.kind === 'unhealthy'
            ? `unhealthy (active check: ${h.reason})`
            : h.kind === 'healthy'
              ? 'healthy (active check)'
              : h.kind;
    any = true;
    console.log(`  ${sec(e.t).padStart(6)}  ${e.upstream}/${h.endpointId}  ${detail}`);
  }
  if (!any) console.log('  (no transitions)');

  console.log(`\nrate limits (per API key; free ${sc.limits.free.perSecond}/s burst ${sc.limits.free.burst}, pro ${sc.limits.pro.perSecond}/s burst ${sc.limits.pro.burst}):`);
  const limRows: string[][] = [['tier', 'requests', '429', 'share limited']];
  for (const tier of ['free', 'pro']) {
    const t = samples.filter((s) => s.tier === tier && s.route !== undefined);
    const limited = t.filter((s) => s.status === 429).length;
    limRows.push([tier, String(t.length), String(limited), pct(limited, t.length)]);
  }
  table(limRows);

  const client5xx = samples.filter((s) => s.status >= 500).length;
  const answered = [...input.upstreams].reduce((a, u) => a + u.failed, 0);
  const r = input.retries;
  console.log(`\nupstream 503s: ${answered} tries answered 503; ${r.sent} retries sent (${r.budgetExhausted} refused by the retry budget, ${r.overflow} by maxRetries); clients saw ${client5xx} 5xx in total.`);
  console.log('\nmetrics: gateway.prometheus() exposes all of this; first lines:');
  console.log(
    input.prometheus
      .split('\n')
      .filter((l) => l.startsWith('http_server_request_duration_seconds_count'))
      .slice(0, 6)
      .map((l) => `  ${l}`)
      .join('\n'),
  );
}

/**
 * Prints the claims that hold as conclusions and each one that does not on stderr, with its
 * numbers; returns whether all hold (the demo exits 1 otherwise).
 */
export function printConclusions(claims: readonly Claim[]): boolean {
  console.log('\nconclusions (each checked against the recorded run before it is printed):');
  for (const c of claims.filter((x) => x.ok)) console.log(`  ✓ ${c.text}\n      ${c.evidence}`);
  const failed = claims.filter((x) => !x.ok);
  for (const c of failed) console.error(`demo claim failed [${c.id}]: ${c.text}\n  measured: ${c.evidence}`);
  console.log(failed.length === 0 ? `\ndemo finished: OK (${claims.length} of ${claims.length} claims hold)` : `\ndemo finished: FAILED (${failed.length} of ${claims.length} claims do not hold: ${failed.map((c) => c.id).join(', ')}; see stderr)`);
  return failed.length === 0;
}
