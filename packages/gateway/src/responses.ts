/**
 * The gateway's own responses (404 no route, 429, 503, 504 …): built as `errorResponse` values
 * branded with their `SwitchyardError` code, then made into what the client gets by
 * `finalize` (request id, the `errors` config and `formatError`, error-format.ts).
 */
import { ERROR_STATUS, type ResponseHeaders, type SwitchyardErrorCode, type SyRequest, type SyResponse } from '@switchyard/core';
import type { GatewayPlan } from './compile.js';
import type { GatewayContext } from './context.js';
import { errorBody, ERROR_MESSAGES, requestIdOf } from './error-body.js';
import { formatErrorResponse, type ErrorContext } from './error-format.js';

/** The content type of the gateway's own error bodies. */
export const JSON_HEADERS: ResponseHeaders = Object.freeze({ 'content-type': 'application/json' });
/** The gateway's own response headers when no stage adds any (shared: stages copy before adding). */
export const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

const RESPONSE_CODE = Symbol.for('switchyard.response-code');
/** The internal message of an error response: in its body only with `exposeErrorDetails`. */
const ERROR_DETAIL = Symbol('switchyard.error-detail');
/** Where an error response comes from (route, policy, template values): for the formatter. */
const ERROR_CONTEXT = Symbol('switchyard.error-context');

/**
 * An error response. The body here has no request id (a constant string per code); the public
 * entry points (`handle`, `decide`, `acquire`) pass it through `finalize`, which adds the id
 * (and applies the `errors` config and `formatError`, error-format.ts). `message` is internal: it
 * never reaches the body unless `exposeErrorDetails` is set. `context` names the route and
 * policy and carries the values templates may use (`${detail.limit}`).
 */
export function errorResponse(code: SwitchyardErrorCode, message: string, extra: Readonly<Record<string, string>> = {}, status = ERROR_STATUS[code], context?: ErrorContext): SyResponse {
  return { status, headers: { ...JSON_HEADERS, ...extra }, body: `{"error":"${code}","message":"${ERROR_MESSAGES[code]}"}`, [RESPONSE_CODE]: code, [ERROR_DETAIL]: message, [ERROR_CONTEXT]: context } as SyResponse;
}

/** A fault injection's abort: the gateway's own (no code), which the `errors` config formats as code `fault`. */
export function faultAbortResponse(route: string, status: number): SyResponse {
  return { status, headers: JSON_HEADERS, body: JSON.stringify({ error: 'fault', message: 'fault injected' }), [ERROR_DETAIL]: 'fault injected', [ERROR_CONTEXT]: { route } } as SyResponse;
}

/**
 * The `SwitchyardError` code of a response the gateway produced itself (404 no route, 429, 503,
 * 504 …), or `undefined` for an upstream's response. Adapters use it to let unmatched requests fall
 * through to the framework (`responseCode(r) === 'SY_NO_ROUTE'`) without parsing bodies; the brand
 * is a `Symbol.for`, so it survives two copies of the package.
 */
export function responseCode(response: SyResponse): SwitchyardErrorCode | undefined {
  return (response as unknown as Record<symbol, SwitchyardErrorCode | undefined>)[RESPONSE_CODE];
}

/** True for the gateway's own "no route matched" answer: adapters let such requests fall through to the app. */
export function isNoRoute(response: SyResponse): boolean {
  return responseCode(response) === 'SY_NO_ROUTE';
}

/** Where an error response of the gateway's comes from (route, policy, detail), or `undefined`. */
export function errorContextOf(response: SyResponse): ErrorContext | undefined {
  return (response as unknown as Record<symbol, ErrorContext | undefined>)[ERROR_CONTEXT];
}

/**
 * Makes a response of the gateway's what the client gets; an upstream's response goes through
 * as it is. `p` is the plan whose `errors` config formats it (default: the plan in force);
 * `requestId` the id the policies already used, if any.
 */
export type Finalize = (response: SyResponse, headers: SyRequest['headers'], p?: GatewayPlan, requestId?: string) => SyResponse;

/** The gateway's {@link Finalize}. */
export function createFinalize(ctx: GatewayContext): Finalize {
  const { rng, formatError, exposeErrorDetails, plan } = ctx;
  /**
   * The gateway's own error response as the client gets it: `{ error, message, requestId }`
   * (+ `detail` with `exposeErrorDetails`). The body is built when first read, so a decide-mode
   * 404 that the adapter lets fall through to the app costs no id and no JSON.
   */
  return function finalize(response: SyResponse, headers: SyRequest['headers'], p: GatewayPlan = plan(), requestId?: string): SyResponse {
    const detail = (response as unknown as Record<symbol, string | undefined>)[ERROR_DETAIL];
    if (detail === undefined) return response;
    const code = responseCode(response);
    if (p.errors !== undefined || formatError !== undefined) {
      // An `errors` config or a formatError function: the formatter decides (error-format.ts).
      return formatErrorResponse({
        plan: p.errors,
        formatter: formatError,
        code: code ?? 'fault',
        status: response.status,
        headers: response.headers,
        context: errorContextOf(response),
        internalMessage: exposeErrorDetails ? detail : undefined,
        requestHeaders: headers,
        rng,
        requestId,
      });
    }
    if (code === undefined) return response; // a fault abort: its own fixed body, as it is
    // A policy's reject: its `message` is client-safe by contract (core policy.ts), so it is the
    // body's message, as Zuplo's policies put theirs in Problem Details' `detail` and as the
    // formatter does (error-format.ts). Every other code keeps its fixed sentence.
    const message = errorContextOf(response)?.message;
    let body: string | undefined;
    // An object literal's getter is an own, enumerable property (a spread copy keeps the body).
    return {
      status: response.status,
      headers: response.headers,
      get body(): string {
        return (body ??= errorBody(code, requestId ?? requestIdOf(headers, rng), exposeErrorDetails ? detail : undefined, message));
      },
      [RESPONSE_CODE]: code,
    } as SyResponse;
  };
}
