#!/usr/bin/env node
/**
 * Draws the latency-by-percentile plot of Linkerd's "Beyond Round Robin" post from simulation
 * reports: one line per report (its `label`), latency (ms, linear) against the percentile on a
 * log scale (90, 99, 99.9, 99.99), from each report's route-level CDF. Writes SVG on stdout; no
 * dependencies.
 *
 *   node examples/scenarios/plot-cdf.mjs report-a.json report-b.json … > plot.svg
 *
 * A comparison report (`--compare`) counts as its two reports.
 */
import { readFileSync } from 'node:fs';

const files = process.argv.slice(2);
if (files.length === 0) {
  process.stderr.write('usage: node plot-cdf.mjs <report.json>... > plot.svg\n');
  process.exit(2);
}
const reports = files.flatMap((f) => {
  const r = JSON.parse(readFileSync(f, 'utf8'));
  return r.format === 'switchyard.simulation-comparison/v1' ? [r.a, r.b] : [r];
});

const W = 720;
const H = 420;
const M = { left: 70, right: 20, top: 40, bottom: 60 };
const MAX_NINES = 4; // up to p99.99
const COLORS = ['#d62728', '#1f77b4', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];

// x: "nines" of the percentile, -log10(1 - f): p90 → 1, p99 → 2, p99.9 → 3.
const nines = (f) => Math.min(MAX_NINES, -Math.log10(Math.max(1e-12, 1 - f)));
const lines = reports.map((r) => {
  const cdf = r.cdfs.find((c) => c.version === null) ?? r.cdfs[0];
  const points = [];
  cdf.latencyMs.forEach((ms, i) => {
    const f = cdf.fraction[i];
    // A CDF is a step function: the latency holds from the previous fraction up to this one.
    const prev = i === 0 ? 0 : cdf.fraction[i - 1];
    points.push([nines(prev), ms], [nines(f), ms]);
  });
  return { label: r.label, points };
});
const maxMs = Math.max(...lines.flatMap((l) => l.points.map((p) => p[1])));
const yMax = Math.ceil(maxMs / 500) * 500;
const x = (n) => M.left + (n / MAX_NINES) * (W - M.left - M.right);
const y = (ms) => H - M.bottom - (ms / yMax) * (H - M.top - M.bottom);

const out = [];
out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
const title = reports[0]?.scenario.name ?? '';
out.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="14">Latency by percentile: ${title}</text>`);
// Grid and axes.
for (let n = 0; n <= MAX_NINES; n++) {
  const label = n === 0 ? 'p0' : `p${(100 - 100 / 10 ** n).toFixed(Math.max(0, n - 2))}`;
  out.push(`<line x1="${x(n)}" y1="${M.top}" x2="${x(n)}" y2="${H - M.bottom}" stroke="#ddd"/>`);
  out.push(`<text x="${x(n)}" y="${H - M.bottom + 18}" text-anchor="middle">${label}</text>`);
}
for (let ms = 0; ms <= yMax; ms += 500) {
  out.push(`<line x1="${M.left}" y1="${y(ms)}" x2="${W - M.right}" y2="${y(ms)}" stroke="#ddd"/>`);
  out.push(`<text x="${M.left - 8}" y="${y(ms) + 4}" text-anchor="end">${ms}</text>`);
}
out.push(`<text x="${W / 2}" y="${H - 18}" text-anchor="middle">percentile (log scale)</text>`);
out.push(`<text x="18" y="${H / 2}" text-anchor="middle" transform="rotate(-90 18 ${H / 2})">latency (ms)</text>`);
lines.forEach((l, i) => {
  const color = COLORS[i % COLORS.length];
  const d = l.points.map(([n, ms], j) => `${j === 0 ? 'M' : 'L'}${x(n).toFixed(1)},${y(ms).toFixed(1)}`).join(' ');
  out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"/>`);
  out.push(`<rect x="${M.left + 12}" y="${M.top + 8 + i * 18}" width="14" height="3" fill="${color}"/>`);
  out.push(`<text x="${M.left + 32}" y="${M.top + 13 + i * 18}">${l.label.replace(/\.ya?ml$/, '').replace(/[<&]/g, '')}</text>`);
});
out.push('</svg>');
process.stdout.write(`${out.join('\n')}\n`);
