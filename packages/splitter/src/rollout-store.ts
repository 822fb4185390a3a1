/**
 * Where a fleet keeps one rollout: per-version metrics in time buckets, a lease with a fencing
 * token, and the rollout state with a revision. {@link createMemoryRolloutStore} keeps them in
 * the process (one gateway, or several in one test); `@switchyard/redis` keeps them in Redis.
 *
 * The rules (see `fleet-and-import.md` §4 of the references, and Kleppmann, "How to do
 * distributed locking", 2016):
 * - **Metrics merge by addition**: each replica adds its counters and log-bucket latency
 *   histograms of one time bucket; any set of replicas and buckets reads back as their sum.
 * - **Lease + fencing token**: `acquireLease` succeeds for one owner at a time and hands out a
 *   token that grows with every acquisition. Every state write carries the owner and token and
 *   is refused unless that owner holds the lease with that token now and the token is not older
 *   than the one of the last write: a replica that lost its lease (paused, partitioned, slow)
 *   can never move the rollout, even if it still believes it leads.
 * - **Revision**: every write names the revision it read (compare-and-set), so a write based on
 *   a stale read is refused too; operations (`promote`, `abort`, `retry`) from any replica are
 *   compare-and-set writes without the lease, and the leader's next write then sees a conflict
 *   and re-reads instead of overwriting them.
 *
 * What a single store cannot give (and does not claim): exactly-once external side effects
 * (give webhooks an idempotency key `(rollout, revision)`), or safety across a failover of an
 * asynchronously replicated Redis.
 *
 * @packageDocumentation
 */
import { createSideWindow, mergeSideWindow, type SideWindow } from './analysis.js';
import type { RolloutState } from './rollout.js';

/** One replica's outcomes of one time bucket, per side. */
export interface MetricsBucket {
  /** Start of the bucket, ms (wall time, aligned to the bucket length). */
  readonly start: number;
  readonly canary: SideWindow;
  readonly baseline: SideWindow;
}

/** The rollout state as stored: the state without its in-process window, plus the store's bookkeeping. */
export interface StoredRollout {
  /** The state (its `window` is empty: the metrics live in buckets). */
  readonly state: RolloutState;
  /** Grows by one on every accepted write. */
  readonly revision: number;
  /** The fencing token of the last fenced write (0: none yet). */
  readonly token: number;
}

/** The outcome of {@link RolloutStore.acquireLease}. */
export type LeaseResult =
  | { readonly kind: 'acquired'; readonly token: number }
  /** Someone else holds it. */
  | { readonly kind: 'held'; readonly owner: string };

/** Who may write: the lease holder with its token, or an operator (compare-and-set only). */
export type Writer = { readonly kind: 'leader'; readonly owner: string; readonly token: number } | { readonly kind: 'operator' };

/** The outcome of {@link RolloutStore.writeState}. */
export type WriteResult =
  | { readonly kind: 'written'; readonly revision: number }
  /** The writer does not hold the lease with that token (or the token is older than the last write's). */
  | { readonly kind: 'fenced'; readonly reason: string }
  /** The revision read is not the current one. */
  | { readonly kind: 'conflict'; readonly revision: number };

/** The shared store of fleet rollouts. Every method may reject when the store is unreachable. */
export interface RolloutStore {
  /** Adds buckets of one replica (counters and histograms add). One round trip. */
  addMetrics(rollout: string, buckets: readonly MetricsBucket[]): Promise<void>;
  /** The sum of every replica's buckets starting in `[from, to)`, one round trip. */
  readMetrics(rollout: string, from: number, to: number, bucketMs: number): Promise<{ canary: SideWindow; baseline: SideWindow }>;
  /**
   * Takes the lease for `ttlMs` if nobody holds it (a new, larger token), or renews it if
   * `owner` already holds it (same token). `now`: the caller's wall clock, used by stores that
   * keep time on the client's side.
   */
  acquireLease(rollout: string, owner: string, ttlMs: number, now: number): Promise<LeaseResult>;
  /** Extends the lease if `owner` still holds it with `token`; false when it was lost. */
  renewLease(rollout: string, owner: string, token: number, ttlMs: number, now: number): Promise<boolean>;
  /** Gives the lease up if `owner` holds it with `token`. */
  releaseLease(rollout: string, owner: string, token: number, now: number): Promise<void>;
  /** The stored state, or undefined before the first write. */
  readState(rollout: string): Promise<StoredRollout | undefined>;
  /** Writes `state` iff the revision read is current and the writer is allowed (see the module doc). */
  writeState(rollout: string, state: RolloutState, expectedRevision: number, writer: Writer, now: number): Promise<WriteResult>;
  /** Optional push of new revisions (Redis pub/sub: at most once, so readers poll too). Returns an unsubscribe function. */
  subscribe?(rollout: string, onRevision: (revision: number) => void): () => void;
}

/** The state as stored: without the window (metrics live in buckets), JSON-clean. */
export function storableState(state: RolloutState): RolloutState {
  return { ...state, window: { canary: createSideWindow(), baseline: createSideWindow() }, events: state.events.slice(-50) };
}

/** Aligns `t` down to a multiple of `bucketMs`. */
export function bucketStart(t: number, bucketMs: number): number {
  return Math.floor(t / bucketMs) * bucketMs;
}

/** Options of {@link createMemoryRolloutStore}. */
export interface MemoryRolloutStoreOptions {
  /** Buckets older than this (ms, relative to the newest bucket written) are dropped (default 1 h). */
  readonly retentionMs?: number;
}

/** The in-process {@link RolloutStore}, with `fail` to simulate an outage in tests. */
export interface MemoryRolloutStore extends RolloutStore {
  /** While true, every call rejects (an unreachable store). */
  fail: boolean;
}

/**
 * An in-process {@link RolloutStore}: the same rules as the Redis one (fenced, compare-and-set
 * writes; additive buckets), for one process or for several gateways in one test. Time is the
 * `now` each call passes.
 *
 * @example
 * ```ts
 * import { systemClock } from '@switchyard/core';
 * import { createMemoryRolloutStore } from '@switchyard/splitter';
 * const store = createMemoryRolloutStore();
 * const lease = await store.acquireLease('api-v2', 'replica-a', 10_000, systemClock.now());
 * lease.kind; // 'acquired'
 * ```
 */
export function createMemoryRolloutStore(options: MemoryRolloutStoreOptions = {}): MemoryRolloutStore {
  const retention = options.retentionMs ?? 3_600_000;
  interface Entry {
    buckets: Map<number, { canary: SideWindow; baseline: SideWindow }>;
    lease: { owner: string; token: number; expiresAt: number } | undefined;
    fence: number;
    stored: StoredRollout | undefined;
    listeners: Set<(revision: number) => void>;
  }
  const entries = new Map<string, Entry>();
  const entry = (rollout: string): Entry => {
    let e = entries.get(rollout);
    if (e === undefined) {
      e = { buckets: new Map(), lease: undefined, fence: 0, stored: undefined, listeners: new Set() };
      entries.set(rollout, e);
    }
    return e;
  };
  const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;
  const store: MemoryRolloutStore = {
    fail: false,
    async addMetrics(rollout, buckets) {
      if (store.fail) throw new Error('rollout store unavailable');
      const e = entry(rollout);
      let newest = -Infinity;
      for (const b of buckets) {
        let cur = e.buckets.get(b.start);
        if (cur === undefined) {
          cur = { canary: createSideWindow(), baseline: createSideWindow() };
          e.buckets.set(b.start, cur);
        }
        mergeSideWindow(cur.canary, b.canary);
        mergeSideWindow(cur.baseline, b.baseline);
        newest = Math.max(newest, b.start);
      }
      for (const start of e.buckets.keys()) if (start < newest - retention) e.buckets.delete(start);
    },
    async readMetrics(rollout, from, to) {
      if (store.fail) throw new Error('rollout store unavailable');
      const out = { canary: createSideWindow(), baseline: createSideWindow() };
      for (const [start, b] of entry(rollout).buckets) {
        if (start < from || start >= to) continue;
        mergeSideWindow(out.canary, b.canary);
        mergeSideWindow(out.baseline, b.baseline);
      }
      return out;
    },
    async acquireLease(rollout, owner, ttlMs, now) {
      if (store.fail) throw new Error('rollout store unavailable');
      const e = entry(rollout);
      const l = e.lease;
      if (l !== undefined && l.expiresAt > now) {
        if (l.owner !== owner) return { kind: 'held', owner: l.owner };
        l.expiresAt = now + ttlMs;
        return { kind: 'acquired', token: l.token };
      }
      e.fence++;
      e.lease = { owner, token: e.fence, expiresAt: now + ttlMs };
      return { kind: 'acquired', token: e.fence };
    },
    async renewLease(rollout, owner, token, ttlMs, now) {
      if (store.fail) throw new Error('rollout store unavailable');
      const l = entry(rollout).lease;
      if (l === undefined || l.expiresAt <= now || l.owner !== owner || l.token !== token) return false;
      l.expiresAt = now + ttlMs;
      return true;
    },
    async releaseLease(rollout, owner, token) {
      if (store.fail) throw new Error('rollout store unavailable');
      const e = entry(rollout);
      if (e.lease?.owner === owner && e.lease.token === token) e.lease = undefined;
    },
    async readState(rollout) {
      if (store.fail) throw new Error('rollout store unavailable');
      const s = entry(rollout).stored;
      return s === undefined ? undefined : clone(s);
    },
    async writeState(rollout, state, expectedRevision, writer, now) {
      if (store.fail) throw new Error('rollout store unavailable');
      const e = entry(rollout);
      const current = e.stored?.revision ?? 0;
      let token = e.stored?.token ?? 0;
      if (writer.kind === 'leader') {
        const l = e.lease;
        if (l === undefined || l.expiresAt <= now || l.owner !== writer.owner || l.token !== writer.token) return { kind: 'fenced', reason: `${writer.owner} does not hold the lease with token ${writer.token}` };
        if (writer.token < token) return { kind: 'fenced', reason: `token ${writer.token} is older than the last write's (${token})` };
        token = writer.token;
      }
      if (expectedRevision !== current) return { kind: 'conflict', revision: current };
      const revision = current + 1;
      e.stored = { state: clone({ ...storableState(state), revision }), revision, token };
      // Pushed after the write returns, like a PUBLISH seen by another connection.
      for (const l of e.listeners) void Promise.resolve(revision).then(l);
      return { kind: 'written', revision };
    },
    subscribe(rollout, onRevision) {
      const e = entry(rollout);
      e.listeners.add(onRevision);
      return () => e.listeners.delete(onRevision);
    },
  };
  return store;
}
