/**
 * A bounded open-loop load generator: requests at a fixed rate for a fixed time, through an
 * undici Pool to the gateway, never more than `maxInFlight` at once. Loopback only.
 */
import { Pool } from 'undici';

export interface Sample {
  readonly at: number;
  readonly path: string;
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
  /** Called about once a second with progress. */
  readonly onTick?: (elapsedMs: number, samples: readonly Sample[]) => void;
}

interface Shape {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly tier: string;
}

const FREE_KEYS = Array.from({ length: 6 }, (_, i) => `free-${i}`);
const PRO_KEYS = Array.from({ length: 4 }, (_, i) => `pro-${i}`);

/** One request of the mix: catalog reads by user, orders, a debug header route, some 404s. */
function nextShape(i: number): Shape {
  const r = Math.random();
  const pro = Math.random() < 0.5;
  const key = pro ? PRO_KEYS[i % PRO_KEYS.length]! : FREE_KEYS[i % FREE_KEYS.length]!;
  const user = `user-${Math.floor(Math.random() * 500)}`;
  const headers = { 'x-api-key': key, 'x-user-id': user };
  const tier = pro ? 'pro' : 'free';
  if (r < 0.68) return { method: 'GET', path: `/api/catalog/items/${Math.floor(Math.random() * 1000)}`, headers, tier };
  if (r < 0.9) return { method: 'GET', path: `/api/orders/${1000 + Math.floor(Math.random() * 9000)}`, headers, tier };
  if (r < 0.96) return { method: 'GET', path: '/api/catalog/items/42', headers: { ...headers, 'x-debug-version': 'v2' }, tier };
  return { method: 'GET', path: '/api/nowhere', headers, tier };
}

export async function drive(options: TrafficOptions): Promise<Sample[]> {
  const pool = new Pool(options.origin, { connections: options.maxInFlight, pipelining: 1 });
  const samples: Sample[] = [];
  const started = performance.now();
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
          at: t0 - started,
          path: shape.path,
          status: res.statusCode,
          latencyMs: performance.now() - t0,
          servedBy: typeof servedBy === 'string' ? servedBy : undefined,
          version: typeof version === 'string' ? version : undefined,
          tier: shape.tier,
        });
      })
      .catch(() => {
        samples.push({ at: t0 - started, path: shape.path, status: 0, latencyMs: performance.now() - t0, servedBy: undefined, version: undefined, tier: shape.tier });
      })
      .finally(() => {
        inFlight--;
        pending.delete(p);
      });
    pending.add(p);
    const now = performance.now();
    if (now - lastTick >= 1000) {
      lastTick = now;
      options.onTick?.(now - started, samples);
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
