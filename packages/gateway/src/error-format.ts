/**
 * The one formatter of every response the gateway makes itself (400, 401, 403, 404, 408, 413,
 * 429, 5xx, injected fault aborts): switchyard's JSON `{ error, message, requestId }` (the
 * default, byte for byte what `error-body.ts` writes) or RFC 9457 Problem Details
 * (`application/problem+json`), overridable per gateway (`errors`), per route
 * (`routes[i].errors`) and per policy instance (`policies.<name>.errors`), most specific first,
 * or by code (`GatewayDeps.formatError`). Custom error bodies per plugin only, or not at all,
 * are the most reported gateway complaint (Kong #1422, #544; Tyk #2652, #3566; APISIX #11549:
 * `policies.md` §7 #6); Envoy's answer is `local_reply_config` mappers, Zuplo's Problem Details
 * with `addErrorHandler` (§1.10).
 *
 * Templates (`${code}`, `${status}`, `${message}`, `${requestId}`, `${route}`, `${policy}`,
 * `${retryAfterSeconds}`, `${detail.<key>}`) are parsed once when the config compiles into
 * literal and value segments; rendering is string concatenation, each value escaped for where it
 * lands (a JSON string, a JSON value, text, a header value). Nothing is parsed per request.
 *
 * Headers the gateway set that carry protocol meaning (`retry-after`, the RateLimit fields,
 * `www-authenticate`, `allow`) are always kept with the gateway's value: a template or a
 * `formatError` function may add headers, never drop or change these.
 */
import { ERROR_CODES, type ConfigIssue, type RequestHeaders, type ResponseHeaders, type Rng, type SwitchyardErrorCode, type SyResponse } from '@switchyard/core';
import { ERROR_MESSAGES, requestIdOf } from './error-body.js';

/** The body formats the gateway writes by itself. */
export type ErrorFormat = 'switchyard' | 'problem+json';

/**
 * One response override (`errors.responses.<key>`). Each field is optional: what is not set
 * comes from a less specific level, then from the format.
 */
export interface ErrorResponseConfig {
  /** The status to answer with instead (200-599). */
  readonly status?: number;
  /** Headers to add, each a template. `content-type` is `contentType`; protected headers keep the gateway's value. */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * The body: a template string, or a JSON value whose strings are templates (a string that is
   * exactly one `${…}` becomes that value as JSON: a number stays a number).
   */
  readonly body?: unknown;
  /** Default: the format's JSON type for a JSON value body, `text/plain; charset=utf-8` for a string. */
  readonly contentType?: string;
}

/** The `errors` block of the gateway, of a route or of a policy instance. */
export interface ErrorsConfig {
  /** `switchyard` (default): `{ error, message, requestId }`; `problem+json`: RFC 9457. */
  readonly format?: ErrorFormat;
  /**
   * Problem Details `type`: `<typeBaseUri><code>` (`https://errors.example.com/SY_RATE_LIMITED`)
   * when set, else `about:blank` with the status's reason phrase as `title` (RFC 9457 §4.2.1).
   */
  readonly typeBaseUri?: string;
  /** Overrides by error code (`SY_RATE_LIMITED`), by status (`'503'`) or for every other response (`default`). */
  readonly responses?: Readonly<Record<string, ErrorResponseConfig>>;
}

/** Where an error response comes from, beyond its code: passed by the stage that made it. */
export interface ErrorContext {
  /** The route's name, when one matched. */
  readonly route?: string | undefined;
  /** The policy instance (by name) that rejected the request. */
  readonly policy?: string | undefined;
  /** Values templates may read as `${detail.<key>}` (a 429's `limit`, `windowMs`, …); never shown by default. */
  readonly detail?: Readonly<Record<string, unknown>> | undefined;
  /** A client-safe sentence replacing the code's fixed message (a policy reject's `message`). */
  readonly message?: string | undefined;
}

/** The code of a gateway-made response: a `SwitchyardError` code, or `fault` for an injected abort. */
export type ErrorFormatCode = SwitchyardErrorCode | 'fault';

/** What a {@link ErrorFormatter} function sees. */
export interface ErrorFormatInput {
  readonly code: ErrorFormatCode;
  /** The status the gateway would answer with. */
  readonly status: number;
  /** The client-safe sentence (the code's fixed message, or the policy's). */
  readonly message: string;
  readonly requestId: string;
  readonly route: string | undefined;
  readonly policy: string | undefined;
  readonly detail: Readonly<Record<string, unknown>> | undefined;
  /** The headers the gateway set (`retry-after`, RateLimit fields, `www-authenticate`, …), `content-type` included. */
  readonly headers: Readonly<Record<string, string>>;
  /** The internal message (upstream address, client library's words): only with `exposeErrorDetails`. */
  readonly internalMessage: string | undefined;
  /** The request's headers, to negotiate on `accept`; never echo them into a body. */
  readonly requestHeaders: RequestHeaders | undefined;
}

/**
 * The function form (`GatewayDeps.formatError`): a response, or `undefined` to fall back to the
 * config. A throw falls back too (the client still gets exactly one response). Protected headers
 * are put back on whatever it returns.
 */
export type ErrorFormatter = (input: ErrorFormatInput) => SyResponse | undefined;

/** Template variables, by name. `detail.<key>` is the reject's `detail`. */
export const ERROR_TEMPLATE_VARIABLES = ['code', 'status', 'message', 'requestId', 'route', 'policy', 'retryAfterSeconds'] as const;
type VariableName = (typeof ERROR_TEMPLATE_VARIABLES)[number];

/** Headers a template cannot drop or change when the gateway set them (protocol meaning). */
export const PROTECTED_ERROR_HEADERS: readonly string[] = Object.freeze([
  'retry-after',
  'www-authenticate',
  'allow',
  'ratelimit',
  'ratelimit-policy',
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
]);

/** Headers no template may set: framing and connection management belong to the server. */
const FORBIDDEN_TEMPLATE_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'te', 'trailer', 'proxy-connection']);

/** How a value is written where it lands. */
type Mode = 'text' | 'header' | 'json-string' | 'json-value';
interface Slot {
  readonly name: VariableName | 'detail';
  /** The `detail` key, for `detail.<key>`. */
  readonly key: string;
  readonly mode: Mode;
}
type Segments = readonly (string | Slot)[];

interface CompiledBody {
  readonly segments: Segments;
  /** The configured content type; undefined: the format's JSON type (JSON value) or text/plain (string). */
  readonly contentType: string | undefined;
  readonly json: boolean;
}

interface CompiledEntry {
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

// ---------------------------------------------------------------------------------------------
// Compiling

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const MEDIA_TYPE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+\/[!#$%&'*+.^_`|~0-9A-Za-z-]+(?:[ \t]*;[ \t]*[!#$%&'*+.^_`|~0-9A-Za-z-]+=(?:[!#$%&'*+.^_`|~0-9A-Za-z-]+|"[^"\\]*"))*$/;
const JSON_MEDIA_TYPE = /^application\/(?:[\w.!#$&^-]+\+)?json(?:[ \t]*;|$)/i;
const DETAIL_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
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

function compileText(text: string, mode: 'text' | 'header', at: string, issues: ConfigIssue[]): Segments | undefined {
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
function compileJsonText(text: string, at: string, issues: ConfigIssue[]): Segments | undefined {
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

/** A JSON value whose strings are templates, as one segment list of JSON text. */
function compileJsonValue(value: unknown, at: string, issues: ConfigIssue[], out: (string | Slot)[]): void {
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
      compileJsonValue((value as Record<string, unknown>)[key], childPath(at, key), issues, out);
    }
    pushLiteral(out, '}');
  } else {
    issues.push({ path: at, message: 'must be a JSON value (string, finite number, boolean, null, array or object)' });
  }
}

function childPath(at: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${at}.${key}` : `${at}[${JSON.stringify(key)}]`;
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
    const hat = childPath(`${at}.headers`, rawName);
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
    const eat = childPath(`${at}.responses`, key);
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

// ---------------------------------------------------------------------------------------------
// Rendering

/**
 * Everything one formatted response needs, in one object: the template values are read from it
 * on demand and the request id is drawn once, when first needed (no closure per value).
 */
interface Values {
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

function requestIdOfValues(v: Values): string {
  return (v.id ??= requestIdOf(v.requestHeaders, v.rng as Rng));
}

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

function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/** A header value: no CR, LF, NUL or other control characters, nothing above U+00FF (RFC 9110 §5.5). */
function headerSafe(s: string): string {
  let clean = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f || c > 0xff) {
      clean = false;
      break;
    }
  }
  if (clean) return s.trim();
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c < 0x20 && c !== 0x09) || c === 0x7f || c > 0xff)) out += s[i];
  }
  return out.trim();
}

function renderSegments(segments: Segments, v: Values): string {
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

/** RFC 9110 §15 reason phrases (and the registered extensions), for Problem Details `title` with `about:blank`. */
const REASON_PHRASES: Readonly<Record<number, string>> = Object.freeze({
  200: 'OK', 201: 'Created', 202: 'Accepted', 203: 'Non-Authoritative Information', 204: 'No Content', 205: 'Reset Content', 206: 'Partial Content',
  300: 'Multiple Choices', 301: 'Moved Permanently', 302: 'Found', 303: 'See Other', 304: 'Not Modified', 307: 'Temporary Redirect', 308: 'Permanent Redirect',
  400: 'Bad Request', 401: 'Unauthorized', 402: 'Payment Required', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 406: 'Not Acceptable',
  407: 'Proxy Authentication Required', 408: 'Request Timeout', 409: 'Conflict', 410: 'Gone', 411: 'Length Required', 412: 'Precondition Failed',
  413: 'Content Too Large', 414: 'URI Too Long', 415: 'Unsupported Media Type', 416: 'Range Not Satisfiable', 417: 'Expectation Failed',
  421: 'Misdirected Request', 422: 'Unprocessable Content', 423: 'Locked', 424: 'Failed Dependency', 425: 'Too Early', 426: 'Upgrade Required',
  428: 'Precondition Required', 429: 'Too Many Requests', 431: 'Request Header Fields Too Large', 451: 'Unavailable For Legal Reasons',
  // 499 is not registered: nginx's "client closed request", which switchyard uses for SY_CANCELED.
  499: 'Client Closed Request',
  500: 'Internal Server Error', 501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
  505: 'HTTP Version Not Supported', 506: 'Variant Also Negotiates', 507: 'Insufficient Storage', 508: 'Loop Detected', 511: 'Network Authentication Required',
});

/** The reason phrase of `status` (RFC 9110 §15), `Unknown Status` for an unregistered one. */
export function reasonPhrase(status: number): string {
  return REASON_PHRASES[status] ?? 'Unknown Status';
}

const RESPONSE_CODE = Symbol.for('switchyard.response-code');

/** What the gateway passes for one of its own error responses. */
export interface ErrorFormatArgs {
  readonly plan: ErrorFormatPlan | undefined;
  readonly formatter: ErrorFormatter | undefined;
  readonly code: ErrorFormatCode;
  readonly status: number;
  /** The headers the stage set, `content-type` included. */
  readonly headers: ResponseHeaders;
  readonly context: ErrorContext | undefined;
  /** The internal message, only when `exposeErrorDetails` (else undefined). */
  readonly internalMessage: string | undefined;
  readonly requestHeaders: RequestHeaders | undefined;
  readonly rng: Rng;
  /** The request id the pipeline already chose (`ctx.requestId`), if any. */
  readonly requestId?: string | undefined;
}

/** The message of a fault abort, whatever the format. */
const FAULT_MESSAGE = 'fault injected';

/**
 * Formats one gateway-made error response: the `formatError` function first, then the most
 * specific `errors` override (policy, route, gateway), then the format. Status and headers are
 * decided here; the body is built when first read (a decide-mode 404 the adapter lets fall
 * through costs no request id and no JSON), except that a template header using `${requestId}`
 * draws the id at once.
 */
export function formatErrorResponse(a: ErrorFormatArgs): SyResponse {
  const context = a.context;
  const message = context?.message ?? (a.code === 'fault' ? FAULT_MESSAGE : ERROR_MESSAGES[a.code]);
  const given = a.headers;
  const values: Values = { code: a.code, status: a.status, message, context, given, requestHeaders: a.requestHeaders, rng: a.rng, id: a.requestId };

  if (a.formatter !== undefined) {
    let custom: SyResponse | undefined;
    try {
      custom = a.formatter({
        code: a.code,
        status: a.status,
        message,
        requestId: requestIdOfValues(values),
        route: context?.route,
        policy: context?.policy,
        detail: context?.detail,
        headers: given as Readonly<Record<string, string>>,
        internalMessage: a.internalMessage,
        requestHeaders: a.requestHeaders,
      });
    } catch {
      custom = undefined; // a formatter's bug must not cost the client its answer: the config's format answers
    }
    if (custom !== undefined) {
      const headers: Record<string, string | readonly string[] | undefined> = { ...custom.headers };
      keepProtected(headers, given);
      const out = { status: custom.status, headers, body: custom.body, [RESPONSE_CODE]: a.code === 'fault' ? undefined : a.code };
      return out as SyResponse;
    }
  }

  const plan = a.plan;
  const policyLevel = context?.policy === undefined ? undefined : plan?.policies.get(context.policy);
  const routeLevel = context?.route === undefined ? undefined : plan?.routes.get(context.route);
  const gatewayLevel = plan?.gateway;
  const e1 = entryOf(policyLevel, a.code, a.status);
  const e2 = entryOf(routeLevel, a.code, a.status);
  const e3 = entryOf(gatewayLevel, a.code, a.status);
  const format: ErrorFormat = policyLevel?.format ?? routeLevel?.format ?? gatewayLevel?.format ?? 'switchyard';
  const status = e1?.status ?? e2?.status ?? e3?.status ?? a.status;
  const body = e1?.body ?? e2?.body ?? e3?.body;
  const final: Values = status === a.status ? values : { ...values, status };

  const headers: Record<string, string | readonly string[] | undefined> = {};
  for (const name in given) if (name !== 'content-type') headers[name] = given[name];
  // Least specific first: a route's header replaces the gateway's of the same name, a policy's both.
  let added = addHeaders(headers, e3, final);
  added = addHeaders(headers, e2, final) || added;
  added = addHeaders(headers, e1, final) || added;
  if (added) keepProtected(headers, given);

  let kind: BodyKind;
  if (body !== undefined) {
    kind = body;
    headers['content-type'] = body.contentType ?? (body.json ? (format === 'problem+json' ? 'application/problem+json' : 'application/json') : 'text/plain; charset=utf-8');
  } else if (format === 'problem+json') {
    kind = { problem: policyLevel?.typeBaseUri ?? routeLevel?.typeBaseUri ?? gatewayLevel?.typeBaseUri };
    headers['content-type'] = 'application/problem+json';
  } else {
    kind = SWITCHYARD;
    headers['content-type'] = 'application/json';
  }
  const internal = a.internalMessage;
  let rendered: string | undefined;
  return {
    status,
    headers,
    get body(): string {
      return (rendered ??= renderBody(kind, final, internal));
    },
    [RESPONSE_CODE]: a.code === 'fault' ? undefined : a.code,
  } as SyResponse;
}

/** What the body is: a template, Problem Details (with its type base) or switchyard's JSON. */
type BodyKind = CompiledBody | { readonly problem: string | undefined } | typeof SWITCHYARD;
const SWITCHYARD = Object.freeze({ switchyard: true as const });

function renderBody(kind: BodyKind, v: Values, internal: string | undefined): string {
  if ('segments' in kind) return renderSegments(kind.segments, v);
  if ('problem' in kind) return problemBody(v.code, v.status, v.message, kind.problem, internal, requestIdOfValues(v));
  return v.code === 'fault' ? FAULT_BODY : switchyardBody(v.code, v.message, requestIdOfValues(v), internal);
}

/** Adds an entry's rendered headers; true when it had any. */
function addHeaders(headers: Record<string, string | readonly string[] | undefined>, e: CompiledEntry | undefined, v: Values): boolean {
  if (e === undefined || e.headers.length === 0) return false;
  for (const [name, segments] of e.headers) headers[name] = headerSafe(renderSegments(segments, v));
  return true;
}

/** Today's fault-abort body, unchanged in the switchyard format. */
const FAULT_BODY = JSON.stringify({ error: 'fault', message: FAULT_MESSAGE });

function entryOf(level: ErrorLevel | undefined, code: ErrorFormatCode, status: number): CompiledEntry | undefined {
  if (level === undefined) return undefined;
  return level.byCode.get(code) ?? level.byStatus.get(status) ?? level.fallback;
}

function keepProtected(headers: Record<string, string | readonly string[] | undefined>, given: ResponseHeaders): void {
  for (const name of PROTECTED_ERROR_HEADERS) {
    const v = given[name];
    if (v !== undefined) headers[name] = v;
  }
}

/** switchyard's JSON, as `errorBody` in error-body.ts writes it (key order and all). */
function switchyardBody(code: SwitchyardErrorCode, message: string, requestId: string, internal: string | undefined): string {
  // Written field by field: the same text as JSON.stringify of the object, without the object.
  const head = `{"error":${JSON.stringify(code)},"message":${JSON.stringify(message)},"requestId":${JSON.stringify(requestId)}`;
  return internal === undefined ? `${head}}` : `${head},"detail":${JSON.stringify(internal)}}`;
}

/**
 * RFC 9457 Problem Details. `type` is `<typeBaseUri><code>` or `about:blank` (§3.1.1, §4.2.1);
 * `title` is the same for every occurrence of a type (§3.1.3): the status's reason phrase with
 * `about:blank`, the code's fixed sentence with a code URI; `status` the response's status
 * (§3.1.2: advisory, and the same as the response's); `detail` this occurrence's client-safe
 * explanation (§3.1.4; the internal message only with `exposeErrorDetails`); `instance` an
 * opaque URI naming this occurrence by request id (§3.1.5: need not be dereferenceable; a
 * request id is made of URI-safe characters only); `code` and `requestId` are extension
 * members (§3.2).
 */
function problemBody(code: ErrorFormatCode, status: number, message: string, typeBaseUri: string | undefined, internal: string | undefined, requestId: string): string {
  const type = typeBaseUri === undefined ? 'about:blank' : `${typeBaseUri}${code}`;
  const title = typeBaseUri === undefined || code === 'fault' ? reasonPhrase(status) : ERROR_MESSAGES[code];
  // Written field by field (the text JSON.stringify would give the object, without the object).
  const id = JSON.stringify(requestId);
  return `{"type":${JSON.stringify(type)},"title":${JSON.stringify(title)},"status":${status},"detail":${JSON.stringify(internal ?? message)},"instance":${JSON.stringify(`urn:switchyard:request:${requestId}`)},"code":${JSON.stringify(code)},"requestId":${id}}`;
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

