/**
 * Descriptors: what a limit is counted per. Each is a function from the request to a key
 * (`undefined` = the limit does not apply to this request), like Envoy's `rate_limits`
 * actions (`remote_address`, `request_headers`, `generic_key`, …).
 */
import { attributeText, type SyRequest } from '@switchyard/core';
import type { ClientIdentityResolver } from './client-ip.js';

/**
 * What a limit does with a request its key source gives no key for (`undefined`):
 * - `'allow'`: the limit does not apply to it (Envoy's `skip_if_absent: true`: the descriptor is
 *   not generated, nothing is counted);
 * - `'deny'`: the request is refused, as if its bucket were empty (fail closed; Envoy's
 *   `failure_mode_deny`, Kong's `fault_tolerant: false`);
 * - `'shared'`: every request without a key shares one bucket, the key `''` (as Envoy's local
 *   rate limit falls back to its route-wide token bucket when no descriptor matches).
 */
export type MissingKeyAction = 'deny' | 'allow' | 'shared';

/**
 * A request → key function. `onMissingKey`, when set, is the default of the rules that use it
 * (`keys.clientIp` of {@link keys} sets `'deny'`: a client-IP limit fails closed); without it `'allow'`.
 */
export type LimitKeySource = ((req: SyRequest) => string | undefined) & { readonly onMissingKey?: MissingKeyAction };

/**
 * @deprecated Use {@link LimitKeySource}: `@switchyard/splitter` exports a different
 * `KeySource` (a `{ header }`/`{ cookie }`/… record), and one name for both was easy to mix up.
 */
export type KeySource = LimitKeySource;

/**
 * Built-in descriptors.
 *
 * @example
 * ```ts
 * import { createClientIdentity, keys } from '@switchyard/limiter';
 * const perIp = keys.clientIp(createClientIdentity({ trustedHops: 1 }));
 * const perKey = keys.apiKey();            // x-api-key header
 * const perUserAndRoute = keys.all(keys.attribute('userId'), keys.route());
 * ```
 */
export const keys = Object.freeze({
  /**
   * The client IP from a trusted-proxy resolver, masked (IPv6 /56 by default). A request whose
   * client address is unknown (an adapter that passed none) is denied by default
   * (`onMissingKey: 'deny'`): a per-IP limit that let such requests through would not limit
   * anything once the address goes missing.
   */
  clientIp(identity: ClientIdentityResolver): LimitKeySource {
    return Object.assign((req: SyRequest) => identity(req)?.key, { onMissingKey: 'deny' as const });
  },
  /** A request header's value (lower-case name). */
  header(name: string): LimitKeySource {
    const n = name.toLowerCase();
    return (req) => req.headers[n];
  },
  /** An API key from a header (default `x-api-key`) or `Authorization: Bearer …`. */
  apiKey(header = 'x-api-key'): LimitKeySource {
    const n = header.toLowerCase();
    return (req) => {
      const v = req.headers[n];
      if (v !== undefined && v !== '') return v;
      const auth = req.headers['authorization'];
      return auth !== undefined && /^bearer /i.test(auth) ? auth.slice(7).trim() : undefined;
    };
  },
  /**
   * An attribute an adapter or auth policy set (user id, tenant, …): strings as they are, finite
   * numbers, booleans and bigints as text (core's `attributeText`, the rule every key reader shares).
   */
  attribute(name: string): LimitKeySource {
    return (req) => attributeText(req, name);
  },
  /** The matched route's name (attribute `route`, set by the router), else method + path. */
  route(): LimitKeySource {
    return (req) => {
      const r = req.attributes['route'];
      return typeof r === 'string' ? r : `${req.method} ${req.path}`;
    };
  },
  /** One key for everyone (a global limit). */
  global(value = '*'): LimitKeySource {
    return () => value;
  },
  /**
   * Several descriptors at once (all must be present), joined unambiguously. Its default
   * `onMissingKey` is `'deny'` when any part's is (a key that includes the client IP).
   */
  all(...sources: LimitKeySource[]): LimitKeySource {
    const all = (req: SyRequest): string | undefined => {
      let out = '';
      for (const s of sources) {
        const v = s(req);
        if (v === undefined) return undefined;
        out += `${out === '' ? '' : '\u001f'}${v}`;
      }
      return out;
    };
    return sources.some((s) => s.onMissingKey === 'deny') ? Object.assign(all, { onMissingKey: 'deny' as const }) : all;
  },
});
