/**
 * A bounded open-loop load generator: requests at a fixed rate for a fixed time, through an
 * undici Pool to the gateway, never more than `maxInFlight` at once. Loopback only.
 */
import { Pool } from 'undici';

export interface Sample {
  /** When the request was sent, ms since the epoch (the demo's start). */
  readonly at: number;
  readonly path: string;
  /** The route this request is meant for (the mix knows: `catalog`, `catalog-pinned-v2`, `orders`, or none for a 404). */
  readonly route: string | undefined;
  /** The API key it sent. */
  readonly key: string;
  readonly status: number;
  readonly latencyMs: number;
  readonly servedBy: string | undefined;
  readonly version: string | undefined;
  readonly tier: string;
}

export interface TrafficOptions {
  readonly origin: string;
  readonly ratePerSecond: number;
  readonly durationMs: number;
  readonly maxInFlight: number;
  /** `performance.now()` of the demo's start: samples' `at` count from it (default: when the traffic starts). */
  readonly epoch?: number;
  /** Called about every 250 ms with progress (elapsed ms since the epoch, the samples so far). */
  readonly onTick?: ((elapsedMs: number, samples: readonly Sample[]) => void) | undefined;
}

interface Shape {
  readonly method: string;
  readonly path: string;
  readonly route: string | undefined;
  readonly headers: Record<string, string>;
  readonly tier: string;
}

const FREE_KEYS = Array.from({ length: 2 }, (_, i) => `free-${i}`);
const PRO_KEYS = Array.from({ length: 4 }, (_, i) => `pro-${i}`);
/** Distinct user ids (the split is sticky by user id): the report's share tolerances count them. */
export const USERS = 2_000;

/** One request of the mix: catalog reads by user, orders, a debug header route, some 404s. */
function nextShape(i: number): Shape {
  const r = Math.random();
  // A quarter of the traffic on two free keys: each offers ~12 req/s at 100 req/s, still more
  // than its 2/s when a starved machine sends a third of that.
  const pro = Math.random() < 0.75;
  const key = pro ? PRO_KEYS[i % PRO_KEYS.length]! : FREE_KEYS[i % FREE_KEYS.length]!;
  const user = `user-${Math.floor(Math.random() * USERS)}`;
  const headers = { 'x-api-key': key, 'x-user-id': user };
  const tier = pro ? 'pro' : 'free';
  if (r < 0.68) return { method: 'GET', path: `/api/catalog/items/${Math.floor(Math.random() * 1000)}`, route: 'catalog', headers, tier };
  if (r < 0.9) return { method: 'GET', path: `/api/orders/${1000 + Math.floor(Math.random() * 9000)}`, route: 'orders', headers, tier };
  if (r < 0.96) return { method: 'GET', path: '/api/catalog/items/42', route: 'catalog-pinned-v2', headers: { ...headers, 'x-debug-version': 'v2' }, tier };
  return { method: 'GET', path: '/api/nowhere', route: undefined, headers, tier };
}

export async function drive(options: TrafficOptions): Promise<Sample[]> {
  const pool = new Pool(options.origin, { connections: options.maxInFlight, pipelining: 1 });
  const samples: Sample[] = [];
  const started = performance.now();
  const epoch = options.epoch ?? started;
  const interval = 1000 / options.ratePerSecond;
  let inFlight = 0;
  let sent = 0;
  let lastTick = started;
  const pending = new Set<Promise<void>>();
  while (performance.now() - started < options.durationMs) {
    const due = started + sent * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (inFlight >= options.maxInFlight) {
      // Open loop but bounded: skip this slot rather than queue without end.
      sent++;
      continue;
    }
    const shape = nextShape(sent++);
    inFlight++;
    const t0 = performance.now();
    const p = pool
      .request({ method: shape.method as 'GET', path: shape.path, headers: shape.headers })
      .then(async (res) => {
        await res.body.dump();
        const servedBy = res.headers['x-served-by'];
        const version = res.headers['x-version'];
        samples.push({
          at: t0 - epoch,
          path: shape.path,
          route: shape.route,
          key: shape.headers['x-api-key']!,
          status: res.statusCode,
          latencyMs: performance.now() - t0,
          servedBy: typeof servedBy === 'string' ? servedBy : undefined,
          version: typeof version === 'string' ? version : undefined,
          tier: shape.tier,
        });
      })
      .catch(() => {
        samples.push({ at: t0 - epoch, path: shape.path, route: shape.route, key: shape.headers['x-api-key']!, status: 0, latencyMs: performance.now() - t0, servedBy: undefined, version: undefined, tier: shape.tier });
      })
      .finally(() => {
        inFlight--;
        pending.delete(p);
      });
    pending.add(p);
    const now = performance.now();
    if (now - lastTick >= 250) {
      lastTick = now;
      options.onTick?.(now - epoch, samples);
    }
  }
  await Promise.all(pending);
  await pool.close();
  return samples;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}
