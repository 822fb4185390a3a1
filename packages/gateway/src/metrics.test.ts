import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LATENCY_BUCKETS_MS, MetricsRegistry } from './metrics.js';

describe('MetricsRegistry', () => {
  it('a held counter handle and inc() with the same labels update one series', () => {
    const m = new MetricsRegistry();
    const h = m.counter('c_total', 'help', { route: 'a' });
    h.add(2);
    m.inc('c_total', 'help', { route: 'a' });
    expect(m.snapshot()['c_total']).toEqual([{ labels: { route: 'a' }, value: 3 }]);
    expect(m.prometheus()).toContain('c_total{route="a"} 3');
  });

  it('histogram buckets are cumulative in the exposition, +Inf equals the count, sum in seconds', () => {
    const m = new MetricsRegistry();
    const h = m.histogram('d', 'help', { route: 'a' });
    for (const v of [0.5, 1, 3, 30, 20_000]) h.record(v);
    const text = m.prometheus();
    expect(text).toContain('d_seconds_bucket{route="a",le="0.001"} 2');
    expect(text).toContain('d_seconds_bucket{route="a",le="0.005"} 3');
    expect(text).toContain('d_seconds_bucket{route="a",le="0.05"} 4');
    expect(text).toContain('d_seconds_bucket{route="a",le="10"} 4');
    expect(text).toContain('d_seconds_bucket{route="a",le="+Inf"} 5');
    expect(text).toContain('d_seconds_count{route="a"} 5');
    expect(text).toContain(`d_seconds_sum{route="a"} ${(0.5 + 1 + 3 + 30 + 20_000) / 1000}`);
  });

  it('property: each cumulative bucket counts exactly the observations at or below its bound', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 20_000, noNaN: true }), { maxLength: 50 }), (values) => {
        const m = new MetricsRegistry();
        const h = m.histogram('d', 'help', {});
        for (const v of values) h.record(v);
        const snap = m.snapshot()['d']?.[0] as { count: number; buckets: Record<string, number> } | undefined;
        if (values.length === 0) return;
        expect(snap?.count).toBe(values.length);
        for (const b of LATENCY_BUCKETS_MS) expect(snap?.buckets[String(b)]).toBe(values.filter((v) => v <= b).length);
      }),
      { numRuns: 300 },
    );
  });

  it('mirrors to an OpenTelemetry-shaped meter with the series labels', () => {
    const seen: unknown[] = [];
    const m = new MetricsRegistry({
      createCounter: () => ({ add: (v, a) => seen.push(['add', v, a]) }),
      createHistogram: () => ({ record: (v, a) => seen.push(['record', v, a]) }),
    });
    m.counter('c_total', 'h', { x: '1' }).add(1);
    m.histogram('d', 'h', { y: '2' }).record(7);
    expect(seen).toEqual([
      ['add', 1, { x: '1' }],
      ['record', 7, { y: '2' }],
    ]);
  });
});
