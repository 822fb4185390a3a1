/**
 * Gateway metrics: an in-process registry of counters, gauges and histograms with attributes,
 * exposed as Prometheus text (for users without OpenTelemetry) and mirrored to an
 * OpenTelemetry `Meter` when one is given. The meter is typed structurally (the few methods
 * used), so the gateway imports nothing: pass `metrics.getMeter('switchyard')` from
 * `@opentelemetry/api`; without an SDK, that meter is a no-op, as OpenTelemetry intends.
 *
 * One vocabulary: instruments are named and attributed in OpenTelemetry's terms (the HTTP
 * semantic conventions where one exists: `http.server.request.duration` in seconds with
 * `http.request.method`, `http.response.status_code`, `http.route`, `error.type`), and the
 * Prometheus exposition derives its names from them by OpenTelemetry's Prometheus rules
 * (opentelemetry-specification `compatibility/prometheus_and_openmetrics.md`): every character
 * outside `[a-zA-Z0-9_:]` becomes `_`, the unit becomes a suffix (`s` → `_seconds`, `%` →
 * `_percent`, `1` → `_ratio`, `{…}` annotations → nothing), counters end in `_total`. Attribute
 * names are translated the same way (`http.route` → `http_route`).
 */

/** The part of an OpenTelemetry `Meter` the gateway uses. */
export interface MeterLike {
  createCounter(name: string, options?: { description?: string; unit?: string }): { add(value: number, attributes?: Record<string, string | number>): void };
  /** `advice.explicitBucketBoundaries` (OpenTelemetry API ≥ 1.7) carries the semantic conventions' buckets, so both expositions agree. */
  createHistogram(
    name: string,
    options?: { description?: string; unit?: string; advice?: { explicitBucketBoundaries?: number[] } },
  ): { record(value: number, attributes?: Record<string, string | number>): void };
  createUpDownCounter?(name: string, options?: { description?: string; unit?: string }): { add(value: number, attributes?: Record<string, string | number>): void };
}

/** Attributes of one series, with OpenTelemetry names (`http.route`); numbers stay numbers (`server.port`). */
export type Labels = Readonly<Record<string, string | number>>;

/** A counter series, held by the hot path so that an increment is one addition. */
export interface CounterHandle {
  add(value: number): void;
}

/** A histogram series, held by the hot path. */
export interface HistogramHandle {
  /** Records one observation in milliseconds (exposed in seconds, the unit of every duration). */
  record(valueMs: number): void;
}

/**
 * A histogram series as {@link MetricsRegistry.visit} shows it: observations per bucket of
 * {@link LATENCY_BUCKETS_MS} (not cumulative; the last slot is above every bound), their sum in
 * milliseconds and their count. Read it, never write it.
 */
export interface HistogramView {
  readonly counts: readonly number[];
  readonly sum: number;
  readonly count: number;
}

type OtelCounter = { add?(v: number, a?: Record<string, string | number>): void } | undefined;
type OtelHistogram = { record?(v: number, a?: Record<string, string | number>): void } | undefined;

// Deliberately alike: HistogramSeries below — both keep labels and an optional OpenTelemetry
// instrument, but each is a different instrument with its own hot update method.
class CounterSeries implements CounterHandle {
  value = 0;
  readonly labels: Labels;
  readonly #otel: OtelCounter;
  constructor(labels: Labels, otel: OtelCounter) {
    this.labels = labels;
    this.#otel = otel;
  }
  add(value: number): void {
    this.value += value;
    this.#otel?.add?.(value, this.labels);
  }
}

// Deliberately alike: CounterSeries above — same constructor shape, a different instrument.
class HistogramSeries implements HistogramHandle {
  /** Observations per bucket (not cumulative; the last slot is above every bound). */
  readonly counts: number[] = new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0);
  sum = 0;
  count = 0;
  readonly labels: Labels;
  readonly #otel: OtelHistogram;
  constructor(labels: Labels, otel: OtelHistogram) {
    this.labels = labels;
    this.#otel = otel;
  }
  record(valueMs: number): void {
    let i = 0;
    while (i < LATENCY_BUCKETS_MS.length && valueMs > (LATENCY_BUCKETS_MS[i] as number)) i++;
    this.counts[i] = (this.counts[i] as number) + 1;
    this.sum += valueMs;
    this.count++;
    this.#otel?.record?.(valueMs / 1000, this.labels);
  }
  /** Cumulative count of observations at or below bucket `i` (Prometheus `le`). */
  cumulative(i: number): number {
    let n = 0;
    for (let k = 0; k <= i; k++) n += this.counts[k] as number;
    return n;
  }
}

/**
 * Latency buckets in milliseconds: the OpenTelemetry HTTP semantic conventions' advice for
 * `http.server.request.duration` and `http.client.request.duration` (0.005 s … 10 s), so the
 * Prometheus exposition and an OpenTelemetry SDK bucket alike.
 */
export const LATENCY_BUCKETS_MS: readonly number[] = [5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];
const LATENCY_BUCKETS_S: number[] = LATENCY_BUCKETS_MS.map((b) => b / 1000);

interface Family {
  /** The OpenTelemetry instrument name (`http.server.request.duration`). */
  readonly name: string;
  readonly help: string;
  /** UCUM unit: `s` for every histogram, `%`, `1`, or an annotation such as `{request}`. */
  readonly unit: string;
  readonly kind: 'counter' | 'gauge' | 'histogram';
  readonly series: Map<string, CounterSeries | HistogramSeries>;
  readonly otel: (OtelCounter & OtelHistogram) | undefined;
}

/** A registry of labelled counters, gauges and histograms. */
export class MetricsRegistry {
  private readonly families = new Map<string, Family>();
  private readonly meter: MeterLike | undefined;

  constructor(meter?: MeterLike) {
    this.meter = meter;
  }

  private family(name: string, help: string, kind: Family['kind'], unit: string): Family {
    let f = this.families.get(name);
    if (f === undefined) {
      let otel: Family['otel'];
      if (this.meter !== undefined) {
        if (kind === 'counter') otel = this.meter.createCounter(name, { description: help, unit });
        else if (kind === 'histogram') otel = this.meter.createHistogram(name, { description: help, unit, advice: { explicitBucketBoundaries: [...LATENCY_BUCKETS_S] } });
        else otel = this.meter.createUpDownCounter?.(name, { description: help, unit });
      }
      f = { name, help, unit, kind, series: new Map(), otel };
      this.families.set(name, f);
    }
    return f;
  }

  /**
   * The counter series for `labels`, created on first use. `name` is the OpenTelemetry
   * instrument name (`switchyard.upstream.rejected`), `unit` its UCUM unit (default `{request}`).
   * `key`, when given, must identify `labels` uniquely within the metric. Hold the handle: `add`
   * is then one addition.
   */
  counter(name: string, help: string, labels: Labels, key = labelKey(labels), unit = '{request}'): CounterHandle {
    return this.series(name, help, 'counter', unit, labels, key, (otel) => new CounterSeries(labels, otel));
  }

  /**
   * The histogram series for `labels`, created on first use; `key` as for
   * {@link MetricsRegistry.counter}. Record milliseconds: the instrument's unit is seconds.
   */
  histogram(name: string, help: string, labels: Labels, key = labelKey(labels)): HistogramHandle {
    return this.series(name, help, 'histogram', 's', labels, key, (otel) => new HistogramSeries(labels, otel));
  }

  private series<S extends CounterSeries | HistogramSeries>(name: string, help: string, kind: Family['kind'], unit: string, labels: Labels, key: string, create: (otel: Family['otel']) => S): S {
    const f = this.family(name, help, kind, unit);
    let s = f.series.get(key) as S | undefined;
    if (s === undefined) {
      s = create(f.otel);
      f.series.set(key, s);
    }
    return s;
  }

  /** Adds `value` (default 1) to a counter (unit as for {@link MetricsRegistry.counter}). */
  inc(name: string, help: string, labels: Labels, value = 1, key = labelKey(labels), unit = '{request}'): void {
    this.counter(name, help, labels, key, unit).add(value);
  }

  /** Sets a gauge (an OpenTelemetry UpDownCounter fed with the deltas); `unit` default `1`. */
  set(name: string, help: string, labels: Labels, value: number, unit = '1'): void {
    const f = this.family(name, help, 'gauge', unit);
    // A gauge mirrors deltas to OpenTelemetry itself, so its series holds no instrument.
    const s = this.series(name, help, 'gauge', unit, labels, labelKey(labels), () => new CounterSeries(labels, undefined));
    const delta = value - s.value;
    s.value = value;
    if (delta !== 0) f.otel?.add?.(delta, labels);
  }

  /** Records one observation (milliseconds; exposed in seconds) in a histogram. */
  observe(name: string, help: string, labels: Labels, valueMs: number, key = labelKey(labels)): void {
    this.histogram(name, help, labels, key).record(valueMs);
  }

  /**
   * Calls `fn` with each series of the instrument `name` (read-only: for dashboards that sample
   * the counters already kept, adding nothing to the request path). Counters and gauges pass
   * their `value`; histograms pass their count as `value` and a {@link HistogramView}.
   */
  visit(name: string, fn: (labels: Labels, value: number, histogram: HistogramView | undefined) => void): void {
    const f = this.families.get(name);
    if (f === undefined) return;
    for (const s of f.series.values()) {
      if (s instanceof HistogramSeries) fn(s.labels, s.count, s);
      else fn(s.labels, s.value, undefined);
    }
  }

  /** A plain snapshot by OpenTelemetry name: `{ name: [{ labels, value } | { labels, count, sumMs, buckets }] }` (bucket bounds in ms). */
  snapshot(): Record<string, unknown[]> {
    const out: Record<string, unknown[]> = {};
    for (const f of this.families.values()) {
      out[f.name] = [...f.series.values()].map((s) =>
        s instanceof HistogramSeries
          ? { labels: s.labels, count: s.count, sumMs: s.sum, buckets: Object.fromEntries(LATENCY_BUCKETS_MS.map((b, i) => [b, s.cumulative(i)])) }
          : { labels: s.labels, value: s.value },
      );
    }
    return out;
  }

  /**
   * Prometheus text exposition format 0.0.4, names and labels translated from the OpenTelemetry
   * ones by {@link prometheusName} (histograms in seconds, as Prometheus expects).
   */
  prometheus(): string {
    const lines: string[] = [];
    for (const f of this.families.values()) {
      const name = prometheusName(f.name, f.kind, f.unit);
      lines.push(`# HELP ${name} ${escapeHelp(f.help)}`, `# TYPE ${name} ${f.kind}`);
      for (const s of f.series.values()) {
        if (s instanceof HistogramSeries) {
          LATENCY_BUCKETS_S.forEach((b, i) => lines.push(`${name}_bucket${fmt({ ...s.labels, le: String(b) })} ${s.cumulative(i)}`));
          lines.push(`${name}_bucket${fmt({ ...s.labels, le: '+Inf' })} ${s.count}`, `${name}_sum${fmt(s.labels)} ${s.sum / 1000}`, `${name}_count${fmt(s.labels)} ${s.count}`);
        } else {
          lines.push(`${name}${fmt(s.labels)} ${s.value}`);
        }
      }
    }
    return lines.join('\n') + '\n';
  }
}

function labelKey(labels: Labels): string {
  let k = '';
  for (const name in labels) k += `${name}\u0000${labels[name]}\u0001`;
  return k;
}

/** Units with a Prometheus suffix (OpenTelemetry's Prometheus compatibility rules); `{…}` annotations have none. */
const UNIT_SUFFIX: Readonly<Record<string, string>> = { s: 'seconds', ms: 'milliseconds', By: 'bytes', '%': 'percent', '1': 'ratio' };

/**
 * The Prometheus name of an OpenTelemetry instrument, by OpenTelemetry's rules: characters
 * outside `[a-zA-Z0-9_:]` become `_` (runs collapse), the unit's suffix is appended unless the
 * name ends in it already, and counters get `_total`. `1` becomes `_ratio` for gauges only.
 *
 * @example `prometheusName('http.server.request.duration', 'histogram', 's')` → `http_server_request_duration_seconds`
 */
export function prometheusName(name: string, kind: 'counter' | 'gauge' | 'histogram', unit: string): string {
  let out = sanitize(name);
  const suffix = unit === '1' && kind !== 'gauge' ? undefined : UNIT_SUFFIX[unit];
  if (suffix !== undefined && !out.endsWith(`_${suffix}`)) out += `_${suffix}`;
  if (kind === 'counter' && !out.endsWith('_total')) out += '_total';
  return out;
}

/** A Prometheus metric or label name from an OpenTelemetry one (`http.route` → `http_route`). */
function sanitize(name: string): string {
  return name.replace(/[^a-zA-Z0-9_:]+/g, '_');
}

function fmt(labels: Labels): string {
  const parts: string[] = [];
  for (const name in labels) parts.push(`${sanitize(name)}="${String(labels[name]).replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

function escapeHelp(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/**
 * The gateway's instruments, by OpenTelemetry name (the Prometheus names follow from
 * {@link prometheusName}; docs/guides/observability.md has the full table).
 */
export const INSTRUMENTS = Object.freeze({
  /** Semantic conventions: duration of requests the gateway answered, in seconds. */
  serverRequestDuration: 'http.server.request.duration',
  /** Semantic conventions: duration of each try to an upstream endpoint, to response headers, in seconds. */
  clientRequestDuration: 'http.client.request.duration',
  /** Requests answered 429 by a rate limit. */
  rateLimited: 'switchyard.rate_limited',
  /** Requests a policy answered itself (`switchyard.policy`, `http.route`, `http.response.status_code`). */
  policyRejections: 'switchyard.policy.rejections',
  /** Outlier ejections and un-ejections. */
  outlierEvents: 'switchyard.outlier.events',
  /** Requests refused before any try: breaker open, no endpoint, resource limits, adaptive throttle or concurrency. */
  upstreamRejected: 'switchyard.upstream.rejected',
  /** The current share of each backend of a route split. */
  splitWeight: 'switchyard.split.weight',
});

/** `http.request.method` values by index (see {@link methodIndex}); anything unknown is `_OTHER`. */
const METHOD_NAMES: readonly string[] = ['GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'CONNECT', 'TRACE', 'QUERY', '_OTHER'];

/**
 * The index of a method the semantic conventions name (any other is `_OTHER`, so clients cannot
 * create series). A switch, not a set: the common methods cost one or two comparisons.
 */
function methodIndex(method: string): number {
  switch (method) {
    case 'GET':
      return 0;
    case 'POST':
      return 1;
    case 'HEAD':
      return 2;
    case 'PUT':
      return 3;
    case 'DELETE':
      return 4;
    case 'PATCH':
      return 5;
    case 'OPTIONS':
      return 6;
    case 'CONNECT':
      return 7;
    case 'TRACE':
      return 8;
    case 'QUERY':
      return 9;
    default:
      return 10;
  }
}

/** `http.request.method` as the semantic conventions want it: a known method, or `_OTHER`. */
export function httpMethod(method: string): string {
  return METHOD_NAMES[methodIndex(method)] as string;
}

/** Error kinds of a try without a response, as numbers for series keys. */
function errorIndex(error: string): number {
  switch (error) {
    case 'connect':
      return 1;
    case 'timeout':
      return 2;
    case 'reset':
      return 3;
    case 'canceled':
      return 4;
    case 'invalid-request':
      return 5;
    case 'local':
      return 6;
    default:
      return 7;
  }
}

/**
 * The `http.server.request.duration` series of one route, bound once per scheme, method and
 * result. A request costs a method switch, one numeric map lookup and the histogram update;
 * never a label object or a string.
 */
export class ServerRequestSeries {
  readonly #registry: MetricsRegistry;
  readonly #route: string | undefined;
  /** Keyed by `(https ? 16 : 0) + method index) × 1000 + status`, or that plus the code for 5xx answers the gateway made. */
  readonly #series = new Map<number | string, HistogramHandle>();

  /** `route`: the route name (`http.route`), `undefined` when none matched (the attribute is then omitted). */
  constructor(registry: MetricsRegistry, route: string | undefined) {
    this.#registry = registry;
    this.#route = route;
  }

  /**
   * The series of one answer. `method` as received (unknown ones count as `_OTHER`). `code` is
   * read for 5xx answers only (semantic conventions `error.type`): the gateway's own `SY_*`
   * code, or else the status.
   */
  handle(scheme: 'http' | 'https', method: string, status: number, code: string | undefined): HistogramHandle {
    const m = methodIndex(method);
    const n = ((scheme === 'https' ? 16 : 0) + m) * 1000 + status;
    const k = code === undefined || status < 500 ? n : `${n} ${code}`;
    let h = this.#series.get(k);
    if (h === undefined) {
      const labels: Record<string, string | number> = { 'http.request.method': METHOD_NAMES[m] as string, 'url.scheme': scheme, 'http.response.status_code': status };
      if (this.#route !== undefined) labels['http.route'] = this.#route;
      if (status >= 500) labels['error.type'] = code ?? String(status);
      h = this.#registry.histogram(INSTRUMENTS.serverRequestDuration, 'Duration of HTTP requests the gateway answered.', labels);
      this.#series.set(k, h);
    }
    return h;
  }
}

/**
 * The `http.client.request.duration` series of one endpoint of one upstream, bound once per
 * method and result (status, or error kind as `error.type`).
 */
export class ClientRequestSeries {
  readonly upstream: string;
  readonly #registry: MetricsRegistry;
  readonly #labels: Readonly<Record<string, string | number>>;
  /** Keyed by `method index × 1000 + status`, or `+ 900 + error index` for a try without a response. */
  readonly #series = new Map<number, HistogramHandle>();

  constructor(registry: MetricsRegistry, upstream: string, endpoint: { readonly id: string; readonly url: string; readonly metadata: Readonly<Record<string, string>> }) {
    this.upstream = upstream;
    this.#registry = registry;
    const { address, port } = serverOf(endpoint.url);
    this.#labels = {
      'server.address': address,
      'server.port': port,
      'switchyard.upstream': upstream,
      'switchyard.endpoint': endpoint.id,
      'switchyard.endpoint.version': endpoint.metadata['version'] ?? '',
    };
  }

  /** The series of one try's result: a status, or an error kind (`connect`, `timeout`, `reset`, …). */
  handle(method: string, result: number | string): HistogramHandle {
    const m = methodIndex(method);
    const k = m * 1000 + (typeof result === 'number' ? result : 900 + errorIndex(result));
    let h = this.#series.get(k);
    if (h === undefined) {
      const labels: Record<string, string | number> = { 'http.request.method': METHOD_NAMES[m] as string, ...this.#labels };
      if (typeof result === 'number') {
        labels['http.response.status_code'] = result;
        // Semantic conventions, client side: 4xx and 5xx are errors; error.type is the status.
        if (result >= 400) labels['error.type'] = String(result);
      } else labels['error.type'] = result;
      h = this.#registry.histogram(INSTRUMENTS.clientRequestDuration, 'Duration of each try sent to an upstream endpoint, to its response headers.', labels);
      this.#series.set(k, h);
    }
    return h;
  }
}

/** `server.address` and `server.port` of an endpoint origin (`http://[::1]:8080` → `::1`, 8080; default ports filled in). */
export function serverOf(origin: string): { address: string; port: number } {
  const m = /^(https?):\/\/(\[[^\]]+\]|[^/:]+)(?::(\d+))?/.exec(origin);
  if (m === null) return { address: origin, port: 0 };
  const host = m[2] as string;
  return { address: host.startsWith('[') ? host.slice(1, -1) : host, port: m[3] !== undefined ? Number(m[3]) : m[1] === 'https' ? 443 : 80 };
}
