/**
 * Gateway metrics: an in-process registry of counters and histograms with labels, exposed as
 * Prometheus text (for users without OpenTelemetry) and mirrored to an OpenTelemetry `Meter`
 * when one is given. The meter is typed structurally (the few methods used), so the gateway
 * imports nothing: pass `metrics.getMeter('switchyard')` from `@opentelemetry/api`; without an
 * SDK, that meter is a no-op, as OpenTelemetry intends.
 */

/** The part of an OpenTelemetry `Meter` the gateway uses. */
export interface MeterLike {
  createCounter(name: string, options?: { description?: string; unit?: string }): { add(value: number, attributes?: Record<string, string | number>): void };
  createHistogram(name: string, options?: { description?: string; unit?: string }): { record(value: number, attributes?: Record<string, string | number>): void };
  createUpDownCounter?(name: string, options?: { description?: string; unit?: string }): { add(value: number, attributes?: Record<string, string | number>): void };
}

type Labels = Readonly<Record<string, string>>;

/** A counter series, held by the hot path so that an increment is one addition. */
export interface CounterHandle {
  add(value: number): void;
}

/** A histogram series, held by the hot path. */
export interface HistogramHandle {
  /** Records one observation in milliseconds. */
  record(valueMs: number): void;
}

type OtelCounter = { add?(v: number, a?: Record<string, string>): void } | undefined;
type OtelHistogram = { record?(v: number, a?: Record<string, string>): void } | undefined;

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
    this.#otel?.record?.(valueMs, this.labels);
  }
  /** Cumulative count of observations at or below bucket `i` (Prometheus `le`). */
  cumulative(i: number): number {
    let n = 0;
    for (let k = 0; k <= i; k++) n += this.counts[k] as number;
    return n;
  }
}

/** Latency buckets in milliseconds (Prometheus exposes them in seconds). */
export const LATENCY_BUCKETS_MS: readonly number[] = [1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

interface Family {
  readonly name: string;
  readonly help: string;
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

  private family(name: string, help: string, kind: Family['kind']): Family {
    let f = this.families.get(name);
    if (f === undefined) {
      let otel: Family['otel'];
      if (this.meter !== undefined) {
        if (kind === 'counter') otel = this.meter.createCounter(name, { description: help });
        else if (kind === 'histogram') otel = this.meter.createHistogram(name, { description: help, unit: 'ms' });
        else otel = this.meter.createUpDownCounter?.(name, { description: help });
      }
      f = { name, help, kind, series: new Map(), otel };
      this.families.set(name, f);
    }
    return f;
  }

  /**
   * The counter series for `labels`, created on first use. `key`, when given, must identify
   * `labels` uniquely within the metric. Hold the handle: `add` is then one addition.
   */
  counter(name: string, help: string, labels: Labels, key = labelKey(labels)): CounterHandle {
    return this.series(name, help, 'counter', labels, key, (otel) => new CounterSeries(labels, otel));
  }

  /** The histogram series (milliseconds) for `labels`, created on first use; `key` as for {@link MetricsRegistry.counter}. */
  histogram(name: string, help: string, labels: Labels, key = labelKey(labels)): HistogramHandle {
    return this.series(name, help, 'histogram', labels, key, (otel) => new HistogramSeries(labels, otel));
  }

  private series<S extends CounterSeries | HistogramSeries>(name: string, help: string, kind: Family['kind'], labels: Labels, key: string, create: (otel: Family['otel']) => S): S {
    const f = this.family(name, help, kind);
    let s = f.series.get(key) as S | undefined;
    if (s === undefined) {
      s = create(f.otel);
      f.series.set(key, s);
    }
    return s;
  }

  /** Adds `value` (default 1) to a counter. */
  inc(name: string, help: string, labels: Labels, value = 1, key = labelKey(labels)): void {
    this.counter(name, help, labels, key).add(value);
  }

  /** Sets a gauge. */
  set(name: string, help: string, labels: Labels, value: number): void {
    const f = this.family(name, help, 'gauge');
    // A gauge mirrors deltas to OpenTelemetry itself, so its series holds no instrument.
    const s = this.series(name, help, 'gauge', labels, labelKey(labels), () => new CounterSeries(labels, undefined));
    const delta = value - s.value;
    s.value = value;
    if (delta !== 0) f.otel?.add?.(delta, labels);
  }

  /** Records one observation (milliseconds) in a histogram. */
  observe(name: string, help: string, labels: Labels, valueMs: number, key = labelKey(labels)): void {
    this.histogram(name, help, labels, key).record(valueMs);
  }

  /** A plain snapshot: `{ name: [{ labels, value } | { labels, count, sum, buckets }] }`. */
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

  /** Prometheus text exposition format 0.0.4 (histograms in seconds, as Prometheus expects). */
  prometheus(): string {
    const lines: string[] = [];
    for (const f of this.families.values()) {
      const name = f.kind === 'histogram' ? `${f.name}_seconds` : f.name;
      lines.push(`# HELP ${name} ${escapeHelp(f.help)}`, `# TYPE ${name} ${f.kind}`);
      for (const s of f.series.values()) {
        if (s instanceof HistogramSeries) {
          LATENCY_BUCKETS_MS.forEach((b, i) => lines.push(`${name}_bucket${fmt({ ...s.labels, le: String(b / 1000) })} ${s.cumulative(i)}`));
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

function fmt(labels: Labels): string {
  const parts: string[] = [];
  for (const name in labels) parts.push(`${name}="${String(labels[name]).replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

function escapeHelp(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}
