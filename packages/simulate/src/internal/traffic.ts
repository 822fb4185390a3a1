/**
 * The traffic generator: a rate over time (piecewise constant or linear, times the factors of
 * active `traffic-rate` events) turned into arrival gaps, and the request mix.
 *
 * Poisson arrivals with a rate that changes over time are a non-homogeneous Poisson process;
 * they are drawn by inversion of the integrated rate (Çinlar's method: a unit-rate exponential
 * E, then the time t at which ∫ rate = E; L. Devroye, "Non-Uniform Random Variate Generation",
 * 1986, §VI.1), exact for piecewise-linear rates, no thinning and no wasted draws. Constant
 * arrivals take E = 1: evenly spaced in the integrated rate.
 */
import type { Rng, SyRequest } from '@switchyard/core';
import type { ClientClass, Scenario } from '../scenario.js';

/** One piece of the rate: from `fromS` to `toS` (seconds) the rate goes linearly from `r0` to `r1` (per second). */
interface Segment {
  readonly fromS: number;
  readonly toS: number;
  readonly r0: number;
  readonly r1: number;
}

/** The rate function of a scenario as segments covering [0, duration). */
export function rateSegments(scenario: Scenario): Segment[] {
  const t = scenario.traffic;
  const dur = scenario.durationSeconds;
  const points = typeof t.ratePerSecond === 'number' ? [{ atSeconds: 0, perSecond: t.ratePerSecond }] : t.ratePerSecond;
  const linear = t.rateShape === 'linear';
  const base = (s: number): number => {
    let i = 0;
    while (i + 1 < points.length && (points[i + 1] as { atSeconds: number }).atSeconds <= s) i++;
    const p = points[i] as { atSeconds: number; perSecond: number };
    const q = points[i + 1];
    if (!linear || q === undefined) return p.perSecond;
    return p.perSecond + ((q.perSecond - p.perSecond) * (s - p.atSeconds)) / (q.atSeconds - p.atSeconds);
  };
  const rateEvents = (scenario.events ?? []).filter((e) => e.kind === 'traffic-rate');
  const factor = (s: number): number => {
    let f = 1;
    for (const e of rateEvents) if (e.atSeconds <= s && s < (e.untilSeconds ?? Number.POSITIVE_INFINITY)) f *= e.factor;
    return f;
  };
  const cuts = new Set<number>([0, dur]);
  for (const p of points) if (p.atSeconds < dur) cuts.add(p.atSeconds);
  for (const e of rateEvents) {
    if (e.atSeconds < dur) cuts.add(e.atSeconds);
    if (e.untilSeconds !== undefined && e.untilSeconds < dur) cuts.add(e.untilSeconds);
  }
  const sortedCuts = [...cuts].sort((a, b) => a - b);
  const out: Segment[] = [];
  for (let i = 0; i + 1 < sortedCuts.length; i++) {
    const a = sortedCuts[i] as number;
    const b = sortedCuts[i + 1] as number;
    const f = factor(a);
    // Every point is a cut: within [a, b) the base rate is constant (step) or linear and
    // continuous (linear), so its value just before b is base(b).
    out.push({ fromS: a, toS: b, r0: base(a) * f, r1: (linear ? base(b) : base(a)) * f });
  }
  return out;
}

/**
 * The time, in seconds after `fromS`, at which the integrated rate reaches `e` more arrivals;
 * Infinity when the traffic ends first.
 */
export function timeToArrivals(segments: readonly Segment[], fromS: number, e: number): number {
  let need = e;
  for (const s of segments) {
    if (s.toS <= fromS) continue;
    const a = Math.max(s.fromS, fromS);
    const slope = (s.r1 - s.r0) / (s.toS - s.fromS);
    const ra = s.r0 + slope * (a - s.fromS);
    const len = s.toS - a;
    const area = ra * len + (slope * len * len) / 2;
    if (area >= need && area > 0) {
      let x: number;
      if (Math.abs(slope) < 1e-12) x = need / ra;
      else {
        // slope/2 · x² + ra · x = need, the root in [0, len].
        const disc = ra * ra + 2 * slope * need;
        x = (-ra + Math.sqrt(Math.max(0, disc))) / slope;
      }
      return a + Math.min(Math.max(x, 0), len) - fromS;
    }
    need -= area;
  }
  return Number.POSITIVE_INFINITY;
}

/** The arrival process for `runLoad`'s `arrivalGapMs`. */
export function arrivalGaps(scenario: Scenario): (elapsedMs: number, rng: Rng) => number {
  const segments = rateSegments(scenario);
  const constant = scenario.traffic.arrivals === 'constant';
  let first = true;
  return (elapsedMs, rng) => {
    const fromS = elapsedMs / 1000;
    if (constant && first) {
      first = false;
      // The first constant arrival is at once if traffic starts at 0, else when it starts.
      const firstAt = timeToArrivals(segments, 0, 1e-9);
      return firstAt * 1000;
    }
    first = false;
    const e = constant ? 1 : -Math.log(1 - rng.next());
    return timeToArrivals(segments, fromS, e) * 1000;
  };
}

/** Picks an index with probability proportional to `weights` (one draw). */
function pickWeighted(cumulative: readonly number[], rng: Rng): number {
  const total = cumulative[cumulative.length - 1] as number;
  const u = rng.next() * total;
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (u < (cumulative[mid] as number)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

const cumulate = (weights: readonly number[]): number[] => {
  let s = 0;
  return weights.map((w) => (s += w));
};

/** What the generator knows about a request it made, for the report. */
export interface Generated {
  readonly request: SyRequest;
  /** The client class name. */
  readonly client: string;
}

/** The request maker for `runLoad`'s `makeRequest`. */
export function requestMaker(scenario: Scenario): (index: number, rng: Rng) => Generated {
  const t = scenario.traffic;
  const templates = t.requests ?? [{}];
  const tplCum = cumulate(templates.map((r) => r.weight ?? 1));
  const clients: readonly ClientClass[] = t.clients ?? [{ name: 'default' }];
  const clCum = cumulate(clients.map((c) => c.weight ?? 1));
  const addresses = clients.map((c, ci) => {
    if (c.addresses !== undefined) return c.addresses;
    const n = c.addressCount ?? 1;
    // 10.<class>.<hi>.<lo>: distinct per class and per index, valid IPv4.
    return Array.from({ length: n }, (_, i) => `10.${ci % 256}.${(i >> 8) & 255}.${i & 255}`);
  });
  const host = t.host ?? 'gateway.test';
  const scheme = t.scheme ?? 'http';
  return (_index, rng) => {
    const tpl = templates[templates.length === 1 ? 0 : pickWeighted(tplCum, rng)] as (typeof templates)[number];
    const ci = clients.length === 1 ? 0 : pickWeighted(clCum, rng);
    const cl = clients[ci] as ClientClass;
    const addrs = addresses[ci] as readonly string[];
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(tpl.headers ?? {})) headers[k.toLowerCase()] = v;
    for (const [k, v] of Object.entries(cl.headers ?? {})) headers[k.toLowerCase()] = v;
    if (cl.apiKeys !== undefined) headers[(cl.apiKeyHeader ?? 'x-api-key').toLowerCase()] = cl.apiKeys[cl.apiKeys.length === 1 ? 0 : Math.floor(rng.next() * cl.apiKeys.length)] as string;
    const authority = (tpl.host ?? host).toLowerCase();
    if (headers['host'] === undefined) headers['host'] = authority;
    const request: SyRequest = {
      method: tpl.method ?? 'GET',
      scheme,
      authority,
      path: tpl.path ?? '/',
      query: tpl.query ?? '',
      headers,
      clientAddress: addrs[addrs.length === 1 ? 0 : Math.floor(rng.next() * addrs.length)] as string,
      attributes: { ...(cl.attributes ?? {}) },
    };
    return { request, client: cl.name };
  };
}
