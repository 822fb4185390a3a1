/**
 * A rate-based retry budget: tower's `TpsBudget` (tower/src/retry/budget/tps_budget.rs), the
 * model Linkerd and Finagle use and Gateway API GEP-3388 describes (20 % of requests over
 * 10 s, plus 10 retries per second for free).
 *
 * Every original request deposits 1 token; a retry withdraws `⌊1/ratio⌋` (ratio ≤ 1) or deposits
 * `ratio` per request and withdraws 1 (ratio > 1). `reserve = minRetriesPerSecond × ttl × withdraw`
 * tokens are always available. Deposits and withdrawals expire after `ttlMs`, kept in 10
 * slots of `ttlMs / 10` that rotate lazily from `now` (no timer).
 */

/** Budget settings; defaults are tower's / Linkerd's (`TpsBudget::default()`). */
export interface RetryBudgetConfig {
  /** Extra load retries may add, as a fraction of requests (default 0.2 = 20 %). */
  readonly ratio?: number;
  /** Retries per second allowed whatever the ratio (default 10). */
  readonly minRetriesPerSecond?: number;
  /** Window over which requests and retries count (default 10 000 ms; 1–60 s). */
  readonly ttlMs?: number;
}

/** Plain, JSON-serialisable budget state. */
export interface RetryBudgetState {
  readonly deposit: number;
  readonly withdraw: number;
  readonly reserve: number;
  readonly slotMs: number;
  /** Net tokens per slot (deposits − withdrawals). */
  readonly slots: number[];
  /** Index of the current slot, and the slot-aligned time it started. */
  current: number;
  currentStart: number;
}

const SLOTS = 10;

/** Creates a budget. Invalid numbers are clamped to tower's accepted ranges. */
export function createRetryBudget(config: RetryBudgetConfig = {}, now = 0): RetryBudgetState {
  const ratio = clamp(config.ratio ?? 0.2, 0, 1000);
  const minPerSec = Math.max(0, config.minRetriesPerSecond ?? 10);
  const ttlMs = clamp(config.ttlMs ?? 10_000, 1_000, 60_000);
  // tower: for ratio <= 1, deposit 1 and withdraw 1/ratio; otherwise deposit ratio, withdraw 1.
  let deposit: number;
  let withdraw: number;
  if (ratio === 0) {
    deposit = 0;
    withdraw = 1;
  } else if (ratio <= 1) {
    deposit = 1;
    withdraw = Math.floor(1 / ratio);
  } else {
    deposit = Math.floor(ratio);
    withdraw = 1;
  }
  const reserve = Math.floor(minPerSec * (ttlMs / 1000) * withdraw);
  const slotMs = ttlMs / SLOTS;
  return { deposit, withdraw, reserve, slotMs, slots: new Array<number>(SLOTS).fill(0), current: 0, currentStart: Math.floor(now / slotMs) * slotMs };
}

function rotate(b: RetryBudgetState, now: number): void {
  const elapsed = Math.floor((now - b.currentStart) / b.slotMs);
  if (elapsed <= 0) return;
  const clear = Math.min(elapsed, SLOTS);
  for (let i = 1; i <= clear; i++) b.slots[(b.current + i) % SLOTS] = 0;
  b.current = (b.current + elapsed) % SLOTS;
  b.currentStart += elapsed * b.slotMs;
}

function balance(b: RetryBudgetState): number {
  let sum = b.reserve;
  for (const s of b.slots) sum += s;
  return sum;
}

/** Records an original request (call once per downstream request that may retry). */
export function depositRequest(b: RetryBudgetState, now: number): void {
  rotate(b, now);
  b.slots[b.current] = (b.slots[b.current] as number) + b.deposit;
}

/** Takes one retry from the budget if it allows; false means the retry must not happen. */
export function withdrawRetry(b: RetryBudgetState, now: number): boolean {
  rotate(b, now);
  if (balance(b) < b.withdraw) return false;
  b.slots[b.current] = (b.slots[b.current] as number) - b.withdraw;
  return true;
}

/** Retries the budget would allow right now (for metrics). Does not mutate. */
export function availableRetries(b: RetryBudgetState, now: number): number {
  const elapsed = Math.floor((now - b.currentStart) / b.slotMs);
  let sum = b.reserve;
  for (let i = 0; i < SLOTS; i++) {
    // A slot survives if it is among the SLOTS - elapsed most recent ones.
    const age = (b.current - i + SLOTS) % SLOTS;
    if (age + elapsed < SLOTS) sum += b.slots[i] as number;
  }
  return Math.max(0, Math.floor(sum / b.withdraw));
}

function clamp(v: number, lo: number, hi: number): number {
  return Number.isFinite(v) ? Math.min(hi, Math.max(lo, v)) : lo;
}
