/**
 * One replica's part in a fleet rollout, over a {@link RolloutStore}: it buffers its own
 * outcomes per time bucket and flushes them in the background (one round trip per flush, never
 * on the request path), polls the shared state and applies every new revision (and listens for
 * pushed revisions where the store can push: pub/sub may drop, the poll may not), competes for
 * the lease, and — only while it holds the lease — runs the check that is due on the merged
 * buckets of every replica and writes the next state with its fencing token.
 *
 * Guarantees, with a store that keeps acknowledged writes:
 * - **one check per interval, whatever the number of replicas**: only the lease holder
 *   evaluates; the state it writes carries `checkedAt`, so a new holder continues the schedule
 *   instead of repeating a check, and a check the old holder did not write is run by the new one;
 * - **no stale writes**: a replica that lost its lease is refused by the store (fencing token);
 * - **same weights everywhere within one poll interval** (`pollIntervalMs`);
 * - **fail-static**: while the store is unreachable every replica keeps the weights it has,
 *   reports it (`onStoreStatus`), keeps buffering its outcomes (bounded) and catches up when
 *   the store is back. Before a replica has read any state it serves 0 % to the canary.
 *
 * Time: buckets and the state's times are wall time (`clock.wallNow()`), shared by replicas;
 * intervals between the driver's own actions are timers on the injected clock.
 *
 * @packageDocumentation
 */
import type { Cancel, Clock, Outcome } from '@switchyard/core';
import { createSideWindow, mergeSideWindow, observeSide, type SideWindow } from './analysis.js';
import {
  abortRollout,
  evaluateRollout,
  nextAnalysisAt,
  promoteRollout,
  retryRollout,
  startRollout,
  validateRolloutConfig,
  type RolloutConfig,
  type RolloutEvent,
  type RolloutPhase,
  type RolloutState,
} from './rollout.js';
import { evaluateWithWebhooks, type WebhookCaller } from './rollout-webhooks.js';
import { bucketStart, type MetricsBucket, type RolloutStore, type StoredRollout } from './rollout-store.js';

/** Options of {@link createRolloutDriver}. */
export interface RolloutDriverOptions {
  // Deliberately alike: testing/src/sim/load.ts (LoadOptions) — a data type's list of readonly fields: alike in shape only, different fields and meanings (a rollout driver's options vs a load driver's)
  readonly store: RolloutStore;
  readonly clock: Clock;
  readonly config: RolloutConfig;
  /** This replica's id (unique in the fleet: the lease owner). */
  readonly owner: string;
  /** Lease time to live, ms (default 15 000); renewed every third of it. */
  readonly leaseTtlMs?: number;
  /** How often the replica flushes, polls the state and (as leader) checks, ms (default 1 000). */
  readonly pollIntervalMs?: number;
  /** Length of a metrics time bucket, ms (default 1 000). */
  readonly bucketMs?: number;
  /** Time the leader leaves the other replicas to flush a bucket before it reads it, ms (default 2 × pollIntervalMs). */
  readonly settleMs?: number;
  /** Buckets a replica keeps while the store is unreachable (oldest dropped first; default 600). */
  readonly maxBufferedBuckets?: number;
  /** Called with each new state applied (from any writer): wire the weights here. */
  readonly onState?: (state: RolloutState, revision: number) => void;
  /** Called with each new transition, on every replica (read from the shared state). */
  readonly onEvent?: (event: RolloutEvent) => void;
  /** Calls the config's webhooks (`createTransportWebhookCaller`); without it, webhooks are not called and the gates stay closed. */
  readonly callWebhook?: WebhookCaller;
  /** Called when the store becomes unreachable (`available: false`, the weights are frozen) and again when it is back. */
  readonly onStoreStatus?: (available: boolean, reason: string) => void;
}

/** What a replica knows about a fleet rollout. */
export interface RolloutStatus {
  readonly name: string;
  /** Undefined until the first state is read. */
  readonly phase: RolloutPhase | undefined;
  readonly weightPercent: number;
  readonly stepIndex: number;
  readonly failedChecks: number;
  readonly reasons: readonly string[];
  readonly revision: number;
  /** This replica holds the lease (it runs the checks). */
  readonly leader: boolean;
  /** False while the store is unreachable: the weights are frozen. */
  readonly storeAvailable: boolean;
}

/** The outcome of an operation (`promote`, `abort`, `retry`). */
export type OperationResult =
  | { readonly kind: 'done'; readonly event: RolloutEvent; readonly revision: number }
  | { readonly kind: 'not-applicable'; readonly reason: string }
  | { readonly kind: 'store-error'; readonly reason: string };

/** A replica's rollout driver. */
export interface RolloutDriver {
  /** Starts the background loop (flush, poll, lease, checks). Idempotent. */
  start(): void;
  /** Stops the loop; with `release` (default true) flushes and gives the lease up. */
  stop(options?: { readonly release?: boolean }): Promise<void>;
  /** Records an outcome in the local buffer (synchronous, no I/O). */
  observe(side: 'canary' | 'baseline', outcome: Outcome): void;
  /** The canary share this replica serves now. */
  weightPercent(): number;
  /** The last state applied (undefined before the first read). */
  state(): RolloutState | undefined;
  status(): RolloutStatus;
  /** Runs one iteration of the loop now (the timer calls it; never rejects). */
  tick(): Promise<void>;
  /** Resolves when the iteration in progress (if any) is over. */
  idle(): Promise<void>;
  promote(options?: { readonly full?: boolean; readonly reason?: string }): Promise<OperationResult>;
  abort(reason: string): Promise<OperationResult>;
  retry(reason?: string): Promise<OperationResult>;
}

const eventKey = (e: RolloutEvent): string => `${e.at}|${e.type}|${e.reason}`;

/**
 * Creates a replica's driver for one rollout (see the module doc).
 *
 * @example
 * ```ts
 * import { systemClock } from '@switchyard/core';
 * import { createMemoryRolloutStore, createRolloutDriver } from '@switchyard/splitter';
 * const driver = createRolloutDriver({
 *   store: createMemoryRolloutStore(), clock: systemClock, owner: 'replica-a',
 *   config: { name: 'api-v2', analysisIntervalMs: 60_000 },
 *   onState: (s) => console.log('canary at', s.weightPercent),
 * });
 * driver.start();
 * ```
 */
export function createRolloutDriver(options: RolloutDriverOptions): RolloutDriver {
  const { store, clock, config, owner } = options;
  validateRolloutConfig(config);
  const name = config.name;
  const ttl = options.leaseTtlMs ?? 15_000;
  const poll = options.pollIntervalMs ?? 1000;
  const bucketMs = options.bucketMs ?? 1000;
  const settle = options.settleMs ?? 2 * poll;
  const maxBuffered = options.maxBufferedBuckets ?? 600;
  if (!(ttl > 0 && poll > 0 && bucketMs > 0 && settle >= 0)) throw new TypeError('rollout driver: leaseTtlMs, pollIntervalMs and bucketMs must be > 0, settleMs >= 0');

  let state: RolloutState | undefined;
  let revision = 0;
  let token: number | undefined;
  let leaseOkAt = -Infinity;
  let nextLeaseAt = -Infinity;
  let available = true;
  let running = false;
  let busy: Promise<void> | undefined;
  let timer: Cancel | undefined;
  let unsubscribe: (() => void) | undefined;
  let lastEventKey: string | undefined;
  // Monotonic → wall offset, refreshed every tick: outcomes carry monotonic `at`.
  let wallOffset = clock.wallNow() - clock.now();
  const buffer = new Map<number, { canary: SideWindow; baseline: SideWindow }>();

  const now = (): number => clock.wallNow();
  const isLeader = (t: number): boolean => token !== undefined && t - leaseOkAt < ttl;

  function setAvailable(ok: boolean, reason: string): void {
    if (ok === available) return;
    available = ok;
    options.onStoreStatus?.(ok, reason);
  }

  function apply(stored: StoredRollout): void {
    if (stored.revision === revision && state !== undefined) return;
    const s = stored.state;
    // Revisions are a change detector, not a must-increase counter (a store restored from a
    // backup may go back): apply whatever differs.
    state = s;
    revision = stored.revision;
    const idx = lastEventKey === undefined ? -1 : s.events.findIndex((e) => eventKey(e) === lastEventKey);
    // Events after the last one this replica saw (all of them on the first read, or when the
    // stored log was trimmed past it).
    const fresh = idx >= 0 ? s.events.slice(idx + 1) : s.events;
    const last = s.events.at(-1);
    if (last !== undefined) lastEventKey = eventKey(last);
    for (const e of fresh) options.onEvent?.(e);
    options.onState?.(s, revision);
  }

  async function flush(): Promise<void> {
    if (buffer.size === 0) return;
    const buckets: MetricsBucket[] = [];
    for (const [start, b] of buffer) buckets.push({ start, canary: b.canary, baseline: b.baseline });
    buffer.clear();
    try {
      await store.addMetrics(name, buckets);
    } catch (e) {
      // Put them back (merging with what arrived meanwhile) and keep the newest maxBuffered.
      for (const b of buckets) {
        const cur = buffer.get(b.start);
        if (cur === undefined) buffer.set(b.start, { canary: b.canary, baseline: b.baseline });
        else {
          mergeSideWindow(cur.canary, b.canary);
          mergeSideWindow(cur.baseline, b.baseline);
        }
      }
      trimBuffer();
      throw e;
    }
  }

  function trimBuffer(): void {
    if (buffer.size <= maxBuffered) return;
    const starts = [...buffer.keys()].sort((a, b) => a - b);
    for (const s of starts.slice(0, buffer.size - maxBuffered)) buffer.delete(s);
  }

  async function lease(t: number): Promise<void> {
    if (t < nextLeaseAt && token !== undefined) return;
    if (token !== undefined) {
      const ok = await store.renewLease(name, owner, token, ttl, t);
      if (ok) leaseOkAt = t;
      else token = undefined;
    }
    if (token === undefined) {
      const r = await store.acquireLease(name, owner, ttl, t);
      if (r.kind === 'acquired') {
        token = r.token;
        leaseOkAt = t;
      }
    }
    nextLeaseAt = t + ttl / 3;
  }

  async function evaluate(t: number): Promise<void> {
    if (state === undefined || token === undefined) return;
    const due = nextAnalysisAt(config, state);
    // The interval's last buckets are judged once every replica had `settle` to flush them: an
    // analysis at `due` itself would read a window cut `settle` short (with an interval of at
    // most `settle`, an empty one: a failed check for no data, and a rollback for nothing).
    if (due === undefined || t < due + settle) return;
    const from = Math.ceil(state.windowStartedAt / bucketMs) * bucketMs;
    const cut = Math.max(from, bucketStart(t - settle, bucketMs));
    const next: RolloutState = JSON.parse(JSON.stringify(state)) as RolloutState;
    next.window = await store.readMetrics(name, from, cut, bucketMs);
    const before = next.weightPercent;
    if (config.webhooks !== undefined && config.webhooks.length > 0) await evaluateWithWebhooks(config, next, t, options.callWebhook ?? (async () => ({ ok: false, detail: 'no webhook caller configured' })));
    else evaluateRollout(config, next, t);
    // The data after `cut` was not judged: it opens the next window, unless the weight moved
    // (then it was served at the old weight and is dropped).
    if (next.weightPercent === before && next.windowStartedAt === t) next.windowStartedAt = cut;
    // Webhooks may have taken a while: renew before writing (the write is fenced anyway).
    const t2 = now();
    if (t2 - leaseOkAt > ttl / 3) {
      if (!(await store.renewLease(name, owner, token, ttl, t2))) {
        token = undefined;
        return;
      }
      leaseOkAt = t2;
    }
    await write(next, { kind: 'leader', owner, token }, t2);
  }

  async function write(next: RolloutState, writer: { kind: 'leader'; owner: string; token: number } | { kind: 'operator' }, t: number): Promise<'written' | 'fenced' | 'conflict'> {
    const r = await store.writeState(name, next, revision, writer, t);
    if (r.kind === 'written') {
      apply({ state: { ...next, revision: r.revision }, revision: r.revision, token: writer.kind === 'leader' ? writer.token : 0 });
      return 'written';
    }
    if (r.kind === 'fenced') token = undefined;
    return r.kind;
  }

  async function once(): Promise<void> {
    const t = now();
    wallOffset = t - clock.now();
    try {
      await flush();
      await lease(t);
      const stored = await store.readState(name);
      if (stored !== undefined) apply(stored);
      else if (isLeader(t)) await write(startRollout(config, t), { kind: 'leader', owner, token: token as number }, t);
      if (isLeader(t)) await evaluate(t);
      setAvailable(true, 'rollout store reachable again: weights follow the shared state');
    } catch (e) {
      setAvailable(false, `rollout store unreachable (${e instanceof Error ? e.message : String(e)}): weights frozen at ${state?.weightPercent ?? 0}%`);
    }
  }

  function tick(): Promise<void> {
    // One iteration at a time: a slow store never stacks calls.
    busy ??= once().finally(() => {
      busy = undefined;
    });
    return busy;
  }

  function arm(): void {
    timer?.();
    timer = undefined;
    if (!running) return;
    timer = clock.setTimer(poll, () => {
      timer = undefined;
      void tick().then(arm);
    });
  }

  async function operate(op: (s: RolloutState, t: number) => RolloutEvent | undefined): Promise<OperationResult> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const t = now();
      let stored: StoredRollout | undefined;
      try {
        stored = await store.readState(name);
      } catch (e) {
        return { kind: 'store-error', reason: e instanceof Error ? e.message : String(e) };
      }
      if (stored === undefined) return { kind: 'not-applicable', reason: `rollout ${name} has no state yet` };
      apply(stored);
      const next: RolloutState = JSON.parse(JSON.stringify(stored.state)) as RolloutState;
      const event = op(next, t);
      if (event === undefined) return { kind: 'not-applicable', reason: `rollout ${name} is ${next.phase}` };
      try {
        const r = await write(next, { kind: 'operator' }, t);
        if (r === 'written') return { kind: 'done', event, revision };
      } catch (e) {
        return { kind: 'store-error', reason: e instanceof Error ? e.message : String(e) };
      }
      // Conflict: someone wrote meanwhile; read again and retry.
    }
    return { kind: 'store-error', reason: 'the state kept changing: 5 conflicting writes in a row' };
  }

  const weightPercent = (): number => (state === undefined ? 0 : state.phase === 'rolled-back' || state.phase === 'aborted' ? 0 : state.phase === 'succeeded' ? 100 : state.weightPercent);

  return {
    start() {
      if (running) return;
      running = true;
      unsubscribe = store.subscribe?.(name, (rev) => {
        if (rev !== revision) void tick();
      });
      void tick().then(arm);
    },
    async stop(opts = {}) {
      running = false;
      timer?.();
      timer = undefined;
      unsubscribe?.();
      unsubscribe = undefined;
      await busy;
      if (opts.release !== false) {
        try {
          await flush();
          if (token !== undefined) await store.releaseLease(name, owner, token, now());
        } catch {
          // Best effort: the lease expires on its own.
        }
        token = undefined;
      }
    },
    observe(side, outcome) {
      if (state !== undefined && state.phase !== 'progressing') return;
      const start = bucketStart(outcome.at + wallOffset, bucketMs);
      let b = buffer.get(start);
      if (b === undefined) {
        b = { canary: createSideWindow(), baseline: createSideWindow() };
        buffer.set(start, b);
        trimBuffer();
      }
      observeSide(b[side], outcome);
    },
    weightPercent,
    state: () => state,
    status() {
      return {
        name,
        phase: state?.phase,
        weightPercent: weightPercent(),
        stepIndex: state?.stepIndex ?? 0,
        failedChecks: state?.failedChecks ?? 0,
        reasons: state?.reasons ?? [],
        revision,
        leader: isLeader(now()),
        storeAvailable: available,
      };
    },
    tick,
    idle: () => busy ?? Promise.resolve(),
    promote: (opts) => operate((s, t) => promoteRollout(config, s, t, opts)),
    abort: (reason) => operate((s, t) => abortRollout(config, s, t, reason)),
    retry: (reason) => operate((s, t) => retryRollout(config, s, t, reason)),
  };
}
