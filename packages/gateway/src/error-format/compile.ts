/**
 * Compiles the `errors` blocks of the gateway, its routes and its policy instances (config, once
 * per load) into {@link ErrorLevel}s: overrides keyed by code, status and `default`, with their
 * templates parsed and every problem reported by path.
 */
import { ERROR_CODES, type ConfigIssue } from '@switchyard/core';
import type { ErrorFormat, ErrorResponseConfig, ErrorsConfig } from '../error-format.js';
import { keyPath } from '../compile/issue-paths.js';
import { compileJsonText, compileJsonValue, compileText, renderSegments, type Segments, type Slot } from './templates.js';

/** Headers no template may set: framing and connection management belong to the server. */
const FORBIDDEN_TEMPLATE_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'te', 'trailer', 'proxy-connection']);

/** A compiled body template. */
export interface CompiledBody {
  readonly segments: Segments;
  /** The configured content type; undefined: the format's JSON type (JSON value) or text/plain (string). */
  readonly contentType: string | undefined;
  readonly json: boolean;
}

/** One compiled override (`errors.responses.<key>`). */
export interface CompiledEntry {
  readonly status: number | undefined;
  readonly headers: readonly (readonly [string, Segments])[];
  readonly body: CompiledBody | undefined;
}

/** One compiled `errors` block. */
export interface ErrorLevel {
  readonly format: ErrorFormat | undefined;
  readonly typeBaseUri: string | undefined;
  /** Compiled templates by error code (their shape is not API). @internal */
  readonly byCode: ReadonlyMap<string, CompiledEntry>;
  /** Compiled templates by status. @internal */
  readonly byStatus: ReadonlyMap<number, CompiledEntry>;
  /** The compiled `default` entry. @internal */
  readonly fallback: CompiledEntry | undefined;
}

/** Every `errors` block of a config, compiled; `undefined` in the plan when there is none. */
export interface ErrorFormatPlan {
  readonly gateway: ErrorLevel | undefined;
  readonly routes: ReadonlyMap<string, ErrorLevel>;
  readonly policies: ReadonlyMap<string, ErrorLevel>;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const MEDIA_TYPE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+\/[!#$%&'*+.^_`|~0-9A-Za-z-]+(?:[ \t]*;[ \t]*[!#$%&'*+.^_`|~0-9A-Za-z-]+=(?:[!#$%&'*+.^_`|~0-9A-Za-z-]+|"[^"\\]*"))*$/;
const JSON_MEDIA_TYPE = /^application\/(?:[\w.!#$&^-]+\+)?json(?:[ \t]*;|$)/i;
/** An absolute URI: a scheme (RFC 3986 §3.1), then only the characters a URI may hold (§2: reserved, unreserved, `%`). */
const ABSOLUTE_URI = /^[A-Za-z][A-Za-z0-9+.-]*:[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]*$/;
const STATUS_KEY = /^[1-5][0-9][0-9]$/;

/** The keys `responses` accepts: every code, a status between 200 and 599, `default`. */
export function isErrorResponseKey(key: string): boolean {
  if (key === 'default' || (ERROR_CODES as readonly string[]).includes(key)) return true;
  if (!STATUS_KEY.test(key)) return false;
  const n = Number(key);
  return n >= 200 && n <= 599;
}

function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

const SAMPLE_DETAIL: Readonly<Record<string, unknown>> = new Proxy({}, { get: () => 'x' });

function compileEntry(entry: ErrorResponseConfig, at: string, issues: ConfigIssue[]): CompiledEntry | undefined {
  const before = issues.length;
  if (entry.status !== undefined && !(Number.isInteger(entry.status) && entry.status >= 200 && entry.status <= 599)) {
    issues.push({ path: `${at}.status`, message: 'must be an integer status code between 200 and 599' });
  }
  const headers: (readonly [string, Segments])[] = [];
  for (const [rawName, value] of Object.entries(entry.headers ?? {})) {
    const name = rawName.toLowerCase();
    const hat = keyPath(`${at}.headers`, rawName);
    if (!TOKEN.test(rawName)) issues.push({ path: hat, message: 'is not a valid header name' });
    else if (name === 'content-type') issues.push({ path: hat, message: 'set the content type with contentType' });
    else if (FORBIDDEN_TEMPLATE_HEADERS.has(name)) issues.push({ path: hat, message: 'is managed by the server and cannot be set by a template' });
    else if (typeof value !== 'string') issues.push({ path: hat, message: 'must be a string' });
    else if (/[\r\n\0]/.test(value)) issues.push({ path: hat, message: 'must not contain CR, LF or NUL' });
    else {
      const segments = compileText(value, 'header', hat, issues);
      if (segments !== undefined) headers.push([name, segments]);
    }
  }
  if (entry.contentType !== undefined && (typeof entry.contentType !== 'string' || !MEDIA_TYPE.test(entry.contentType) || hasControl(entry.contentType))) {
    issues.push({ path: `${at}.contentType`, message: 'must be a media type (type/subtype, optional parameters)' });
  }
  let body: CompiledBody | undefined;
  if (entry.body !== undefined) {
    const contentType = entry.contentType;
    if (typeof entry.body === 'string') {
      const json = contentType !== undefined && JSON_MEDIA_TYPE.test(contentType);
      const segments = json ? compileJsonText(entry.body, `${at}.body`, issues) : compileText(entry.body, 'text', `${at}.body`, issues);
      if (segments !== undefined) {
        if (json) {
          // Rendered with sample values, the body must parse: a broken JSON template is a config error, not a broken 429.
          const sample = renderSegments(segments, { code: 'SY_INTERNAL', status: 500, message: 'x', context: { route: 'x', policy: 'x', detail: SAMPLE_DETAIL }, given: { 'retry-after': '1' }, requestHeaders: undefined, rng: undefined, id: 'x' });
          try {
            JSON.parse(sample);
          } catch {
            issues.push({ path: `${at}.body`, message: `is not valid JSON once rendered (content type ${contentType})` });
          }
        }
        body = { segments, contentType, json };
      }
    } else {
      const out: (string | Slot)[] = [];
      compileJsonValue(entry.body, `${at}.body`, issues, out);
      if (contentType !== undefined && !JSON_MEDIA_TYPE.test(contentType)) issues.push({ path: `${at}.contentType`, message: 'must be a JSON media type (application/json, application/*+json) for a JSON value body' });
      body = { segments: out, contentType, json: true };
    }
  }
  if (issues.length > before) return undefined;
  return { status: entry.status, headers, body };
}

/**
 * Compiles one `errors` block (the gateway's, a route's or a policy's), reporting every problem
 * to `issues` under `at` (`routes[2].errors.responses.SY_RATE_LIMITED.body.limit`). Returns
 * undefined for no block or a broken one.
 *
 * @example
 * ```ts
 * import { compileErrors } from '@switchyard/gateway';
 * const issues: { path: string; message: string }[] = [];
 * const level = compileErrors({ format: 'problem+json', responses: { SY_RATE_LIMITED: { headers: { link: '<https://example.com/pricing>; rel="upgrade"' } } } }, 'errors', issues);
 * issues; // []
 * ```
 */
export function compileErrors(config: ErrorsConfig | undefined, at: string, issues: ConfigIssue[]): ErrorLevel | undefined {
  if (config === undefined) return undefined;
  const before = issues.length;
  if (config.typeBaseUri !== undefined && !ABSOLUTE_URI.test(config.typeBaseUri)) {
    issues.push({ path: `${at}.typeBaseUri`, message: 'must be an absolute URI (RFC 9457 §3.1.1: the problem type is a URI)' });
  }
  const byCode = new Map<string, CompiledEntry>();
  const byStatus = new Map<number, CompiledEntry>();
  let fallback: CompiledEntry | undefined;
  for (const [key, entry] of Object.entries(config.responses ?? {})) {
    const eat = keyPath(`${at}.responses`, key);
    if (!isErrorResponseKey(key)) {
      issues.push({ path: eat, message: "is not an error code (SY_…), a status between 200 and 599 or 'default'" });
      continue;
    }
    const compiled = compileEntry(entry, eat, issues);
    if (compiled === undefined) continue;
    if (key === 'default') fallback = compiled;
    else if (STATUS_KEY.test(key)) byStatus.set(Number(key), compiled);
    else byCode.set(key, compiled);
  }
  if (issues.length > before) return undefined;
  return Object.freeze({ format: config.format, typeBaseUri: config.typeBaseUri, byCode, byStatus, fallback });
}

/** Compiles the `errors` blocks of the gateway, its routes and its policy instances; undefined when there is none. */
export function compileErrorFormat(
  gateway: ErrorsConfig | undefined,
  routes: readonly { readonly name: string; readonly errors?: ErrorsConfig | undefined; readonly at: string }[],
  policies: readonly { readonly name: string; readonly errors?: ErrorsConfig | undefined; readonly at: string }[],
  issues: ConfigIssue[],
): ErrorFormatPlan | undefined {
  const g = compileErrors(gateway, 'errors', issues);
  const r = new Map<string, ErrorLevel>();
  for (const route of routes) {
    const level = compileErrors(route.errors, route.at, issues);
    if (level !== undefined) r.set(route.name, level);
  }
  const p = new Map<string, ErrorLevel>();
  for (const policy of policies) {
    const level = compileErrors(policy.errors, policy.at, issues);
    if (level !== undefined) p.set(policy.name, level);
  }
  if (g === undefined && r.size === 0 && p.size === 0) return undefined;
  return Object.freeze({ gateway: g, routes: r, policies: p });
}
