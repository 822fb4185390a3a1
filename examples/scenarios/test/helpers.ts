/**
 * Loads the shipped scenario and config files exactly as `switchyard simulate` does, and
 * shortens scenarios for the test suite (every time scaled by the same factor).
 */
import { fileURLToPath } from 'node:url';
import { loadInputs, loadScenario } from '@switchyard/cli';
import type { GatewayConfig } from '@switchyard/gateway';
import type { CdfSeries, Scenario, ScenarioEvent } from '@switchyard/simulate';

const dir = fileURLToPath(new URL('..', import.meta.url));

/** The config in `examples/scenarios/<name>`, loaded as the CLI loads it. */
export async function config(name: string): Promise<GatewayConfig> {
  const loaded = await loadInputs([`${dir}${name}`]);
  if (loaded.config === undefined || loaded.problems.length > 0) throw new Error(`${name}: ${JSON.stringify(loaded.problems)}`);
  return loaded.config;
}

/** The scenario file `examples/scenarios/<name>`, loaded as the CLI loads it. */
export async function scenario(name: string): Promise<Scenario> {
  const loaded = await loadScenario(`${dir}${name}`);
  if (loaded.kind === 'invalid') throw new Error(`${name}: ${JSON.stringify(loaded.problems)}`);
  return loaded.scenario;
}

/** The same scenario with every time (duration, events, rate points) multiplied by `k`. */
export function scaleTime(s: Scenario, k: number): Scenario {
  const rate = s.traffic.ratePerSecond;
  return {
    ...s,
    durationSeconds: s.durationSeconds * k,
    events: (s.events ?? []).map((e): ScenarioEvent => ({ ...e, atSeconds: e.atSeconds * k, ...(e.untilSeconds === undefined ? {} : { untilSeconds: e.untilSeconds * k }) })),
    traffic: { ...s.traffic, ratePerSecond: typeof rate === 'number' ? rate : rate.map((p) => ({ ...p, atSeconds: p.atSeconds * k })) },
  };
}

/** The same scenario at another (constant) request rate. */
export function withRate(s: Scenario, perSecond: number): Scenario {
  return { ...s, traffic: { ...s.traffic, ratePerSecond: perSecond } };
}

/** Share of requests answered within `ms` (from the CDF points: the largest fraction at or below `ms`). */
export function shareWithin(cdf: CdfSeries | undefined, ms: number): number {
  let f = 0;
  cdf?.latencyMs.forEach((l, i) => {
    if (l <= ms) f = cdf.fraction[i] as number;
  });
  return f;
}

/** Sum of a column over windows [from, to). */
export function sum(xs: readonly (number | null)[], from = 0, to = xs.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += xs[i] ?? 0;
  return s;
}
