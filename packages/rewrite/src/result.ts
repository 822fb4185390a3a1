/**
 * What a rewrite returns: the public result types, and the two constructors of a `rejected`
 * result every stage shares (so a reason always gets the same error code).
 */
import { SwitchyardError, checkSendable, describeUnsendable } from '@switchyard/core';
import type { SyResponse, UpstreamRequest } from '@switchyard/core';

/** The upstream a request is forwarded to. */
export interface UpstreamTarget {
  readonly scheme: 'http' | 'https';
  readonly host: string;
  readonly port: number;
  /** `scheme://host[:port]` (default port omitted). */
  readonly origin: string;
}

/** Why a request was refused. All but `no-upstream` (a wiring bug: 500) are the client's fault (400). */
export type RewriteRejectReason =
  | 'path-not-normalized'
  | 'empty-path-value'
  | 'unsafe-path'
  | 'unsafe-header'
  | 'invalid-connection-header'
  | 'upstream-not-allowed'
  | 'invalid-authority'
  | 'unsendable'
  | 'no-upstream';

/** The result of {@link applyRewrite}: a tagged union, never an exception. */
export type RewriteResult =
  | { readonly kind: 'forward'; readonly upstream: UpstreamTarget; readonly request: UpstreamRequest }
  | { readonly kind: 'redirect'; readonly status: number; readonly location: string; readonly response: SyResponse }
  | { readonly kind: 'rejected'; readonly reason: RewriteRejectReason; readonly error: SwitchyardError };

/** A `rejected` result: `no-upstream` is a wiring bug (`SY_INVALID_ARGUMENT`), every other reason the client's (`SY_BAD_REQUEST`). */
export function reject(reason: RewriteRejectReason, message: string): RewriteResult {
  const code = reason === 'no-upstream' ? 'SY_INVALID_ARGUMENT' : 'SY_BAD_REQUEST';
  return { kind: 'rejected', reason, error: new SwitchyardError(code, message) };
}

/** The `rejected` result for a header value undici would refuse: names the header, never the bytes. */
export function unsendable(name: string, value: string): RewriteResult {
  const u = checkSendable({ method: 'GET', path: '/', headers: { [name]: value } });
  return reject('unsendable', u === undefined ? `the upstream request header ${name} cannot be sent` : describeUnsendable(u));
}
