/**
 * Empirical latency samples kept in files: which files a scenario names ({@link samplesFiles}),
 * reading one ({@link parseSamples}) and putting the numbers into the scenario
 * ({@link withSamples}). This package reads no file: the CLI does, with these three.
 */
import type { ConfigIssue } from '@switchyard/core';
import { keyPath } from './internal/path.js';
import type { EndpointBehaviour, LatencyInput, Scenario, UpstreamFleet } from './scenario.js';

/**
 * The `file` of every `empirical` latency in the scenario, with its path, so that a caller that
 * can read files (the CLI) loads them and calls {@link withSamples}.
 *
 * @example
 * ```ts
 * import { samplesFiles } from '@switchyard/simulate';
 * declare const scenario: import('@switchyard/simulate').Scenario;
 * for (const { path, file } of samplesFiles(scenario)) console.log(path, file);
 * ```
 */
export function samplesFiles(scenario: Scenario): Array<{ readonly path: string; readonly file: string }> {
  const out: Array<{ path: string; file: string }> = [];
  const visit = (l: LatencyInput | undefined, path: string): void => {
    if (l === undefined || typeof l === 'number') return;
    if (l.kind === 'bimodal') {
      visit(l.fast, `${path}.fast`);
      visit(l.slow, `${path}.slow`);
    } else if (l.kind === 'empirical' && l.file !== undefined) out.push({ path, file: l.file });
  };
  const f = scenario.fleet;
  visit(f?.defaults?.latency, 'fleet.defaults.latency');
  for (const [u, up] of Object.entries(f?.upstreams ?? {})) {
    const at = keyPath('fleet.upstreams', u);
    visit(up.latency, `${at}.latency`);
    for (const [e, ep] of Object.entries(up.endpoints ?? {})) visit(ep.latency, `${keyPath(`${at}.endpoints`, e)}.latency`);
  }
  return out;
}

/**
 * A copy of `scenario` where every `empirical` latency with a `file` has the samples `samples(file)`
 * returns instead (the CLI reads the files; this package reads none).
 *
 * @example
 * ```ts
 * import { withSamples } from '@switchyard/simulate';
 * declare const scenario: import('@switchyard/simulate').Scenario;
 * const ready = withSamples(scenario, (file) => [12, 15, 13, 240]);
 * ```
 */
export function withSamples(scenario: Scenario, samples: (file: string) => readonly number[]): Scenario {
  const map = (l: LatencyInput | undefined): LatencyInput | undefined => {
    if (l === undefined || typeof l === 'number') return l;
    if (l.kind === 'bimodal') return { ...l, fast: map(l.fast) as LatencyInput, slow: map(l.slow) as LatencyInput };
    if (l.kind === 'empirical' && l.file !== undefined) return { kind: 'empirical', samplesMs: samples(l.file) };
    return l;
  };
  const withLatency = <T extends EndpointBehaviour>(b: T): T => (b.latency === undefined ? b : { ...b, latency: map(b.latency) as LatencyInput });
  const f = scenario.fleet;
  if (f === undefined) return scenario;
  const upstreams: Record<string, UpstreamFleet> = {};
  for (const [u, up] of Object.entries(f.upstreams ?? {})) {
    const endpoints: Record<string, EndpointBehaviour> = {};
    for (const [e, ep] of Object.entries(up.endpoints ?? {})) endpoints[e] = withLatency(ep);
    upstreams[u] = up.endpoints === undefined ? withLatency(up) : { ...withLatency(up), endpoints };
  }
  return {
    ...scenario,
    fleet: {
      ...(f.defaults === undefined ? {} : { defaults: withLatency(f.defaults) }),
      ...(f.upstreams === undefined ? {} : { upstreams }),
    },
  };
}

/**
 * Parses a samples file: numbers (ms) separated by white space, commas or new lines; `#` starts
 * a comment to the end of the line. Returns the samples or the problems (with 1-based lines).
 *
 * @example
 * ```ts
 * import { parseSamples } from '@switchyard/simulate';
 * parseSamples('# latency ms\n12, 15\n13 240\n'); // { kind: 'valid', samplesMs: [12, 15, 13, 240] }
 * ```
 */
export function parseSamples(text: string): { readonly kind: 'valid'; readonly samplesMs: readonly number[] } | { readonly kind: 'invalid'; readonly issues: readonly ConfigIssue[] } {
  const samplesMs: number[] = [];
  const issues: ConfigIssue[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const content = line.replace(/#.*$/, '');
    for (const token of content.split(/[\s,;]+/)) {
      if (token === '') continue;
      const v = Number(token);
      if (!Number.isFinite(v) || v < 0) issues.push({ path: `line ${i + 1}`, message: `${JSON.stringify(token)} is not a latency (a number >= 0)` });
      else samplesMs.push(v);
    }
  });
  if (issues.length === 0 && samplesMs.length === 0) issues.push({ path: '(file)', message: 'has no samples' });
  return issues.length > 0 ? { kind: 'invalid', issues } : { kind: 'valid', samplesMs };
}
