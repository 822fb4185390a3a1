/**
 * The demo's headline claims, checked against what was recorded before anything is printed as
 * a conclusion. Pure functions over plain data (unit-tested in `test/claims.test.ts`).
 *
 * Every claim is about proportions or about the order of events, never about timing, so a
 * loaded machine changes the numbers but not the conclusions:
 * - a rollout step's share is counted from the gateway's own split decisions on the rolled-out
 *   route between the rollout events that start and end the step (the event stream is ordered:
 *   no clock is compared), with a tolerance derived from the step's sample size;
 * - "no request went to an ejected / unhealthy endpoint" counts the tries the gateway started
 *   between the health events, in the same ordered stream.
 */
import type { GatewayEvent } from '@switchyard/gateway';
import type { Sample } from './traffic.js';

type HealthEvent = Extract<GatewayEvent, { kind: 'health' }>['event'];
type RolloutEvent = Extract<GatewayEvent, { kind: 'rollout' }>['event'];

/** One gateway event the demo keeps, in emission order; `t` is ms since the demo's start. */
export type LogEntry =
  | { readonly t: number; readonly kind: 'split'; readonly route: string; readonly backend: string }
  /** `attempt` 1 is a request's first try (its routing decision), higher ones its retries and hedges. */
  | { readonly t: number; readonly kind: 'try'; readonly route: string; readonly endpoint: string; readonly attempt: number }
  | { readonly t: number; readonly kind: 'health'; readonly upstream: string; readonly event: HealthEvent }
  | { readonly t: number; readonly kind: 'rollout'; readonly route: string; readonly event: RolloutEvent };

/** A scheduled trouble of one instance, ms since the demo's start. */
export interface Trouble {
  readonly id: string;
  readonly fromMs: number;
  readonly toMs: number;
}

/** What the demo set up, so the claims know what to expect. */
export interface Scenario {
  readonly durationMs: number;
  /** The unmeasured warm-up run before the story's clock starts (for the report's wording). */
  readonly warmupMs: number;
  /** The rolled-out route and its backends. */
  readonly rollout: { readonly route: string; readonly canary: string; readonly baseline: string; readonly steps: readonly number[] };
  /** Distinct split keys (user ids) the traffic draws from. */
  readonly users: number;
  /** Requests fail (503) while `/healthz` says 200: outlier detection's job. */
  readonly grayFailure: Trouble;
  /** `/healthz` fails while requests are served: the active health check's job. */
  readonly drain: Trouble;
  /** Much slower (`factor`×): Peak EWMA's job. */
  readonly slow: Trouble & { readonly factor: number };
  /** The instances of the baseline version (the slow one's peers). */
  readonly baselineIds: readonly string[];
  /** Token buckets per API key, by tier. */
  readonly limits: Readonly<Record<'free' | 'pro', { readonly burst: number; readonly perSecond: number }>>;
}

export interface Recorded {
  readonly samples: readonly Sample[];
  readonly log: readonly LogEntry[];
  /** 503s each upstream answered (its own count). */
  readonly failedByUpstream: ReadonlyMap<string, number>;
}

export interface Claim {
  readonly id: 'rollout' | 'step-shares' | 'outlier-detection' | 'active-health-check' | 'peak-ewma' | 'retries' | 'rate-limits';
  /** The conclusion, the same words on every run that holds it. */
  readonly text: string;
  readonly ok: boolean;
  /** The numbers behind it (they vary from run to run). */
  readonly evidence: string;
}

/** One rollout step as the gateway's split decisions saw it. */
export interface StepShare {
  readonly weightPercent: number;
  readonly fromMs: number;
  readonly toMs: number;
  readonly decisions: number;
  readonly canary: number;
  /** Allowed deviation of the share from `weightPercent / 100`. */
  readonly tolerance: number;
  readonly ok: boolean;
}

/** z of the share tolerances: a correct split lands outside them once in ~16 000 steps. */
export const SHARE_Z = 4;

/**
 * How far a step's observed canary share may sit from its weight `p`: `z·√(p(1−p)(1/n + 1/U))`.
 * `1/n`: the binomial noise of `n` decisions; `1/U`: the split is sticky by a hash of the user
 * id, so the share of the `U` users that hash below the weight is itself off by that much.
 */
export function shareTolerance(p: number, n: number, users: number, z = SHARE_Z): number {
  if (n === 0) return 1;
  return z * Math.sqrt(p * (1 - p) * (1 / n + 1 / users));
}

/** Splits the rolled-out route's decisions into the rollout's steps (by event order). */
export function stepShares(rec: Recorded, sc: Scenario): StepShare[] {
  const out: StepShare[] = [];
  let weight = sc.rollout.steps[0] ?? 0;
  let from = 0;
  let n = 0;
  let canary = 0;
  const close = (to: number): void => {
    const p = weight / 100;
    const tolerance = shareTolerance(p, n, sc.users);
    out.push({ weightPercent: weight, fromMs: from, toMs: to, decisions: n, canary, tolerance, ok: n === 0 || Math.abs(canary / n - p) <= tolerance + 1e-12 });
  };
  for (const e of rec.log) {
    if (e.kind === 'split' && e.route === sc.rollout.route) {
      n++;
      if (e.backend === sc.rollout.canary) canary++;
    } else if (e.kind === 'rollout' && e.route === sc.rollout.route && e.event.toPercent !== weight) {
      close(e.t);
      weight = e.event.toPercent;
      from = e.t;
      n = 0;
      canary = 0;
    }
  }
  close(sc.durationMs);
  return out;
}

interface Period {
  readonly from: number;
  readonly to: number;
  /** Index range in the log. */
  readonly start: number;
  readonly end: number;
}

/** Periods between an `open` health event and the next `close` one for `id` (or the end of the log). */
function periods(log: readonly LogEntry[], id: string, open: HealthEvent['kind'], close: HealthEvent['kind']): Period[] {
  const out: Period[] = [];
  let start: number | undefined;
  log.forEach((e, i) => {
    if (e.kind !== 'health' || !('endpointId' in e.event) || e.event.endpointId !== id) return;
    if (e.event.kind === open && start === undefined) start = i;
    else if (e.event.kind === close && start !== undefined) {
      out.push({ from: log[start]!.t, to: e.t, start, end: i });
      start = undefined;
    }
  });
  if (start !== undefined) out.push({ from: log[start]!.t, to: Number.POSITIVE_INFINITY, start, end: log.length });
  return out;
}

/**
 * Tries sent to `id` within a period: `routed` are first tries (new requests routed to it),
 * `retried` later tries of requests that began before the period (the gateway computes a
 * request's eligible endpoints once, when it starts: a retry picks from that list).
 */
function triesWithin(log: readonly LogEntry[], id: string, ps: readonly Period[]): { routed: number; retried: number } {
  let routed = 0;
  let retried = 0;
  for (const p of ps) {
    for (let i = p.start + 1; i < p.end; i++) {
      const e = log[i]!;
      if (e.kind === 'try' && e.endpoint === id) {
        if (e.attempt === 1) routed++;
        else retried++;
      }
    }
  }
  return { routed, retried };
}

const s1 = (ms: number): string => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(1)} s` : 'the end');
const pc = (x: number): string => `${(100 * x).toFixed(1)}%`;

function rolloutClaim(rec: Recorded, sc: Scenario): Claim {
  const events = rec.log.flatMap((e) => (e.kind === 'rollout' && e.route === sc.rollout.route ? [e.event] : []));
  const moves = events.filter((e) => (e.type === 'promoted' || e.type === 'succeeded') && e.toPercent !== sc.rollout.steps[0]).map((e) => e.toPercent);
  const expected = sc.rollout.steps.slice(1);
  const bad = events.find((e) => e.type === 'rolled-back' || e.type === 'paused' || e.type === 'aborted') ?? events.find((e) => e.type === 'check-failed');
  const succeeded = events.some((e) => e.type === 'succeeded');
  const ok = bad === undefined && succeeded && moves.join() === expected.join();
  const path = sc.rollout.steps.join(' → ');
  const held = events.filter((e) => e.type === 'held' || e.type === 'inconclusive').length;
  return {
    id: 'rollout',
    text: `the canary analysis passed at every step: ${sc.rollout.canary} went ${path} % and the rollout succeeded`,
    ok,
    evidence: ok
      ? `promotions at ${events.filter((e) => e.type === 'promoted' || e.type === 'succeeded').map((e) => `${e.toPercent}%`).join(', ')}; ${held} check(s) held for more data`
      : bad !== undefined
        ? `the rollout ${bad.type} at ${bad.fromPercent}%: ${bad.reason}`
        : `reached ${[sc.rollout.steps[0], ...moves].join(' → ')} % by the end of the run (last event: ${events.at(-1)?.type ?? 'none'}: ${events.at(-1)?.reason ?? '-'})`,
  };
}

function sharesClaim(steps: readonly StepShare[], sc: Scenario): Claim {
  const judged = steps.filter((s) => s.decisions > 0);
  const bad = judged.filter((s) => !s.ok);
  const expected = new Set(sc.rollout.steps);
  const missing = sc.rollout.steps.filter((w) => !judged.some((s) => s.weightPercent === w));
  const ok = bad.length === 0 && missing.length === 0 && judged.every((s) => expected.has(s.weightPercent));
  return {
    id: 'step-shares',
    text: `each step sent its weight's share of the ${sc.rollout.route} route's requests to ${sc.rollout.canary} (within ${SHARE_Z} standard errors of its sample size)`,
    ok,
    evidence:
      judged.map((s) => `${s.weightPercent}%: ${pc(s.canary / s.decisions)} of ${s.decisions} (±${pc(s.tolerance)})`).join('; ') +
      (missing.length > 0 ? `; no decision at ${missing.join(', ')}%` : '') +
      (judged.some((s) => !expected.has(s.weightPercent)) ? `; unexpected weight(s) ${judged.filter((s) => !expected.has(s.weightPercent)).map((s) => `${s.weightPercent}%`).join(', ')}` : ''),
  };
}

function outlierClaim(rec: Recorded, sc: Scenario): Claim {
  const { id, fromMs, toMs } = sc.grayFailure;
  const ejections = rec.log.flatMap((e) => (e.kind === 'health' && e.event.kind === 'ejected' && e.event.endpointId === id ? [e] : []));
  const byDetector = ejections.filter((e) => e.event.kind === 'ejected' && e.event.detector === 'consecutive-5xx' && e.t >= fromMs);
  const ps = periods(rec.log, id, 'ejected', 'unejected');
  const leaked = triesWithin(rec.log, id, ps);
  const last = ps.at(-1);
  const back = last !== undefined && Number.isFinite(last.to) && last.to >= toMs;
  const servedAfter = back ? rec.samples.filter((s) => s.servedBy === id && s.status === 200 && s.at > last.to).length : 0;
  const ok = byDetector.length > 0 && leaked.routed === 0 && back && servedAfter > 0;
  return {
    id: 'outlier-detection',
    text: `outlier detection ejected ${id} while it answered 503 with a passing health check, routed no new request to it while ejected, and let it back once it recovered`,
    ok,
    evidence:
      byDetector.length === 0
        ? `no consecutive-5xx ejection of ${id} (its failure ran ${s1(fromMs)}–${s1(toMs)})`
        : `${ps.length} ejection(s): ${ps.map((p) => `${s1(p.from)}–${s1(p.to)}`).join(', ')}; ${leaked.routed} new requests routed to it while ejected (${leaked.retried} retries of earlier ones); ${back ? `${servedAfter} responses served after it was let back` : `still ejected at the end (failure ended at ${s1(toMs)})`}`,
  };
}

function healthCheckClaim(rec: Recorded, sc: Scenario): Claim {
  const { id, fromMs, toMs } = sc.drain;
  const ps = periods(rec.log, id, 'unhealthy', 'healthy');
  const during = ps.find((p) => p.from >= fromMs);
  const leaked = triesWithin(rec.log, id, ps);
  const back = during !== undefined && Number.isFinite(during.to) && during.to >= toMs;
  const servedAfter = back ? rec.samples.filter((s) => s.servedBy === id && s.status === 200 && s.at > during.to).length : 0;
  const ok = during !== undefined && leaked.routed === 0 && back && servedAfter > 0;
  return {
    id: 'active-health-check',
    text: `the active health check took ${id} out while its /healthz failed (its requests still succeeding), routed no new request to it meanwhile, and put it back when the check passed again`,
    ok,
    evidence:
      during === undefined
        ? `${id} was never marked unhealthy after its /healthz started failing at ${s1(fromMs)}`
        : `unhealthy ${s1(during.from)}–${s1(during.to)} (/healthz failed ${s1(fromMs)}–${s1(toMs)}); ${leaked.routed} new requests routed to it while unhealthy (${leaked.retried} retries of earlier ones); ${servedAfter} responses served after`,
  };
}

function peakEwmaClaim(rec: Recorded, sc: Scenario): Claim {
  const { id, fromMs, toMs, factor } = sc.slow;
  const peers = new Set(sc.baselineIds);
  let nBefore = 0;
  let cBefore = 0;
  let nDuring = 0;
  let cDuring = 0;
  for (const e of rec.log) {
    if (e.kind !== 'try' || !peers.has(e.endpoint)) continue;
    if (e.t >= 0 && e.t < fromMs) {
      nBefore++;
      if (e.endpoint === id) cBefore++;
    } else if (e.t >= fromMs && e.t < toMs) {
      nDuring++;
      if (e.endpoint === id) cDuring++;
    }
  }
  const before = nBefore === 0 ? 0 : cBefore / nBefore;
  const during = nDuring === 0 ? 0 : cDuring / nDuring;
  // Enough tries on both sides that "less than half" is not noise (a share of ~1/3 on 30 tries has a standard error of ~9 %).
  const ok = nBefore >= 30 && nDuring >= 30 && during < before / 2;
  return {
    id: 'peak-ewma',
    text: `Peak EWMA sent ${id} less than half its earlier share of ${sc.rollout.baseline}'s tries while it was ${factor}× slower`,
    ok,
    evidence: `${pc(before)} of ${nBefore} tries before its slowdown, ${pc(during)} of ${nDuring} during it`,
  };
}

function retriesClaim(rec: Recorded, sc: Scenario): Claim {
  const { id } = sc.grayFailure;
  const answered = rec.failedByUpstream.get(id) ?? 0;
  const seen = rec.samples.filter((s) => s.servedBy === id && s.status === 503).length;
  return {
    id: 'retries',
    text: `retries hid ${id}'s 503s: no client received one`,
    ok: answered > 0 && seen === 0,
    evidence: `${id} answered ${answered} 503s; clients received ${seen} of them`,
  };
}

function limitsClaim(rec: Recorded, sc: Scenario): Claim {
  // A token bucket lets through at most its burst plus what refills over the time its requests
  // were decided (the traffic's duration; 2 s of slack for requests decided late on a loaded
  // machine only loosens the bound).
  const bound = (tier: 'free' | 'pro'): number => sc.limits[tier].burst + sc.limits[tier].perSecond * Math.ceil((sc.durationMs + 2_000) / 1000);
  const perKey = new Map<string, { tier: string; allowed: number; limited: number }>();
  for (const s of rec.samples) {
    if (s.route === undefined || s.status === 0) continue;
    const k = perKey.get(s.key) ?? { tier: s.tier, allowed: 0, limited: 0 };
    if (s.status === 429) k.limited++;
    else k.allowed++;
    perKey.set(s.key, k);
  }
  const free = [...perKey.values()].filter((k) => k.tier === 'free');
  const pro = [...perKey.values()].filter((k) => k.tier === 'pro');
  const freeMax = Math.max(0, ...free.map((k) => k.allowed));
  const freeLimited = free.reduce((a, k) => a + k.limited, 0);
  const proLimited = pro.reduce((a, k) => a + k.limited, 0);
  const ok = free.length > 0 && pro.length > 0 && freeMax <= bound('free') && freeLimited > 0 && proLimited === 0;
  return {
    id: 'rate-limits',
    text: `every free key was held to its token bucket (burst ${sc.limits.free.burst}, ${sc.limits.free.perSecond}/s) and no pro key was ever limited`,
    ok,
    evidence: `free keys: at most ${freeMax} requests let through per key (bound ${bound('free')}), ${freeLimited} answered 429; pro keys: ${proLimited} answered 429`,
  };
}

/** Checks every claim; the demo prints a claim as a conclusion only when `ok`. */
export function checkClaims(rec: Recorded, sc: Scenario): { readonly claims: readonly Claim[]; readonly steps: readonly StepShare[] } {
  const steps = stepShares(rec, sc);
  return {
    steps,
    claims: [rolloutClaim(rec, sc), sharesClaim(steps, sc), outlierClaim(rec, sc), healthCheckClaim(rec, sc), peakEwmaClaim(rec, sc), retriesClaim(rec, sc), limitsClaim(rec, sc)],
  };
}
