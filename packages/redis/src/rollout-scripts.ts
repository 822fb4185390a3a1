/**
 * The Lua scripts of the Redis rollout store: every operation is ONE `EVALSHA`, and every state
 * write checks the lease and the fencing token inside the same script (redis/docs
 * `distributed-locks.md`: "You should implement fencing tokens"; Kleppmann 2016). All keys of
 * one rollout share the hash tag `{<name>}`, so the scripts also run on Redis Cluster.
 *
 * Time: `now` is ARGV when the store runs on client time, else Redis' `TIME` (ms).
 */

/** `now` in ms: the given argument, or Redis' clock. */
const NOW = `
local function now_ms(arg)
  if arg and arg ~= '' then return tonumber(arg) end
  local t = redis.call('TIME')
  return t[1] * 1000 + math.floor(t[2] / 1000)
end
`;

/**
 * Adds one replica's flush, exactly once. KEYS[1] = the flush id key (`…:f:<owner>:<seq>`),
 * KEYS[2..] = bucket hashes. ARGV[1] = bucket TTL (ms), then per bucket key: the number of
 * field/increment pairs, then the pairs. A retried flush whose first attempt reached Redis
 * (the reply was lost) finds its id and adds nothing.
 */
export const ADD_METRICS_LUA = `
if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then return 0 end
local ttl = ARGV[1]
local a = 2
for k = 2, #KEYS do
  local n = tonumber(ARGV[a])
  a = a + 1
  for i = 1, n do
    redis.call('HINCRBY', KEYS[k], ARGV[a], ARGV[a + 1])
    a = a + 2
  end
  redis.call('PEXPIRE', KEYS[k], ttl)
end
return 1
`;

/** Sums the bucket hashes KEYS[1..]: returns a flat field/value array of the totals. */
export const READ_METRICS_LUA = `
local sum = {}
local order = {}
for k = 1, #KEYS do
  local h = redis.call('HGETALL', KEYS[k])
  for i = 1, #h, 2 do
    local f = h[i]
    if sum[f] == nil then
      sum[f] = 0
      order[#order + 1] = f
    end
    sum[f] = sum[f] + tonumber(h[i + 1])
  end
end
local out = {}
for _, f in ipairs(order) do
  out[#out + 1] = f
  out[#out + 1] = tostring(sum[f])
end
return out
`;

/**
 * Acquire or renew. KEYS[1] lease hash {owner, token, exp}, KEYS[2] fence counter.
 * ARGV owner, ttl, now, gcTtl. Reply: {'ok', token} or {'held', owner}.
 */
export const ACQUIRE_LUA = `${NOW}
local now = now_ms(ARGV[3])
local ttl = tonumber(ARGV[2])
local owner = redis.call('HGET', KEYS[1], 'owner')
if owner then
  local exp = tonumber(redis.call('HGET', KEYS[1], 'exp'))
  if exp > now then
    if owner ~= ARGV[1] then return {'held', owner} end
    redis.call('HSET', KEYS[1], 'exp', now + ttl)
    redis.call('PEXPIRE', KEYS[1], ARGV[4])
    return {'ok', redis.call('HGET', KEYS[1], 'token')}
  end
end
local token = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'token', token, 'exp', now + ttl)
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return {'ok', tostring(token)}
`;

/** Renew iff held by ARGV owner with ARGV token. KEYS[1] lease. ARGV owner, token, ttl, now, gcTtl. Reply 1/0. */
export const RENEW_LUA = `${NOW}
local now = now_ms(ARGV[4])
local h = redis.call('HMGET', KEYS[1], 'owner', 'token', 'exp')
if h[1] ~= ARGV[1] or h[2] ~= ARGV[2] or tonumber(h[3]) <= now then return 0 end
redis.call('HSET', KEYS[1], 'exp', now + tonumber(ARGV[3]))
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
`;

/** Compare-and-delete. KEYS[1] lease. ARGV owner, token. */
export const RELEASE_LUA = `
local h = redis.call('HMGET', KEYS[1], 'owner', 'token')
if h[1] == ARGV[1] and h[2] == ARGV[2] then redis.call('DEL', KEYS[1]) return 1 end
return 0
`;

/** KEYS[1] state hash. Reply {rev, token, json} or empty. */
export const READ_STATE_LUA = `
local h = redis.call('HMGET', KEYS[1], 'rev', 'token', 'json')
if not h[1] then return {} end
return h
`;

/**
 * The fenced, compare-and-set state write. KEYS[1] state hash, KEYS[2] lease hash.
 * ARGV json, expectedRev, writer ('leader' | 'operator'), owner, token, now, channel.
 * Reply {'written', rev} | {'fenced', why} | {'conflict', rev}. PUBLISHes the new revision.
 */
export const WRITE_STATE_LUA = `${NOW}
local rev = tonumber(redis.call('HGET', KEYS[1], 'rev') or '0')
local stored = tonumber(redis.call('HGET', KEYS[1], 'token') or '0')
local token = stored
if ARGV[3] == 'leader' then
  local now = now_ms(ARGV[6])
  local h = redis.call('HMGET', KEYS[2], 'owner', 'token', 'exp')
  if h[1] ~= ARGV[4] or h[2] ~= ARGV[5] or tonumber(h[3]) <= now then
    return {'fenced', ARGV[4] .. ' does not hold the lease with token ' .. ARGV[5]}
  end
  token = tonumber(ARGV[5])
  if token < stored then return {'fenced', 'token ' .. ARGV[5] .. ' is older than the last write (' .. stored .. ')'} end
end
if rev ~= tonumber(ARGV[2]) then return {'conflict', tostring(rev)} end
rev = rev + 1
redis.call('HSET', KEYS[1], 'rev', rev, 'token', token, 'json', ARGV[1])
redis.call('PUBLISH', ARGV[7], rev)
return {'written', tostring(rev)}
`;
