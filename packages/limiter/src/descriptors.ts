/**
 * Descriptors: what a limit is counted per. Each is a function from the request to a key
 * (`undefined` = the limit does not apply to this request), like Envoy's `rate_limits`
 * actions (`remote_address`, `request_headers`, `generic_key`, …).
 */
import type { SyRequest } from '@switchyard/core';
import type { ClientIdentityResolver } from './client-ip.js';

/** A request → key function. */
export type KeySource = (req: SyRequest) => string | undefined;

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
  /** The client IP from a trusted-proxy resolver, masked (IPv6 /56 by default). */
  clientIp(identity: ClientIdentityResolver): KeySource {
    return (req) => identity(req)?.key;
  },
  /** A request header's value (lower-case name). */
  header(name: string): KeySource {
    const n = name.toLowerCase();
    return (req) => req.headers[n];
  },
  /** An API key from a header (default `x-api-key`) or `Authorization: Bearer …`. */
  apiKey(header = 'x-api-key'): KeySource {
    const n = header.toLowerCase();
    return (req) => {
      const v = req.headers[n];
      if (v !== undefined && v !== '') return v;
      const auth = req.headers['authorization'];
      return auth !== undefined && /^bearer /i.test(auth) ? auth.slice(7).trim() : undefined;
    };
  },
  /** An attribute an adapter or auth policy set (user id, tenant, …); strings and numbers only. */
  attribute(name: string): KeySource {
    return (req) => {
      const v = req.attributes[name];
      return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
    };
  },
  /** The matched route's name (attribute `route`, set by the router), else method + path. */
  route(): KeySource {
    return (req) => {
      const r = req.attributes['route'];
      return typeof r === 'string' ? r : `${req.method} ${req.path}`;
    };
  },
  /** One key for everyone (a global limit). */
  global(value = '*'): KeySource {
    return () => value;
  },
  /** Several descriptors at once (all must be present), joined unambiguously. */
  all(...sources: KeySource[]): KeySource {
    return (req) => {
      let out = '';
      for (const s of sources) {
        const v = s(req);
        if (v === undefined) return undefined;
        out += `${out === '' ? '' : '\u001f'}${v}`;
      }
      return out;
    };
  },
});
