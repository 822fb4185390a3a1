/**
 * `compatibility: 'envoy'`: every expectation below is copied from Envoy's own tests (file and
 * test name cited on each), so that a switchyard service and an Envoy sidecar agree on which
 * host a key goes to. Envoy's tests hand the balancer a 64-bit hash directly
 * (`TestLoadBalancerContext(hash)`); here the same hash is looked up in the structure switchyard
 * builds, and the balancers are then checked to pick through that structure.
 */
import { ConfigError, createEndpoint, type Endpoint, type SyRequest } from '@switchyard/core';
import { seededRng } from '@switchyard/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { boundedPick } from './internal/bounded-load.js';
import { envoyBoundedPick, envoyHashKey, envoyProbeOrder, mod64 } from './internal/envoy.js';
import { baseSlot, type Slot } from './internal/slots.js';
import {
  buildEnvoyMaglevTable,
  buildEnvoyRing,
  computeEnvoyRequestHash,
  envoyRingLookup,
  hashByAttribute,
  hashByCookie,
  hashByHeader,
  hashByQueryParameter,
  hashBySourceIp,
  maglev,
  ringHash,
  xxhash64,
  type EnvoyRing,
} from './index.js';

const PORTS = [90, 91, 92, 93, 94, 95];
const ADDRESSES = PORTS.map((p) => `127.0.0.1:${p}`);
const HOSTNAMES = PORTS.map((p) => `${p}`);
const UINT64_MAX = 2n ** 64n - 1n;

function request(headers: Record<string, string>, extra: Partial<SyRequest> = {}): SyRequest {
  return { method: 'GET', scheme: 'http', authority: 'svc', path: '/', query: '', headers, attributes: {}, ...extra };
}

/** Ring size and hashes per host, as Envoy's `ring_hash_lb.{size,min,max}_hashes_per_host` stats. */
function ringStats(ring: EnvoyRing, hosts: number): { size: number; min: number; max: number } {
  const counts = new Array<number>(hosts).fill(0);
  for (const o of ring.owners) counts[o] = (counts[o] as number) + 1;
  return { size: ring.owners.length, min: Math.min(...counts), max: Math.max(...counts) };
}

/** Entries per host of a Maglev table, as Envoy's `maglev_lb.{min,max}_entries_per_host`. */
function tableStats(table: Int32Array, hosts: number): { min: number; max: number } {
  const counts = new Array<number>(hosts).fill(0);
  for (const o of table) counts[o] = (counts[o] as number) + 1;
  return { min: Math.min(...counts), max: Math.max(...counts) };
}

describe('Envoy Maglev table (test/extensions/load_balancing_policies/maglev/maglev_lb_test.cc)', () => {
  it('MaglevLoadBalancerTest.Basic - six hosts, table size 7: 2, 4, 0, 1, 5, 0, 3; entries per host 1..2', () => {
    const table = buildEnvoyMaglevTable(ADDRESSES, [1, 1, 1, 1, 1, 1], 7);
    expect(Array.from(table)).toEqual([2, 4, 0, 1, 5, 0, 3]);
    expect(tableStats(table, 6)).toEqual({ min: 1, max: 2 });
    // chooseHost(hash i) = table[i mod 7] for i in 0 .. 20, as the test loops.
    const expected = [2, 4, 0, 1, 5, 0, 3];
    for (let i = 0; i < 21; i++) expect(table[Number(BigInt(i) % 7n)]).toBe(expected[i % 7]);
  });

  it('MaglevLoadBalancerTest.BasicWithHostName / BasicWithMetadataHashKey - keys "90".."95": 2, 5, 0, 3, 4, 1, 0', () => {
    expect(Array.from(buildEnvoyMaglevTable(HOSTNAMES, [1, 1, 1, 1, 1, 1], 7))).toEqual([2, 5, 0, 3, 4, 1, 0]);
  });

  it('MaglevLoadBalancerTest.BasicStability - the same table whatever the host order', () => {
    fc.assert(
      fc.property(fc.shuffledSubarray([0, 1, 2, 3, 4, 5], { minLength: 6, maxLength: 6 }), (perm) => {
        const table = buildEnvoyMaglevTable(
          perm.map((i) => ADDRESSES[i] as string),
          [1, 1, 1, 1, 1, 1],
          7,
        );
        expect(Array.from(table, (k) => PORTS[perm[k] as number])).toEqual([92, 94, 90, 91, 95, 90, 93]);
      }),
      { numRuns: 40 },
    );
  });

  it('MaglevLoadBalancerTest.Weighted - weights 1 and 2, table size 17: the listed table, 6 and 11 entries', () => {
    const table = buildEnvoyMaglevTable(['127.0.0.1:90', '127.0.0.1:91'], [1, 2], 17);
    expect(Array.from(table)).toEqual([1, 0, 0, 1, 0, 1, 1, 0, 1, 1, 1, 1, 1, 0, 1, 0, 1]);
    expect(tableStats(table, 2)).toEqual({ min: 6, max: 11 });
  });

  it('MaglevLoadBalancerTest.WeightedSingleHost - one host of weight 7 owns every slot', () => {
    expect(Array.from(buildEnvoyMaglevTable(['127.0.0.1:90'], [7], 17))).toEqual(new Array(17).fill(0));
  });

  it('maglev_lb.h DefaultTableSize - 65 537 slots, weights 1 and 2 → 21 846 and 43 691 entries (semantics.md §1.1)', () => {
    const table = buildEnvoyMaglevTable(['127.0.0.1:90', '127.0.0.1:91'], [1, 2]);
    expect(table.length).toBe(65_537);
    expect(tableStats(table, 2)).toEqual({ min: 21_846, max: 43_691 });
  });
});

describe('Envoy ring (test/extensions/load_balancing_policies/ring_hash/ring_hash_lb_test.cc)', () => {
  // The ring of RingHashLoadBalancerTest.Basic / BasicWithRetryHostPredicate (minimum_ring_size 12).
  const BASIC_RING: [number, bigint][] = [
    [94, 833437586790550860n],
    [92, 928266305478181108n],
    [90, 1033482794131418490n],
    [95, 3551244743356806947n],
    [93, 3851675632748031481n],
    [91, 5583722120771150861n],
    [91, 6311230543546372928n],
    [93, 7700377290971790572n],
    [95, 13144177310400110813n],
    [92, 13444792449719432967n],
    [94, 15516499411664133160n],
    [90, 16117243373044804889n],
  ];

  const positions = (ring: EnvoyRing, names: readonly number[]): [number, bigint][] =>
    Array.from(ring.owners, (o, j) => [names[o] as number, (BigInt(ring.hi[j] as number) << 32n) | BigInt(ring.lo[j] as number)]);

  it('RingHashLoadBalancerTest.Basic - the 12 positions, and 0 → :94, max → :94 (wraps), an exact position → its host, one past → the next', () => {
    const ring = buildEnvoyRing(ADDRESSES, [1, 1, 1, 1, 1, 1], 12, 8_388_608);
    expect(ringStats(ring, 6)).toEqual({ size: 12, min: 2, max: 2 });
    expect(positions(ring, PORTS)).toEqual(BASIC_RING);
    expect(envoyRingLookup(ring, 0n)).toBe(4);
    expect(envoyRingLookup(ring, UINT64_MAX)).toBe(4);
    expect(envoyRingLookup(ring, 3551244743356806947n)).toBe(5);
    expect(envoyRingLookup(ring, 3551244743356806948n)).toBe(3);
    // The random() of 16117243373044804880 lands on :90's last entry.
    expect(envoyRingLookup(ring, 16117243373044804880n)).toBe(0);
  });

  it('RingHashLoadBalancerTest.BasicWithHostname / BasicWithMetadataHashKey - keys "90".."95": the listed ring and picks', () => {
    const ring = buildEnvoyRing(HOSTNAMES, [1, 1, 1, 1, 1, 1], 12, 8_388_608);
    expect(positions(ring, PORTS)).toEqual([
      [95, 1975508444536362413n],
      [95, 2376063919839173711n],
      [93, 2386806903309390596n],
      [94, 6749904478991551885n],
      [93, 6803900775736438537n],
      [92, 7225015537174310577n],
      [90, 8787465352164086522n],
      [92, 11282020843382717940n],
      [91, 13723418369486627818n],
      [90, 13776502110861797421n],
      [91, 14338313586354474791n],
      [94, 15364271037087512980n],
    ]);
    expect(envoyRingLookup(ring, 0n)).toBe(5);
    expect(envoyRingLookup(ring, UINT64_MAX)).toBe(5);
    expect(envoyRingLookup(ring, 7225015537174310577n)).toBe(2);
    expect(envoyRingLookup(ring, 6803900775736438537n)).toBe(3);
  });

  it('RingHashLoadBalancerTest.UnevenHosts - two hosts, minimum 3: a ring of 4; hash 0 → the first host, before and after :80 is replaced by :82', () => {
    const ring = buildEnvoyRing(['127.0.0.1:80', '127.0.0.1:81'], [1, 1], 3, 8_388_608);
    expect(ringStats(ring, 2)).toEqual({ size: 4, min: 2, max: 2 });
    expect(positions(ring, [80, 81])).toEqual([
      [80, 5454692015285649509n],
      [81, 7859399908942313493n],
      [80, 13838424394637650569n],
      [81, 16064866803292627174n],
    ]);
    expect(envoyRingLookup(ring, 0n)).toBe(0);
    const next = buildEnvoyRing(['127.0.0.1:81', '127.0.0.1:82'], [1, 1], 3, 8_388_608);
    expect(positions(next, [81, 82])).toEqual([
      [81, 7859399908942313493n],
      [82, 8241336090459785962n],
      [82, 12882406409176325258n],
      [81, 16064866803292627174n],
    ]);
    expect(envoyRingLookup(next, 0n)).toBe(0);
  });

  it('RingHashLoadBalancerTest.HostWeightedTinyRing - weights 1, 2, 3 in a ring of exactly 6', () => {
    const ring = buildEnvoyRing(ADDRESSES.slice(0, 3), [1, 2, 3], 6, 6);
    expect(ringStats(ring, 3)).toEqual({ size: 6, min: 1, max: 3 });
    const expected: [bigint, number][] = [
      [928266305478181108n, 2],
      [4443673547860492590n, 2],
      [5583722120771150861n, 1],
      [6311230543546372928n, 1],
      [13444792449719432967n, 2],
      [16117243373044804889n, 0],
    ];
    for (const [hash, host] of expected) expect(envoyRingLookup(ring, hash)).toBe(host);
  });

  it('RingHashLoadBalancerTest.HostWeightedLargeRing - weights 1, 2, 3, minimum 6 144: 987 / 1 932 / 3 081 of 6 000 evenly spaced hashes', () => {
    const ring = buildEnvoyRing(ADDRESSES.slice(0, 3), [1, 2, 3], 6144, 8_388_608);
    expect(ringStats(ring, 3)).toEqual({ size: 6144, min: 1024, max: 3072 });
    const counts = [0, 0, 0];
    const step = UINT64_MAX / 6000n;
    for (let i = 0n; i < 6000n; i++) {
      const j = envoyRingLookup(ring, i * step);
      counts[j] = (counts[j] as number) + 1;
    }
    expect(counts).toEqual([987, 1932, 3081]);
  });

  it('RingHashLoadBalancerTest.SmallFractionalScale - four hosts in a ring of 2: two hosts get no traffic', () => {
    const ring = buildEnvoyRing(ADDRESSES.slice(0, 4), [1, 1, 1, 1], 2, 2);
    expect(ringStats(ring, 4)).toEqual({ size: 2, min: 0, max: 1 });
    const counts = [0, 0, 0, 0];
    const step = UINT64_MAX / 1024n;
    for (let i = 0n; i < 1024n; i++) {
      const j = envoyRingLookup(ring, i * step);
      counts[j] = (counts[j] as number) + 1;
    }
    expect(counts.filter((c) => c === 0)).toHaveLength(2);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(1024);
  });

  it('RingHashLoadBalancerTest.LargeFractionalScale - two hosts in a ring of 1 023: 511 and 512 entries, 526 / 497 hits', () => {
    const ring = buildEnvoyRing(ADDRESSES.slice(0, 2), [1, 1], 1023, 1023);
    expect(ringStats(ring, 2)).toEqual({ size: 1023, min: 511, max: 512 });
    const counts = [0, 0];
    const step = UINT64_MAX / 1023n;
    for (let i = 0n; i < 1023n; i++) {
      const j = envoyRingLookup(ring, i * step);
      counts[j] = (counts[j] as number) + 1;
    }
    expect(counts).toEqual([526, 497]);
  });

  it('ring_hash_lb.cc Ring::chooseHost - the lookup is ketama\'s binary search (signed bounds, h ≤ entry and h > previous)', () => {
    // A literal port of ketama_get_server as Envoy has it, compared on random rings and hashes.
    const ketama = (ring: bigint[], h: bigint): number => {
      let lowp = 0;
      let highp = ring.length;
      for (;;) {
        const midp = Math.trunc((lowp + highp) / 2);
        if (midp === ring.length) return 0;
        const midval = ring[midp] as bigint;
        const midval1 = midp === 0 ? 0n : (ring[midp - 1] as bigint);
        if (h <= midval && h > midval1) return midp;
        if (midval < h) lowp = midp + 1;
        else highp = midp - 1;
        if (lowp > highp) return 0;
      }
    };
    const u64 = fc.bigInt({ min: 0n, max: UINT64_MAX });
    fc.assert(
      fc.property(fc.array(u64, { minLength: 1, maxLength: 40 }), fc.array(u64, { maxLength: 20 }), (entries, probes) => {
        const sorted = [...entries].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        const ring: EnvoyRing = {
          hi: Uint32Array.from(sorted, (h) => Number(h >> 32n)),
          lo: Uint32Array.from(sorted, (h) => Number(h & 0xffffffffn)),
          owners: Int32Array.from(sorted, (_, j) => j),
        };
        for (const h of [...probes, 0n, UINT64_MAX, ...sorted, ...sorted.map((x) => (x + 1n) & UINT64_MAX)]) {
          const j = envoyRingLookup(ring, h);
          // Equal hashes: Envoy may land on any of the equal entries; compare the hash there.
          expect(sorted[j]).toBe(sorted[ketama(sorted, h)]);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('64-bit arithmetic', () => {
  it('mod64 equals BigInt (hi × 2^32 + lo) mod m for any 64-bit value and any table size up to 5 000 011', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: UINT64_MAX }), fc.integer({ min: 2, max: 5_000_011 }), (h, m) => {
        const hi = Number(h >> 32n);
        const lo = Number(h & 0xffffffffn);
        expect(mod64(hi, lo, m)).toBe(Number(h % BigInt(m)));
        expect(mod64(hi | 0, lo | 0, m, 4294967296 % m)).toBe(Number(h % BigInt(m)));
      }),
      { numRuns: 3000 },
    );
    expect(mod64(0xffffffff, 0xffffffff, 5_000_011)).toBe(Number(UINT64_MAX % 5_000_011n));
  });
});

describe('Envoy bounded load (test/extensions/load_balancing_policies/common/bounded_load_hlb_test.cc)', () => {
  /** Five (or n) equal-weight hosts 127.0.0.1{i}:90 and Envoy's TestHashingLoadBalancer: ring.at(hash). */
  const hosts = (n: number): Slot[] => Array.from({ length: n }, (_, i) => baseSlot(createEndpoint({ url: `http://127.0.0.1${i}:90` }), 0));
  const atIndex = (ring: readonly number[], _hi: number, lo: number): number => ring[lo] as number;
  const address = (s: Slot): string => envoyHashKey(s.endpoint);

  it('the std::mt19937 shuffle orders of the test comments: seed 2 → 2 1 0 4 3, seed 6 → 4 0 2 3 1, seed 7 → 0 1 4 3 2', () => {
    expect(envoyProbeOrder(2, 5)).toEqual([2, 1, 0, 4, 3]);
    expect(envoyProbeOrder(6, 5)).toEqual([4, 0, 2, 3, 1]);
    expect(envoyProbeOrder(7, 5)).toEqual([0, 1, 4, 3, 2]);
  });

  it('NoHostEverOverloaded - hash i picks host i', () => {
    const slots = hosts(5);
    for (let i = 0; i < 5; i++) expect(address(envoyBoundedPick(slots, 5, 100, 0, i, atIndex, [0, 1, 2, 3, 4]))).toBe(`127.0.0.1${i}:90`);
  });

  it('ActualHostOverloaded - factor 1: host 2 with 2 in flight is over its 1 slot, the next in the shuffle (host 1) takes the request', () => {
    const slots = hosts(5);
    expect(address(envoyBoundedPick(slots, 5, 1, 0, 2, atIndex, [0, 1, 2, 3, 4]))).toBe('127.0.0.12:90');
    (slots[2] as Slot).inFlight = 2;
    expect(address(envoyBoundedPick(slots, 5, 1, 0, 2, atIndex, [0, 1, 2, 3, 4]))).toBe('127.0.0.11:90');
  });

  it('OneHostOverloaded / MultipleHostOverloaded - hosts skipped in shuffle order 2 1 0 4 3', () => {
    const one = hosts(5);
    (one[2] as Slot).inFlight = 10; // 11 total slots, 3 per host: 10 > 3
    expect(address(envoyBoundedPick(one, 5, 100, 0, 2, atIndex, [0, 1, 2, 3, 4]))).toBe('127.0.0.11:90');
    const many = hosts(5);
    for (const i of [0, 1, 2]) (many[i] as Slot).inFlight = 10; // 31 total slots, 7 per host
    expect(address(envoyBoundedPick(many, 5, 100, 0, 2, atIndex, [0, 1, 2, 3, 4]))).toBe('127.0.0.14:90');
  });

  it('MultipleHashSameHostOverloaded - ring 0 0 1 1 2 2 3 3 4 4, host 3 overloaded: hash 6 → host 4, hash 7 → host 0', () => {
    const slots = hosts(5);
    (slots[3] as Slot).inFlight = 10;
    const ring = [0, 0, 1, 1, 2, 2, 3, 3, 4, 4];
    expect(address(envoyBoundedPick(slots, 5, 100, 0, 6, atIndex, ring))).toBe('127.0.0.14:90');
    expect(address(envoyBoundedPick(slots, 5, 100, 0, 7, atIndex, ring))).toBe('127.0.0.10:90');
  });

  it('AllHostsOverloaded - every host over its slots: the least overloaded one (host 1)', () => {
    const slots = hosts(3);
    (slots[0] as Slot).inFlight = 3;
    (slots[1] as Slot).inFlight = 2;
    (slots[2] as Slot).inFlight = 4;
    expect(address(envoyBoundedPick(slots, 3, 1, 0, 0, atIndex, [0, 1, 2]))).toBe('127.0.0.11:90');
  });

  it('with hash_balance_factor ≥ 100 the picked host is never over its slots (Σ slots ≥ T + 1 > T, so one always has room)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ weight: fc.integer({ min: 1, max: 5 }), inFlight: fc.integer({ min: 0, max: 30 }) }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 100, max: 300 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        (spec, factor, lo) => {
          const slots = spec.map((h, i) => {
            const s = baseSlot(createEndpoint({ url: `http://10.0.0.${i}:80`, weight: h.weight }), 0);
            s.inFlight = h.inFlight;
            return s;
          });
          const W = spec.reduce((a, h) => a + h.weight, 0);
          const T = spec.reduce((a, h) => a + h.inFlight, 0);
          const total = Math.floor(((T + 1) * factor + 99) / 100);
          const picked = envoyBoundedPick(slots, W, factor, 0, lo, (n: number, _hi: number, l: number) => l % n, slots.length);
          expect(picked.inFlight).toBeLessThanOrEqual(Math.max(Math.ceil(total * (picked.endpoint.weight / W)), 1));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('the rules differ by one request: Envoy admits while in flight ≤ slots, the default mode while in flight + 1 ≤ its cap', () => {
    // Two equal hosts, factor 150, 3 in flight on host 0 and 0 on host 1 (T = 3).
    // Envoy: total_slots = ⌊(4 × 150 + 99) / 100⌋ = 6, slots = ⌈6 × 0.5⌉ = 3, and 3 ≤ 3: admitted (a 4th request).
    // Default: cap = ⌈1.5 × 4 × 1/2⌉ = 3, and 3 + 1 > 3: spilled to host 1.
    const envoySlots = hosts(2);
    (envoySlots[0] as Slot).inFlight = 3;
    expect(envoyBoundedPick(envoySlots, 2, 150, 0, 0, atIndex, [0, 1])).toBe(envoySlots[0]);
    const ours = hosts(2);
    (ours[0] as Slot).inFlight = 3;
    expect(boundedPick(ours, 2, 150, 0, (ring: number[], h: number) => ring[h % 2] as number, [0, 1])).toBe(ours[1]);
    // Envoy spills once in flight exceeds the slots, which grow with T: T = 7 → 12 total, 6 each, 7 > 6.
    (envoySlots[0] as Slot).inFlight = 6;
    expect(envoyBoundedPick(envoySlots, 2, 150, 0, 0, atIndex, [0, 1])).toBe(envoySlots[0]);
    (envoySlots[0] as Slot).inFlight = 7;
    expect(envoyBoundedPick(envoySlots, 2, 150, 0, 0, atIndex, [0, 1])).toBe(envoySlots[1]);
  });
});

describe('Envoy hash policies (source/common/http/hash_policy.cc)', () => {
  it('header - XXH64 of the value, seed 0; absent → no hash; present and empty → the hash of ""', () => {
    expect(computeEnvoyRequestHash([hashByHeader('x-user')], request({ 'x-user': 'alice' }))).toBe(xxhash64('alice'));
    expect(computeEnvoyRequestHash([hashByHeader('x-user')], request({}))).toBeUndefined();
    expect(computeEnvoyRequestHash([hashByHeader('x-user')], request({ 'x-user': '' }))).toBe(0xef46db3751d8e999n);
  });

  it('header - the bytes as received: a character ≤ 0xFF is one byte (Node decodes header bytes as latin1)', () => {
    expect(computeEnvoyRequestHash([hashByHeader('x-user')], request({ 'x-user': 'jos\u00e9' }))).toBe(xxhash64(new Uint8Array([0x6a, 0x6f, 0x73, 0xe9])));
    // A long value (past the 256-byte scratch buffer) and a character > 0xFF (UTF-8: it cannot have come off the wire).
    const long = 'v\u00e9'.repeat(700);
    expect(computeEnvoyRequestHash([hashByHeader('x-user')], request({ 'x-user': long }))).toBe(xxhash64(Uint8Array.from(long, (c) => c.charCodeAt(0))));
    expect(computeEnvoyRequestHash([hashByHeader('x-user')], request({ 'x-user': '\u20ac' }))).toBe(xxhash64('\u20ac'));
  });

  it('several policies - hash = rotl64(hash, 1) ^ h, in order; terminal stops once a hash exists', () => {
    const req = request({ 'x-a': 'a', 'x-b': 'b' }, { clientAddress: '10.0.0.7' });
    const a = xxhash64('a');
    const b = xxhash64('b');
    const rotl = (h: bigint): bigint => ((h << 1n) | (h >> 63n)) & UINT64_MAX;
    expect(computeEnvoyRequestHash([hashByHeader('x-a'), hashByHeader('x-b')], req)).toBe(rotl(a) ^ b);
    expect(computeEnvoyRequestHash([hashByHeader('x-missing'), hashByHeader('x-b')], req)).toBe(b);
    expect(computeEnvoyRequestHash([hashByHeader('x-a', true), hashByHeader('x-b')], req)).toBe(a);
    expect(computeEnvoyRequestHash([hashByHeader('x-missing', true), hashByHeader('x-b')], req)).toBe(b);
    // Duplicate rules do not cancel out (the reason for the rotation).
    expect(computeEnvoyRequestHash([hashByHeader('x-a'), hashByHeader('x-a')], req)).toBe(rotl(a) ^ a);
    expect(computeEnvoyRequestHash([hashBySourceIp(), hashByHeader('x-a')], req)).toBe(rotl(xxhash64('10.0.0.7')) ^ a);
  });

  it("cookie - Envoy's parser: quotes removed, name taken from the first non-space to '=', an empty value gives no hash", () => {
    const h = (cookie: string): bigint | undefined => computeEnvoyRequestHash([hashByCookie('session')], request({ cookie }));
    expect(h('a=1; session=abc')).toBe(xxhash64('abc'));
    expect(h('session="abc"')).toBe(xxhash64('abc'));
    expect(h('session=abc ')).toBe(xxhash64('abc '));
    expect(h('session =abc')).toBeUndefined();
    expect(h('session=')).toBeUndefined();
    expect(h('a=1')).toBeUndefined();
  });

  it('query parameter - the first value, not decoded; a name without = hashes ""', () => {
    const h = (query: string): bigint | undefined => computeEnvoyRequestHash([hashByQueryParameter('u')], request({}, { query }));
    expect(h('u=a%20b&u=c')).toBe(xxhash64('a%20b'));
    expect(h('x=1&u')).toBe(xxhash64(''));
    expect(h('x=1')).toBeUndefined();
  });

  it('source ip and attribute - XXH64 of the string (an attribute as UTF-8)', () => {
    expect(computeEnvoyRequestHash([hashBySourceIp()], request({}, { clientAddress: '192.0.2.1' }))).toBe(xxhash64('192.0.2.1'));
    expect(computeEnvoyRequestHash([hashBySourceIp()], request({}))).toBeUndefined();
    expect(computeEnvoyRequestHash([hashByAttribute('tenant')], request({}, { attributes: { tenant: 'josé' } }))).toBe(xxhash64('josé'));
  });
});

describe("balancers with compatibility: 'envoy'", () => {
  const fleet = (hashKeys?: readonly string[]): Endpoint[] =>
    PORTS.map((p, i) => createEndpoint({ url: `http://127.0.0.1:${p}`, ...(hashKeys ? { metadata: { 'envoy.lb.hash_key': hashKeys[i] as string } } : {}) }));
  const rng = seededRng(3);

  it('envoyHashKey - ip:port as Envoy prints addresses, the scheme default port, envoy.lb.hash_key first', () => {
    expect(envoyHashKey(createEndpoint({ url: 'http://127.0.0.1:90' }))).toBe('127.0.0.1:90');
    expect(envoyHashKey(createEndpoint({ url: 'http://10.0.0.1' }))).toBe('10.0.0.1:80');
    expect(envoyHashKey(createEndpoint({ url: 'https://[::1]' }))).toBe('[::1]:443');
    expect(envoyHashKey(createEndpoint({ url: 'http://[2001:db8::1]:8080' }))).toBe('[2001:db8::1]:8080');
    expect(envoyHashKey(createEndpoint({ url: 'http://10.0.0.1:80', metadata: { 'envoy.lb.hash_key': 'cache-a' } }))).toBe('cache-a');
  });

  it('maglev - a header key picks table[XXH64(value) mod M] of the Envoy table, whatever the endpoint order', () => {
    const eps = fleet();
    const lb = maglev({ compatibility: 'envoy', tableSize: 7, hashPolicy: [hashByHeader('x-user')] });
    const reversed = [...eps].reverse();
    const s1 = lb.create(eps, 0);
    const s2 = lb.create(reversed, 0);
    const envoyTable = [2, 4, 0, 1, 5, 0, 3]; // MaglevLoadBalancerTest.Basic
    for (let u = 0; u < 50; u++) {
      const req = request({ 'x-user': `user-${u}` });
      const want = eps[envoyTable[Number(xxhash64(`user-${u}`) % 7n)] as number];
      expect(lb.pick(s1, { eligible: eps, now: 0, rng, request: req })).toEqual({ kind: 'picked', endpoint: want });
      expect(lb.pick(s2, { eligible: reversed, now: 0, rng, request: req })).toEqual({ kind: 'picked', endpoint: want });
    }
  });

  it('maglev - envoy.lb.hash_key metadata keys the table (BasicWithMetadataHashKey: 2, 5, 0, 3, 4, 1, 0)', () => {
    const eps = fleet(HOSTNAMES);
    const lb = maglev({ compatibility: 'envoy', tableSize: 7, hashPolicy: [hashByCookie('sid')] });
    const state = lb.create(eps, 0);
    const envoyTable = [2, 5, 0, 3, 4, 1, 0];
    for (let u = 0; u < 30; u++) {
      const got = lb.pick(state, { eligible: eps, now: 0, rng, request: request({ cookie: `sid=s${u}` }) });
      expect(got).toEqual({ kind: 'picked', endpoint: eps[envoyTable[Number(xxhash64(`s${u}`) % 7n)] as number] });
    }
  });

  it('ring hash - a header key picks the host Envoy\'s ring (RingHashLoadBalancerTest.Basic) gives its XXH64', () => {
    const eps = fleet();
    const lb = ringHash({ compatibility: 'envoy', minimumRingSize: 12, hashPolicy: [hashByHeader('x-user')] });
    const state = lb.create(eps, 0);
    const ring = buildEnvoyRing(ADDRESSES, [1, 1, 1, 1, 1, 1], 12, 8_388_608);
    for (let u = 0; u < 50; u++) {
      const got = lb.pick(state, { eligible: eps, now: 0, rng, request: request({ 'x-user': `user-${u}` }) });
      expect(got).toEqual({ kind: 'picked', endpoint: eps[envoyRingLookup(ring, xxhash64(`user-${u}`))] });
    }
  });

  it('a precomputed 32-bit hash is the high half of the 64-bit hash (keeps its place on the ring); without any, picks spread', () => {
    const eps = fleet();
    const lb = ringHash({ compatibility: 'envoy', minimumRingSize: 12 });
    const state = lb.create(eps, 0);
    const ring = buildEnvoyRing(ADDRESSES, [1, 1, 1, 1, 1, 1], 12, 8_388_608);
    for (const h of [0, 1, 0x12345678, 0xffffffff]) {
      expect(lb.pick(state, { eligible: eps, now: 0, rng, hash: h })).toEqual({ kind: 'picked', endpoint: eps[envoyRingLookup(ring, BigInt(h) << 32n)] });
    }
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const r = lb.pick(state, { eligible: eps, now: 0, rng });
      if (r.kind === 'picked') seen.add(r.endpoint.id);
    }
    expect(seen.size).toBe(6);
  });

  it('bounded load - the hot key spills by Envoy\'s rule once its host holds more than its slots', () => {
    const eps = fleet();
    const lb = maglev({ compatibility: 'envoy', tableSize: 7, hashBalanceFactor: 150, hashPolicy: [hashByHeader('x-user')] });
    const state = lb.create(eps, 0);
    const req = request({ 'x-user': 'hot' });
    const home = lb.pick(state, { eligible: eps, now: 0, rng, request: req });
    if (home.kind !== 'picked') throw new Error('no pick');
    // Envoy admits while in flight ≤ slots, slots = max(⌈⌊((T + 1) × 150 + 99) / 100⌋ / 6⌉, 1) with
    // T in flight, all on `home`: T = 0 → 2 total slots, 1 per host, 0 ≤ 1; T = 1 → 3, 1, and 1 ≤ 1
    // (a second request where the paper's bound would allow one); T = 2 → 5, 1, and 2 > 1: spills.
    const picks: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = lb.pick(state, { eligible: eps, now: 0, rng, request: req });
      if (r.kind !== 'picked') throw new Error('no pick');
      picks.push(r.endpoint.id);
      lb.begin(state, r.endpoint, 0);
    }
    expect(picks[0]).toBe(home.endpoint.id);
    expect(picks[1]).toBe(home.endpoint.id);
    expect(picks[2]).not.toBe(home.endpoint.id);
  });

  it('config - compatibility must be switchyard or envoy; hashCacheSize (a murmur3 memo) is refused in envoy mode', () => {
    expect(() => maglev({ compatibility: 'nginx' as never })).toThrow(ConfigError);
    expect(() => ringHash({ compatibility: 'envoy', hashCacheSize: 64 })).toThrow(ConfigError);
    expect(() => ringHash({ compatibility: 'switchyard', hashCacheSize: 64 })).not.toThrow();
  });

  it('default mode is unchanged: the same picks as a balancer built without the option', () => {
    const eps = fleet();
    const plain = maglev({ hashPolicy: [hashByHeader('x-user')] });
    const explicit = maglev({ compatibility: 'switchyard', hashPolicy: [hashByHeader('x-user')] });
    const a = plain.create(eps, 0);
    const b = explicit.create(eps, 0);
    for (let u = 0; u < 50; u++) {
      const req = request({ 'x-user': `user-${u}` });
      expect(explicit.pick(b, { eligible: eps, now: 0, rng, request: req })).toEqual(plain.pick(a, { eligible: eps, now: 0, rng, request: req }));
    }
  });
});
