/**
 * `pnpm bench limiter`: per-decision cost of switchyard's limiter against rate-limiter-flexible
 * (memory and Redis), express-rate-limit's MemoryStore and @fastify/rate-limit's LocalStore,
 * for one hot key and for 1 000 000 keys, plus heap bytes per key at 1 000 000 keys.
 * The Redis part starts its own redis-server on a free loopback port (--save '' --appendonly no).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import { MemoryStore } from 'express-rate-limit';
import { createKeyedLimiter, createMemoryStore, gcra, tokenBucket } from '@switchyard/limiter';
import { createRedisStore, fromIoredis } from '@switchyard/redis';
// Internal to the limiter (not exported): the floor row hashes exactly as the table does.
import { KEY_WORDS, homeRow, packKey } from '../../packages/limiter/src/internal/hash.ts';
import { gc, interleaved as runInterleaved, printTable, round, writeResults, type CaseResult } from './harness.js';

const require = createRequire(import.meta.url);
type FastifyLocalStore = { incr(key: string, cb: (err: unknown, res: { current: number; ttl: number }) => void, timeWindow: number, max: number): void };
const LocalStore = require('@fastify/rate-limit/store/LocalStore.js') as new (continueExceeding: boolean, exponentialBackoff: boolean, cache: number) => FastifyLocalStore;

const N = 1_000_000;
const HUGE = 1e12; // limits no benchmark reaches: every impl takes its "allowed" path
const WINDOW_MS = 60_000;
/** The peers' window in the 1M-key cases: no record expires (or moves to a slower path) mid-run. */
const LONG_MS = 3_600_000;
const keys = Array.from({ length: N }, (_, i) => `ip:${i}`);
/** Row names say which API each implementation is called through. */
const SY_SYNC = 'switchyard keyed limiter (sync take)';
const SY_STORE = 'switchyard memory store (takeSync, what createRateLimiter calls)';
const SY_ASYNC = 'switchyard memory store (async take)';
const SY_REDIS_CLIENT_TIME = "switchyard redis store (time: 'client')";
const ROUNDS = 31;
const ROUND_OPS = 100;
const interleaved = (c: string, impls: ReadonlyArray<readonly [string, () => unknown]>, ops = ROUND_OPS) => runInterleaved(c, impls, { rounds: ROUNDS, ops });
const RLF = 'rate-limiter-flexible memory (consume, Promise)';
const ERL = 'express-rate-limit MemoryStore (increment, Promise)';
const FRL = '@fastify/rate-limit LocalStore (incr, sync callback)';
const FLOOR = 'floor: key hash + one random read of a bare 64 MB table (no limiter)';

function heap(): number {
  gc();
  gc();
  // Typed-array backing stores live outside the JS heap: count them too.
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** Heap bytes per key after `fill` touches all N keys (key strings excluded: the array holds them). */
async function bytesPerKey(fill: () => unknown): Promise<{ value: number; keep: unknown }> {
  const before = heap();
  const keep = await fill();
  const after = heap();
  return { value: round((after - before) / N, 1), keep };
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a !== null ? a.port : 0));
    });
  });
}

/**
 * The floor of a 1M-key decision: switchyard's own key packing and hash (`packKey`, imported
 * from the limiter's source: 4 Latin-1 characters per word, MurmurHash3 block mixing, fmix32),
 * its home-row reduction, and ONE random read of a bare typed array the size of switchyard's
 * table at 1 000 000 keys. Nothing else: no comparison, no state update, no decision object.
 * What any exact in-memory limiter must at least pay per decision here.
 */
function floorReader(rows: number): (key: string) => number {
  const RI = 12; // int32s per row, as switchyard's token-bucket rows (48 bytes)
  const table = new Int32Array(rows * RI);
  for (let i = 0; i < table.length; i += 1024) table[i] = i; // every page touched
  const words = new Int32Array(KEY_WORDS);
  return (key: string): number => table[homeRow(packKey(key, words), rows) * RI] as number;
}

function check(cond: boolean, what: string): void {
  if (!cond) throw new Error(`benchmark precondition failed: ${what}`);
}

/** LIMITER_CASES=memory | 1m | redis (comma-separated) runs only those parts, for iterating; results are written only for a full run. */
const only = process.env['LIMITER_CASES']?.split(',');
const wants = (part: string) => only === undefined || only.includes(part);

export default async function run(): Promise<void> {
  const cases: CaseResult[] = [];
  const notes: string[] = [];
  let t = 0;
  const now = () => (t += 0.001);
  const policy = tokenBucket({ id: 'b', maxTokens: HUGE, tokensPerFill: HUGE, fillIntervalMs: WINDOW_MS });

  // ---- correctness first: every candidate admits, and ours limits when it should.
  {
    const small = createKeyedLimiter({ policy: gcra({ maxTokens: 2, fillIntervalMs: 1000 }) });
    check(small.take('a', 0).kind === 'allowed' && small.take('a', 0).kind === 'allowed' && small.take('a', 0).kind === 'limited', 'switchyard limits after 2');
    const rlf = new RateLimiterMemory({ points: 2, duration: 1 });
    await rlf.consume('a');
    await rlf.consume('a');
    check(await rlf.consume('a').then(() => false, () => true), 'rate-limiter-flexible limits after 2');
    const erl = new MemoryStore();
    erl.init({ windowMs: 1000 } as never);
    check((await erl.increment('a')).totalHits === 1, 'express-rate-limit counts');
    const frl = new LocalStore(false, false, 10);
    let hits = 0;
    frl.incr('a', (_e, r) => (hits = r.current), 1000, 2);
    check(hits === 1, '@fastify/rate-limit counts');
    erl.shutdown();
  }

  // ---- one hot key, in memory
  if (wants('memory')) {
    const ours = createKeyedLimiter({ policy });
    const store = createMemoryStore();
    const rlf = new RateLimiterMemory({ points: HUGE, duration: WINDOW_MS / 1000 });
    const erl = new MemoryStore();
    erl.init({ windowMs: WINDOW_MS } as never);
    const frl = new LocalStore(false, false, 5000);
    let sink = 0;
    const cb = (_e: unknown, r: { current: number }) => (sink += r.current);
    check(ours.take('k', now()).kind === 'allowed', 'ours allows');
    cases.push(
      ...(await interleaved(
        'memory, 1 key',
        [
          [SY_SYNC, () => ours.take('k', now())],
          [SY_STORE, () => store.takeSync({ namespace: 'n', policy, key: 'k', cost: 1, now: now() })],
          [SY_ASYNC, () => store.take({ namespace: 'n', policy, key: 'k', cost: 1, now: now() })],
          [RLF, () => rlf.consume('k')],
          [ERL, () => erl.increment('k')],
          [FRL, () => frl.incr('k', cb, WINDOW_MS, HUGE)],
        ],
        5000,
      )),
    );
    erl.shutdown();
    if (sink === -1) console.log(sink);
  }

  // ---- 1 000 000 keys, in memory: fill every key first (measuring heap), then cycle through them
  if (wants('1m')) {
    let i = 0;
    const next = () => keys[(i = (i + 7919) % N)] as string;
    // Buckets that stay below full for the whole run (1 token back per minute), so all 1M keys
    // stay live and the default lazy sweep (2 slots per call) runs and finds nothing to drop.
    const live = tokenBucket({ id: 'live', maxTokens: HUGE, tokensPerFill: 1, fillIntervalMs: WINDOW_MS });
    const ours = await bytesPerKey(() => {
      const l = createKeyedLimiter({ policy: live, maxKeys: N });
      for (const k of keys) l.take(k, 0);
      return l;
    });
    const store = createMemoryStore({ maxKeysPerPolicy: N });
    for (const k of keys) store.takeSync({ namespace: 'n', policy: live, key: k, cost: 1, now: 0 });
    const rlf = await bytesPerKey(async () => {
      const l = new RateLimiterMemory({ points: HUGE, duration: LONG_MS / 1000 });
      for (let j = 0; j < N; j += 10_000) await Promise.all(keys.slice(j, j + 10_000).map((k) => l.consume(k)));
      return l;
    });
    const erl = await bytesPerKey(async () => {
      const s = new MemoryStore();
      s.init({ windowMs: LONG_MS } as never);
      for (let j = 0; j < N; j += 10_000) await Promise.all(keys.slice(j, j + 10_000).map((k) => s.increment(k)));
      return s;
    });
    const frl = await bytesPerKey(() => {
      const s = new LocalStore(false, false, N);
      for (const k of keys) s.incr(k, () => {}, LONG_MS, HUGE);
      return s;
    });
    const l = ours.keep as ReturnType<typeof createKeyedLimiter>;
    check(l.size === N && l.evictions === 0 && store.size === N, 'ours holds 1M keys');
    const r = rlf.keep as RateLimiterMemory;
    const e = erl.keep as MemoryStore;
    const f = frl.keep as FastifyLocalStore;
    const cb = () => {};
    const floor = floorReader(Math.ceil((N * 4) / 3));
    // Two key sources. 'memory, 1M keys': the key is read from the pre-built array (a cold
    // array slot, then a cold string: two dependent cache and TLB misses that every
    // implementation pays before it starts, and the very string object the table stored).
    // 'memory, 1M keys, key built per decision': the key is built as a request handler builds
    // it (from the parsed address), so it arrives in cache and is a different string object
    // from the stored one, as in production.
    let jb = 0;
    const built = () => 'ip:' + String((jb = (jb + 7919) % N));
    for (const [c, key] of [
      ['memory, 1M keys', next],
      ['memory, 1M keys, key built per decision', built],
    ] as const) {
      const rows = await interleaved(
        c,
        [
          [SY_SYNC, () => l.take(key(), now())],
          [SY_STORE, () => store.takeSync({ namespace: 'n', policy: live, key: key(), cost: 1, now: now() })],
          [SY_ASYNC, () => store.take({ namespace: 'n', policy: live, key: key(), cost: 1, now: now() })],
          [RLF, () => r.consume(key())],
          [ERL, () => e.increment(key())],
          [FRL, () => f.incr(key(), cb, LONG_MS, HUGE)],
          [FLOOR, () => floor(key())],
        ],
        1000,
      );
      cases.push(...rows);
    }
    check(l.size === N && l.evictions === 0 && store.size === N, 'ours still holds 1M keys');
    check((r as unknown as { _memoryStorage: { _storage: Map<string, unknown> } })._memoryStorage._storage.size === N, 'rate-limiter-flexible still holds 1M keys');
    const bytes: Record<string, number> = { [SY_SYNC]: ours.value, [RLF]: rlf.value, [ERL]: erl.value, [FRL]: frl.value };
    for (const [impl, v] of Object.entries(bytes)) cases.push({ case: 'heap bytes per key at 1M keys', impl, bytesPerKey: v });
    notes.push('memory cases: ROUNDS alternating rounds per case (order flipped every round, a minor GC before each round), ns = median of the per-round means; each row names the API called');
    notes.push('heap bytes per key: heapUsed + arrayBuffers growth after forced GC, divided by 1 000 000; key strings are held by the benchmark and not counted');
    notes.push("1M-key cases: every implementation holds all 1 000 000 keys for the whole run (checked before and after); the peers' windows are 1 h so no record expires or changes path mid-run; every call steps 7919 keys on, so each decision touches a different key");
    notes.push("'memory, 1M keys' reads each key from a pre-built 1M-string array: the array slot and the string are two dependent cache + TLB misses before any limiter code runs (about 200 ns each here), the same for every implementation. 'memory, 1M keys, key built per decision' builds the key ('ip:' + n, as a handler builds it from the parsed address): both sides get a string in cache that is NOT the stored string object, so a limiter must compare contents (the pre-built case let a table match by pointer). Neither case favours switchyard's table over the other; both are reported");
    e.shutdown();
  }

  // ---- Redis: both through ioredis against one local redis-server
  if (!wants('redis')) {
    // skipped
  } else if (spawnSync('redis-server', ['--version']).status !== 0) {
    notes.push('redis-server not installed: Redis cases skipped');
  } else {
    const port = await freePort();
    const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'ignore'] });
    await new Promise<void>((resolve) => server.stdout.on('data', (d: Buffer) => d.toString().includes('Ready to accept') && resolve()));
    const client = new Redis({ port, host: '127.0.0.1' });
    try {
      const store = createRedisStore({ client: fromIoredis(client), onStoreError: 'deny', timeoutMs: 5000 });
      // The documented alternative: the caller's wall clock instead of Redis' TIME (one fewer call in the script).
      const storeClientTime = createRedisStore({ client: fromIoredis(client), onStoreError: 'deny', timeoutMs: 5000, time: 'client' });
      const rlf = new RateLimiterRedis({ storeClient: client, points: 1e9, duration: WINDOW_MS / 1000, keyPrefix: 'rlf' });
      const redisPolicy = tokenBucket({ id: 'r', maxTokens: 1e9, tokensPerFill: 1e9, fillIntervalMs: WINDOW_MS });
      // Correctness and round trips per decision, counted by Redis itself.
      // Commands the client sends (round trips), counted at ioredis' single entry point.
      let sent = 0;
      const original = client.sendCommand.bind(client);
      (client as unknown as { sendCommand: typeof original }).sendCommand = (...args: Parameters<typeof original>) => {
        sent++;
        return original(...args);
      };
      const calls = async () => sent;
      check((await store.take({ namespace: 'x', policy: redisPolicy, key: 'warm', cost: 1, now: 0 })).kind === 'allowed', 'redis store allows');
      check((await storeClientTime.take({ namespace: 'y', policy: redisPolicy, key: 'warm', cost: 1, now: 0 })).kind === 'allowed', 'redis store (client time) allows');
      {
        const tiny = tokenBucket({ id: 'tiny', maxTokens: 2, fillIntervalMs: 60_000 });
        const kinds = [];
        for (let j = 0; j < 3; j++) kinds.push((await store.take({ namespace: 'check', policy: tiny, key: 'k', cost: 1, now: 0 })).kind);
        check(kinds.join() === 'allowed,allowed,limited', 'redis store limits after 2');
      }
      await rlf.consume('warm');
      let before = await calls();
      for (let j = 0; j < 100; j++) await store.take({ namespace: 'x', policy: redisPolicy, key: 'k', cost: 1, now: 0 });
      const oursTrips = ((await calls()) - before) / 100;
      before = await calls();
      for (let j = 0; j < 100; j++) await rlf.consume('k');
      const rlfTrips = ((await calls()) - before) / 100;
      // Warm both paths (JIT, connection, Redis' own caches) before timing.
      for (let j = 0; j < 2000; j++) {
        await rlf.consume('k');
        await store.take({ namespace: 'x', policy: redisPolicy, key: 'k', cost: 1, now: 0 });
        await storeClientTime.take({ namespace: 'y', policy: redisPolicy, key: 'k', cost: 1, now: 0 });
      }
      let i = 0;
      const next = () => keys[(i = (i + 7919) % N)] as string;
      const rows = [
        ...(await interleaved('redis, 1 key', [
          ['switchyard redis store', () => store.take({ namespace: 'x', policy: redisPolicy, key: 'k', cost: 1, now: 0 })],
          [SY_REDIS_CLIENT_TIME, () => storeClientTime.take({ namespace: 'y', policy: redisPolicy, key: 'k', cost: 1, now: 0 })],
          ['rate-limiter-flexible redis', () => rlf.consume('k')],
        ])),
        ...(await interleaved('redis, 1M keys', [
          ['switchyard redis store', () => store.take({ namespace: 'x', policy: redisPolicy, key: next(), cost: 1, now: 0 })],
          [SY_REDIS_CLIENT_TIME, () => storeClientTime.take({ namespace: 'y', policy: redisPolicy, key: next(), cost: 1, now: 0 })],
          ['rate-limiter-flexible redis', () => rlf.consume(next())],
        ])),
      ];
      cases.push(...rows.map((r) => ({ ...r, redisCommandsPerDecision: r.impl.startsWith('switchyard') ? oursTrips : rlfTrips })));
      notes.push('redis cases: both limiters share ONE ioredis client (default options, no auto-pipelining), so client configuration is identical; ROUNDS alternating rounds of ROUND_OPS sequential decisions each (order flipped every round), ns = median of the per-round means, rme = half the interquartile range of the rounds in % of the median');
      notes.push('redis cases: sequential awaits over one ioredis connection to a local redis-server; "1M keys" cycles through a 1 000 000-key space (mostly new keys); redisCommandsPerDecision = commands sent by the client per decision (round trips)');
    } finally {
      client.disconnect();
      server.kill('SIGKILL');
    }
  }

  notes.push("floor row (1M-key cases): the same key source, switchyard's key packing and hash (copied), and one random read of a bare Int32Array the size of switchyard's table (1 333 334 rows of 48 bytes), nothing else: the least an exact table can cost per decision on this machine; 'ours / floor' is printed");
  if (only === undefined) writeResults('limiter', cases, notes);
  else printTable(cases);
  const byCase = (c: string, impl: string) => cases.find((r) => r.case === c && r.impl === impl)?.ns ?? NaN;
  const ratio = (c: string, a: string, b: string) => (byCase(c, a) / byCase(c, b)).toFixed(3);
  console.log('\nratios (lower is better for switchyard):');
  for (const c of ['memory, 1 key', 'memory, 1M keys', 'memory, 1M keys, key built per decision']) {
    console.log(`  ${c}: sync take / rlf memory ${ratio(c, SY_SYNC, RLF)}, / express-rate-limit ${ratio(c, SY_SYNC, ERL)}, / @fastify ${ratio(c, SY_SYNC, FRL)}`);
    console.log(`  ${c}: store takeSync / rlf memory ${ratio(c, SY_STORE, RLF)}, / express-rate-limit ${ratio(c, SY_STORE, ERL)}, / @fastify ${ratio(c, SY_STORE, FRL)}`);
    if (c !== 'memory, 1 key') console.log(`  ${c}: floor / rlf memory ${ratio(c, FLOOR, RLF)}, sync take / floor ${ratio(c, SY_SYNC, FLOOR)}`);
    console.log(`  ${c}: async store / rlf memory ${ratio(c, SY_ASYNC, RLF)}, / express-rate-limit ${ratio(c, SY_ASYNC, ERL)}, / @fastify ${ratio(c, SY_ASYNC, FRL)}`);
  }
  for (const c of ['redis, 1 key', 'redis, 1M keys']) console.log(`  ${c}: switchyard/rlf redis ${ratio(c, 'switchyard redis store', 'rate-limiter-flexible redis')}, time: 'client' ${ratio(c, SY_REDIS_CLIENT_TIME, 'rate-limiter-flexible redis')}`);
  for (const r of cases.filter((x) => x.case.startsWith('heap'))) console.log(`  heap bytes/key at 1M: ${r.impl} ${String(r['bytesPerKey'])}`);
  for (const r of cases.filter((x) => x.case === 'redis, 1 key')) console.log(`  redis commands per decision: ${r.impl} ${String(r['redisCommandsPerDecision'])}`);
}
