"""The Lua scripts of ``RedisQuotaStore``: one per operation, each atomic in Redis.

Keys of a scope (``P`` = prefix + kind + ':' + quoted id): ``P:rpm`` and ``P:tpm``, hashes of
second → count; ``P:m:YYYY-MM``, a hash with ``spent``, ``reserved`` (micro-euros) and one
``r:<request id>`` field per open reservation; ``P:m:YYYY-MM:exp``, a sorted set of the open
reservations by expiry. ``prefix + 'done:' + request id`` marks a settled or released call.
Times come from the caller (replicas' clocks are assumed in sync, as NTP keeps them).
"""

from __future__ import annotations

_COMMON = """
local WINDOW = 60

local function window(key, now_s)
  local flat = redis.call('HGETALL', key)
  local total, buckets = 0, {}
  for i = 1, #flat, 2 do
    local second, amount = tonumber(flat[i]), tonumber(flat[i + 1])
    if second <= now_s - WINDOW then
      redis.call('HDEL', key, flat[i])
    else
      total = total + amount
      buckets[#buckets + 1] = {second, amount}
    end
  end
  table.sort(buckets, function(a, b) return a[1] < b[1] end)
  return total, buckets
end

local function retry_after(buckets, excess, now)
  local freed = 0
  for _, bucket in ipairs(buckets) do
    freed = freed + bucket[2]
    if freed >= excess then
      return math.max(1, math.ceil(bucket[1] + WINDOW - now))
    end
  end
  return WINDOW
end

local function purge(month_key, exp_key, now)
  local expired = redis.call('ZRANGEBYSCORE', exp_key, '-inf', now)
  for _, rid in ipairs(expired) do
    local amount = tonumber(redis.call('HGET', month_key, 'r:' .. rid) or '0')
    redis.call('HINCRBY', month_key, 'reserved', 0 - amount)
    redis.call('HDEL', month_key, 'r:' .. rid)
  end
  if #expired > 0 then
    redis.call('ZREMRANGEBYSCORE', exp_key, '-inf', now)
  end
end

local function field(key, name)
  return tonumber(redis.call('HGET', key, name) or '0')
end
"""

RESERVE = (
    _COMMON
    + """
-- KEYS: per claim rpm, tpm, month, month:exp
-- ARGV: now, request id, tokens, cost, expires at, month ttl, then per claim rpm, tpm, budget
-- (-1: no limit). Returns {0} or {1, claim index, limit (1 rpm, 2 tpm, 3 budget), retry}.
local now, rid = tonumber(ARGV[1]), ARGV[2]
local tokens, cost = tonumber(ARGV[3]), tonumber(ARGV[4])
local expires, month_ttl = tonumber(ARGV[5]), tonumber(ARGV[6])
local now_s = math.floor(now)
local claims = #KEYS / 4

for i = 1, claims do
  local k, a = (i - 1) * 4, 6 + (i - 1) * 3
  local rpm, tpm, budget = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3])
  local count, rbuckets = window(KEYS[k + 1], now_s)
  if rpm >= 0 and count >= rpm then
    return {1, i, 1, retry_after(rbuckets, count - rpm + 1, now)}
  end
  local used, tbuckets = window(KEYS[k + 2], now_s)
  if tpm >= 0 and used + tokens > tpm then
    return {1, i, 2, retry_after(tbuckets, used + tokens - tpm, now)}
  end
  purge(KEYS[k + 3], KEYS[k + 4], now)
  if budget >= 0 then
    local month = KEYS[k + 3]
    if field(month, 'spent') + field(month, 'reserved') + cost > budget then
      return {1, i, 3, 0}
    end
  end
end

for i = 1, claims do
  local k = (i - 1) * 4
  redis.call('HINCRBY', KEYS[k + 1], now_s, 1)
  redis.call('EXPIRE', KEYS[k + 1], 2 * WINDOW)
  if tokens > 0 then
    redis.call('HINCRBY', KEYS[k + 2], now_s, ARGV[3])
    redis.call('EXPIRE', KEYS[k + 2], 2 * WINDOW)
  end
  redis.call('HINCRBY', KEYS[k + 3], 'reserved', ARGV[4])
  redis.call('HSET', KEYS[k + 3], 'r:' .. rid, ARGV[4])
  redis.call('ZADD', KEYS[k + 4], expires, rid)
  redis.call('EXPIRE', KEYS[k + 3], month_ttl)
  redis.call('EXPIRE', KEYS[k + 4], month_ttl)
end
return {0}
"""
)

FINISH = """
-- KEYS: done marker, then per scope tpm, month, month:exp
-- ARGV: request id, reservation second, now, token delta, actual cost, done ttl, month ttl
-- Returns 1 when applied, 0 when the call was already settled or released.
local rid, second, now = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local delta, cost = tonumber(ARGV[4]), tonumber(ARGV[5])
local done_ttl, month_ttl = tonumber(ARGV[6]), tonumber(ARGV[7])
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', done_ttl) then
  return 0
end
local in_window = second > math.floor(now) - 60
for i = 2, #KEYS, 3 do
  local tpm, month, exp = KEYS[i], KEYS[i + 1], KEYS[i + 2]
  local amount = redis.call('HGET', month, 'r:' .. rid)
  if amount then
    redis.call('HINCRBY', month, 'reserved', 0 - tonumber(amount))
    redis.call('HDEL', month, 'r:' .. rid)
    redis.call('ZREM', exp, rid)
  end
  if cost > 0 then
    redis.call('HINCRBY', month, 'spent', ARGV[5])
    redis.call('EXPIRE', month, month_ttl)
  end
  if in_window and delta ~= 0 then
    local value = tonumber(redis.call('HGET', tpm, second) or '0') + delta
    if value > 0 then
      redis.call('HSET', tpm, second, value)
    else
      redis.call('HDEL', tpm, second)
    end
  end
end
return 1
"""

USAGE = (
    _COMMON
    + """
-- KEYS: rpm, tpm, month, month:exp; ARGV: now. Returns {spent, reserved, requests, tokens}.
local now = tonumber(ARGV[1])
local now_s = math.floor(now)
purge(KEYS[3], KEYS[4], now)
local requests = window(KEYS[1], now_s)
local tokens = window(KEYS[2], now_s)
return {field(KEYS[3], 'spent'), field(KEYS[3], 'reserved'), requests, tokens}
"""
)

SEED = """
-- KEYS: month; ARGV: spent, month ttl. Never overwrites what replicas already count.
local set = redis.call('HSETNX', KEYS[1], 'spent', ARGV[1])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2]))
return set
"""
