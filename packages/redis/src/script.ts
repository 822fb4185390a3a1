/**
 * The server-side script: one round trip per decision. Token bucket in the same scaled units
 * as `@switchyard/limiter` (tokens × fill interval), with time in microseconds:
 *
 *   level = min(max, level + (now − at) × tokensPerFill); allowed iff level ≥ cost × fillIntervalUs
 *
 * The state is one string `"<level> <at>"` under the key, written only when a request is
 * admitted, with a PX TTL equal to the time until the bucket is full again — so a key expires
 * exactly when forgetting it changes nothing, and Redis never fills with idle buckets.
 *
 * KEYS[1] bucket key
 * ARGV[1] fill interval (µs)   ARGV[2] tokens per fill   ARGV[3] max tokens
 * ARGV[4] cost                 ARGV[5] now (µs), or '' to read Redis' own TIME
 * Returns { allowed (0|1), level (string, exact) }. Numbers travel as strings
 * because Redis truncates Lua numbers in replies to integers.
 */
export const TOKEN_BUCKET_LUA = `
local fi = tonumber(ARGV[1])
local tpf = tonumber(ARGV[2])
local max = tonumber(ARGV[3]) * fi
local need = tonumber(ARGV[4]) * fi
local now
if ARGV[5] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
else
  now = tonumber(ARGV[5])
end
local level = max
local at = now
local raw = redis.call('GET', KEYS[1])
if raw then
  local s, t = string.match(raw, '^(%S+) (%S+)$')
  level = tonumber(s)
  at = tonumber(t)
  if now > at then
    level = math.min(max, level + (now - at) * tpf)
    at = now
  end
end
if level >= need then
  level = level - need
  local deficit = max - level
  if deficit > 0 then
    redis.call('SET', KEYS[1], string.format('%.17g %.17g', level, at), 'PX', math.ceil(deficit / tpf / 1000) + 1)
  else
    redis.call('DEL', KEYS[1])
  end
  return { 1, string.format('%.17g', level) }
end
return { 0, string.format('%.17g', level) }
`;
