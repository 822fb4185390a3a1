/**
 * The declarative config of one rewrite rule. Every option is named after the reference
 * system it comes from (Gateway API `HTTPURLRewriteFilter` / `HTTPRequestRedirectFilter` /
 * `HTTPHeaderFilter`, Envoy `RouteAction` / `RedirectAction`, Zuplo URL Rewrite / Forward).
 */

/** How the request path is rewritten (one per rule, as in Envoy and the Gateway API). */
export type PathRewriteConfig =
  /** Gateway API `ReplaceFullPath`. */
  | { readonly type: 'ReplaceFullPath'; readonly replaceFullPath: string }
  /**
   * Gateway API `ReplacePrefixMatch` (segment arithmetic). `prefix` defaults to the route's
   * matched prefix passed in {@link RewriteInput.matchedPrefix}.
   */
  | { readonly type: 'ReplacePrefixMatch'; readonly replacePrefixMatch: string; readonly prefix?: string }
  /** Envoy `prefix_rewrite` / Istio `rewrite.uri` (string replacement). `prefix` defaults to the matched prefix. */
  | { readonly type: 'PrefixRewrite'; readonly prefixRewrite: string; readonly prefix?: string }
  /** Envoy `regex_rewrite` / Istio `uriRegexRewrite`: every match, `\1` capture groups. */
  | { readonly type: 'RegexRewrite'; readonly pattern: string; readonly substitution: string }
  /** Removes a leading path prefix segment-wise (`ReplacePrefixMatch` with `''`). */
  | { readonly type: 'StripPrefix'; readonly prefix: string }
  /** A path template: `/orders/${params.id}` (Zuplo URL Rewrite). */
  | { readonly type: 'Template'; readonly template: string };

/** Query string operations, applied in the order remove → rename → set → add. */
export interface QueryRewriteConfig {
  /** Drop the request's query string entirely before the other operations (Envoy `strip_query`). */
  readonly removeAll?: boolean;
  /** Names to remove (every occurrence). */
  readonly remove?: readonly string[];
  /** `{ old: new }`: renames every occurrence, keeping its value and position. */
  readonly rename?: Readonly<Record<string, string>>;
  /** `{ name: template }`: replaces the first occurrence (dropping the others) or appends. */
  readonly set?: Readonly<Record<string, string>>;
  /** `{ name: template }`: appends one more occurrence. */
  readonly add?: Readonly<Record<string, string>>;
}

/** Gateway API `HTTPHeaderFilter`: `set` overwrites, `add` appends (`a,b`), `remove` deletes. */
export interface HeaderModifierConfig {
  /** `{ name: value }`; request values may be templates (`${headers.x-tenant}`). */
  readonly set?: Readonly<Record<string, string>>;
  readonly add?: Readonly<Record<string, string>>;
  readonly remove?: readonly string[];
}

/**
 * The `Host` header sent upstream.
 * - `'preserve'` (default, as Envoy and the Gateway API): the client's authority.
 * - `'upstream'`: the upstream's `host[:port]` (Envoy `auto_host_rewrite`, http-proxy-middleware `changeOrigin`).
 * - `{ literal }`: Envoy `host_rewrite_literal`, Gateway `URLRewrite.hostname`.
 * - `{ fromHeader }` / `{ template }`: Envoy `host_rewrite_header` / `host_rewrite`; the
 *   value must be the host of an entry in `allowedUpstreams`, and that entry becomes the
 *   upstream. An absent or empty value leaves the host and upstream unchanged (Envoy).
 */
export type HostRewriteConfig =
  | 'preserve'
  | 'upstream'
  | { readonly literal: string }
  | { readonly fromHeader: string }
  | { readonly template: string };

/**
 * `X-Forwarded-For|Proto|Host` and RFC 7239 `Forwarded`.
 * - `'trusted'` (default): what the client sent is kept, and this hop added, only when the
 *   request came from a trusted proxy (`trustedProxies` / `trustedHops`, the model of the
 *   gateway's `clientIdentity` and of Envoy's `use_remote_address` + `xff_num_trusted_hops`);
 *   from anyone else it is replaced by what this hop saw, so a client cannot claim HTTPS or
 *   another host. With neither option set no peer is trusted (always `overwrite`).
 * - `'append'` (Envoy `use_remote_address: false`, nginx `$proxy_add_x_forwarded_for`): keep what
 *   any client sent, add this hop. Only safe when every peer is a proxy you run.
 * - `'overwrite'`: discard what the client sent, set this hop only.
 * - `'off'`: leave these headers exactly as received.
 */
export interface ForwardedConfig {
  /** Default `'trusted'`. */
  readonly mode?: 'trusted' | 'append' | 'overwrite' | 'off';
  /** Which headers to write: `'x-forwarded'` (default), `'forwarded'` or `'both'`. */
  readonly headers?: 'x-forwarded' | 'forwarded' | 'both';
  /**
   * `'trusted'` mode: CIDRs (or bare addresses) of the proxies in front of you; a request whose
   * `clientAddress` (the TCP peer) is inside one keeps its forwarding headers. Exclusive with
   * `trustedHops`. The gateway fills it in from its `clientIdentity` when neither is set.
   */
  readonly trustedProxies?: readonly string[];
  /** `'trusted'` mode: the number of proxies in front of you (Envoy `xff_num_trusted_hops`); more than 0 trusts the peer. */
  readonly trustedHops?: number;
}

/** Gateway API `HTTPRequestRedirectFilter` (+ Envoy's `strip_query`). */
export interface RedirectConfig {
  /** Empty ⇒ the request's scheme. */
  readonly scheme?: 'http' | 'https';
  /** Empty ⇒ the request's host (without its port). */
  readonly hostname?: string;
  /** Unset ⇒ Gateway API derivation: the scheme's well-known port if `scheme` is set, else the listener port. */
  readonly port?: number;
  readonly path?:
    | { readonly type: 'ReplaceFullPath'; readonly replaceFullPath: string }
    | { readonly type: 'ReplacePrefixMatch'; readonly replacePrefixMatch: string; readonly prefix?: string };
  /** **302** by default (Gateway API; Envoy and Istio default to 301). */
  readonly statusCode?: 301 | 302 | 303 | 307 | 308;
  /** Drop the query string from `Location` (Envoy `strip_query`, default false). */
  readonly stripQuery?: boolean;
}

/** One rewrite rule: either a forward (URL + headers) or a redirect. */
export interface RewriteConfig {
  /**
   * Upstream base URL (`https://orders.internal` or `https://orders.internal/base`), taking
   * precedence over {@link RewriteInput.upstream}. Only configuration chooses the origin.
   */
  readonly upstream?: string;
  /**
   * A full URL template (Zuplo URL Rewrite): `https://orders.internal/orders/${params.id}`
   * or `${upstream}/orders/${params.id}?expand=${query.expand}`. Placeholders in the origin
   * part require `allowedUpstreams`. A `?` part replaces the request's query string.
   * Exclusive with `path`.
   */
  readonly url?: string;
  /** Origins (`https://eu.orders.internal`) a request-derived host may select. */
  readonly allowedUpstreams?: readonly string[];
  readonly path?: PathRewriteConfig;
  readonly query?: QueryRewriteConfig;
  readonly host?: HostRewriteConfig;
  readonly requestHeaders?: HeaderModifierConfig;
  readonly responseHeaders?: HeaderModifierConfig;
  readonly forwarded?: ForwardedConfig;
  /** Invalid `Connection` options: `'reject'` (default: 400) or `'ignore'` (drop them, strip the rest). */
  readonly connectionHeader?: 'reject' | 'ignore';
  /**
   * A request header name that is not a token, or a value with CR, LF or NUL:
   * `'reject'` (default: 400) or `'strip'` (drop the bad header / remove the characters).
   * Response headers are always stripped, never rejected.
   */
  readonly unsafeHeaders?: 'reject' | 'strip';
  /** If set, the path as received is sent in this header when it was rewritten (Envoy `x-envoy-original-path`). */
  readonly originalPathHeader?: string;
  readonly redirect?: RedirectConfig;
}
