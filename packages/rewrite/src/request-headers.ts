/**
 * The request's headers as received (steps 1-2 of `applyRewrite`): one pass that checks them
 * (token names, CR/LF/NUL, what undici will send), drops hop-by-hop headers, those `Connection`
 * names and those the rule removes or owns, and copies what survives. Each name's fate is
 * decided once per plan (`internal/header-names.ts`).
 */
import { isSendableHeaderValue } from '@switchyard/core';
import type { IssueCollector, RequestHeaders } from '@switchyard/core';
import type { RewriteConfig } from './config.js';
import { isForwardingHeader } from './forwarded.js';
import { connectionOptions, isHopByHop } from './headers.js';
import { TOKEN, hasUnsafeHeaderChar, stripUnsafeHeaderChars } from './internal/encode.js';
import { memoName } from './internal/header-names.js';
import type { PlanInternals } from './plan.js';
import { reject, unsendable } from './result.js';
import type { RewriteResult } from './result.js';

/**
 * A request header name as this rule sees it: lower-cased, and its fate decided once.
 * `action`: 0 keep, 1 drop (hop-by-hop, `remove`d, an overwritten forwarding header, `host`),
 * 2 `te` (kept only as `te: trailers`). `null` in the cache: not a token (or `__proto__`).
 */
export interface HeaderName {
  readonly lower: string;
  readonly action: 0 | 1 | 2;
}

/** The request-header options the copying pass reads: the plan's fields of the same names. */
export interface HeaderPolicy {
  readonly strictConnection: boolean;
  readonly rejectUnsafe: boolean;
  readonly originalPathHeader: string | undefined;
}

/** Validates `connectionHeader`, `unsafeHeaders` and `originalPathHeader` (reported by name) and compiles them. */
export function compileHeaderPolicy(config: RewriteConfig, issues: IssueCollector): HeaderPolicy {
  if (config.connectionHeader !== undefined && !['reject', 'ignore'].includes(config.connectionHeader)) issues.add('connectionHeader', "must be 'reject' or 'ignore'");
  if (config.unsafeHeaders !== undefined && !['reject', 'strip'].includes(config.unsafeHeaders)) issues.add('unsafeHeaders', "must be 'reject' or 'strip'");
  if (config.originalPathHeader !== undefined && (!TOKEN.test(config.originalPathHeader) || isHopByHop(config.originalPathHeader.toLowerCase())))
    issues.add('originalPathHeader', 'must be a header name that is not hop-by-hop');
  return {
    strictConnection: config.connectionHeader !== 'ignore',
    rejectUnsafe: config.unsafeHeaders !== 'strip',
    originalPathHeader: config.originalPathHeader?.toLowerCase(),
  };
}

/** What this rule does with a request header (see {@link headerName}). */
function classifyRequestName(p: PlanInternals, lower: string): HeaderName {
  const drop =
    (isHopByHop(lower) && lower !== 'te') ||
    p.requestHeaders.remove.has(lower) ||
    (p.forwardedMode === 'overwrite' && isForwardingHeader(lower)) ||
    lower === 'host'; // decided in step 9
  return Object.freeze({ lower, action: lower === 'te' ? 2 : drop ? 1 : 0 });
}

/** A request header name's classification for this rule (memoised on the plan). */
function headerName(p: PlanInternals, name: string): HeaderName | null {
  return memoName(p.headerNames, p, name, classifyRequestName);
}

/** {@link nominatedNames}' answer for a `Connection` option that is not a token when the rule refuses those. */
const INVALID_CONNECTION: readonly string[] = Object.freeze([]);

/**
 * The names a request's `Connection` value nominates that the copy must drop besides the
 * hop-by-hop ones (dropped anyway; `te` is the exception), or `null` when there are none. An
 * option that is not a token: {@link INVALID_CONNECTION} when `strict`, else ignored.
 */
function nominatedNames(conn: string, strict: boolean): readonly string[] | null {
  let nominated = connectionOptions(conn);
  if (nominated === null) {
    if (strict) return INVALID_CONNECTION;
    nominated = conn.split(',').map((s) => s.trim().toLowerCase()).filter((s) => TOKEN.test(s));
  }
  // Hop-by-hop names are dropped anyway: only the others (`Connection: x-foo`) need a look.
  nominated = nominated.filter((n) => !isHopByHop(n) || n === 'te');
  return nominated.length === 0 ? null : nominated;
}

/**
 * Copies the request's headers into `headers` (lower-case names, a plain object: V8 keeps it
 * fast; `__proto__` is treated as an invalid name), checking and stripping as it goes. Every
 * check is a char-code scan (`tokenCase`, `hasUnsafeHeaderChar`), not a regex call. Returns the
 * `rejected` result, or `undefined` when the copy is complete.
 */
export function copyRequestHeaders(p: PlanInternals, inHeaders: RequestHeaders, headers: Record<string, string>): RewriteResult | undefined {
  const conn = inHeaders['connection'];
  const nominated = conn === undefined ? null : nominatedNames(conn, p.strictConnection);
  if (nominated === INVALID_CONNECTION) return reject('invalid-connection-header', 'Connection header option is not a token');
  for (const name in inHeaders) {
    let value = inHeaders[name];
    if (typeof value !== 'string') continue;
    const info = headerName(p, name);
    if (info === null) {
      if (p.rejectUnsafe) return reject('unsafe-header', 'request header name is not a token');
      continue;
    }
    // One scan per value when all is well: core's sendable rule (what undici will send) is
    // stricter than "no CR, LF or NUL", so only a refused value is looked at again.
    const sendable = isSendableHeaderValue(value);
    if (!sendable && hasUnsafeHeaderChar(value)) {
      if (p.rejectUnsafe) return reject('unsafe-header', `request header ${name} contains CR, LF or NUL`);
      value = stripUnsafeHeaderChars(value);
    }
    if (info.action !== 0) {
      if (info.action === 1 || value.trim().toLowerCase() !== 'trailers') continue;
    }
    if (nominated !== null && nominated.includes(info.lower)) continue;
    if (!sendable && !isSendableHeaderValue(value)) return unsendable(info.lower, value);
    headers[info.lower] = value;
  }
  return undefined;
}
