/**
 * `any-auth`: the caller passes if any one of several auth policies accepts it (Envoy
 * `jwt_authn`'s `requires_any`, `policies.md` §3; Zuplo needs three policies and custom code for
 * this, §1.6). The members are policy instances by name (`deps.policy(name)`, resolved once at
 * create time), tried in order:
 *
 * - a member that continues WITH an identity wins: its result (identity, stripped request,
 *   attributes) is any-auth's;
 * - a member that answers 401 (`SY_UNAUTHORIZED`) did not authenticate the caller: its
 *   `WWW-Authenticate` challenge is kept and the next member is tried;
 * - a member that continues WITHOUT an identity (its own `allowAnonymous`) found no credentials
 *   of its kind: the next member is tried;
 * - any other answer (a 403 for an authenticated caller outside an allow list, a 503 from a key
 *   store that is down, a `respond`) is returned as it is: the caller was identified and refused,
 *   or nobody can tell.
 *
 * When no member accepts: 401 `SY_UNAUTHORIZED` carrying every member's challenge in one
 * `WWW-Authenticate` (RFC 9110 §11.6.1: a field may hold several challenges, comma-separated),
 * so a client learns every scheme it may use. With `allowAnonymous`, a caller that sent no
 * credentials at all continues without identity; one that sent bad credentials is still refused.
 * "No credentials" is read from the challenges as RFC 6750 §3.1 defines it: a member that saw no
 * credentials sends a challenge without an `error` auth-param, one that saw bad ones sets
 * `error="invalid_token"` (or another error code); built-in members follow that rule.
 */
import { ConfigError, definePolicy, type InboundResult, type Policy, type PolicyContext, type PolicyDefinition, type PolicyReject, type SyRequest } from '@switchyard/core';
import * as v from 'valibot';
import { nonEmpty, options as optionsOf } from './internal/schema.js';

/** Options of the `any-auth` policy. */
export interface AnyAuthOptions {
  /** Names of the auth policy instances to try, in order (at least one). */
  readonly policies: readonly string[];
  /** A caller that sent no credentials to any member continues without identity (default false). */
  readonly allowAnonymous?: boolean | undefined;
}

const schema = optionsOf('any-auth', {
  policies: v.pipe(v.array(nonEmpty, 'must be a list of policy names'), v.minLength(1, 'must name at least one auth policy')),
  allowAnonymous: v.optional(v.boolean('must be true or false')),
});

/** True when a 401's challenges say credentials were sent and found bad (an `error=` auth-param, RFC 6750 §3.1). */
function sawCredentials(reject: PolicyReject): boolean {
  const challenge = reject.headers?.['www-authenticate'];
  return challenge !== undefined && hasErrorParam(challenge);
}

/**
 * Whether a `WWW-Authenticate` value has an auth-param named `error` (case-insensitive), outside
 * quoted-strings (RFC 9110 §11.2, §5.6.4): `realm="a, error=b"` has none.
 */
export function hasErrorParam(challenge: string): boolean {
  let quoted = false;
  for (let i = 0; i < challenge.length; i++) {
    const c = challenge.charCodeAt(i);
    if (quoted) {
      if (c === 92) i++; // backslash: the next character is literal
      else if (c === 34) quoted = false;
      continue;
    }
    if (c === 34) quoted = true;
    else if ((c === 69 || c === 101) && (i === 0 || /[\s,]/.test(challenge[i - 1] as string)) && /^error\s*=/i.test(challenge.slice(i, i + 12))) return true;
  }
  return false;
}

/**
 * The built-in `any-auth` policy type (options: {@link AnyAuthOptions}).
 *
 * @example
 * ```ts
 * const policies = {
 *   keys: { type: 'api-key', options: { consumers: [...] } },
 *   tokens: { type: 'jwt', options: { providers: [...] } },
 *   auth: { type: 'any-auth', options: { policies: ['keys', 'tokens'] } },
 * };
 * // route: policies: { inbound: ['auth', ...] }
 * ```
 */
export const anyAuth: PolicyDefinition<AnyAuthOptions> = definePolicy<AnyAuthOptions>({
  type: 'any-auth',
  summary: 'Accepts the first of several auth policies that authenticates the caller (Envoy requires_any); 401 with every challenge when none does.',
  options: schema,
  create(options, deps) {
    const issues: Array<{ path: string; message: string }> = [];
    const members: Array<{ name: string; inbound: NonNullable<Policy['inbound']> }> = [];
    options.policies.forEach((name, i) => {
      const p = name === deps.name ? undefined : deps.policy(name);
      if (name === deps.name) issues.push({ path: `policies[${i}]`, message: 'any-auth cannot list itself' });
      else if (p === undefined) issues.push({ path: `policies[${i}]`, message: `unknown policy ${JSON.stringify(name)}` });
      else if (p.inbound === undefined) issues.push({ path: `policies[${i}]`, message: `policy ${JSON.stringify(name)} (${p.type}) has no inbound step` });
      else if (!(p.provides ?? []).includes('identity')) issues.push({ path: `policies[${i}]`, message: `policy ${JSON.stringify(name)} (${p.type}) is not an auth policy (it does not provide identity)` });
      else members.push({ name, inbound: p.inbound.bind(p) });
    });
    if (new Set(options.policies).size !== options.policies.length) issues.push({ path: 'policies', message: 'lists a policy twice' });
    if (issues.length > 0) throw new ConfigError(issues);
    const allowAnonymous = options.allowAnonymous ?? false;

    /** All members refused with 401 (or found nothing): one 401 with every challenge, or anonymous. */
    function noneAccepted(refusals: PolicyReject[]): InboundResult {
      const invalid = refusals.find(sawCredentials);
      if (allowAnonymous && invalid === undefined) return { kind: 'continue' };
      const challenges: string[] = [];
      for (const r of refusals) {
        const c = r.headers?.['www-authenticate'];
        if (c !== undefined && !challenges.includes(c)) challenges.push(c);
      }
      const first = invalid ?? refusals[0];
      return {
        kind: 'reject',
        code: 'SY_UNAUTHORIZED',
        message: first?.message ?? 'Authentication required.',
        ...(challenges.length > 0 ? { headers: { 'www-authenticate': challenges.join(', ') } } : {}),
      };
    }

    /** Tries members from `i`; synchronous while they are. */
    function from(i: number, request: SyRequest, ctx: PolicyContext, refusals: PolicyReject[]): InboundResult | Promise<InboundResult> {
      for (; i < members.length; i++) {
        const r = (members[i] as (typeof members)[number]).inbound(request, ctx);
        if (r instanceof Promise) {
          const next = i + 1;
          return r.then((res) => {
            const verdict = judge(res, refusals);
            return verdict === undefined ? from(next, request, ctx, refusals) : verdict;
          });
        }
        const verdict = judge(r, refusals);
        if (verdict !== undefined) return verdict;
      }
      return noneAccepted(refusals);
    }

    return {
      type: 'any-auth',
      provides: ['identity'],
      describe: () => `any of ${options.policies.join(', ')}${allowAnonymous ? ' (anonymous allowed)' : ''}`,
      inbound: (request, ctx) => from(0, request, ctx, []),
    };
  },
});

/** The final answer for a member's result, or `undefined` to try the next member. */
function judge(r: InboundResult, refusals: PolicyReject[]): InboundResult | undefined {
  if (r.kind === 'continue') return r.identity !== undefined ? r : undefined;
  if (r.kind === 'reject' && (r.status ?? 401) === 401 && r.code === 'SY_UNAUTHORIZED') {
    refusals.push(r);
    return undefined;
  }
  return r;
}
