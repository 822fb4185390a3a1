/** The token-bucket Lua script the Redis store runs, one round trip per decision. */

/**
 * The server-side script: one round trip per decision. Token bucket in the same scaled units
 * as `@switchyard/limiter` (tokens × fill interval), with time in microseconds:
 *
 *   level = min(max, level + (now − at) × tokensPerFill); allowed iff level ≥ cost × fillIntervalUs
 *
 * The state is one string `"<level> <at>"` under the key, written only when a request is
 * admitted (`PSETEX`), with a TTL equal to the time until the bucket is full again — so a key
 * expires exactly when forgetting it changes nothing, and Redis never fills with idle buckets.
 * A bucket that is full after the request is deleted instead.
 *
 * Cheap on the server, and exact: integral numbers (the usual case: integer µs times and
 * token counts) are written with `%d`; only a fractional level falls back to `%.17g`. The reply
 * is ONE value: an integer `level` when the request is admitted and the level is integral
 * (no string formatting at all on the hot path); otherwise a string `a<level>` (admitted) or
 * `l<level>` (limited) with the exact level. Redis' own `TIME` is read only when ARGV[5] is
 * absent; the caller passes a clock reading in µs with `time: 'client'`.
 *
 * KEYS[1] bucket key
 * ARGV[1] fill interval (µs)   ARGV[2] tokens per fill   ARGV[3] max tokens
 * ARGV[4] cost                 ARGV[5] now (µs), optional: absent = Redis `TIME`
 */
export const TOKEN_BUCKET_LUA = `
local now = ARGV[5]
if now then
  now = tonumber(now)
else
  local t = redis.call('TIME')
  now = t[1] * 1000000 + t[2]
end
local fi = tonumber(ARGV[1])
local tpf = tonumber(ARGV[2])
local max = ARGV[3] * fi
local need = ARGV[4] * fi
local level = max
local raw = redis.call('GET', KEYS[1])
if raw then
  local sp = string.find(raw, ' ', 1, true)
  local at = tonumber(string.sub(raw, sp + 1))
  level = tonumber(string.sub(raw, 1, sp - 1))
  if now > at then
    level = math.min(max, level + (now - at) * tpf)
  else
    now = at
  end
end
local whole = level == math.floor(level) and level < 9e18
if level < need then
  if whole then return 'l' .. string.format('%d', level) end
  return 'l' .. string.format('%.17g', level)
end
level = level - need
whole = whole and need == math.floor(need)
if level < max then
  local fmt = '%.17g %d'
  if whole then fmt = '%d %d' end
  redis.call('PSETEX', KEYS[1], math.ceil((max - level) / tpf / 1000) + 1, string.format(fmt, level, now))
else
  redis.call('DEL', KEYS[1])
end
if whole then return level end
return 'a' .. string.format('%.17g', level)
`;

/**
 * SHA1 of {@link TOKEN_BUCKET_LUA}, the name `EVALSHA` uses: a constant, so the package needs no
 * `node:crypto` (it bundles for workers). `script.test.ts` recomputes it: editing the script
 * without updating this fails there.
 */
export const TOKEN_BUCKET_SHA1 = '52d68cf25b0f8a57a9a56d03f02c645004937acb';
