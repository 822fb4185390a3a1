/**
 * `pnpm bench splitter`: cost of one sticky split decision (with a key, without one) and of the
 * bare hash, switchyard vs the hashing of Unleash (`murmurhash3js`, as unleash-client's
 * `normalizedStrategyValue` does) and GrowthBook (`hash()` v2 from @growthbook/growthbook);
 * plus the fraction of users reassigned when a ramp goes 10 → 20 → 50 %, uniformity, and the
 * non-ASCII behaviour of each hash.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { murmur3 } from '@switchyard/core';
import { assignWeighted, bucketOf, compileSplit, decideByKey, type SplitDecision } from '@switchyard/splitter';
import murmurHash3 from 'murmurhash3js';
import { round, runTasks, writeResults, type CaseResult, type Task } from './harness.ts';

const require = createRequire(import.meta.url);

/** GrowthBook's `hash(seed, value, version)`: not re-exported by the package root, so load its util module. */
async function loadGrowthBookHash(): Promise<(seed: string, value: string, version: number) => number | null> {
  const dir = dirname(require.resolve('@growthbook/growthbook/package.json'));
  const util = (await import(pathToFileURL(join(dir, 'dist/esm/util.mjs')).href)) as { hash: (s: string, v: string, n: number) => number | null };
  return util.hash;
}

/** unleash-client `normalizedStrategyValue(id, groupId, normalizer = 100, seed = 0)`. */
function unleashNormalized(id: string, groupId: string, normalizer = 100): number {
  const hash = murmurHash3.x86.hash32(`${groupId}:${id}`, 0);
  return (hash % normalizer) + 1;
}

/** GrowthBook's FNV-1a 32 (independent reimplementation, to check we call their hash right). */
function fnv1a(str: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < str.length; i++) {
    h ^= str.charCodeAt(i);
    h += (h << 1) + (h << 4) + (h << 7) + (h << 8) + (h << 24);
  }
  return h >>> 0;
}

// A tiny deterministic PRNG for inputs and the keyless path (sfc32-like quality is not needed here).
function xorshift(seed: number): { next(): number } {
  let s = seed >>> 0 || 1;
  return {
    next() {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      return (s >>> 0) / 4294967296;
    },
  };
}

export default async function run(): Promise<void> {
  const gbHash = await loadGrowthBookHash();
  const N = 1024;
  const ascii = Array.from({ length: N }, (_, i) => `user-${(i * 2654435761) >>> 0}`);
  const nonAscii = Array.from({ length: N }, (_, i) => `usuário-${(i * 2654435761) >>> 0}-ü`);
  const plan10 = compileSplit({ name: 'checkout', backends: [{ name: 'stable', weight: 90 }, { name: 'canary', weight: 10 }] });
  const plan3 = compileSplit({ name: 'checkout', backends: [{ name: 'a', weight: 45 }, { name: 'b', weight: 45 }, { name: 'canary', weight: 10 }] });
  const rng = xorshift(42);

  // ---- correctness first -------------------------------------------------------------------
  for (const k of ascii.slice(0, 64)) {
    // murmurhash3js and core's murmur3 agree on ASCII keys.
    if (murmurHash3.x86.hash32(k, 7) !== murmur3(k, 7)) throw new Error(`murmur3 mismatch on ${k}`);
    const gb = gbHash('checkout', k, 2);
    const expected = (fnv1a(String(fnv1a('checkout' + k))) % 10000) / 10000;
    if (gb !== expected) throw new Error(`growthbook hash mismatch on ${k}`);
    const d = decideByKey(plan10, k, rng) as Extract<SplitDecision, { kind: 'backend' }>;
    if (d.backend !== ['stable', 'canary'][assignWeighted(k, 'checkout', [{ name: 'stable', weight: 90 }, { name: 'canary', weight: 10 }])]) throw new Error('switchyard decision mismatch');
  }
  const u = unleashNormalized('123', 'gr1');
  if (u !== 73) throw new Error(`unleash normalizedStrategyValue('123','gr1') = ${u}, expected 73 (unleash-client test vector)`);
  if (murmurHash3.x86.hash32('feature:josé') !== 2075290051 || murmur3('feature:josé') !== 1143560805) throw new Error('non-ASCII reference values changed');

  // ---- timing ------------------------------------------------------------------------------
  let i = 0;
  const next = (keys: string[]): string => keys[(i = (i + 1) & (N - 1))] as string;
  const tasks: Task[] = [
    { case: 'decision with key (2 backends, 10 % canary)', impl: 'switchyard decideByKey', fn: () => decideByKey(plan10, next(ascii), rng) },
    { case: 'decision with key (2 backends, 10 % canary)', impl: 'unleash normalizedStrategyValue', fn: () => unleashNormalized(next(ascii), 'checkout') <= 10 },
    { case: 'decision with key (2 backends, 10 % canary)', impl: 'growthbook hash v2', fn: () => (gbHash('checkout', next(ascii), 2) as number) < 0.1 },
    { case: 'decision with key, non-ASCII', impl: 'switchyard decideByKey', fn: () => decideByKey(plan10, next(nonAscii), rng) },
    { case: 'decision with key, non-ASCII', impl: 'unleash normalizedStrategyValue', fn: () => unleashNormalized(next(nonAscii), 'checkout') <= 10 },
    { case: 'decision with key, non-ASCII', impl: 'growthbook hash v2', fn: () => (gbHash('checkout', next(nonAscii), 2) as number) < 0.1 },
    { case: 'decision with key (3 backends)', impl: 'switchyard decideByKey', fn: () => decideByKey(plan3, next(ascii), rng) },
    { case: 'decision without key (Rng)', impl: 'switchyard decideByKey', fn: () => decideByKey(plan10, undefined, rng) },
    { case: 'decision without key (Rng)', impl: 'inline rng() < 0.1', fn: () => rng.next() < 0.1 },
    { case: 'bare hash (ASCII key)', impl: 'switchyard murmur3 (UTF-8)', fn: () => murmur3(next(ascii), 7) },
    { case: 'bare hash (ASCII key)', impl: 'murmurhash3js', fn: () => murmurHash3.x86.hash32(next(ascii), 7) },
    { case: 'bare hash (ASCII key)', impl: 'growthbook hash v2', fn: () => gbHash('s', next(ascii), 2) },
    { case: 'bucket (0..9999)', impl: 'switchyard bucketOf', fn: () => bucketOf(next(ascii), 'checkout') },
  ];
  const cases: CaseResult[] = await runTasks(tasks, { time: 400, warmupTime: 150 });

  // ---- ramp reassignment -------------------------------------------------------------------
  const users = Array.from({ length: 100_000 }, (_, n) => (n % 2 === 0 ? `user-${n}` : `usuário-${n}-ü`));
  const impls: Record<string, (key: string, percent: number) => boolean> = {
    switchyard: (k, p) => (decideByKey(p === 10 ? plan10 : p === 20 ? plan20 : plan50, k, rng) as { backend: string }).backend === 'canary',
    'unleash (murmurhash3js)': (k, p) => unleashNormalized(k, 'checkout') <= p,
    'growthbook hash v2': (k, p) => (gbHash('checkout', k, 2) as number) < p / 100,
  };
  const notes: string[] = [];
  for (const [impl, inCanary] of Object.entries(impls)) {
    let prev = users.map((k) => inCanary(k, 10));
    for (const [from, to] of [
      [10, 20],
      [20, 50],
    ] as const) {
      const now = users.map((k) => inCanary(k, to));
      let reassigned = 0;
      let leftCanary = 0;
      now.forEach((c, n) => {
        if (c !== prev[n]) reassigned++;
        if (prev[n] && !c) leftCanary++;
      });
      const share = now.filter(Boolean).length / users.length;
      cases.push({ case: `ramp ${from} → ${to} %`, impl, reassignedFraction: round(reassigned / users.length, 4), expectedFraction: (to - from) / 100, leftCanary, canaryShare: round(share, 4) });
      prev = now;
    }
  }

  // ---- two stable backends + a canary: 45/45/10 → 40/40/20 ----------------------------------
  const three = (c: number): { name: string; weight: number }[] => [
    { name: 'a', weight: (100 - c) / 2 },
    { name: 'b', weight: (100 - c) / 2 },
    { name: 'canary', weight: c },
  ];
  const contiguous = (k: string, c: number): string => {
    // Envoy-style intervals in declared order over a 10 000-bucket hash.
    const b = bucketOf(k, 'checkout');
    const edge = ((100 - c) / 2) * 100;
    return b < edge ? 'a' : b < 2 * edge ? 'b' : 'canary';
  };
  const rendezvous = (k: string, c: number): string => ['a', 'b', 'canary'][assignWeighted(k, 'checkout', three(c))] as string;
  for (const [impl, f] of [
    ['switchyard (weighted rendezvous)', rendezvous],
    ['contiguous 10 000-bucket ranges', contiguous],
  ] as const) {
    let between = 0;
    let leftCanary = 0;
    let toCanary = 0;
    for (const k of users) {
      const x = f(k, 10);
      const y = f(k, 20);
      if (x !== y && x !== 'canary' && y !== 'canary') between++;
      if (x === 'canary' && y !== 'canary') leftCanary++;
      if (x !== 'canary' && y === 'canary') toCanary++;
    }
    cases.push({ case: 'ramp 45/45/10 → 40/40/20 (two stable backends)', impl, movedBetweenStable: round(between / users.length, 4), movedToCanary: round(toCanary / users.length, 4), leftCanary });
  }

  // ---- uniformity and non-ASCII --------------------------------------------------------------
  const chi2 = (bucket: (k: string) => number, keys: string[]): number => {
    const bins = new Array<number>(100).fill(0);
    for (const k of keys) bins[bucket(k)]!++;
    const e = keys.length / 100;
    return round(bins.reduce((a, o) => a + (o - e) ** 2 / e, 0), 1);
  };
  const million = (f: (n: number) => string): string[] => Array.from({ length: 1_000_000 }, (_, n) => f(n));
  const asciiM = million((n) => `user-${n}`);
  const nonAsciiM = million((n) => `用户-${n}`);
  const buckets: Record<string, (k: string) => number> = {
    switchyard: (k) => Math.floor(bucketOf(k, 'checkout') / 100),
    'unleash (murmurhash3js)': (k) => unleashNormalized(k, 'checkout') - 1,
    'growthbook hash v2': (k) => Math.floor((gbHash('checkout', k, 2) as number) * 100),
  };
  for (const [impl, b] of Object.entries(buckets)) {
    cases.push({ case: 'χ² over 100 bins, 1M ids (df 99; 0.1 % critical 148.2)', impl, asciiChi2: chi2(b, asciiM), nonAsciiChi2: chi2(b, nonAsciiM) });
  }
  // U+0100…U+01FF vs U+0000…U+00FF: distinct UTF-8 bytes, but murmurhash3js masks char codes with & 0xff.
  let collide = 0;
  let collideOurs = 0;
  for (let c = 0; c < 256; c++) {
    const a = `user-${String.fromCharCode(0x100 + c)}`;
    const b = `user-${String.fromCharCode(c)}`;
    if (murmurHash3.x86.hash32(a) === murmurHash3.x86.hash32(b)) collide++;
    if (murmur3(a) === murmur3(b)) collideOurs++;
  }
  cases.push({ case: 'collisions among 256 key pairs differing only above U+00FF', impl: 'switchyard murmur3 (UTF-8)', collisions: collideOurs });
  cases.push({ case: 'collisions among 256 key pairs differing only above U+00FF', impl: 'murmurhash3js', collisions: collide });
  notes.push(
    'reassignedFraction: share of 100k users (half non-ASCII) whose canary/stable assignment changed; expectedFraction is the added slice; leftCanary counts users moved out of the canary (must be 0).',
    'Unleash normalizes to 1..100 (1 % granularity); GrowthBook to 0.0000..0.9999; switchyard decides by weighted rendezvous over 32-bit hashes (bucketOf: 0..9999).',
  );
  writeResults('splitter', cases, notes);
  for (const c of cases) if (c.ns === undefined) console.log(JSON.stringify(c));
}

const plan20 = compileSplit({ name: 'checkout', backends: [{ name: 'stable', weight: 80 }, { name: 'canary', weight: 20 }] });
const plan50 = compileSplit({ name: 'checkout', backends: [{ name: 'stable', weight: 50 }, { name: 'canary', weight: 50 }] });
