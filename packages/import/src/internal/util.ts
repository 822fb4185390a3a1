/** Helpers the importers share: message sinks, field paths, durations, safe property reads. */
import type { DocumentRef, ImportMessage } from '../types.js';

/** Collects warnings and problems about one document. */
export interface Sink {
  readonly doc: DocumentRef;
  warn(path: string, message: string): void;
  problem(path: string, message: string): void;
}

/** The message lists of one import run. */
export interface Messages {
  readonly warnings: ImportMessage[];
  readonly problems: ImportMessage[];
}

/** Empty message lists for one import run. */
export function newMessages(): Messages {
  return { warnings: [], problems: [] };
}

/** A sink that records messages about `doc` into `messages`. */
export function sinkFor(messages: Messages, doc: DocumentRef): Sink {
  return {
    doc,
    warn: (path, message) => messages.warnings.push({ document: doc, path, message }),
    problem: (path, message) => messages.problems.push({ document: doc, path, message }),
  };
}

/** A parsed JSON/YAML object. */
export type Obj = Readonly<Record<string, unknown>>;

/** A plain object (not null, not an array). */
export const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Own property only: a manifest's `__proto__` or `constructor` key is data, never the prototype. */
export function get(o: unknown, key: string): unknown {
  return isObj(o) && Object.prototype.hasOwnProperty.call(o, key) ? o[key] : undefined;
}

/** The own property is set (neither undefined nor null). */
export function has(o: unknown, key: string): boolean {
  return get(o, key) !== undefined && get(o, key) !== null;
}

/** `path` + `.key`, or `[i]`. */
export const at = (path: string, key: string | number): string => (typeof key === 'number' ? `${path}[${key}]` : path === '' ? key : `${path}.${key}`);

/** An array field: `[]` when absent; a problem and `[]` when it is not an array. */
export function arr(sink: Sink, o: unknown, key: string, path: string): readonly unknown[] {
  const v = get(o, key);
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) {
    sink.problem(at(path, key), 'must be an array');
    return [];
  }
  return v;
}

/** A field of the type `is` accepts: undefined when absent; a problem (`message`) when of another type. */
function typed<T>(sink: Sink, o: unknown, key: string, path: string, is: (v: unknown) => v is T, message: string): T | undefined {
  const v = get(o, key);
  if (v === undefined || v === null) return undefined;
  if (!is(v)) {
    sink.problem(at(path, key), message);
    return undefined;
  }
  return v;
}

/** A string field: undefined when absent; a problem when of another type. */
export function str(sink: Sink, o: unknown, key: string, path: string): string | undefined {
  return typed(sink, o, key, path, (v): v is string => typeof v === 'string', 'must be a string');
}

/** An integer field within [min, max]. */
export function int(sink: Sink, o: unknown, key: string, path: string, min: number, max: number): number | undefined {
  return ranged(sink, o, key, path, min, max, Number.isInteger, 'must be an integer');
}

/** A number field within [min, max]. */
export function num(sink: Sink, o: unknown, key: string, path: string, min: number, max: number): number | undefined {
  return ranged(sink, o, key, path, min, max, Number.isFinite, 'must be a number');
}

/** A number field that passes `ok` (else `problem`) and lies within [min, max]. */
function ranged(sink: Sink, o: unknown, key: string, path: string, min: number, max: number, ok: (v: number) => boolean, problem: string): number | undefined {
  const v = typed(sink, o, key, path, (x): x is number => typeof x === 'number' && ok(x), problem);
  if (v === undefined) return undefined;
  if (v < min || v > max) {
    sink.problem(at(path, key), `must be between ${min} and ${max}`);
    return undefined;
  }
  return v;
}

/** A boolean field: undefined when absent; a problem when of another type. */
export function bool(sink: Sink, o: unknown, key: string, path: string): boolean | undefined {
  return typed(sink, o, key, path, (v): v is boolean => typeof v === 'boolean', 'must be true or false');
}

/** An object field: undefined when absent; a problem when of another type. */
export function obj(sink: Sink, o: unknown, key: string, path: string): Obj | undefined {
  return typed(sink, o, key, path, isObj, 'must be an object');
}

/** Reports every key of `o` not in `known` as a warning (a field this importer does not map). */
export function unmapped(sink: Sink, o: Obj, known: readonly string[], path: string, what = 'has no switchyard counterpart: ignored'): void {
  for (const k of Object.keys(o)) if (!known.includes(k)) sink.warn(at(path, k), what);
}

/** Gateway API Duration (GEP-2257): `^([0-9]{1,5}(h|m|s|ms)){1,4}$`, in milliseconds. */
export function gatewayDuration(s: string): number | undefined {
  if (!/^([0-9]{1,5}(h|m|s|ms)){1,4}$/.test(s)) return undefined;
  let total = 0;
  for (const m of s.matchAll(/([0-9]{1,5})(h|ms|m|s)/g)) {
    const n = Number(m[1]);
    total += m[2] === 'h' ? n * 3_600_000 : m[2] === 'm' ? n * 60_000 : m[2] === 's' ? n * 1000 : n;
  }
  return total;
}

/**
 * A protobuf `Duration` as Istio's YAML writes it (`1s`, `0.5s`, `100ms`, `1m`, `1h`: Istio accepts
 * Go `time.ParseDuration` forms too, `1m30s`), in milliseconds.
 */
export function protoDuration(s: string): number | undefined {
  if (!/^(\d+(\.\d+)?(h|m|s|ms|us|µs|ns))+$/.test(s)) return undefined;
  let total = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/g)) {
    const n = Number(m[1]);
    const unit = m[2];
    total += unit === 'h' ? n * 3_600_000 : unit === 'm' ? n * 60_000 : unit === 's' ? n * 1000 : unit === 'ms' ? n : unit === 'ns' ? n / 1e6 : n / 1000;
  }
  return total;
}

/** `HTTPRoute default/foo (file.yaml)`. */
export function describeDocument(doc: DocumentRef): string {
  const id = doc.name === undefined ? (doc.index !== undefined ? `#${doc.index}` : '') : doc.namespace === undefined ? doc.name : `${doc.namespace}/${doc.name}`;
  return `${doc.kind}${id === '' ? '' : ` ${id}`}${doc.file === undefined ? '' : ` (${doc.file})`}`;
}

/** A deep copy as plain data (own enumerable keys, no prototype keys). */
export function plain<T>(x: T): T {
  return JSON.parse(JSON.stringify(x)) as T;
}
