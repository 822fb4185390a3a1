/**
 * The schema of the rate limits (@switchyard/limiter): named `limits` (rate policies, tiers,
 * what a limit counts per) and `clientIdentity` (the trusted proxies `client-ip` keys read through).
 */
import * as v from 'valibot';
import { dict, either, finite, int, isObject, keyed, list, nonEmpty, nonNegative, opt, pick, scalar, str, strict, strictEntries, stringMap, tagged } from './schema-kit.js';

// -- @switchyard/limiter: rate policies, keys, tiers, ClientIdentityOptions
const ratePolicySchema = tagged(
  'algorithm',
  [
    strictEntries({ algorithm: opt(pick(['token-bucket', 'gcra'])), maxTokens: finite, tokensPerFill: opt(finite), fillIntervalMs: finite }),
    strictEntries({ algorithm: v.literal('sliding-window'), limit: finite, windowMs: finite }),
  ],
  'must be token-bucket, gcra or sliding-window',
);
const LIMIT_KEY_MESSAGE = "must be 'client-ip', 'route', 'global', { header }, { apiKey }, { attribute } or { identity }";
const limitKeyword = v.picklist(['client-ip', 'route', 'global'], LIMIT_KEY_MESSAGE);
const limitKeyObject = keyed({ header: { header: nonEmpty }, apiKey: { apiKey: nonEmpty }, attribute: { attribute: nonEmpty }, identity: { identity: nonEmpty } });
const limitKeySchema = either(
  [limitKeyword, limitKeyObject],
  (x) => (typeof x === 'string' ? limitKeyword : isObject(x) ? limitKeyObject : undefined),
  LIMIT_KEY_MESSAGE,
);
const limitKeyList = list(limitKeySchema);
/** A named limit (`limits.<name>`). */
export const limitSchema = keyed(
  {
    policy: { policy: ratePolicySchema },
    tiers: {
      tiers: strict({
        policies: dict(ratePolicySchema),
        match: opt(list(strict({ tier: nonEmpty, attributes: opt(dict(scalar)), headers: opt(stringMap) }))),
        attribute: opt(nonEmpty),
        default: opt(nonEmpty),
      }),
    },
  },
  {
    key: either([limitKeySchema, limitKeyList], (x) => (Array.isArray(x) ? limitKeyList : limitKeySchema), 'unused: every input has an option'),
    mode: opt(pick(['enforce', 'shadow'])),
    cost: opt(nonNegative),
    onMissingKey: opt(pick(['deny', 'allow', 'shared'])),
  },
);
/** Where client addresses come from (`clientIdentity`). */
export const clientIdentitySchema = keyed(
  { trustedProxies: { trustedProxies: list(str) }, trustedHops: { trustedHops: int(0, 1000) } },
  { header: opt(pick(['x-forwarded-for', 'forwarded'])), ipv6Prefix: opt(int(0, 128)), ipv4Prefix: opt(int(0, 32)) },
);
