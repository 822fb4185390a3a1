/** The demo's closing report: what happened, in numbers. */
import type { GatewayEvent } from '@switchyard/gateway';
import { percentile, type Sample } from './traffic.js';
import type { RunningUpstream, UpstreamSpec } from './upstreams.js';

export interface ReportInput {
  readonly samples: readonly Sample[];
  readonly events: readonly { t: number; event: GatewayEvent }[];
  readonly upstreams: readonly RunningUpstream[];
  readonly specs: readonly UpstreamSpec[];
  readonly prometheus: string;
  readonly durationMs: number;
}

const pct = (n: number, d: number): string => (d === 0 ? '  -  ' : `${((100 * n) / d).toFixed(1)}%`.padStart(6));
const ms = (v: number): string => `${v.toFixed(1)} ms`.padStart(9);
const sec = (t: number): string => `${(t / 1000).toFixed(1)}s`.padStart(6);

function table(rows: string[][]): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) console.log('  ' + r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '));
}

/** Prints the report; returns false if the run looks broken (the demo then exits 1). */
export function printReport(input: ReportInput): boolean {
  const { samples, events } = input;
  const lat = samples.map((s) => s.latencyMs).sort((a, b) => a - b);
  const byStatus = new Map<number, number>();
  for (const s of samples) byStatus.set(s.status, (byStatus.get(s.status) ?? 0) + 1);

  console.log('\n══════════════════════════ switchyard demo report ══════════════════════════\n');
  console.log(`requests: ${samples.length} in ${(input.durationMs / 1000).toFixed(0)} s   p50 ${ms(percentile(lat, 50)).trim()}   p99 ${ms(percentile(lat, 99)).trim()}   p99.9 ${ms(percentile(lat, 99.9)).trim()}`);
  console.log(`statuses: ${[...byStatus.entries()].sort(([a], [b]) => a - b).map(([s, n]) => `${s === 0 ? 'client error' : s} × ${n}`).join(', ')}\n`);

  // Share per version over time: the rollout, as the clients saw it.
  console.log('catalog traffic by version (200s), over time:');
  const slice = Math.max(1_000, Math.round(input.durationMs / 6));
  const rows: string[][] = [['window', 'v1', 'v2', 'v2 share']];
  for (let from = 0; from < input.durationMs; from += slice) {
    const inSlice = samples.filter((s) => s.at >= from && s.at < from + slice && s.status === 200 && s.path.startsWith('/api/catalog') && s.version !== undefined);
    const v2 = inSlice.filter((s) => s.version === 'v2').length;
    rows.push([`${sec(from).trim()}–${sec(from + slice).trim()}`, String(inSlice.length - v2), String(v2), pct(v2, inSlice.length)]);
  }
  table(rows);

  console.log('\nper endpoint (as reported by x-served-by):');
  const epRows: string[][] = [['endpoint', 'version', 'requests', 'share of its service', 'p50', 'p99', 'scheduled trouble']];
  for (const spec of input.specs) {
    const mine = samples.filter((s) => s.servedBy === spec.id);
    const service = samples.filter((s) => s.servedBy !== undefined && s.path.startsWith(spec.service === 'catalog' ? '/api/catalog' : '/api/orders'));
    const l = mine.map((s) => s.latencyMs).sort((a, b) => a - b);
    const trouble = (spec.phases ?? []).map((p) => `${p.kind}${p.kind === 'slow' ? ` ×${p.factor ?? 10}` : ''} ${p.from.toFixed(0)}–${p.to.toFixed(0)}s`).join(', ') || '-';
    epRows.push([spec.id, spec.version, String(mine.length), pct(mine.length, service.length), ms(percentile(l, 50)), ms(percentile(l, 99)), trouble]);
  }
  table(epRows);

  const slow = input.specs.find((s) => s.phases?.some((p) => p.kind === 'slow'));
  const slowPhase = slow?.phases?.find((p) => p.kind === 'slow');
  if (slow !== undefined && slowPhase !== undefined) {
    const during = samples.filter((s) => s.at >= slowPhase.from * 1000 && s.at < slowPhase.to * 1000 && s.version === 'v1' && s.status === 200);
    const before = samples.filter((s) => s.at < slowPhase.from * 1000 && s.version === 'v1' && s.status === 200);
    console.log(
      `\nPeak EWMA around the slow instance: ${slow.id} served ${pct(before.filter((s) => s.servedBy === slow.id).length, before.length).trim()} of v1 before its slowdown, ${pct(during.filter((s) => s.servedBy === slow.id).length, during.length).trim()} during it.`,
    );
  }

  console.log('\nrate limits (per API key; free 10/s burst 20, pro 200/s burst 400):');
  const limRows: string[][] = [['tier', 'requests', '429', 'share limited']];
  for (const tier of ['free', 'pro']) {
    const t = samples.filter((s) => s.tier === tier);
    const limited = t.filter((s) => s.status === 429).length;
    limRows.push([tier, String(t.length), String(limited), pct(limited, t.length)]);
  }
  table(limRows);

  console.log('\nhealth (active checks + outlier detection):');
  const health = events.filter((e) => e.event.kind === 'health');
  if (health.length === 0) console.log('  (no events)');
  for (const { t, event } of health) {
    if (event.kind !== 'health') continue;
    const h = event.event;
    const detail =
      h.kind === 'ejected'
        ? `ejected by ${h.detector} for ${(h.ejectionTimeMs / 1000).toFixed(1)} s`
        : h.kind === 'ejection-not-enforced'
          ? `flagged by ${h.detector} (detect-only: Envoy's enforcing default is 0 for it)`
          : h.kind === 'unhealthy'
            ? 'unhealthy (active check)'
            : h.kind === 'healthy'
              ? 'healthy (active check)'
              : h.kind;
    if (h.kind === 'health-check') continue;
    console.log(`  ${sec(t)}  ${event.upstream}/${'endpointId' in h ? h.endpointId : ''}  ${detail}`);
  }

  console.log('\nprogressive rollout of catalog v2:');
  for (const { t, event } of events) if (event.kind === 'rollout') console.log(`  ${sec(t)}  ${event.event.type.padEnd(12)} ${event.event.reason}`);

  // One try = one http.client.request.duration observation (OpenTelemetry HTTP semantic conventions).
  const retried = /http_client_request_duration_seconds_count\{[^}]*http_response_status_code="503"[^}]*\}\s+(\d+)/g;
  let upstream503 = 0;
  for (const m of input.prometheus.matchAll(retried)) upstream503 += Number(m[1]);
  const client5xx = samples.filter((s) => s.status >= 500).length;
  console.log(`\nupstream 503s absorbed: ${upstream503} tries answered 503 by a failing instance; clients saw ${client5xx} 5xx in total (retries on another endpoint).`);
  console.log('\nmetrics: gateway.prometheus() exposes all of this; first lines:');
  console.log(input.prometheus.split('\n').filter((l) => l.startsWith('http_server_request_duration_seconds_count')).slice(0, 6).map((l) => `  ${l}`).join('\n'));

  const ok200 = byStatus.get(200) ?? 0;
  const clientErrors = byStatus.get(0) ?? 0;
  const healthy = ok200 > samples.length * 0.5 && clientErrors < samples.length * 0.01;
  console.log(`\n${healthy ? 'demo finished: OK' : 'demo finished: something looks wrong (see above)'}`);
  return healthy;
}
