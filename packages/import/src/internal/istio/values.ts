/**
 * What the Istio readers share: field syntaxes (header names, DNS labels), protobuf durations as
 * Istio validates them, and the draft route type they fill in.
 */
import { at, get, protoDuration, type Obj, type Sink } from '../util.js';
import type { ImportedRoute } from '../../types.js';

export type Mutable<T> = { -readonly [K in keyof T]: T[K] };
/** A route being built: the readers fill it in field by field. */
export type Draft = Mutable<ImportedRoute>;

export const HEADER_NAME_RE = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/;
export const DNS_LABEL_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A protobuf Duration field, at least 1 ms when `positive` (Istio `ValidateDuration`). */
export function durationField(sink: Sink, o: Obj, key: string, p: string, positive: boolean): number | undefined {
  const v = get(o, key);
  if (v === undefined || v === null) return undefined;
  const ms = typeof v === 'string' ? protoDuration(v) : undefined;
  if (ms === undefined) return (sink.problem(at(p, key), 'must be a duration such as "1s", "500ms", "1.5s"'), undefined);
  // istio/istio pkg/config/validation/agent ValidateDuration.
  if (positive && ms < 1) return (sink.problem(at(p, key), 'duration must be greater than 1ms'), undefined);
  if (!Number.isInteger(ms)) return (sink.problem(at(p, key), 'only durations to ms precision are supported'), undefined);
  return ms;
}
