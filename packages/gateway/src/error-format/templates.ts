/**
 * Error-response templates (`${code}`, `${detail.limit}`, …): parsed once when the config compiles
 * into literal and value segments, and rendered per response by concatenation, each value escaped
 * for where it lands (text, a header value, inside a JSON string, as a JSON value).
 */
import type { ConfigIssue, RequestHeaders, ResponseHeaders, Rng } from '@switchyard/core';
import { requestIdOf } from '../error-body.js';
import type { ErrorContext, ErrorFormatCode } from '../error-format.js';
import { keyPath } from '../compile/issue-paths.js';

/** Template variables, by name. `detail.<key>` is the reject's `detail`. */
export const ERROR_TEMPLATE_VARIABLES = ['code', 'status', 'message', 'requestId', 'route', 'policy', 'retryAfterSeconds'] as const;
type VariableName = (typeof ERROR_TEMPLATE_VARIABLES)[number];

/** How a value is written where it lands. */
type Mode = 'text' | 'header' | 'json-string' | 'json-value';
/** A value segment: which variable, and how it is written. */
export interface Slot {
  readonly name: VariableName | 'detail';
  /** The `detail` key, for `detail.<key>`. */
  readonly key: string;
  readonly mode: Mode;
}
/** A compiled template: literals and value slots, in order. */
export type Segments = readonly (string | Slot)[];

const DETAIL_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Parses one template into literal and value segments; unknown variables and unclosed `${` are
 * issues at `at`. `${` always opens a variable (as in the rewrite templates).
 */
function parseTemplate(text: string, at: string, issues: ConfigIssue[]): (string | { name: VariableName | 'detail'; key: string })[] | undefined {
  const parts: (string | { name: VariableName | 'detail'; key: string })[] = [];
  let i = 0;
  let ok = true;
  while (i < text.length) {
    const open = text.indexOf('${', i);
    if (open === -1) {
      parts.push(text.slice(i));
      break;
    }
    if (open > i) parts.push(text.slice(i, open));
    const close = text.indexOf('}', open + 2);
    if (close === -1) {
      issues.push({ path: at, message: `unclosed \${ at offset ${open}` });
      return undefined;
    }
    const name = text.slice(open + 2, close).trim();
    if ((ERROR_TEMPLATE_VARIABLES as readonly string[]).includes(name)) parts.push({ name: name as VariableName, key: '' });
    else if (name.startsWith('detail.') && DETAIL_KEY.test(name.slice(7))) parts.push({ name: 'detail', key: name.slice(7) });
    else {
      issues.push({ path: at, message: `unknown variable \${${name}}: use one of ${ERROR_TEMPLATE_VARIABLES.map((n) => `\${${n}}`).join(', ')} or \${detail.<key>}` });
      ok = false;
    }
    i = close + 1;
  }
  return ok ? parts : undefined;
}

/** Appends a literal, merging it with a literal before it. */
function pushLiteral(out: (string | Slot)[], s: string): void {
  if (s === '') return;
  const last = out[out.length - 1];
  if (typeof last === 'string') out[out.length - 1] = last + s;
  else out.push(s);
}

/** A text or header-value template. */
export function compileText(text: string, mode: 'text' | 'header', at: string, issues: ConfigIssue[]): Segments | undefined {
  const parts = parseTemplate(text, at, issues);
  if (parts === undefined) return undefined;
  const out: (string | Slot)[] = [];
  for (const p of parts) {
    if (typeof p === 'string') pushLiteral(out, p);
    else out.push({ ...p, mode });
  }
  return out;
}

/**
 * A JSON text with variables (a string body with a JSON content type): each variable inside a
 * JSON string is escaped as string content, one outside any string is written as a JSON value.
 */
export function compileJsonText(text: string, at: string, issues: ConfigIssue[]): Segments | undefined {
  const parts = parseTemplate(text, at, issues);
  if (parts === undefined) return undefined;
  const out: (string | Slot)[] = [];
  let inString = false;
  let escaped = false;
  for (const p of parts) {
    if (typeof p !== 'string') {
      out.push({ ...p, mode: inString ? 'json-string' : 'json-value' });
      continue;
    }
    pushLiteral(out, p);
    for (let i = 0; i < p.length; i++) {
      const c = p[i];
      if (escaped) escaped = false;
      else if (inString && c === '\\') escaped = true;
      else if (c === '"') inString = !inString;
    }
  }
  return out;
}

export function compileJsonValue(value: unknown, at: string, issues: ConfigIssue[], out: (string | Slot)[]): void {
  if (typeof value === 'string') {
    const parts = parseTemplate(value, at, issues);
    if (parts === undefined) return;
    const only = parts.length === 1 ? parts[0] : undefined;
    if (only !== undefined && typeof only !== 'string') {
      out.push({ ...only, mode: 'json-value' });
      return;
    }
    pushLiteral(out, '"');
    for (const p of parts) {
      if (typeof p === 'string') pushLiteral(out, JSON.stringify(p).slice(1, -1));
      else out.push({ ...p, mode: 'json-string' });
    }
    pushLiteral(out, '"');
  } else if (value === null || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) {
    pushLiteral(out, JSON.stringify(value));
  } else if (Array.isArray(value)) {
    pushLiteral(out, '[');
    value.forEach((item, i) => {
      if (i > 0) pushLiteral(out, ',');
      compileJsonValue(item, `${at}[${i}]`, issues, out);
    });
    pushLiteral(out, ']');
  } else if (typeof value === 'object' && value !== null) {
    pushLiteral(out, '{');
    let first = true;
    for (const key of Object.keys(value)) {
      if (!first) pushLiteral(out, ',');
      first = false;
      pushLiteral(out, `${JSON.stringify(key)}:`);
      compileJsonValue((value as Record<string, unknown>)[key], keyPath(at, key), issues, out);
    }
    pushLiteral(out, '}');
  } else {
    issues.push({ path: at, message: 'must be a JSON value (string, finite number, boolean, null, array or object)' });
  }
}

// ---------------------------------------------------------------------------------------------
// Rendering

/**
 * Everything one formatted response needs, in one object: the template values are read from it
 * on demand and the request id is drawn once, when first needed (no closure per value).
 */
export interface Values {
  readonly code: ErrorFormatCode;
  readonly status: number;
  readonly message: string;
  readonly context: ErrorContext | undefined;
  /** The headers the stage set (for `${retryAfterSeconds}`). */
  readonly given: ResponseHeaders;
  readonly requestHeaders: RequestHeaders | undefined;
  readonly rng: Rng | undefined;
  id: string | undefined;
}

/** The response's request id, drawn (or read from the request) once, when first needed. */
export function requestIdOfValues(v: Values): string {
  return (v.id ??= requestIdOf(v.requestHeaders, v.rng as Rng));
}

// Deliberately alike: health/src/resource-limits.ts (resourceLimit) — each a switch
// returning one field per case of its own union; they share the shape only, no logic.
function valueOf(slot: Slot, v: Values): unknown {
  switch (slot.name) {
    case 'code':
      return v.code;
    case 'status':
      return v.status;
    case 'message':
      return v.message;
    case 'requestId':
      return requestIdOfValues(v);
    case 'route':
      return v.context?.route;
    case 'policy':
      return v.context?.policy;
    case 'retryAfterSeconds': {
      const fromDetail = v.context?.detail?.['retryAfterSeconds'];
      if (typeof fromDetail === 'number') return fromDetail;
      const header = v.given['retry-after'];
      return typeof header === 'string' && /^\d+$/.test(header) ? Number(header) : undefined;
    }
    case 'detail': {
      const d = v.context?.detail;
      return d === undefined || !Object.prototype.hasOwnProperty.call(d, slot.key) ? undefined : d[slot.key];
    }
  }
}

function asText(x: unknown): string {
  if (x === undefined || x === null) return '';
  if (typeof x === 'string') return x;
  if (typeof x === 'object') return asJson(x);
  return String(x);
}

function asJson(x: unknown): string {
  if (x === undefined) return 'null';
  try {
    return JSON.stringify(x) ?? 'null';
  } catch {
    return JSON.stringify(String(x));
  }
}

/** Renders compiled segments with this response's values. */
export function renderSegments(segments: Segments, v: Values): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'string') {
      out += s;
      continue;
    }
    const x = valueOf(s, v);
    switch (s.mode) {
      case 'json-value':
        out += asJson(x);
        break;
      case 'json-string':
        out += JSON.stringify(asText(x)).slice(1, -1);
        break;
      default:
        out += asText(x);
    }
  }
  return out;
}
