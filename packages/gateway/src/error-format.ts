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
 *
 * This module is the formatter's vocabulary (the config and extension types) and its entry point;
 * the work is in `error-format/`: `templates.ts` (parse once, render per response),
 * `compile.ts` (`errors` blocks → {@link ErrorLevel}s) and `respond.ts` (one response, per request).
 */
import type { RequestHeaders, SwitchyardErrorCode, SyResponse } from '@switchyard/core';

export { ERROR_TEMPLATE_VARIABLES } from './error-format/templates.js';
export { compileErrorFormat, compileErrors, isErrorResponseKey, type ErrorFormatPlan, type ErrorLevel } from './error-format/compile.js';
export { PROTECTED_ERROR_HEADERS, formatErrorResponse, reasonPhrase, type ErrorFormatArgs } from './error-format/respond.js';

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
