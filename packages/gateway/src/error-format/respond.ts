/**
 * Formats one gateway-made error response, per request: the `formatError` function, else the
 * most specific compiled override (policy, route, gateway), else the format's own body
 * (switchyard's JSON or RFC 9457 Problem Details), with the protected headers kept.
 */
import type { RequestHeaders, ResponseHeaders, Rng, SwitchyardErrorCode, SyResponse } from '@switchyard/core';
import { ERROR_MESSAGES } from '../error-body.js';
import type { ErrorContext, ErrorFormat, ErrorFormatCode, ErrorFormatter } from '../error-format.js';
import type { CompiledBody, CompiledEntry, ErrorFormatPlan, ErrorLevel } from './compile.js';
import { renderSegments, requestIdOfValues, type Values } from './templates.js';

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
