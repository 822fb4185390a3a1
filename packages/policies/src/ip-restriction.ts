/**
 * The `ip-restriction` policy: allow and deny lists of addresses and CIDR ranges, checked
 * against the client address the gateway derived with its client-identity rule (`ctx.clientIp`:
 * the TCP peer, or the `X-Forwarded-For` entry its trusted proxies vouch for), never against a
 * header the client could set itself (Zuplo's sample reads `true-client-ip`, which any client
 * can send when the gateway is not behind the CDN that sets it).
 *
 * Rules: a denied address is refused even when an allow list also contains it (deny wins, as
 * Envoy RBAC evaluates a DENY policy before the ALLOW one); with an allow list, only addresses in
 * it pass. IPv4-mapped IPv6 addresses (`::ffff:10.1.2.3`) are the IPv4 addresses they carry, on
 * both sides (core's `parseIp` / `parseCidr`).
 *
 * A refusal is 403 `SY_FORBIDDEN`, not the 401 of Zuplo's sample: 401 means "authenticate and
 * try again" and must carry a `WWW-Authenticate` challenge (RFC 9110 §15.5.2); no credential can
 * change the caller's address, so the answer is "understood, refused": 403 (RFC 9110 §15.5.4),
 * which is also what Envoy's RBAC filter answers.
 *
 * @module
 */
import * as v from 'valibot';
import { CONTINUE, cidrContains, definePolicy, parseCidr, parseIp, type Cidr, type InboundResult, type PolicyContext, type PolicyReject, type SyRequest } from '@switchyard/core';

/** Options of the `ip-restriction` policy. At least one non-empty list. */
export interface IpRestrictionOptions {
  /** Addresses or CIDR ranges allowed (`10.0.0.0/8`, `2001:db8::/32`, `203.0.113.7`); unset: all but `deny`. */
  readonly allow?: readonly string[] | undefined;
  /** Addresses or CIDR ranges refused; wins over `allow`. */
  readonly deny?: readonly string[] | undefined;
  /**
   * When the gateway knows no client address (an adapter without a peer address): `deny`
   * (default: an allow list cannot be honoured for an unknown caller) or `allow`.
   */
  readonly onMissingAddress?: 'deny' | 'allow' | undefined;
}

const cidrSchema = v.pipe(
  v.string('must be a string'),
  v.check((s) => parseCidr(s) !== undefined, "must be an IPv4 or IPv6 address or CIDR range ('10.0.0.0/8', '2001:db8::/32')"),
);

/** The `ip-restriction` policy's option schema. */
export const ipRestrictionOptionsSchema = v.pipe(
  v.strictObject({
    allow: v.optional(v.array(cidrSchema, 'must be an array of addresses or CIDR ranges')),
    deny: v.optional(v.array(cidrSchema, 'must be an array of addresses or CIDR ranges')),
    onMissingAddress: v.optional(v.picklist(['deny', 'allow'], "must be 'deny' or 'allow'")),
  }),
  v.check((o) => (o.allow?.length ?? 0) + (o.deny?.length ?? 0) > 0, 'needs at least one address in allow or deny'),
);

const FORBIDDEN: PolicyReject = Object.freeze({ kind: 'reject', code: 'SY_FORBIDDEN', message: 'Access from this address is not allowed.' });

function compileList(list: readonly string[] | undefined, key: string): readonly Cidr[] | undefined {
  if (list === undefined || list.length === 0) return undefined;
  return list.map((s, i) => {
    const c = parseCidr(s);
    if (c === undefined) throw new TypeError(`ip-restriction: ${key}[${i}] is not an address or CIDR range`);
    return c;
  });
}

function inAny(list: readonly Cidr[], ip: { readonly version: 4 | 6; readonly bytes: Uint8Array }): boolean {
  for (const c of list) if (cidrContains(c, ip)) return true;
  return false;
}

/**
 * Compiles the lists once into a predicate over an address string (`true` = let through).
 * Exported for custom policies that want the same rules.
 */
export function compileIpRestriction(options: IpRestrictionOptions): (address: string | undefined) => boolean {
  const allow = compileList(options.allow, 'allow');
  const deny = compileList(options.deny, 'deny');
  const onMissing = (options.onMissingAddress ?? 'deny') === 'allow';
  return (address) => {
    const ip = address === undefined ? undefined : parseIp(address);
    // An address the gateway could not parse is as good as none.
    if (ip === undefined) return onMissing;
    if (deny !== undefined && inAny(deny, ip)) return false;
    return allow === undefined || inAny(allow, ip);
  };
}

/**
 * `ip-restriction`: 403 `SY_FORBIDDEN` unless the client address is allowed and not denied.
 *
 * @example
 * ```ts
 * // config: policies: { office: { type: 'ip-restriction', options: { allow: ['203.0.113.0/24', '2001:db8::/32'], deny: ['203.0.113.66'] } } }
 * import { ipRestrictionPolicy } from '@switchyard/policies';
 * const policy = ipRestrictionPolicy.create({ deny: ['198.51.100.0/24'] }, deps);
 * ```
 */
export const ipRestrictionPolicy = definePolicy<IpRestrictionOptions>({
  type: 'ip-restriction',
  summary: 'Allows or denies the client address by CIDR lists (deny wins), trusted-proxy aware; 403 SY_FORBIDDEN.',
  options: ipRestrictionOptionsSchema,
  create(options) {
    const allows = compileIpRestriction(options);
    return {
      type: 'ip-restriction',
      inbound(_request: SyRequest, ctx: PolicyContext): InboundResult {
        return allows(ctx.clientIp) ? CONTINUE : FORBIDDEN;
      },
      describe() {
        const parts: string[] = [];
        if (options.allow !== undefined && options.allow.length > 0) parts.push(`allow ${options.allow.join(', ')}`);
        if (options.deny !== undefined && options.deny.length > 0) parts.push(`deny ${options.deny.join(', ')}`);
        parts.push(`no address: ${options.onMissingAddress ?? 'deny'}`);
        return `ip-restriction on the client address: ${parts.join('; ')} (deny wins; 403)`;
      },
    };
  },
});
