/**
 * A hand-made report model with every chart kind populated, for the renderer's tests (a real
 * simulation report is used where the scenario runner is available). Not exported by the package.
 * @module
 */
import type { HtmlReportModel, HtmlRun } from './model.js';

/** A name with every character the page must escape, used as a route and an endpoint name. */
export const HOSTILE_NAME = `</script><script>alert("x")</script><!--<script>&'"`;

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function run(label: string, seed: number, slow: number): HtmlRun {
  const rand = lcg(seed);
  const timeS = Array.from({ length: 60 }, (_, i) => i);
  const latency = ['v1', 'v2'].map((name, k) => {
    const p50 = timeS.map((t) => 20 + k * 5 + (t >= 20 && t < 40 ? slow : 0) + rand() * 3);
    return {
      name,
      p50,
      p90: p50.map((v) => v * 1.8 + rand() * 4),
      p99: p50.map((v) => v * 3.5 + rand() * 10),
    };
  });
  const cdf = (name: string, scale: number): { name: string; latencyMs: number[]; fraction: number[] } => {
    const latencyMs = Array.from({ length: 40 }, (_, i) => Math.round(scale * Math.exp(i / 10) * 100) / 100);
    return { name, latencyMs, fraction: latencyMs.map((_, i) => (i + 1) / latencyMs.length) };
  };
  const share = (names: string[]): { name: string; values: number[] }[] => {
    const raw = timeS.map(() => names.map(() => 0.2 + rand()));
    return names.map((name, k) => ({ name, values: raw.map((r) => (r[k] ?? 0) / r.reduce((a, b) => a + b, 0)) }));
  };
  return {
    label,
    durationS: 60,
    timeS,
    latency,
    routeLatency: [{ name: 'GET /api', p50: latency[0]?.p50 ?? [], p90: latency[0]?.p90 ?? [], p99: latency[0]?.p99 ?? [] }],
    routeCdfs: [cdf('GET /api', 5 + slow / 20)],
    cdfs: [cdf('GET /api / v1', 5), cdf('GET /api / v2', 6 + slow / 10), cdf(HOSTILE_NAME, 3)],
    endpointShare: share(['10.0.0.1:80', '10.0.0.2:80', HOSTILE_NAME]),
    versionShare: share(['v1', 'v2']),
    ejections: [
      { endpoint: '10.0.0.2:80', fromS: 21, toS: 51 },
      { endpoint: HOSTILE_NAME, fromS: 30, toS: null },
    ],
    rollout: [
      { atS: 0, rollout: 'api-canary', weightPercent: 5, phase: 'progressing', reason: 'started' },
      { atS: 15, rollout: 'api-canary', weightPercent: 20, phase: 'progressing', reason: 'analysis passed' },
      { atS: 30, rollout: 'api-canary', weightPercent: 0, phase: 'aborted', reason: `success rate 91 % < 99 % ${HOSTILE_NAME}` },
    ],
    events: [{ fromS: 20, toS: 40, label: `endpoint-slow: latency ×10 ${HOSTILE_NAME}` }],
    rejections: [
      { name: 'free', values: timeS.map((t) => (t > 10 && t < 30 ? Math.round(rand() * 40) : 0)) },
      { name: 'pro', values: timeS.map((t) => (t > 20 && t < 25 ? Math.round(rand() * 10) : 0)) },
    ],
  };
}

/** A comparison-shaped model (two runs) with every chart kind populated and hostile names. */
export function fixtureModel(runs: 1 | 2 = 2): HtmlReportModel {
  const all = [run('round-robin.yaml', 1, 80), run('peak-ewma.yaml', 2, 15)].slice(0, runs);
  return {
    title: `What-if: ${HOSTILE_NAME}`,
    facts: [
      ['scenario', 'slow-endpoint.yaml'],
      ['seed', '42'],
      ['duration', '60 s'],
      ['note', HOSTILE_NAME],
    ],
    runs: all,
    tables: [
      {
        title: 'Per route',
        run: 0,
        placement: 'summary' as const,
        columns: ['route', 'requests', 'success (%)', 'p99 (ms)'],
        rows: [
          ['GET /api', 12000, 99.5, 180.25],
          [HOSTILE_NAME, 3, 100, null],
        ],
      },
      ...(runs === 2
        ? [{ title: 'Differences', run: null, placement: 'summary' as const, columns: ['metric', 'round-robin.yaml', 'peak-ewma.yaml'], rows: [['p99 (ms)', 180.25, 61.5]] }]
        : []),
    ],
  };
}
