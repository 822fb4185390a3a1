import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ClientRequestSeries, LATENCY_BUCKETS_MS, MetricsRegistry, ServerRequestSeries, prometheusName } from './metrics.js';

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
    for (const v of [0.5, 5, 7, 30, 20_000]) h.record(v);
    const text = m.prometheus();
    expect(text).toContain('d_seconds_bucket{route="a",le="0.005"} 2');
    expect(text).toContain('d_seconds_bucket{route="a",le="0.01"} 3');
    expect(text).toContain('d_seconds_bucket{route="a",le="0.05"} 4');
    expect(text).toContain('d_seconds_bucket{route="a",le="10"} 4');
    expect(text).toContain('d_seconds_bucket{route="a",le="+Inf"} 5');
    expect(text).toContain('d_seconds_count{route="a"} 5');
    expect(text).toContain(`d_seconds_sum{route="a"} ${(0.5 + 5 + 7 + 30 + 20_000) / 1000}`);
  });

  it('the buckets are the OpenTelemetry HTTP semantic conventions\' advice (0.005 s … 10 s)', () => {
    expect(LATENCY_BUCKETS_MS.map((b) => b / 1000)).toEqual([0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]);
  });

  it('prometheusName - OpenTelemetry names translated by the OpenTelemetry Prometheus rules', () => {
    expect(prometheusName('http.server.request.duration', 'histogram', 's')).toBe('http_server_request_duration_seconds');
    expect(prometheusName('http.client.request.duration', 'histogram', 's')).toBe('http_client_request_duration_seconds');
    expect(prometheusName('switchyard.upstream.rejected', 'counter', '{request}')).toBe('switchyard_upstream_rejected_total');
    expect(prometheusName('switchyard.split.weight', 'gauge', '%')).toBe('switchyard_split_weight_percent');
    expect(prometheusName('switchyard.limiter.utilization', 'gauge', '1')).toBe('switchyard_limiter_utilization_ratio');
    expect(prometheusName('c_total', 'counter', '{request}')).toBe('c_total');
  });

  it('labels are exposed with OpenTelemetry attribute names translated (dots to underscores), numbers as numbers', () => {
    const m = new MetricsRegistry();
    new ServerRequestSeries(m, 'orders').handle('https', 'GET', 503, 'SY_OVERLOADED').record(12);
    new ClientRequestSeries(m, 'orders', { id: 'o1', url: 'http://[::1]:8080', metadata: { version: 'v2' } }).handle('POST', 'timeout').record(3);
    new ClientRequestSeries(m, 'orders', { id: 'o2', url: 'https://orders.internal', metadata: {} }).handle('GET', 404).record(3);
    const text = m.prometheus();
    expect(text).toContain('http_server_request_duration_seconds_count{http_request_method="GET",url_scheme="https",http_response_status_code="503",http_route="orders",error_type="SY_OVERLOADED"} 1');
    expect(text).toContain(
      'http_client_request_duration_seconds_count{http_request_method="POST",server_address="::1",server_port="8080",switchyard_upstream="orders",switchyard_endpoint="o1",switchyard_endpoint_version="v2",error_type="timeout"} 1',
    );
    expect(text).toContain('server_address="orders.internal",server_port="443"');
    expect(text).toContain('http_response_status_code="404",error_type="404"');
  });

  it('a bound series is reused: the same answer costs no new series', () => {
    const m = new MetricsRegistry();
    const s = new ServerRequestSeries(m, 'r');
    expect(s.handle('http', 'GET', 200, undefined)).toBe(s.handle('http', 'GET', 200, undefined));
    expect(s.handle('http', 'GET', 200, undefined)).not.toBe(s.handle('https', 'GET', 200, undefined));
    expect(s.handle('http', 'GET', 503, 'SY_NO_ENDPOINT')).toBe(s.handle('http', 'GET', 503, 'SY_NO_ENDPOINT'));
    expect(s.handle('http', 'GET', 503, 'SY_NO_ENDPOINT')).not.toBe(s.handle('http', 'GET', 503, undefined));
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

  it('mirrors to an OpenTelemetry-shaped meter: same names and attributes, durations in seconds with the conventions\' buckets', () => {
    const seen: unknown[] = [];
    const m = new MetricsRegistry({
      createCounter: (name, o) => (seen.push(['counter', name, o?.unit]), { add: (v, a) => seen.push(['add', v, a]) }),
      createHistogram: (name, o) => (seen.push(['histogram', name, o?.unit, o?.advice?.explicitBucketBoundaries?.[0]]), { record: (v, a) => seen.push(['record', v, a]) }),
    });
    m.counter('switchyard.upstream.rejected', 'h', { 'switchyard.upstream': 'u' }).add(1);
    m.histogram('http.server.request.duration', 'h', { 'http.route': 'r' }).record(7);
    expect(seen).toEqual([
      ['counter', 'switchyard.upstream.rejected', '{request}'],
      ['add', 1, { 'switchyard.upstream': 'u' }],
      ['histogram', 'http.server.request.duration', 's', 0.005],
      ['record', 0.007, { 'http.route': 'r' }],
    ]);
  });
});
